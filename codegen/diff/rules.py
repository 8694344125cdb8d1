"""Every change id the engine can report, with its level, its message and why.

One table is the whole classification: ``docs/behaviour.md`` ("Both APIs — how spec changes
are classified") is rendered from it by ``classification_table()`` and a test keeps the two
equal. Schema findings are written once per *what* (``type-changed``) with a level for each
side, then expanded to their ids: ``request-body-…``, ``request-parameter-…``,
``request-property-…`` and ``response-body-…``, ``response-header-…``, ``response-property-…``.
"""

from __future__ import annotations

from dataclasses import dataclass

LEVELS = ("breaking", "non-breaking", "info")
B, N, I = LEVELS  # noqa: E741 — short names keep the table readable


@dataclass(frozen=True)
class Rule:
    level: str
    message: str
    why: str


FIXED: dict[str, Rule] = {
    # operations
    "operation-added": Rule(N, "operation added", "A new route: no existing client calls it."),
    "operation-removed": Rule(B, "operation removed", "Clients that call it get 404 or 405."),
    "path-parameter-renamed": Rule(
        I, "path parameter renamed",
        "The URL a client sends is unchanged (`/webhooks/{id}` is `/webhooks/{webhookId}`); only "
        "argument names in generated SDKs differ."),
    "operation-id-changed": Rule(
        B, "operationId changed: generated SDKs name their methods by it",
        "Clients generated from the document call a method that no longer exists."),
    "operation-id-removed": Rule(
        B, "operationId removed: generated SDKs name their methods by it",
        "Clients generated from the document call a method that no longer exists."),
    "operation-id-added": Rule(
        I, "operationId added",
        "The operation had no name of its own; an SDK that derived one from the path may rename it."),
    "operation-deprecated": Rule(N, "operation deprecated", "Still served; clients are told to move away."),
    "operation-undeprecated": Rule(I, "operation no longer deprecated", "Nothing a client does changes."),
    # parameters
    "new-required-request-parameter": Rule(B, "new required parameter", "Requests without it are refused."),
    "new-optional-request-parameter": Rule(N, "new optional parameter", "Existing requests stay valid."),
    "request-parameter-removed": Rule(
        N, "parameter removed",
        "Requests that still send it stay valid; the server no longer reads it (read what it meant)."),
    "request-parameter-became-required": Rule(B, "parameter became required", "Requests without it are refused."),
    "request-parameter-became-optional": Rule(N, "parameter became optional", "Existing requests stay valid."),
    "request-parameter-serialization-changed": Rule(
        B, "parameter serialization changed",
        "`style`, `explode`, `allowReserved` or `allowEmptyValue`: clients encode the value the old way."),
    # request bodies
    "new-required-request-body": Rule(B, "new required request body", "Requests without a body are refused."),
    "new-optional-request-body": Rule(N, "new optional request body", "Existing requests stay valid."),
    "request-body-removed": Rule(
        N, "request body removed", "Requests that still send one stay valid; the server no longer reads it."),
    "request-body-became-required": Rule(B, "request body became required", "Requests without a body are refused."),
    "request-body-became-optional": Rule(N, "request body became optional", "Existing requests stay valid."),
    "request-body-media-type-added": Rule(N, "request media type added", "One more Content-Type is accepted."),
    "request-body-media-type-removed": Rule(
        B, "request media type removed", "Clients sending that Content-Type are refused (415)."),
    # responses
    "response-status-added": Rule(
        N, "response status added", "A new outcome; clients handle an unknown code by its class (2xx, 4xx)."),
    "response-status-removed": Rule(
        B, "response status removed",
        "The operation no longer promises that outcome; clients (and generated code) built on it break."),
    "response-media-type-added": Rule(N, "response media type added", "Sent only to clients that ask for it."),
    "response-media-type-removed": Rule(
        B, "response media type removed", "Clients that ask for it (Accept) get something else or 406."),
    "response-header-added": Rule(N, "response header added", "Clients ignore headers they do not read."),
    "response-header-removed": Rule(B, "response header removed", "Clients reading it find nothing."),
    "response-header-became-optional": Rule(B, "response header no longer required", "Clients reading it may find nothing."),
    "response-header-became-required": Rule(N, "response header became required", "Promises more than before."),
    # security of an operation (its own `security`, else the document's)
    "security-added": Rule(B, "operation now requires authentication", "Anonymous requests are refused (401)."),
    "security-removed": Rule(
        N, "operation no longer requires authentication: it is public now",
        "Every former request is still accepted, but anyone may call it now: make sure that is meant."),
    "security-alternative-added": Rule(
        N, "another way to authenticate is accepted", "Existing credentials keep working."),
    "security-alternative-removed": Rule(
        B, "a way to authenticate is no longer accepted", "Clients using those credentials are refused (401)."),
    "security-requirement-added": Rule(
        B, "requests need another credential as well", "Clients sending only the former credentials are refused."),
    "security-requirement-removed": Rule(
        N, "requests need one credential fewer", "Existing credentials keep working."),
    "security-scope-added": Rule(B, "scope added to a requirement", "Tokens without the new scope are refused (403)."),
    "security-scope-removed": Rule(N, "scope removed from a requirement", "Existing tokens keep working."),
    # security schemes (components.securitySchemes)
    "security-scheme-added": Rule(N, "security scheme added", "Nothing existing uses it yet."),
    "security-scheme-removed": Rule(B, "security scheme removed", "Credentials of that kind are no longer read."),
    "security-scheme-changed": Rule(
        B, "security scheme changed",
        "Its `type`, `in`, `name`, `scheme`, OpenID URL or a flow URL: clients send credentials the old way."),
    "security-scheme-flow-added": Rule(N, "OAuth2 flow added", "One more way to obtain a token."),
    "security-scheme-flow-removed": Rule(B, "OAuth2 flow removed", "Clients using that flow cannot obtain a token."),
    "security-scheme-scope-added": Rule(N, "OAuth2 scope added", "Existing tokens are unaffected."),
    "security-scheme-scope-removed": Rule(B, "OAuth2 scope removed", "Tokens and requirements naming it stop working."),
    # rule extensions (codegen/diff/extensions.py)
    "x-scope-changed": Rule(B, "required API key scope changed (x-scope)", "Keys holding only the old scope are refused (403)."),
    "x-scope-removed": Rule(N, "no API key scope required any more (x-scope)", "Every former key still works."),
    "x-auth-narrowed": Rule(
        B, "fewer ways to authenticate (x-auth)", "e.g. `api-key-or-cookie` → `cookie-session-only`: API-key clients are refused."),
    "x-auth-widened": Rule(N, "more ways to authenticate (x-auth)", "Existing credentials keep working."),
    "x-auth-changed": Rule(B, "authentication rule changed (x-auth)", "Neither a subset nor a superset of the old rule."),
    "x-rate-limit-lowered": Rule(
        B, "rate limit lowered (x-rateLimit)", "Fewer requests per window: clients paced to the old limit get 429."),
    "x-rate-limit-raised": Rule(N, "rate limit raised (x-rateLimit)", "More requests per window, or none counted."),
    "x-rate-limit-bucket-changed": Rule(
        B, "rate limit counted in another bucket (x-rateLimit)",
        "The budget is shared with other operations or keyed differently; clients' pacing no longer holds."),
    "x-rate-limit-rewritten": Rule(I, "rate limit spelt differently, same rate (x-rateLimit)", "Nothing changes for a client."),
    "x-rate-limit-changed": Rule(
        B, "rate limit changed to a value this engine cannot read (x-rateLimit)", "Assumed breaking until read."),
    "x-extension-added": Rule(I, "extension added", "Extensions without a rule here are reported, never classified."),
    "x-extension-removed": Rule(I, "extension removed", "Extensions without a rule here are reported, never classified."),
    "x-extension-changed": Rule(I, "extension changed", "Extensions without a rule here are reported, never classified."),
    # prose and the document itself
    "description-changed": Rule(I, "description changed", "A `description`, `summary` or `title`: documentation only."),
    "example-changed": Rule(I, "example changed", "`example` or `examples`: documentation only."),
    "tags-changed": Rule(I, "tags changed", "Grouping in documentation and SDK modules."),
    "openapi-version-changed": Rule(I, "OpenAPI version changed", "3.0 and 3.1 idioms are compared by meaning."),
    "api-version-changed": Rule(I, "API version changed", "The number says nothing by itself; the other findings do."),
    "api-info-changed": Rule(I, "API info changed", "Contact, license, terms: documentation only."),
    "servers-changed": Rule(
        I, "servers changed",
        "Operations are keyed by server path + path, so a route that really moved shows as removed and added."),
    "keyword-changed": Rule(
        I, "other keyword changed",
        "Keywords this engine does not classify (`links`, `callbacks`, `encoding`, `readOnly`, `not`, "
        "`discriminator`…) are reported so that nothing changes silently."),
}

