"""pathmode — analyze-codebase: operations tagged 'analyze-codebase'."""

from spec_server.errors import NotImplementedYet


def post_intents_id_analyze_codebase(**_params):
    """POST /api/v1/intents/{id}/analyze-codebase"""
    raise NotImplementedYet()
