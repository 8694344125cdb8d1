"""Request-body validation in each API's own terms.

Connexion's JSON body validator stops at the first error and raises a problem+json 400.
Ours gathers every failing field, answers unparseable JSON with 400, and a body that breaks
the schema with the API's schema-error status (backlex 422 ``VALIDATION``, Pathmode 400),
with the fields in ``details`` as ``{"formErrors": [...], "fieldErrors": {field: [...]}}``.
A request without ``Content-Type`` is read as JSON, and the header is set so that no
framework ever hands a handler raw bytes.
"""

from __future__ import annotations

import json
import logging

import jsonschema_rs
from connexion.json_schema import Draft4RequestValidator
from connexion.utils import is_null, is_nullable
from connexion.validators import JSONRequestBodyValidator, ParameterValidator
from jsonschema import Draft4Validator, ValidationError
from starlette.datastructures import MutableHeaders

from spec_server import connexion_tuning, errors, faults, jsonio

log = logging.getLogger(__name__)

_NO_BODY = object()


def field_errors(validator, body) -> dict:
    """Flatten jsonschema errors the way zod's ``flatten()`` does."""
    form_errors: list[str] = []
    fields: dict[str, list[str]] = {}
    for error in sorted(validator.iter_errors(body), key=lambda e: [str(p) for p in e.absolute_path]):
        path = [str(part) for part in error.absolute_path]
        if error.validator == "required" and isinstance(error.instance, dict):
            for name in error.validator_value:
                if name not in error.instance:
                    fields.setdefault(".".join([*path, name]).split(".")[0], []).append(
                        "Required" if not path else f"{'.'.join([*path, name])}: Required")
            continue
        if not path:
            form_errors.append(error.message)
            continue
        message = error.message if len(path) == 1 else f"{'.'.join(path)}: {error.message}"
        fields.setdefault(path[0], []).append(message)
    return {"formErrors": form_errors, "fieldErrors": fields}


class CompiledValidators:
    """One body schema's validators, built once (connexion builds one per request).

    ``reference`` is connexion's own Draft 4 validator (with its OpenAPI rules: ``nullable``,
    ``readOnly``) and has the last word. ``fast`` is jsonschema-rs, about 200 times faster:
    a body it accepts skips the reference, and only a body it refuses is checked (and its
    errors listed) by the reference, so it can only ever be stricter, never more lenient.
    Schemas where it could be more lenient (``readOnly``/``writeOnly``, which it ignores) or
    that it cannot compile get no fast path."""

    def __init__(self, schema: dict):
        self.reference = Draft4RequestValidator(schema, format_checker=Draft4Validator.FORMAT_CHECKER)
        self.fast = _fast_validator(schema)

    def accepts(self, body) -> bool:
        """True when the fast validator alone proves ``body`` valid."""
        return self.fast is not None and self.fast.is_valid(body)


def _fast_validator(schema: dict):
    """jsonschema-rs for the body schema itself, or None.

    connexion attaches the document's ``components`` to the body schema object
    (``with_definitions``) after inlining every local ``$ref`` at load time. A body taken from
    ``components/requestBodies`` is the very object found under those components, so the
    attached key makes the schema contain itself: serialised whole it is a circular
    reference. The fast path needs none of it (the refs are inlined already), so it compiles
    the schema without that key; a recursive schema, which connexion inlines into a cycle of
    its own, keeps the reference alone."""
    own = {key: value for key, value in schema.items() if key != "components"}
    try:
        text = json.dumps(own)
    except ValueError:  # a cycle: a recursive schema
        return None
    if '"readOnly"' in text or '"writeOnly"' in text:
        return None
    try:
        return jsonschema_rs.Draft4Validator(own, validate_formats=True)
    except Exception:  # noqa: BLE001 - a schema it cannot compile keeps the reference alone
        return None


_COMPILED: dict[int, tuple[dict, CompiledValidators]] = {}


def compiled_validators(schema: dict) -> CompiledValidators:
    # keyed by identity: connexion hands every request of an operation the same schema
    # object; the entry keeps the schema alive so that its id is never reused
    entry = _COMPILED.get(id(schema))
    if entry is None or entry[0] is not schema:
        entry = _COMPILED[id(schema)] = (schema, CompiledValidators(schema))
    return entry[1]