# Schema rules: what → (request level, response level, message, why). A request that accepts
# less breaks clients; a response that promises less breaks them too.
SCHEMA: dict[str, tuple[str, str, str, str]] = {
    "added": (N, N, "property added", "Request: optional, existing requests stay valid. Response: clients ignore unknown fields."),
    "added-required": (B, N, "required property added", "Request: requests without it are refused. Response: promises more."),
    "removed": (N, B, "property removed", "Request: the server no longer reads it. Response: clients reading it find nothing."),
    "removed-now-rejected": (
        B, B, "property removed, and additional properties are refused",
        "Requests that still send it fail validation (`additionalProperties: false`)."),
    "became-required": (B, N, "became required", "Request: requests without it are refused. Response: promises more."),
    "became-optional": (N, B, "no longer required", "Request: accepts more. Response: clients reading it may find nothing."),
    "type-changed": (B, B, "type changed", "Neither side can keep its old values or expectations."),
    "type-widened": (
        N, B, "type widened", "e.g. `integer` → `number`. Request: accepts more. Response: clients may get values they cannot hold."),
    "type-narrowed": (B, N, "type narrowed", "e.g. `number` → `integer`. Request: accepts less. Response: promises more."),
    "became-nullable": (N, B, "became nullable", "Request: accepts null. Response: clients may get null."),
    "became-not-nullable": (B, N, "no longer nullable", "Request: null is refused. Response: promises more."),
    "enum-value-added": (N, B, "enum value added", "Request: accepts more. Response: clients may get a value they do not know."),
    "enum-value-removed": (B, N, "enum value removed", "Request: that value is refused. Response: promises more."),
    "enum-added": (B, N, "restricted to an enum", "Request: accepts less. Response: promises more."),
    "enum-removed": (N, B, "enum restriction removed", "Request: accepts more. Response: any value may come back."),
    "pattern-added": (B, N, "pattern added", "Request: accepts less. Response: promises more."),
    "pattern-changed": (B, B, "pattern changed", "Neither a subset nor a superset can be proven."),
    "pattern-removed": (N, B, "pattern removed", "Request: accepts more. Response: promises less."),
    "format-added": (B, N, "format added", "Request: accepts less. Response: promises more."),
    "format-changed": (B, B, "format changed", "Values of the old format are refused, or no longer promised."),
    "format-removed": (N, B, "format removed", "Request: accepts more. Response: promises less."),
    "multiple-of-added": (B, N, "multipleOf added", "Request: accepts less. Response: promises more."),
    "multiple-of-changed": (B, B, "multipleOf changed", "Neither a subset nor a superset can be proven."),
    "multiple-of-removed": (N, B, "multipleOf removed", "Request: accepts more. Response: promises less."),
    "additional-properties-restricted": (
        B, N, "additional properties restricted", "Request: extra fields are refused. Response: promises more."),
    "additional-properties-allowed": (
        N, N, "additional properties allowed", "Request: accepts more. Response: clients ignore unknown fields."),
    "alternative-added": (N, B, "alternative added (anyOf/oneOf)", "Request: accepts more. Response: a shape clients may not know."),
    "alternative-removed": (B, N, "alternative removed (anyOf/oneOf)", "Request: that shape is refused. Response: promises more."),
    "composition-added": (
        B, N, "anyOf/oneOf added: a value must match one of its alternatives",
        "Compared conservatively: request: may accept less. Response: promises more."),
    "composition-removed": (
        N, B, "anyOf/oneOf removed", "Compared conservatively: request: accepts more. Response: may promise less."),
    "default-changed": (N, I, "default changed", "Request: clients that omit the field get another value. Response: documentation."),
    "deprecated": (N, N, "deprecated", "Still accepted and sent; clients are told to move away."),
    "no-longer-deprecated": (I, I, "no longer deprecated", "Nothing a client does changes."),
}

