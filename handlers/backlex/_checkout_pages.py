"""The local payment engine's hosted checkout page, outside the API document.

``GET /billing/checkout/{id}`` shows what is being bought and a Pay button; ``POST`` to the same
URL is the provider callback: it completes the session (as ``spec-server billing complete``).
The session id is an unguessable UUID only the org's owner was given.
"""

from __future__ import annotations

import html

from handlers.backlex import _billing
from handlers.backlex.store import CheckoutSession, Org
from spec_server import db, pages

PAGE = """<!doctype html><meta charset="utf-8"><title>backlex checkout</title>
<h1>{title}</h1><p>{detail}</p>{action}"""


def _describe(session_id: str) -> tuple[int, str]:
    session = CheckoutSession.get_or_none(CheckoutSession.id == session_id)
    if session is None:
        return 404, PAGE.format(title="Checkout not found", detail="", action="")
    org = Org.get_by_id(session.org_id)
    what = f"the {session.item} plan ({session.interval})" if session.kind == "plan" else f"a {session.item} pack"
    detail = html.escape(f"{org.name}: {what}, ${session.amount / 100:.2f}")
    if session.status != "open":
        return 200, PAGE.format(title="Already paid", detail=detail, action="")
    form = '<form method="post"><button type="submit">Pay with the test card</button></form>'
    return 200, PAGE.format(title="Local checkout", detail=detail, action=form)


def _complete(session_id: str) -> tuple[int, str]:
    try:
        _billing.complete_checkout(session_id)
    except LookupError:
        return 404, PAGE.format(title="Checkout not found", detail="", action="")
    except ValueError:
        return 409, PAGE.format(title="Already paid", detail="", action="")
    return 200, PAGE.format(title="Payment received", detail="You can close this page.", action="")


def handle(method: str, session_id: str) -> tuple[int, str]:
    with db.connection():
        return _complete(session_id) if method == "POST" else _describe(session_id)


@pages.register
def install(app) -> None:
    import connexion

    if isinstance(app, connexion.FlaskApp):
        import flask

        def flask_view(session_id):
            status, body = handle(flask.request.method, session_id)
            return body, status, {"Content-Type": "text/html; charset=utf-8"}

        app.add_url_rule("/billing/checkout/<session_id>", "local_checkout", flask_view,
                         methods=["GET", "POST"])
        return

    from starlette.responses import HTMLResponse

    from spec_server import offload

    async def starlette_view(request):
        status, body = await offload.run(handle, request.method, request.path_params["session_id"])
        return HTMLResponse(body, status_code=status)

    app.add_url_rule("/billing/checkout/{session_id}", "local_checkout", starlette_view,
                     methods=["GET", "POST"])
