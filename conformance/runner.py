"""Run schemathesis's engine over one API of a target and collect what it saw.

One ``run_api`` call loads the runtime document the server itself serves
(``/api/openapi.json``, ``/api/v1/openapi.json``), in-process with ``from_asgi`` on the
connexion app or remotely with ``from_url``, and drives the phases ``examples``,
``coverage``, ``fuzzing`` and ``stateful`` with every applicable check plus ours
(``conformance.checks``). Each response is recorded: operation × status code observed,
failures with a curl line, and operations answering 501.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import events, from_schema

from conformance import checks as _checks  # noqa: F401  (registers the custom checks)
from conformance import narrowing
from conformance import plugin as plugin_registry
from conformance.plugin import ApiPlugin
from conformance.target import Target
from spec_server import apis

ALL_PHASES = ("examples", "coverage", "fuzzing", "stateful")
CHECKS = (
    "not_a_server_error", "status_code_conformance", "content_type_conformance",
    "response_headers_conformance", "response_schema_conformance", "negative_data_rejection",
    "positive_data_acceptance", "missing_required_header", "unsupported_method", "use_after_free",
    "ensure_resource_availability", "ignored_auth",
    # ours
    "example_shape", "stream_and_file_format", "not_implemented",
)


@dataclass
class Profile:
    max_examples: int = 40
    phases: tuple[str, ...] = ALL_PHASES
    stateful_steps: int = 20
    seed: int = 20261127
    allow_501: bool = False

    @classmethod
    def from_env(cls, **overrides) -> Profile:
        name = os.environ.get("CONFORMANCE_PROFILE", "full")
        profile = PROFILES.get(name, PROFILES["full"])
        values = {**profile.__dict__, "allow_501": os.environ.get("CONFORMANCE_ALLOW_501", "0") == "1"}
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


PROFILES = {
    "full": Profile(max_examples=40, stateful_steps=20),
    "quick": Profile(max_examples=5, stateful_steps=5),
}


@dataclass
class Failure:
    operation: str
    check: str
    title: str
    message: str
    curl: str
    status: int | None


@dataclass
class ApiResult:
    api: str
    documented: dict[str, list[str]] = field(default_factory=dict)  # label -> documented statuses
    observed: dict[str, dict[int, int]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(int)))
    failures: list[Failure] = field(default_factory=list)
    not_implemented: set[str] = field(default_factory=set)
    errors: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # checks that could not run, with the reason

    @property
    def ok(self) -> bool:
        return not self.failures and not self.errors


def config_for(plugin: ApiPlugin, target: Target, profile: Profile, scheme: str | None = None) -> SchemathesisConfig:
    """schemathesis's configuration for one pass of one API: the plugin's credentials for the
    pass's security scheme, its fixed parameters and its narrowed checks."""
    data = {
        "seed": profile.seed,
        "generation": {"max-examples": profile.max_examples, "deterministic": False,
                       "database": "none"},
        "phases": {
            name: {"enabled": name in profile.phases} for name in ALL_PHASES
        },
        "checks": {name: {"enabled": name not in blind_checks(plugin, scheme)} for name in CHECKS},
        "auth": {"openapi": plugin.auth(target, scheme or plugin.passes()[0])},
        "parameters": plugin.parameters(target),
        "output": {"sanitization": {"enabled": False}},
        "suppress-health-check": ["all"],
        "operations": narrowing.operation_overrides(plugin.narrowing),
    }
    data["phases"]["stateful"]["max-steps"] = profile.stateful_steps
    if target.remote:
        data["base-url"] = target.base_url.rstrip("/") + mount_of(plugin)
    return SchemathesisConfig.from_dict(data)


def blind_checks(plugin: ApiPlugin, scheme: str | None) -> set[str]:
    """Checks that cannot see a pass's credential. schemathesis's ``ignored_auth`` strips only
    apiKey and http credentials before its probe (``get_security_parameters``), so in an OAuth2
    or OpenID Connect pass it would send the token it means to remove and report a server that
    refuses a missing token as ignoring it; ``probes.authentication_required`` (every plugin's
    default check) sends such requests without any credential instead."""
    kind = plugin.schemes().get(scheme or "", {}).get("type")
    return {"ignored_auth"} if kind in ("oauth2", "openIdConnect") else set()


def mount_of(plugin: ApiPlugin) -> str:
    return apis.load(plugin.name).mount


