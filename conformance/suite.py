"""The whole conformance suite for the served APIs: each API's own checks (its plugin's:
isolation, roles, revocation, behaviour), then schemathesis's phases once per security
scheme the plugin names, gathered into one report per API."""

from __future__ import annotations

from collections.abc import Callable

from conformance import bounds
from conformance.plugin import ApiPlugin, CredentialsMissing
from conformance.runner import ApiResult, Profile, load_schema, run_api
from conformance.target import Target


def require_credentials(target: Target, plugins: list[ApiPlugin]) -> None:
    lines = [line for plugin in plugins for line in plugin.missing(target.credentials)]
    if lines:
        raise CredentialsMissing(lines)


def run(target: Target, plugins: list[ApiPlugin], profile: Profile | None = None,
        progress: Callable[[str], None] = lambda line: None, first_scheme_only: bool = False) -> list[ApiResult]:
    profile = profile or Profile.from_env()
    require_credentials(target, plugins)
    for plugin in plugins:
        plugin.bootstrap(target)
    results = []
    for plugin in plugins:
        # the API's own checks first, on the pristine seed: fuzzing may reshape the tenants
        progress(f"[{plugin.name}] the API's own checks (isolation, roles, behaviour)")
        schema = load_schema(plugin, target, profile)
        result = ApiResult(plugin.name)
        result.skipped.extend(plugin.checks(target, schema, result, profile.allow_501))
        bounds.body_limit(target, schema, result)
        passes = plugin.passes()
        for scheme in passes[:1] if first_scheme_only else passes:  # every scheme the operations accept
            progress(f"[{plugin.name}] schemathesis phases with {scheme}")
            run_api(plugin, target, profile, progress, result, scheme=scheme)
        results.append(result)
    return results
