"""pathmode — evidence: operations tagged 'evidence'."""

from spec_server.errors import NotImplementedYet


def get_evidence(**_params):
    """GET /api/v1/evidence"""
    raise NotImplementedYet()


def post_evidence(**_params):
    """POST /api/v1/evidence"""
    raise NotImplementedYet()


def post_intents_id_evidence(**_params):
    """POST /api/v1/intents/{id}/evidence"""
    raise NotImplementedYet()
