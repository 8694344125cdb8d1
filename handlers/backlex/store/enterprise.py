"""SSO connections and SCIM tokens, one of each per org."""

from __future__ import annotations

from typing import Any

import peewee

from handlers.backlex.store.core import Org
from spec_server.db import BaseModel, ForeignKeyId, JSONField, new_id

__all__ = ["SsoConnection", "ScimToken", "MODELS"]


class SsoConnection(BaseModel):
    id = peewee.CharField(primary_key=True, default=new_id)
    org = peewee.ForeignKeyField(Org, unique=True, on_delete="CASCADE")
    org_id: ForeignKeyId[str]
    type = peewee.CharField()  # oidc | saml
    enabled = peewee.BooleanField(default=True)
    email_domain = peewee.CharField(null=True)
    config: JSONField[dict[str, Any]] = JSONField(default=dict)  # the non-secret settings, returned as they are
    # the OIDC client secret must be usable to talk to the IdP, so it is kept, but never returned
    client_secret = peewee.TextField(null=True)
    created_at = peewee.BigIntegerField()
    updated_at = peewee.BigIntegerField()

    class Meta:
        table_name = "bx_sso_connection"


class ScimToken(BaseModel):
    """The org's one SCIM bearer token, stored as a digest; minting replaces it."""

    org = peewee.ForeignKeyField(Org, primary_key=True, on_delete="CASCADE")
    org_id: ForeignKeyId[str]
    token_digest = peewee.CharField(unique=True)
    prefix = peewee.CharField()
    created_by = peewee.CharField(null=True)
    created_at = peewee.BigIntegerField()

    class Meta:
        table_name = "bx_scim_token"


MODELS = (SsoConnection, ScimToken)
