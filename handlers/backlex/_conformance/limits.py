"""backlex plan limits and rate limits at their boundary: the N-th call admitted, the N+1-th refused.

Each check fills a fresh org (free plan), so it finds the same room on every run, in-process
or on a deployment. The rate limits are docs/behaviour.md's (the document states none for
backlex); the suite runs with raised limits, so in-process the bucket gets its own limit back
for the check (``Target.own_limit``), and against a deployment with raised limits the check
says it was skipped.
"""

from __future__ import annotations

from conformance.behaviour import Skip

API = "/api"
# README "backlex plans and billing": the free plan's projects and members (members count pending
# invitations); docs/behaviour.md "backlex — Organization" (Rate limits): invitations and resends
# share 20 per hour per org, SCIM token minting 10 per hour per org.
# tests/test_documented_limits.py compares these with the documents.
FREE_PLAN = {"projects": 2, "members": 5}
RATE_LIMITS = {"invitations": 20, "tokenMinting": 10}


def _plan_limit(probe, answer, limit: int, what: str) -> None:
    error = probe.json(answer).get("error") or {}
    probe.expect(answer.status_code == 409 and error.get("code") == "PLAN_LIMIT"
                 and error.get("details") == {"plan": "free", "limit": limit},
                 f"{what}: {answer.status_code} {error}, expected 409 PLAN_LIMIT {{plan: free, limit: {limit}}}", answer)


def check_free_plan_project_limit(probe):
    """README "backlex plans and billing" and docs/behaviour.md "backlex — Projects" (Create): the free plan's 2 live projects, the 3rd 409 PLAN_LIMIT; a deleted project frees its place."""
    slug = probe.new_org()["slug"]
    limit = FREE_PLAN["projects"]
    made = [probe.new_project(slug) for _ in range(limit)]
    over = probe.call("POST", f"{API}/org/{slug}/projects", probe.auth(), {"name": f"Over {probe.marker()}"})
    _plan_limit(probe, over, limit, f"project {limit + 1} on the free plan")
    listed = probe.json(probe.call("GET", f"{API}/org/{slug}/projects", probe.auth())).get("projects", [])
    probe.expect(len(listed) == limit, f"{len(listed)} projects listed after the refusal", probe.last)
    probe.require(probe.call("DELETE", f"{API}/org/{slug}/projects/{made[0]['slug']}", probe.auth()), 200, "delete")
    again = probe.call("POST", f"{API}/org/{slug}/projects", probe.auth(), {"name": f"Again {probe.marker()}"})
    probe.expect_status(again, 201, "a project once a live one was deleted")


def check_free_plan_seats_count_invitations(probe):
    """README "backlex plans and billing" and docs/behaviour.md "backlex — Organization" (Invitations): 5 seats on free, pending invitations included; the 6th 409 PLAN_LIMIT."""
    slug = probe.new_org()["slug"]
    limit = FREE_PLAN["members"]
    emails = [f"{probe.marker('s')}{n}@invited.example" for n in range(limit)]
    for email in emails[:-1]:  # the owner holds one seat
        probe.require(probe.call("POST", f"{API}/org/{slug}/invitations", probe.auth(),
                                 {"email": email, "role": "viewer"}), 201, "invite")
    over = probe.call("POST", f"{API}/org/{slug}/invitations", probe.auth(), {"email": emails[-1], "role": "viewer"})
    _plan_limit(probe, over, limit, f"seat {limit + 1} (owner + {limit - 1} invitations + this one)")
    revoked = probe.member_id(slug, emails[0])
    probe.require(probe.call("DELETE", f"{API}/org/{slug}/members/{revoked}", probe.auth()), 204, "revoke one")
    again = probe.call("POST", f"{API}/org/{slug}/invitations", probe.auth(), {"email": emails[-1], "role": "viewer"})
    probe.expect_status(again, 201, "an invitation once a pending seat was revoked")


def _admitted_then_refused(probe, bucket: str, own: bool, answers: list, admitted: int) -> None:
    statuses = [a.status_code for a in answers]
    if statuses[0] == 429:
        raise Skip(f"{bucket}: the first call was refused (this org's window is used up)")
    if statuses[-1] != 429 and not own:
        raise Skip(f"{bucket}: {len(answers)} calls admitted: the server runs with raised RATE_LIMITS, so the "
                   f"documented boundary cannot be seen")
    first = statuses.index(429) + 1 if 429 in statuses else None
    probe.expect(first == admitted + 1, f"{bucket}: first refused call #{first}, expected #{admitted + 1}",
                 answers[(first or len(answers)) - 1])
    refused = answers[-1]
    error = probe.json(refused).get("error") or {}
    probe.expect(refused.status_code != 429 or (error.get("code") == "RATE_LIMITED"
                                                and int(refused.headers.get("retry-after", "0")) >= 1),
                 f"{bucket}: the 429 is not RATE_LIMITED with a Retry-After", refused)


def check_scim_token_minting_rate_limited_per_org(probe):
    """docs/behaviour.md "backlex — Organization" (Rate limits): "SCIM token minting uses tokenMinting, 10 per hour per org"; over it 429 RATE_LIMITED with Retry-After."""
    slug, other = probe.new_org()["slug"], probe.new_org()["slug"]
    limit = RATE_LIMITS["tokenMinting"]
    with probe.target.own_limit("tokenMinting") as own:
        answers = [probe.call("POST", f"{API}/org/{slug}/scim/token", probe.auth()) for _ in range(limit + 1)]
        _admitted_then_refused(probe, "tokenMinting", own, answers, limit)
        probe.expect_status(probe.call("POST", f"{API}/org/{other}/scim/token", probe.auth()), 201,
                            "another org mints (the limit is per org)")


def check_invitations_and_resends_share_a_rate_limit(probe):
    """docs/behaviour.md "backlex — Organization" (Rate limits): "invitations and resends share the invitations bucket, 20 per hour per org"; an unknown member id is 404 before it costs a slot."""
    slug = probe.new_org()["slug"]
    limit = RATE_LIMITS["invitations"]
    with probe.target.own_limit("invitations") as own:
        email = f"{probe.marker('rl')}@invited.example"
        answers = [probe.call("POST", f"{API}/org/{slug}/invitations", probe.auth(), {"email": email, "role": "viewer"})]
        if answers[0].status_code != 201:
            _admitted_then_refused(probe, "invitations", own, answers, limit)
            return
        member = probe.member_id(slug, email)
        unknown = probe.call("POST", f"{API}/org/{slug}/members/00000000-0000-4000-8000-000000000000/resend",
                             probe.auth())
        probe.expect_status(unknown, 404, "resend to an unknown member id")
        answers += [probe.call("POST", f"{API}/org/{slug}/members/{member}/resend", probe.auth()) for _ in range(limit)]
        _admitted_then_refused(probe, "invitations", own, answers, limit)
        after = probe.call("POST", f"{API}/org/{slug}/members/00000000-0000-4000-8000-000000000000/resend",
                           probe.auth())
        probe.expect_status(after, 404, "resend to an unknown member id once the bucket is used up")
