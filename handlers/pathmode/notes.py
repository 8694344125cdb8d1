"""pathmode — notes: operations tagged 'notes'."""

from spec_server.errors import NotImplementedYet


def get_intents_id_notes(**_params):
    """GET /api/v1/intents/{id}/notes"""
    raise NotImplementedYet()


def post_intents_id_notes(**_params):
    """POST /api/v1/intents/{id}/notes"""
    raise NotImplementedYet()
