"""From operationId to a running handler, the same way for every operation.

``resolver(api)`` turns each operationId into its hand-written function (start-up fails
when one is missing) wrapped by ``wrap``: a database connection for the request, the
caller that the security step established, the API's pre-handler rules, and every
``ApiError`` (and ``IntegrityError``) rendered in the API's envelope. ``security_hook``
is the function connexion calls for each security scheme: it runs the API's ``authorize``
in a worker thread, before request validation, as the original services do.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import logging

import orjson
import peewee
from connexion.context import context as connexion_context
from connexion.resolver import Resolver
from connexion.security import SECURITY_HANDLERS

from spec_server import context, db, errors, faults, offload, waiting
from spec_server.apis import ApiDefinition
from spec_server.errors import ApiError, Conflict, InternalError

log = logging.getLogger(__name__)

ROUTING = "connexion_routing"


def error_response(api: ApiDefinition, error: ApiError):
    # the content type is named: an operation documenting several (export) cannot guess it
    return api.envelope(error), error.status_code, {"Content-Type": "application/json", **error.headers}


def load_handler(dotted: str):
    module_name, _, name = dotted.rpartition(".")
    function = getattr(importlib.import_module(module_name), name, None)
    if not callable(function):
        raise LookupError(f"no handler {dotted}")
    return function


NUL_MESSAGE = "Text must not contain the NUL character (U+0000)"


def has_nul(value) -> bool:
    # orjson writes U+0000 as the six characters \u0000: their absence proves there is none,
    # in one C call instead of a walk of the whole body. Their presence may also be a text
    # holding a backslash and "u0000", and a value orjson refuses has no encoding: the walk decides.
    try:
        if b"\\u0000" not in orjson.dumps(value):
            return False
    except TypeError:  # orjson.JSONEncodeError included
        pass
    return _walk_has_nul(value)


def _walk_has_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_walk_has_nul(k) or _walk_has_nul(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return any(_walk_has_nul(item) for item in value)
    return False


def refuse_nul(api: ApiDefinition, *values) -> None:
    """PostgreSQL cannot store U+0000 in text, so no store accepts it: the same answer on
    SQLite and PostgreSQL, in the API's schema-error status, before anything is read."""
    if any(has_nul(value) for value in values):
        raise errors.from_status(api.schema_error_status, NUL_MESSAGE,
                                 details={"formErrors": [NUL_MESSAGE], "fieldErrors": {}})


def with_signature(wrapper, signature: inspect.Signature):
    """connexion inspects a handler's (and a security hook's) signature on every request;
    a precomputed ``__signature__`` makes that an attribute read. It first follows
    ``__wrapped__`` down to the innermost function, which has none: the link is cut here."""
    wrapper.__signature__ = signature
    wrapper.__dict__.pop("__wrapped__", None)
    return wrapper


def wrap(api: ApiDefinition, operation, function, *, asynchronous: bool = False):
    """The handler connexion calls. ``asynchronous`` (AsyncApp): a coroutine function that
    runs the handler in a worker thread (``offload``); otherwise the plain function (FlaskApp
    already runs it in a thread). A handler's ``waiting.Later`` answer is waited for without
    a thread under AsyncApp (``waiting``)."""

    def failure(error: Exception):
        """The answer to an exception of the handler (or of a ``Later``'s poll); in its except block."""
        if isinstance(error, ApiError):
            return error_response(api, error)
        if isinstance(error, peewee.IntegrityError):
            log.info("integrity error in %s", operation.operation_id, exc_info=True)
            return error_response(api, Conflict("The change conflicts with existing data"))
        log.exception("unhandled error in %s", operation.operation_id)
        return error_response(api, InternalError("Internal server error"))

    @functools.wraps(function)
    def handler(*args, **kwargs):
        token_info = connexion_context.get("token_info") or {}
        state = context.RequestState(api.name, operation, token_info.get("caller"), {})
        token = context.enter(state)
        try:
            ignored = getattr(state.caller, "ignored_parameters", ())
            refuse_nul(api, {name: value for name, value in kwargs.items() if name not in ignored} if ignored else kwargs)
            with db.connection():
                if api.before_handler:
                    api.before_handler(operation, kwargs)
                faults.crash_on_edge_case(kwargs)  # planted fault, off unless selected
                return faults.distort_response(operation.operation_id, function(*args, **kwargs))
        except Exception as error:
            return failure(error)
        finally:
            context.leave(token)

    def poll(later: waiting.Later, expired: bool):
        try:
            with db.connection():
                found = waiting.answer_now(later, expired)
        except Exception as error:
            return failure(error)
        return None if found is None else faults.distort_response(operation.operation_id, found)

    signature = inspect.signature(function)
    if not asynchronous:
        @functools.wraps(function)
        def in_this_thread(*args, **kwargs):
            result = handler(*args, **kwargs)
            return waiting.settle_blocking(result, poll) if isinstance(result, waiting.Later) else result

        return with_signature(in_this_thread, signature)

    run = offload.runner_for(function)

    async def poll_in_a_thread(later: waiting.Later, expired: bool):
        return await offload.run(poll, later, expired)

    @functools.wraps(function)
    async def offloaded(*args, **kwargs):
        result = await run(handler, *args, **kwargs)
        if isinstance(result, waiting.Later):  # no thread is held while the work goes on
            return await waiting.settle(result, poll_in_a_thread)
        return result

    return with_signature(offloaded, signature)


def resolver(api: ApiDefinition, *, asynchronous: bool = False) -> Resolver:
    def resolve(operation_id: str):
        operation = api.operations[operation_id]
        return wrap(api, operation, load_handler(operation.handler), asynchronous=asynchronous)

    return Resolver(function_resolver=resolve)


def security_hook(api: ApiDefinition):
    """The x-*InfoFunc of every scheme of ``api``: one decision per request."""

    def authorize(request, required_scopes):
        operation_id = request.scope.get("extensions", {}).get(ROUTING, {}).get("operation_id")
        refuse_nul(api, request.path_params)
        with db.connection():
            caller = api.authorize(api.operations[operation_id], request)
        # a query parameter the credential makes irrelevant (Pathmode's workspace_id beside a
        # key) is never read, so it cannot spoil the request; one the step read is checked there
        ignored = getattr(caller, "ignored_parameters", ())
        if request.scope.get("query_string"):  # no query string, no query parameters to parse
            refuse_nul(api, [value for name, value in request.query_params.items() if name not in ignored])
        # scopes are the API's step to check (it raised if they fail); an OAuth2 scheme's
        # connexion handler then compares them again, and finds them granted
        return {"sub": None, "caller": caller, "scope": list(required_scopes or ())}

    async def check(_credential, request=None, required_scopes=None):
        return await offload.run(authorize, request, required_scopes)

    return check


def _remembering_arguments(handler_class):
    """A connexion security handler class that inspects each hook's signature once: its
    ``_accepts_kwarg`` otherwise runs ``inspect.signature`` twice on every request."""

    class Remembering(handler_class):
        _accepts_kwarg = staticmethod(functools.cache(handler_class._accepts_kwarg))

    Remembering.__name__ = f"Remembering{handler_class.__name__}"
    return Remembering


SECURITY_MAP = {kind: _remembering_arguments(handler_class) for kind, handler_class in SECURITY_HANDLERS.items()}
