"""Quotas and rate limits at their boundary: the N-th call admitted, the N+1-th refused.

Plan quotas are filled on the seed's free-plan workspace (``"tenant": "quota"``), whose limits
README "Pathmode rate limits and plan limits" documents; a plan whose limit runs to hundreds is
left out (too many writes for a check). Rate limits are the document's ``x-rateLimit``; the
suite runs with raised limits, so in-process the bucket gets its own limit back for the check
(``Target.own_limit``), and against a deployment with raised limits the check says it was
skipped. apiKeysWrite (20/h) and apiKeysRead (120/h) cost nothing to fill (a DELETE of a key
that does not exist, a GET); intents (200/h) creates 200 intents, so it runs in-process only,
where the suite can give the bucket its own limit (a deployment would be left 200 intents
heavier just to learn its limits are raised); general (300/h) and analyzeCodebase (30/24h,
thirty clones) are left to tests/pathmode/test_rate_limits.py.
"""

from __future__ import annotations

from conformance.behaviour import Skip

API = "/api/v1"
NO_SUCH_KEY = "00000000-0000-4000-8000-000000000000"
QUOTA_PLAN = "free"
LARGEST_QUOTA_CHECKED = 200  # more creates than this per run is too slow for a check

# README "Pathmode rate limits and plan limits" (None = unlimited); tests/test_documented_limits.py
# compares this copy with the README's table
DOCUMENTED_PLAN_LIMITS: dict[str, dict[str, int | None]] = {
    "free": {"intents": 25, "evidence_items": 100, "api_keys": 2},
    "pro": {"intents": 500, "evidence_items": 5000, "api_keys": 10},
    "team": {"intents": None, "evidence_items": None, "api_keys": 50},
}


def _fill(probe, metric: str, create) -> list:
    """Create until refused (at most the documented limit + 1): the answers, in order."""
    limit = DOCUMENTED_PLAN_LIMITS[QUOTA_PLAN][metric]
    if limit is None or limit > LARGEST_QUOTA_CHECKED:
        raise Skip(f"the {QUOTA_PLAN} plan's {metric} limit ({limit}) is too large to fill in a check")
    answers = []
    for _ in range(limit + 1):
        answers.append(create())
        if answers[-1].status_code != 201:
            break
    return answers


def _at_boundary(probe, metric: str, answers: list) -> None:
    limit = DOCUMENTED_PLAN_LIMITS[QUOTA_PLAN][metric]
    refused = answers[-1]
    created = len(answers) - 1
    if refused.status_code == 201:
        probe.fail(f"{metric}: {created + 1} creates admitted, the {QUOTA_PLAN} plan allows {limit}", refused)
        return
    probe.expect(all(a.status_code == 201 for a in answers[:-1]), f"{metric}: a create before the refusal failed",
                 refused)
    expected = {"error": "plan_limit_reached", "metric": metric, "current": limit, "limit": limit, "plan": QUOTA_PLAN}
    probe.expect(refused.status_code == 403 and probe.json(refused) == expected,
                 f"{metric}: after {created} creates the refusal is {refused.status_code} {refused.text[:200]}, "
                 f"expected 403 {expected}", refused)


def check_plan_quotas_at_their_boundary(probe):
    """PM-BILLING-1, PM-BILLING-2, PM-BILLING-3, PM-BILLING-4, PM-INTENTS-CREATE-23, PM-EVIDENCE-CREATE-14, PM-KEYS-CREATE-13: the N-th create admitted, the N+1-th 403 plan_limit_reached, nothing created.

    README "Pathmode rate limits and plan limits" gives the free plan's N; a workspace already
    full (a deployment checked before) shows only the refusal."""
    probe.require_tenant("quota")
    key = probe.auth("quota")
    product = probe.product("quota")

    def intent():
        return probe.call("POST", f"{API}/intents", key,
                          {"title": f"Quota {probe.marker()}", "objective": "Fill the plan", "productId": product})

    def evidence():
        return probe.call("POST", f"{API}/evidence", key,
                          {"content": f"Quota {probe.marker()}", "type": "metric", "productId": product})

    def api_key():
        return probe.call("POST", f"{API}/api-keys", probe.cookie("quota"),
                          {"name": f"quota {probe.marker()}", "workspaceId": probe.workspace_id("quota")})

    for metric, create in (("intents", intent), ("evidence_items", evidence)):
        _at_boundary(probe, metric, _fill(probe, metric, create))
        again = create()
        probe.expect_status(again, 403, f"{metric}: a create after the refusal")
    listed = probe.call("GET", f"{API}/intents", key)
    probe.expect(probe.json(listed).get("count") == DOCUMENTED_PLAN_LIMITS[QUOTA_PLAN]["intents"],
                 "the refused creates left intents behind", listed)
    keys = _fill(probe, "api_keys", api_key)
    try:
        _at_boundary(probe, "api_keys", keys)
    finally:  # keys can be deleted: the next run finds the workspace as this one did
        for made in keys:
            if made.status_code == 201:
                probe.delete_key(probe.json(made)["id"], "quota")


