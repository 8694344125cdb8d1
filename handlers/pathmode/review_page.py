"""The public review page of a shared intent: GET /review/{token}, outside the API paths.

Read-only HTML (``templates/review/intent.html.jinja``) of the intent whose share token is
``token``: title, status, objective, outcomes, edge cases and constraints. No login; the token
is the capability. An unknown or revoked token is 404.
"""

from __future__ import annotations

from handlers.pathmode import _intents, _readiness, _templates
from handlers.pathmode.store import Intent
from spec_server import db, pages
from spec_server.responses import add_page

PATH = "/review/{token}"


def render(token: str) -> tuple[int, str]:
    with db.connection():
        intent = Intent.get_or_none(Intent.share_token == token) if token else None
        if intent is None:
            return 404, _templates.render("review/not_found.html.jinja")
        spec = _intents.detail(intent)
    return 200, _templates.render("review/intent.html.jinja", spec=spec,
                                  outcomes=_readiness.outcome_texts(spec["outcomes"]))


@pages.register
def install(app) -> None:
    add_page(app, PATH, render)
