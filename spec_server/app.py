"""The app factory: every served API on one connexion app, at its native paths.

``create_app()`` binds the database, creates or migrates its tables, checks that the
hand-written code fits each API (handlers and their signatures, the API's own completeness
rules: a misfit stops the start, by name), and mounts the APIs so that the longest mount
prefix wins (Pathmode's ``/api/v1`` before backlex's ``/api``). Every error the stack
produces (routing, security, validation, handlers) leaves in the envelope of the API the
path belongs to; nothing answers problem+json.
"""

from __future__ import annotations

import http.cookies
import json
import logging

import connexion
from connexion.exceptions import ProblemException
from connexion.lifecycle import ConnexionResponse
from connexion.middleware import MiddlewarePosition
from starlette.exceptions import HTTPException
from werkzeug.exceptions import HTTPException as WerkzeugHTTPException

from spec_server import apis as api_registry
from spec_server import (
    bounds,
    config,
    connexion_tuning,
    db,
    engine_pool,
    errors,
    handler_check,
    jsonio,
    migrations,
    offload,
    responses,
)
from spec_server.apis import ApiDefinition
from spec_server.pipeline import SECURITY_MAP, resolver
from spec_server.validation import body_validator, parameter_validator

log = logging.getLogger(__name__)


class StartupRefused(RuntimeError):
    """The hand-written code does not fit the generated operations; the message lists where."""


def refuse_misfits(apis: list[ApiDefinition]) -> None:
    findings = [line for api in apis for line in handler_check.handler_findings(api.name, api.operations.values())]
    findings += api_registry.completeness_findings(apis)
    if findings:
        raise StartupRefused("the handlers do not fit the documents (`spec-server codegen --check` "
                             "lists the same):\n  " + "\n  ".join(findings))


def hook_key(scheme: dict) -> str | None:
    """The ``x-*InfoFunc`` key connexion reads for a security scheme of this type."""
    kind = scheme.get("type")
    if kind == "apiKey":
        return "x-apikeyInfoFunc"
    if kind == "http":
        return {"bearer": "x-bearerInfoFunc", "basic": "x-basicInfoFunc"}.get(str(scheme.get("scheme", "")).lower())
    if kind in ("oauth2", "openIdConnect"):
        return "x-tokenInfoFunc"
    return None


def runtime_document(api: ApiDefinition, hook_module: str) -> dict:
    """The generated document plus the security hooks connexion calls: every scheme leads to
    the API's one security step (``pipeline.security_hook``)."""
    document = json.loads(api.openapi_path.read_text())
    for scheme in document.get("components", {}).get("securitySchemes", {}).values():
        key = hook_key(scheme)
        if key:
            scheme[key] = f"{hook_module}.check_credentials"
    return document


def to_api_error(exc: Exception, api: ApiDefinition | None) -> errors.ApiError:
    if isinstance(exc, errors.ApiError):
        return exc
    if isinstance(exc, http.cookies.CookieError):  # connexion parses the Cookie header strictly
        return errors.Unauthorized("Malformed Cookie header")
    if isinstance(exc, ProblemException):
        status = exc.status
        detail = exc.detail or exc.title or "Error"
        if status == 400 and api is not None:
            # parameter validation: the API's schema-error status
            return errors.from_status(api.schema_error_status, str(detail),
                                      details={"formErrors": [str(detail)], "fieldErrors": {}})
        if status == 401:
            return errors.Unauthorized("Authentication required")
        if status == 415:
            return errors.UnsupportedMediaType("Request body must be JSON (Content-Type: application/json)")
        if status >= 500:
            log.error("server problem: %r", exc)
            return errors.InternalError("Internal server error")
        return errors.from_status(status, str(detail))
    if isinstance(exc, WerkzeugHTTPException):  # FlaskApp routes unknown paths through Flask
        return to_api_error(HTTPException(exc.code or 500, exc.description), api)
    if isinstance(exc, HTTPException):
        if exc.status_code == 404:
            return errors.NotFound("Not found")
        if exc.status_code == 405:
            return errors.MethodNotAllowed("Method not allowed", headers=dict(exc.headers or {}))
        return errors.from_status(exc.status_code, str(exc.detail), headers=dict(exc.headers or {}))
    log.error("unhandled error: %r", exc, exc_info=exc)
    return errors.InternalError("Internal server error")


def error_handler(apis: list[ApiDefinition]):
    def handle(request, exc: Exception) -> ConnexionResponse:
        path = request.url.path
        api = api_registry.owner_of(path, apis)
        error = to_api_error(exc, api)
        if error.status_code == 405 and api is not None:
            error.headers["Allow"] = ", ".join(api.allowed_methods(path))
        body = api.envelope(error) if api else {"error": error.message}
        return ConnexionResponse(
            status_code=error.status_code,
            body=jsonio.dumps(body),
            mimetype="application/json",
            headers=error.headers,
        )

    return handle


def create_app(settings: config.Settings | None = None):
    settings = config.install(settings or config.Settings.from_env())
    db.open_database(settings.database_url)
    migrations.migrate()
    apis = list(api_registry.discover(settings.apis))  # the longest mount first
    refuse_misfits(apis)
    connexion_tuning.install()
    app_class = connexion.FlaskApp if settings.flavour == "flask" else connexion.AsyncApp
    app = app_class(__name__, jsonifier=jsonio.JSONIFIER)
    # connexion tries the last-added API first (it inserts at the front): the longest mount last
    for api in reversed(apis):
        hook_module = f"handlers.{api.name}._api"
        app.add_api(
            runtime_document(api, hook_module),
            resolver=resolver(api, asynchronous=settings.flavour != "flask"),
            pythonic_params=True,
            security_map=SECURITY_MAP,
            validate_responses=settings.validate_responses,
            validator_map={"body": {"application/json": body_validator(api.schema_error_status)},
                           "parameter": parameter_validator(api.schema_error_status),
                           "response": responses.response_validators()},
            swagger_ui_options=None,
            name=api.name,
        )
    # inside the exception middleware, before routing: a body is bounded before anything reads it
    app.add_middleware(bounds.BodyLimits, position=MiddlewarePosition.BEFORE_SWAGGER)
    app.add_middleware(engine_pool.ReleaseSlots, position=MiddlewarePosition.BEFORE_SWAGGER)
    app.add_middleware(offload.CountRequests, position=MiddlewarePosition.BEFORE_SWAGGER)  # for offload.alone
    handle = error_handler(apis)
    for kind in (ProblemException, HTTPException, errors.ApiError, Exception, 404, 405):
        app.add_error_handler(kind, handle)
    from spec_server import pages

    pages.install(app)
    return app

