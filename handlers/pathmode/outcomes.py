"""pathmode — outcomes: operations tagged 'outcomes'."""

from spec_server.errors import NotImplementedYet


def get_intents_id_outcomes(**_params):
    """GET /api/v1/intents/{id}/outcomes"""
    raise NotImplementedYet()


def post_intents_id_outcomes(**_params):
    """POST /api/v1/intents/{id}/outcomes"""
    raise NotImplementedYet()
