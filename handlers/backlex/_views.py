"""Render backlex rows in the documented shapes."""

from __future__ import annotations

from generated.backlex import models
from handlers.backlex.store import Org, Project, User


def org_view(org: Org) -> models.Org:
    return {
        "id": org.id,
        "slug": org.slug,
        "name": org.name,
        "planId": org.plan_id,
        "residency": org.residency,
        "defaultRegion": org.default_region,
        "ipAllowlist": org.ip_allowlist or [],
        "webhookUrl": org.webhook_url,
        "status": org.status,
    }


def account_view(user: User) -> models.Account:
    return {
        "id": user.id,
        "email": user.email,
        "name": user.name,
        "emailVerified": bool(user.email_verified),
        "title": user.title,
        "timezone": user.timezone,
        "preferences": user.preferences,
    }


def project_summary(project: Project) -> models.ProjectSummary:
    return {
        "id": project.id,
        "slug": project.slug,
        "name": project.name,
        "status": project.status,
        "environment": project.environment,
        "primaryRegion": project.region,
    }
