"""Helpers shared by the backlex organization/billing tests."""

from __future__ import annotations

from handlers.backlex.store import MailMessage, Member, Org, Project
from spec_server import clock
from spec_server.db import database
from tests.support import backlex_org

TEAM = {"admin@a.example": "admin", "developer@a.example": "developer", "viewer@a.example": "viewer"}


def team_org(client, tenants, name: str = "Acme Corp") -> dict:
    """An org of owner@a with an admin, a developer and a viewer of tenant A."""
    return backlex_org(client, tenants, name=name, members=TEAM)


def other_org(client, tenants) -> dict:
    """Tenant B's org, with B's team."""
    return backlex_org(client, tenants, name="Beta Inc", owner="owner@b.example",
                       members={e.replace("@a.", "@b."): r for e, r in TEAM.items()})


def member_id(org: dict, email: str) -> str:
    with database.connection_context():
        return Member.get((Member.org == org["id"]) & (Member.email == email)).id


def outbox(to: str | None = None) -> list[MailMessage]:
    with database.connection_context():
        query = MailMessage.select().order_by(MailMessage.created_at, MailMessage.id)
        return list(query.where(MailMessage.to == to) if to else query)


def make_project(org: dict, slug: str, *, deleted: bool = False) -> Project:
    """A project row written directly (the projects API is another area's)."""
    now = clock.now_ms()
    with database.connection_context():
        return Project.create(org=org["id"], slug=slug, name=slug.title(), status="active",
                              region="fra", created_at=now, updated_at=now,
                              deleted_at=now if deleted else None, live_slug=None if deleted else slug)


def set_plan(org: dict, plan: str) -> None:
    with database.connection_context():
        Org.update(plan_id=plan).where(Org.id == org["id"]).execute()