# Bounds: tightened = accepts less. `minimum`/`maximum` include their exclusive forms (3.0
# boolean and 3.1 numeric `exclusiveMinimum` read alike).
BOUNDS = ("maxLength", "minLength", "maximum", "minimum", "maxItems", "minItems",
          "maxProperties", "minProperties", "uniqueItems")


def kebab(keyword: str) -> str:
    return "".join("-" + c.lower() if c.isupper() else c for c in keyword)


for _keyword in BOUNDS:
    SCHEMA[f"{kebab(_keyword)}-tightened"] = (
        B, N, f"{_keyword} tightened", "Request: accepts less. Response: promises more.")
    SCHEMA[f"{kebab(_keyword)}-loosened"] = (
        N, B, f"{_keyword} loosened", "Request: accepts more. Response: values beyond the old bound may come back.")

# Findings about a property in its parent object; every other what may also concern the
# root of a body, a parameter or a header.
PROPERTY_ONLY = frozenset({"added", "added-required", "removed", "removed-now-rejected", "became-required", "became-optional"})
REQUEST_ONLY = frozenset({"removed-now-rejected"})  # a response has no sender to refuse
NOUNS = {"request": ("body", "parameter", "property"), "response": ("body", "header", "property")}
GLOBAL_PREFIX = "global-"


