"""backlex — Enterprise SSO: one OIDC or SAML connection per org.

The config is validated for its type (422 naming each missing field); the OIDC client secret is
kept to talk to the IdP but never returned (``clientSecretSet`` says whether one is stored).
"""

from __future__ import annotations

import re
from urllib.parse import urlparse

from generated.backlex import models
from handlers.backlex import _events
from handlers.backlex._api import current_org
from handlers.backlex.store import Org, SsoConnection
from spec_server import clock
from spec_server.choices import Keyed
from spec_server.config import settings
from spec_server.db import write_transaction
from spec_server.errors import Unprocessable

OIDC_FIELDS = ("issuer", "clientId", "clientSecret")
SAML_FIELDS = ("metadataUrl", "metadataXml")
# non-secret settings kept per type; anything else in ``config`` is ignored
KEPT = {"oidc": ("issuer", "clientId", "scopes"), "saml": ("metadataUrl", "metadataXml", "entityId")}
KEYED = (Keyed(__name__, "KEPT", KEPT, "put_org_sso", "type"),)
DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


def sso_urls(org: Org) -> models.GetOrgSsoResponse200Urls:
    base = f"{settings().public_base_url}/api/auth/sso/{org.slug}"
    return {"oidcRedirectUri": f"{base}/oidc/callback", "samlAcsUrl": f"{base}/saml/acs",
            "samlEntityId": f"{base}/saml", "samlMetadataUrl": f"{base}/saml/metadata",
            "loginUrl": f"{base}/login"}


def sso_view(connection: SsoConnection | None) -> models.SsoConfig | None:
    if connection is None:
        return None
    config = dict(connection.config or {})
    if connection.type == "oidc":
        config["clientSecretSet"] = bool(connection.client_secret)
    return {"type": connection.type, "enabled": bool(connection.enabled),
            "emailDomain": connection.email_domain, "config": config,
            "createdAt": clock.iso(connection.created_at), "updatedAt": clock.iso(connection.updated_at)}


def get_org_sso(slug) -> tuple[models.GetOrgSsoResponse200, int]:
    org = current_org()
    return {"sso": sso_view(SsoConnection.get_or_none(SsoConnection.org == org)),
            "urls": sso_urls(org)}, 200


def _text(config: dict, name: str) -> str | None:
    value = config.get(name)
    return value.strip() if isinstance(value, str) and value.strip() else None


def _is_http_url(value: str) -> bool:
    parsed = urlparse(value)
    return parsed.scheme in ("http", "https") and bool(parsed.netloc)


def _validate(kind: str, config: dict, email_domain, existing: SsoConnection | None) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if kind == "oidc":
        keeps_secret = existing is not None and existing.type == "oidc" and existing.client_secret
        for name in OIDC_FIELDS:
            if _text(config, name) is None and not (name == "clientSecret" and keeps_secret):
                errors[f"config.{name}"] = ["Required for OIDC"]
        if (issuer := _text(config, "issuer")) and not _is_http_url(issuer):
            errors["config.issuer"] = ["Must be an http(s) URL"]
    else:
        if _text(config, "metadataUrl") is None and _text(config, "metadataXml") is None:
            errors["config.metadataUrl"] = ["SAML needs metadataUrl or metadataXml"]
        elif (metadata_url := _text(config, "metadataUrl")) and not _is_http_url(metadata_url):
            errors["config.metadataUrl"] = ["Must be an http(s) URL"]
        elif (metadata_xml := _text(config, "metadataXml")) and not metadata_xml.startswith("<"):
            errors["config.metadataXml"] = ["Must be an XML document"]
    if email_domain is not None and not DOMAIN.match(email_domain.strip().lower()):
        errors["emailDomain"] = ["Must be a domain name such as example.com"]
    return errors


def put_org_sso(slug, body) -> tuple[models.PutOrgSsoResponse200, int]:
    """Replaces the connection; an OIDC secret left out keeps the stored one."""
    org, kind = current_org(), body["type"]
    config = body.get("config") or {}
    email_domain = body.get("emailDomain")
    with write_transaction():
        existing = SsoConnection.get_or_none(SsoConnection.org == org)
        errors = _validate(kind, config, email_domain, existing)
        if errors:
            raise Unprocessable("Invalid SSO configuration",
                                details={"formErrors": [], "fieldErrors": errors})
        kept = {name: config[name].strip() if isinstance(config[name], str) else config[name]
                for name in KEPT[kind] if config.get(name) is not None}
        secret = None
        if kind == "oidc":
            secret = _text(config, "clientSecret") or (existing.client_secret if existing else None)
        now = clock.now_ms()
        fields = dict(type=kind, enabled=body.get("enabled", True), config=kept, client_secret=secret,
                      email_domain=email_domain.strip().lower() if email_domain else None, updated_at=now)
        if existing is None:
            SsoConnection.create(org=org, created_at=now, **fields)
        else:
            SsoConnection.update(**fields).where(SsoConnection.id == existing.id).execute()
        _events.record(org, "sso.updated", target_type="sso", target_id=org.id,
                       metadata={"type": kind, "enabled": fields["enabled"],
                                 "emailDomain": fields["email_domain"]})
    return {"sso": sso_view(SsoConnection.get(SsoConnection.org == org))}, 200


def delete_org_sso(slug) -> tuple[models.DeleteOrgSsoResponse200, int]:
    """Disables sign-in through the connection; its settings stay for re-enabling."""
    org = current_org()
    with write_transaction():
        updated = SsoConnection.update(enabled=False, updated_at=clock.now_ms()).where(
            (SsoConnection.org == org) & (SsoConnection.enabled == True)).execute()  # noqa: E712
        if updated:
            _events.record(org, "sso.disabled", target_type="sso", target_id=org.id)
    return {"ok": True}, 200
