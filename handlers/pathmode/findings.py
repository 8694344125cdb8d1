"""pathmode — findings: operations tagged 'findings'."""

from spec_server.errors import NotImplementedYet


def get_intents_id_findings(**_params):
    """GET /api/v1/intents/{id}/findings"""
    raise NotImplementedYet()


def post_intents_id_findings(**_params):
    """POST /api/v1/intents/{id}/findings"""
    raise NotImplementedYet()
