"""pathmode — api-keys: operations tagged 'api-keys'."""

from spec_server.errors import NotImplementedYet


def delete_api_keys(**_params):
    """DELETE /api/v1/api-keys"""
    raise NotImplementedYet()


def get_api_keys(**_params):
    """GET /api/v1/api-keys"""
    raise NotImplementedYet()


def post_api_keys(**_params):
    """POST /api/v1/api-keys"""
    raise NotImplementedYet()