def schema_url(plugin: ApiPlugin) -> str:
    """The runtime document the server itself serves (``/api/openapi.json``, ``/api/v1/openapi.json``)."""
    return f"{mount_of(plugin)}/openapi.json"


def load_schema(plugin: ApiPlugin, target: Target, profile: Profile, scheme: str | None = None):
    config = config_for(plugin, target, profile, scheme)
    if target.remote:
        schema = schemathesis.openapi.from_url(target.base_url.rstrip("/") + schema_url(plugin), config=config)
    else:
        schema = schemathesis.openapi.from_asgi(schema_url(plugin), target.app, config=config)
        schema.config.base_url = None
    plugin_registry.remember(schema, plugin)
    return schema


def install_pins(schema, plugin: ApiPlugin, target: Target) -> None:
    """Point positive cases of the non-stateful phases at the seeded tenant A (its org, project,
    intent and product): random ids only ever reach 404, so without this the success paths of
    nested resources would go untested. Negative cases and stateful chains keep their values."""
    pins = dict(target.pins_of(plugin.name))
    body_pins = pins.pop("body", {})
    if not pins and not body_pins:
        return

    @schema.hook("map_case")
    def pin_to_tenant(context, case):
        meta = case.meta
        if meta is None or meta.generation.mode != schemathesis.GenerationMode.POSITIVE:
            return case
        if (meta.phase.name.value == "stateful"
                or case.operation.definition.raw.get("operationId") in plugin.never_pinned):
            return case
        for name, value in pins.items():
            if case.path_parameters and name in case.path_parameters:
                case.path_parameters[name] = value
        if isinstance(case.body, dict):
            for name, value in body_pins.items():
                if name in case.body:
                    case.body[name] = value
        return case


def run_api(plugin: ApiPlugin, target: Target, profile: Profile,
            progress: Callable[[str], None] = lambda line: None, result: ApiResult | None = None,
            scheme: str | None = None) -> ApiResult:
    api = plugin.name
    schema = load_schema(plugin, target, profile, scheme)
    install_pins(schema, plugin, target)
    narrowing.install(schema, plugin.narrowing)
    result = result or ApiResult(api)
    for operation in schema.get_all_operations():
        op = operation.ok()
        result.documented[op.label] = sorted(op.definition.raw.get("responses", {}))
    for event in from_schema(schema).execute():
        if isinstance(event, events.PhaseStarted):
            progress(f"[{api}] phase {event.phase.name.value} started")
            if event.payload is not None:
                progress(f"[{api}]   stateful links: {event.payload!r}"[:300])
        elif isinstance(event, events.ScenarioFinished):
            _record(result, event.recorder, profile)
            progress(f"[{api}] {event.phase.value:<9} {event.recorder.label:<60} {event.status.value}")
        elif isinstance(event, events.NonFatalError):
            result.errors.append(f"{event.label}: {event.info.format()}"[:2000])
            progress(f"[{api}] error {event.label}")
        elif isinstance(event, events.FatalError):
            result.errors.append(f"fatal: {event.exception!r}")
            progress(f"[{api}] fatal error {event.exception!r}")
    return result


def _record(result: ApiResult, recorder, profile: Profile) -> None:
    statuses: dict[str, int | None] = {}
    bodies: dict[str, str] = {}
    for case_id, interaction in recorder.interactions.items():
        node = recorder.cases.get(case_id)
        label = node.value.operation.label if node else None
        status = interaction.response.status_code if interaction.response is not None else None
        statuses[case_id] = status
        if interaction.response is not None:
            bodies[case_id] = interaction.response.content.decode("utf-8", "replace")[:300]
        if label and status is not None:
            result.observed[label][status] += 1
            if status == 501:
                result.not_implemented.add(label)
    seen = set()
    for case_id, nodes in recorder.checks.items():
        for node in nodes:
            if node.failure_info is None:
                continue
            failure = node.failure_info.failure
            status = statuses.get(case_id)
            if profile.allow_501 and status == 501:
                continue  # interim: listed under "not implemented", not as a failure
            key = (failure.operation, node.name, failure.title, failure.message)
            if key in seen:
                continue
            seen.add(key)
            answer = f"\nanswer: {status} {bodies.get(case_id, '')}" if status is not None else ""
            result.failures.append(Failure(
                operation=failure.operation or recorder.label, check=node.name, title=failure.title,
                message=failure.message + answer, curl=node.failure_info.code_sample, status=status))
