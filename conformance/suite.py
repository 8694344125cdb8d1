"""The whole conformance suite for the served APIs: each API's own checks (its plugin's:
isolation, roles, revocation), its behaviour checks (``conformance.behaviour``), then
schemathesis's phases once per security scheme the plugin names, gathered into one report
per API."""

from __future__ import annotations

from collections.abc import Callable

from conformance import behaviour as behaviour_checks
from conformance import bounds
from conformance.plugin import ApiPlugin, CredentialsMissing
from conformance.probes import Session
from conformance.runner import ApiResult, Profile, load_schema, run_api
from conformance.target import Target


def require_credentials(target: Target, plugins: list[ApiPlugin]) -> None:
    lines = [line for plugin in plugins for line in plugin.missing(target.credentials)]
    if lines:
        raise CredentialsMissing(lines)


def run(target: Target, plugins: list[ApiPlugin], profile: Profile | None = None,
        progress: Callable[[str], None] = lambda line: None, first_scheme_only: bool = False,
        behaviour: bool = True, phases: bool = True, stop_early: bool = False) -> list[ApiResult]:
    """``behaviour=False`` leaves the behaviour checks out (the planted-fault runs need only
    the checks that catch their fault); ``phases=False`` the schemathesis phases;
    ``stop_early`` skips the phases of an API whose checks already failed (the verdict is the
    same, known sooner: the mutation run uses it)."""
    profile = profile or Profile.from_env()
    require_credentials(target, plugins)
    for plugin in plugins:
        plugin.bootstrap(target)
    results = []
    for plugin in plugins:
        # the API's own checks first, on the pristine seed: fuzzing may reshape the tenants
        progress(f"[{plugin.name}] the API's own checks (isolation, roles, revocation)")
        schema = load_schema(plugin, target, profile)
        result = ApiResult(plugin.name)
        result.skipped.extend(plugin.checks(target, schema, result, profile.allow_501))
        bounds.body_limit(target, schema, result)
        if behaviour:
            progress(f"[{plugin.name}] behaviour checks")
            probe = plugin.probe(Session(target, result, "behaviour", profile.allow_501), schema)
            result.skipped.extend(behaviour_checks.run(plugin.behaviour_checks(), probe))
        passes = plugin.passes() if phases and not (stop_early and result.failures) else ()
        for scheme in passes[:1] if first_scheme_only else passes:  # every scheme the operations accept
            progress(f"[{plugin.name}] schemathesis phases with {scheme}")
            run_api(plugin, target, profile, progress, result, scheme=scheme)
        results.append(result)
    return results
