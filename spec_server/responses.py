"""Responses that are not JSON, built the same way under both app flavours.

Handlers stay flavour-independent: ``file_download`` (a generated file with a
Content-Disposition) and ``ndjson_stream`` (one JSON object a line, each line sent as soon as
it is produced) return the framework's own response object, which connexion passes through.
``add_page`` adds an HTML route outside the API documents (e.g. ``/review/{token}``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator

from spec_server.config import settings

NDJSON = "application/x-ndjson; charset=utf-8"


def _flask() -> bool:
    return settings().flavour == "flask"


def _response(body, *, status: int, content_type: str, headers: dict):
    if _flask():
        import flask

        return flask.Response(body, status=status, headers={"Content-Type": content_type, **headers})
    if isinstance(body, (str, bytes)):
        from starlette.responses import Response

        return Response(body, status_code=status, headers={"Content-Type": content_type, **headers})
    from starlette.responses import StreamingResponse

    return StreamingResponse(body, status_code=status, headers={"Content-Type": content_type, **headers})


def file_download(body: str, *, content_type: str, filename: str):
    return _response(body, status=200, content_type=content_type,
                     headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def _lines(events: Iterable[dict]) -> Iterator[bytes]:
    for event in events:
        yield (json.dumps(event, separators=(",", ":"), ensure_ascii=False) + "\n").encode()


def ndjson_stream(events: Iterable[dict], *, headers: dict | None = None):
    """200 with ``events`` written one a line as the iterator produces them. The iterator runs
    after the handler has returned (and may run step by step on different threads), so it
    opens its own database connection for each unit of work."""
    return _response(_lines(events), status=200, content_type=NDJSON,
                     headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no", **(headers or {})})


def add_page(app, path: str, render: Callable[..., tuple[int, str]]) -> None:
    """Route GET ``path`` (``{name}`` placeholders) to ``render(**params) -> (status, html)``.
    ``render`` is synchronous; under AsyncApp it runs in a worker thread."""
    headers = {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store",
               "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}
    endpoint = "page_" + "".join(ch if ch.isalnum() else "_" for ch in path)
    if _flask():
        import flask

        def flask_view(**params):
            status, html = render(**params)
            return flask.Response(html, status=status, headers=headers)

        app.add_url_rule(path.replace("{", "<").replace("}", ">"), endpoint, flask_view, methods=["GET"])
        return
    from starlette.responses import Response

    from spec_server import offload

    async def starlette_view(request):
        status, html = await offload.run(render, **request.path_params)
        return Response(html, status_code=status, headers=headers)

    app.add_url_rule(path, endpoint, starlette_view, methods=["GET"])


class NDJSONResponseValidator:
    """Response validation for ``application/x-ndjson``: every line must be a JSON object.
    Checks each line as it passes, so the stream is never held back (connexion's JSON
    validator would otherwise claim ``*/*json`` and buffer the whole body)."""

    def __init__(self, scope=None, *, schema=None, nullable=False, encoding="utf-8", **_kwargs):
        self.encoding = encoding

    def check(self, line: bytes) -> None:
        from connexion.exceptions import NonConformingResponseBody

        if not line.strip():
            return
        try:
            value = json.loads(line.decode(self.encoding))
        except ValueError as error:
            raise NonConformingResponseBody(detail=f"NDJSON line is not JSON: {error}") from error
        if not isinstance(value, dict):
            raise NonConformingResponseBody(detail="NDJSON line is not a JSON object")

    def wrap_send(self, send):
        pending = b""

        async def send_(message):
            nonlocal pending
            if message["type"] == "http.response.body":
                pending += message.get("body", b"")
                *lines, pending = pending.split(b"\n")
                for line in lines:
                    self.check(line)
                if not message.get("more_body", False):
                    self.check(pending)
            await send(message)

        return send_


def response_validators():
    """connexion's response validators plus NDJSON (the most specific media type wins)."""
    from connexion.datastructures import MediaTypeDict
    from connexion.validators import VALIDATOR_MAP

    return MediaTypeDict({**VALIDATOR_MAP["response"], "application/x-ndjson": NDJSONResponseValidator})
