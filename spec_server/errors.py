"""API errors: one small tree, rendered in each API's own envelope.

    ApiError                  any answer that is not a success
    ├── BadRequest            400  malformed request (unparseable JSON, missing parameter)
    ├── Unauthorized          401  no or invalid credentials
    ├── Forbidden             403  valid credentials, not allowed
    ├── NotFound              404  unknown, or not visible to the caller
    ├── MethodNotAllowed      405  path exists, method does not
    ├── RequestTimeout        408  the client sent its body too slowly
    ├── Conflict              409  state forbids the change (duplicate, wrong lifecycle state)
    ├── PayloadTooLarge       413  a request body over the limit
    ├── UnsupportedMediaType  415  a body that is not JSON
    ├── Unprocessable         422  well-formed but invalid (backlex VALIDATION, Pathmode readiness)
    ├── RateLimited           429  over a rate limit; carries Retry-After
    ├── InternalError         500  a fault of ours
    ├── NotImplementedYet     501  an operation whose behaviour is not built yet
    └── Unavailable           503  a dependency (engine, provider) is down

Handlers raise these; ``envelope.render`` turns one into the body of the API the request
belongs to: backlex ``{"error": {"code", "message", "details"}}``, Pathmode
``{"error": "...", ...extra}``.
"""

from __future__ import annotations


class ApiError(Exception):
    """Base of every error answer; ``extra`` adds top-level keys to Pathmode bodies."""

    status_code = 500
    code = "INTERNAL"

    def __init__(self, message: str, *, details=None, headers: dict | None = None,
                 extra: dict | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.details = details
        self.headers = dict(headers or {})
        self.extra = dict(extra or {})
        if code:
            self.code = code


class BadRequest(ApiError):
    """400: the request cannot be read."""

    status_code, code = 400, "BAD_REQUEST"


class Unauthorized(ApiError):
    """401: no or invalid credentials."""

    status_code, code = 401, "UNAUTHORIZED"


class Forbidden(ApiError):
    """403: authenticated, but not allowed."""

    status_code, code = 403, "FORBIDDEN"


class NotFound(ApiError):
    """404: unknown, or not visible to this caller."""

    status_code, code = 404, "NOT_FOUND"


class MethodNotAllowed(ApiError):
    """405: the path exists with other methods."""

    status_code, code = 405, "METHOD_NOT_ALLOWED"


class RequestTimeout(ApiError):
    """408: the request body did not arrive in time."""

    status_code, code = 408, "REQUEST_TIMEOUT"


class Conflict(ApiError):
    """409: the current state forbids the change."""

    status_code, code = 409, "CONFLICT"


class PayloadTooLarge(ApiError):
    """413: a request body over the limit (read no further)."""

    status_code, code = 413, "PAYLOAD_TOO_LARGE"


class UnsupportedMediaType(ApiError):
    """415: a request body that is not JSON."""

    status_code, code = 415, "UNSUPPORTED_MEDIA_TYPE"


class Unprocessable(ApiError):
    """422: well-formed but invalid."""

    status_code, code = 422, "VALIDATION"


class RateLimited(ApiError):
    """429: over a rate limit; Retry-After says when to come back."""

    status_code, code = 429, "RATE_LIMITED"

    def __init__(self, message: str, *, retry_after: int, **kwargs):
        super().__init__(message, **kwargs)
        self.retry_after = max(1, int(retry_after))
        self.headers["Retry-After"] = str(self.retry_after)


class InternalError(ApiError):
    """500: a fault of ours."""

    status_code, code = 500, "INTERNAL"


class NotImplementedYet(ApiError):
    """501: the operation is routed but its behaviour is not built yet."""

    status_code, code = 501, "NOT_IMPLEMENTED"

    def __init__(self, message: str = "This operation is not implemented yet", **kwargs):
        super().__init__(message, **kwargs)


class Unavailable(ApiError):
    """503: a dependency is unavailable."""

    status_code, code = 503, "UNAVAILABLE"


BY_STATUS: dict[int, type[ApiError]] = {
    cls.status_code: cls
    for cls in (BadRequest, Unauthorized, Forbidden, NotFound, MethodNotAllowed, RequestTimeout, Conflict,
                PayloadTooLarge, UnsupportedMediaType, Unprocessable, RateLimited, InternalError, NotImplementedYet,
                Unavailable)
}


def from_status(status: int, message: str, **kwargs) -> ApiError:
    cls = BY_STATUS.get(status)
    if cls is None:
        error = ApiError(message, **kwargs)
        error.status_code = status
        return error
    if cls is RateLimited:
        return RateLimited(message, retry_after=kwargs.pop("retry_after", 60), **kwargs)
    return cls(message, **kwargs)
