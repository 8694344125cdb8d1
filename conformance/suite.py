"""The whole conformance suite for one or both APIs: schemathesis phases plus our own
isolation, role and revocation checks, gathered into one report."""

from __future__ import annotations

from collections.abc import Callable

from conformance import bounds, isolation
from conformance.runner import SCHEMES, ApiResult, Profile, load_schema, run_api
from conformance.target import Target

APIS = ("backlex", "pathmode")


def backlex_minimum_role(operation_id: str) -> str | None:
    """The server's one permission table (README "backlex roles")."""
    from handlers.backlex._permissions import MINIMUM_ROLE

    return MINIMUM_ROLE.get(operation_id)


def run(target: Target, apis: tuple[str, ...] = APIS, profile: Profile | None = None,
        progress: Callable[[str], None] = lambda line: None, seat=None,
        first_scheme_only: bool = False) -> list[ApiResult]:
    profile = profile or Profile.from_env()
    if "backlex" in apis:
        target.bootstrap(seat)
    results = []
    for api in apis:
        # isolation and roles first, on the pristine seed: fuzzing may reshape the tenants
        progress(f"[{api}] tenant isolation, roles and revocation")
        schema = load_schema(api, target, profile)
        result = ApiResult(api)
        if api == "pathmode":
            isolation.pathmode(target, schema, result, profile.allow_501)
            bounds.pathmode(target, result)
        else:
            result.skipped.extend(isolation.backlex(target, schema, result, profile.allow_501,
                                                    backlex_minimum_role))
        schemes = SCHEMES[api][:1] if first_scheme_only else SCHEMES[api]
        for scheme in schemes:  # every security scheme the operations accept
            progress(f"[{api}] schemathesis phases with {scheme}")
            run_api(api, target, profile, progress, result, schemes=(scheme,))
        results.append(result)
    return results
