"""What the suite needs of one API beyond its document, and where it finds it.

The suite names no API. For every served API (``spec_server.apis``) it loads
``handlers/<api>/_conformance.py``'s ``PLUGIN``, an ``ApiPlugin``; an API without one gets
``ApiPlugin(name)`` itself, which fuzzes every operation with one secret per security scheme,
read from the credentials file::

    {"<api>": {"auth": {"<scheme name>": "<secret>"}}}

A plugin states its part of the credentials contract (``missing`` says, one line each, what
to seed), makes its tenants through the API (``bootstrap``), chooses the security schemes
the fuzzing passes use (``passes``, ``auth``), narrows generic checks where a documented rule
contradicts them (``narrowing``), and adds its own checks (``checks``: isolation, roles,
revocation), which run first, on the pristine seed, then its behaviour checks: every
``check_*`` function of the modules of ``handlers/<api>/_conformance/`` when the plugin is a
package (``conformance.behaviour``), each proving a documented rule through the API.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field

from spec_server import apis


@dataclass
class Narrowing:
    """Where a generic check's expectation contradicts a documented rule, per operation; each
    entry cites its rule where it is written (docs/behaviour.md)."""

    # operationId -> statuses positive_data_acceptance also accepts for schema-valid input
    positive_also_accepts: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # (operation label, check, accepts(case, response)) failures a documented rule makes correct
    documented_answers: list[tuple[str, str, Callable]] = field(default_factory=list)
    # example_shape: example keys a rule lets the server omit / send as null, by label and path
    example_optional: dict[str, set[str]] = field(default_factory=dict)
    example_nullable: dict[str, set[str]] = field(default_factory=dict)

    def example_allowance(self, label: str) -> tuple[frozenset[str], frozenset[str]]:
        return frozenset(self.example_optional.get(label, ())), frozenset(self.example_nullable.get(label, ()))


class CredentialsMissing(Exception):
    """The credentials file lacks what the suite needs; one line per missing thing."""

    def __init__(self, lines: list[str]):
        super().__init__("\n".join(lines))
        self.lines = lines


class ApiPlugin:
    """The default: one fuzzing pass per security scheme, with the secret the credentials
    file names for it; no tenants, no checks of its own."""

    seed: dict = {}  # this API's part of the suite's seed file (``spec-server conformance --print-seed``)
    narrowing = Narrowing()
    # operations whose pinned run would destroy the tenant the other cases rely on
    never_pinned: frozenset[str] = frozenset()

    def __init__(self, name: str | None = None):
        if name is not None:
            self.name = name

    # --- the credentials contract -----------------------------------------------------
    def schemes(self) -> dict[str, dict]:
        document = json.loads(apis.load(self.name).openapi_path.read_text())
        return document.get("components", {}).get("securitySchemes", {})

    def missing(self, credentials: dict) -> list[str]:
        """What the credentials lack, one line each saying what to seed."""
        given = credentials.get(self.name, {}).get("auth", {})
        return [f"{self.name}: no secret for security scheme {name!r}: add "
                f'{{"{self.name}": {{"auth": {{"{name}": "<secret>"}}}}}} to the credentials file'
                for name in sorted(self.schemes()) if name not in given]

    # --- tenants and passes -----------------------------------------------------------
    def bootstrap(self, target, seat=None) -> None:
        """Make what the checks need through the API (orgs, members); ``seat`` is the
        in-process shortcut for what a remote deployment only emails."""

    def passes(self) -> tuple[str, ...]:
        """The fuzzing passes: one per security scheme the operations accept."""
        return tuple(sorted(self.schemes())) or ("public",)

    def auth(self, target, scheme: str) -> dict:
        """schemathesis ``auth.openapi`` for one pass: the pass's scheme."""
        return _auth_entry(self.schemes(), target.credentials.get(self.name, {}).get("auth", {}), scheme)

    def parameters(self, target) -> dict:
        """schemathesis ``parameters`` fixed for every case (e.g. a tenant id in the query)."""
        return {}

    def checks(self, target, schema, result, allow_501: bool) -> list[str]:
        """The API's own checks; returns the reasons of those that could not run. The default:
        every operation that requires credentials refuses a request without any (401)."""
        from conformance import probes

        probes.authentication_required(probes.Session(target, result, "authentication_required", allow_501), schema)
        return []

    def behaviour_checks(self) -> list:
        """The API's behaviour checks (``conformance.behaviour.discover``)."""
        from conformance import behaviour

        return behaviour.discover(f"handlers.{self.name}._conformance")

    def probe(self, session, schema):
        """What the behaviour checks are handed; a plugin returns its own with its helpers."""
        from conformance.behaviour import Probe

        return Probe(session, schema)

    # --- in-process runs ----------------------------------------------------------------
    def inprocess_seed(self) -> dict:
        return self.seed

    def seat(self, tenant_object: dict, email: str, role: str) -> None:
        """Seat a member directly (in-process only)."""
        raise NotImplementedError


def _auth_entry(schemes: dict, secrets: dict, scheme: str) -> dict:
    if scheme not in secrets or scheme not in schemes:
        return {}
    definition = schemes[scheme]
    secret = secrets[scheme]
    if definition.get("type") == "apiKey":
        return {scheme: {"api_key": secret}}
    if definition.get("type") == "http" and str(definition.get("scheme", "")).lower() == "basic":
        username, _, password = secret.partition(":")
        return {scheme: {"username": username, "password": password}}
    return {scheme: {"bearer": secret}}  # http bearer, oauth2, openIdConnect


def load(name: str) -> ApiPlugin:
    try:
        module = importlib.import_module(f"handlers.{name}._conformance")
    except ModuleNotFoundError as error:
        if error.name != f"handlers.{name}._conformance":
            raise
        return ApiPlugin(name)
    plugin = module.PLUGIN
    if plugin.name != name:
        raise LookupError(f"handlers/{name}/_conformance's PLUGIN is for {plugin.name!r}")
    return plugin


def served(only: str = "all") -> list[ApiPlugin]:
    """The plugin of every served API (or of the one named), in the order they are mounted."""
    return [load(api.name) for api in apis.discover(only)]


_BY_DOCUMENT: dict[int, ApiPlugin] = {}


def remember(schema, plugin: ApiPlugin) -> None:
    """Which plugin a loaded schema belongs to, for the checks that only see a case."""
    _BY_DOCUMENT[id(schema.raw_schema)] = plugin


def of_case(case) -> ApiPlugin | None:
    return _BY_DOCUMENT.get(id(case.operation.schema.raw_schema))