def body_validator(schema_error_status: int, required_message: str = "Request body is required"):
    """A connexion body-validator class answering in one API's terms."""

    class BodyValidator(JSONRequestBodyValidator):
        _settled = False  # the parsed body differs from its text (``5.0`` read as ``5``)

        @property
        def MUTABLE_VALIDATION(self):  # noqa: N802 - connexion's name
            # connexion then hands the handler the body as parsed here, re-encoded; otherwise
            # the bytes as they came (the handler's framework parses them again)
            return self._settled

        async def wrap_receive(self, receive, *, scope):
            headers = MutableHeaders(scope=scope)
            if "content-type" not in headers:
                scope = dict(scope)
                scope["headers"] = list(scope["headers"]) + [(b"content-type", b"application/json")]
            return await super().wrap_receive(receive, scope=scope)

        async def _parse(self, stream, scope):
            raw = b"".join([message async for message in stream])
            try:
                text = raw.decode(self._encoding)
            except (UnicodeDecodeError, LookupError):
                raise errors.BadRequest("Request body is not valid UTF-8") from None
            if not text.strip():
                return _NO_BODY  # unlike a JSON null, which is a body (and rarely a valid one)
            try:
                value, self._settled = jsonio.request_value(text)
                # the handler's request reads this instead of parsing the text again
                scope.setdefault("extensions", {})[connexion_tuning.BODY_KEY] = value
                return value
            except jsonio.UnreadableJson as exc:  # hostile more often than not: one line, no traceback
                log.warning("refused a request body to %s: %s", scope.get("path"), exc.msg)
                raise errors.BadRequest(f"Malformed JSON: {exc.msg}") from None
            except ValueError as exc:  # json.JSONDecodeError (see jsonio.loads)
                raise errors.BadRequest(f"Malformed JSON: {exc.msg} at position {exc.pos}") from None

        @property
        def _validator(self):
            return compiled_validators(self._schema).reference

        def _validate(self, body):
            if body is _NO_BODY:
                if self._required:
                    raise errors.from_status(
                        schema_error_status, required_message,
                        details={"formErrors": [required_message], "fieldErrors": {}})
                body = {}  # an absent optional body means "no fields"
                fields = field_errors(self._validator, body)
                if fields["formErrors"] or fields["fieldErrors"]:
                    raise errors.from_status(schema_error_status, "Invalid request body", details=fields)
                return None
            if compiled_validators(self._schema).accepts(body):
                return body
            fields = field_errors(self._validator, body)
            if (fields["formErrors"] or fields["fieldErrors"]) and not faults.skip_body_validation():
                raise errors.from_status(schema_error_status, "Invalid request body", details=fields)
            return body

    return BodyValidator


PARAMETER_KINDS = ("path", "query", "header", "cookie")
_PARAMETER_VALIDATORS: dict[int, tuple[dict, Draft4Validator]] = {}


def _parameter_validator(param: dict) -> Draft4Validator:
    # one per parameter definition (connexion built a deep copy and a validator per request)
    entry = _PARAMETER_VALIDATORS.get(id(param))
    if entry is None or entry[0] is not param:
        schema = param.get("schema", param)
        entry = _PARAMETER_VALIDATORS[id(param)] = (param, Draft4Validator(
            schema, format_checker=Draft4Validator.FORMAT_CHECKER))
    return entry[1]


def parameter_validator(schema_error_status: int):
    """A connexion parameter-validator class answering like the body validator: every failing
    parameter named in ``details.fieldErrors`` with a one-line reason, and a one-line message
    naming them (connexion answered the first one's multi-line jsonschema dump)."""

    class Parameters(ParameterValidator):
        def validate_parameter(self, parameter_type, value, param, param_name=None):
            if is_nullable(param) and is_null(value):
                return None
            if value is None:
                return "Required" if param.get("required") else None
            try:
                _parameter_validator(param).validate(value)
            except ValidationError as error:
                return error.message.splitlines()[0]
            return None

        def validate_request(self, request):
            fields: dict[str, list[str]] = {}
            for kind in PARAMETER_KINDS:
                check = getattr(self, f"validate_{kind}_parameter")
                for param in self.parameters.get(kind, []):
                    problem = check(param, request)
                    if problem:
                        fields.setdefault(param["name"], []).append(problem)
            if fields:
                named = ", ".join(f"{name} ({problems[0]})" for name, problems in fields.items())
                raise errors.from_status(schema_error_status, f"Invalid parameter {named}",
                                         details={"formErrors": [], "fieldErrors": fields})

    return Parameters
