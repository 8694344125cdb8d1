"""pathmode — export: operations tagged 'export'."""

from spec_server.errors import NotImplementedYet


def get_export(**_params):
    """GET /api/v1/export"""
    raise NotImplementedYet()