def _expand() -> dict[str, Rule]:
    rules = dict(FIXED)
    for name in [k for k in FIXED if k.startswith("security-") and not k.startswith("security-scheme")]:
        rule = FIXED[name]
        rules[GLOBAL_PREFIX + name] = Rule(
            rule.level, f"by default (operations without their own security): {rule.message}", rule.why)
    for what, (request_level, response_level, message, why) in SCHEMA.items():
        for side, level in (("request", request_level), ("response", response_level)):
            if side == "response" and what in REQUEST_ONLY:
                continue
            for noun in NOUNS[side]:
                if noun != "property" and what in PROPERTY_ONLY:
                    continue
                rules[f"{side}-{noun}-{what}"] = Rule(level, message, why)
    return rules


RULES: dict[str, Rule] = _expand()


def rule(change_id: str) -> Rule:
    return RULES[change_id]


def _spelled(side: str, what: str) -> str:
    nouns = ("property",) if what in PROPERTY_ONLY else NOUNS[side]
    return f"{side}-{nouns[0] if len(nouns) == 1 else '{' + ','.join(nouns) + '}'}-{what}"


def classification_table() -> str:
    """The markdown table docs/behaviour.md carries (ids spelled with {a,b} where they come in families)."""
    lines = ["| change id | level | why |", "| --- | --- | --- |"]
    for name, item in FIXED.items():
        spelled = f"`{name}`"
        if f"{GLOBAL_PREFIX}{name}" in RULES:
            spelled += f", `{GLOBAL_PREFIX}{name}` (the document's `security`)"
        lines.append(f"| {spelled} | {item.level} | {item.why} |")
    bounds = {f"{kebab(k)}-{d}" for k in BOUNDS for d in ("tightened", "loosened")}
    for what, (request_level, response_level, _message, why) in SCHEMA.items():
        if what in bounds:
            continue
        sides = [side for side in ("request", "response") if not (side == "response" and what in REQUEST_ONLY)]
        spelled = ", ".join(f"`{_spelled(side, what)}`" for side in sides)
        same = len(sides) == 1 or request_level == response_level
        level = request_level if same else f"request: {request_level}; response: {response_level}"
        lines.append(f"| {spelled} | {level} | {why} |")
    keywords = "{" + ",".join(kebab(k) for k in BOUNDS) + "}"
    for direction in ("tightened", "loosened"):
        request_level, response_level, _message, why = SCHEMA[f"max-length-{direction}"]
        spelled = ", ".join(f"`{_spelled(side, keywords + '-' + direction)}`" for side in ("request", "response"))
        lines.append(f"| {spelled} | request: {request_level}; response: {response_level} | {why} "
                     f"`minimum`/`maximum` include the exclusive forms. |")
    return "\n".join(lines) + "\n"
