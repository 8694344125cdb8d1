"""Helpers shared by the Pathmode part-1 tests (notes, findings, evidence, keys, limits)."""

from __future__ import annotations

import uuid

from tests.support import Tenants

WS_B_PRODUCT = "billing"


def random_id() -> str:
    return str(uuid.uuid4())


def product_of(tenants: Tenants, workspace: str) -> str:
    return tenants.pm_product_id(workspace, "checkout" if workspace == "ws-a" else WS_B_PRODUCT)


def new_evidence(client, tenants: Tenants, workspace: str = "ws-a", **fields) -> dict:
    body = {"content": "Users abandon checkout", "type": "friction",
            "productId": product_of(tenants, workspace), **fields}
    response = client.post("/api/v1/evidence", json=body, headers=tenants.pm_headers(workspace))
    assert response.status_code == 201, response.text
    return response.json()


def new_key(client, tenants: Tenants, email: str = "owner@a.example", workspace: str = "ws-a", **fields) -> dict:
    body = {"name": "ci", "workspaceId": tenants.pm_workspace_id(workspace), **fields}
    response = client.post("/api/v1/api-keys", json=body, cookies=tenants.pm_session(email))
    assert response.status_code == 201, response.text
    return response.json()


def bearer(key: str) -> dict:
    return {"Authorization": f"Bearer {key}"}


def assert_error(response, status: int) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert isinstance(body.get("error"), str) and body["error"]
    return body