def _boundary(probe, method: str, path: str, call) -> tuple[object, list]:
    """Call the operation's documented limit + 1 times with the bucket's own limit; returns
    (the rule, the answers), or skips when the deployment's limit is not the documented one."""
    rule = probe.documented_rate_limit(method, path)
    with probe.target.own_limit(rule.bucket) as own:
        answers = [call() for _ in range(rule.requests + 1)]
        if answers[0].status_code == 429:
            raise Skip(f"{rule.bucket}: the first call was refused (this user's window is used up: "
                       f"Retry-After {answers[0].headers.get('retry-after')} s)")
        if answers[-1].status_code != 429 and not own:
            raise Skip(f"{rule.bucket}: {rule.requests + 1} calls admitted: the server runs with raised "
                       f"RATE_LIMITS, so the documented {rule.requests}/{rule.window_seconds}s boundary cannot be seen")
        return rule, answers


def _refused_only_last(probe, rule, answers) -> None:
    statuses = [a.status_code for a in answers]
    first = statuses.index(429) + 1 if 429 in statuses else None
    probe.expect(first == rule.requests + 1,
                 f"{rule.bucket} {rule.requests}/{rule.window_seconds}s: first refused call #{first}, "
                 f"expected #{rule.requests + 1}", answers[(first or len(answers)) - 1])
    refused = answers[-1]
    probe.expect(refused.status_code != 429 or isinstance(probe.json(refused).get("error"), str),
                 f"{rule.bucket}: the 429 body is not {{error}}", refused)


def check_key_writes_rate_limited_per_user(probe):
    """PM-KEYS-REVOKE-9, PM-KEYS-CREATE-16, PM-RATE-7, PM-RATE-8: apiKeysWrite 20/h: the 20th write admitted, the 21st refused, POST and DELETE share it, reads do not."""
    caller = probe.cookie("b", "editor")

    def revoke():
        return probe.call("DELETE", f"{API}/api-keys", caller, {"keyId": NO_SUCH_KEY})

    rule, answers = _boundary(probe, "DELETE", "/api-keys", revoke)
    with probe.target.own_limit(rule.bucket):
        _refused_only_last(probe, rule, answers)
        create = probe.call("POST", f"{API}/api-keys", caller, {"name": "over", "workspaceId": probe.workspace_id("b")})
        probe.expect_status(create, 429, f"POST /api-keys after {rule.requests} DELETEs (one {rule.bucket} budget)")
        read = probe.call("GET", f"{API}/api-keys", caller)
        probe.expect_status(read, 200, f"GET /api-keys once {rule.bucket} is used up (another bucket)")


def check_key_reads_rate_limited_per_user(probe):
    """PM-KEYS-LIST-7, PM-RATE-8: apiKeysRead 120/h: the 120th GET /api-keys admitted, the 121st refused; writes are another budget."""
    caller = probe.cookie("b", "viewer")

    def read():
        return probe.call("GET", f"{API}/api-keys", caller)

    rule, answers = _boundary(probe, "GET", "/api-keys", read)
    with probe.target.own_limit(rule.bucket):
        _refused_only_last(probe, rule, answers)
        write = probe.call("DELETE", f"{API}/api-keys", caller, {"keyId": NO_SUCH_KEY})
        probe.expect_status(write, 200, f"DELETE /api-keys once {rule.bucket} is used up (another bucket)")


def check_intent_creates_rate_limited_per_user_not_per_key(probe):
    """PM-INTENTS-CREATE-22, PM-RATE-1, PM-RATE-3, PM-RATE-5: intents 200/h per user: two keys of one user share it, the 201st create is 429 {error} with Retry-After, another user is untouched.

    Tenant B's admin (who writes nothing else) mints two keys and creates half the budget
    with each."""
    rule = probe.documented_rate_limit("POST", "/intents")
    if probe.target.lift_raised_limit is None:
        raise Skip(f"{rule.bucket} {rule.requests}/{rule.window_seconds}s: finding the boundary creates "
                   f"{rule.requests} intents; run in-process, where the suite gives the bucket its own limit")
    keys = [probe.new_key("b", "admin") for _ in range(2)]
    product = probe.product("b")

    def create(auth):
        return probe.call("POST", f"{API}/intents", auth,
                          {"title": f"Rate {probe.marker()}", "objective": "Spend the budget", "productId": product})

    try:
        with probe.target.own_limit(rule.bucket):
            answers = [create(probe.bearer(keys[n % 2]["key"])) for n in range(rule.requests + 1)]
            _refused_only_last(probe, rule, answers)
            refused = answers[-1]
            probe.expect(refused.status_code != 429 or int(refused.headers.get("retry-after", "0")) >= 1,
                         f"{rule.bucket}: the 429 has no positive Retry-After", refused)
            other = create(probe.auth("b", via="session", role="editor"))
            probe.expect_status(other, 201, f"another user of the workspace once {rule.bucket} is used up")
    finally:
        for key in keys:
            probe.delete_key(key["id"], "b", "admin")
