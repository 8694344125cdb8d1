"""Custom domains: validation, uniqueness across orgs, DNS TXT verification through the resolver."""

from __future__ import annotations

import pytest

from handlers.backlex import _dns
from tests.backlex.project_helpers import as_role, create_project, org_a, org_b


@pytest.fixture
def fake_dns():
    resolver = _dns.StaticResolver()
    _dns.install(resolver)
    yield resolver
    _dns.install(None)


@pytest.fixture
def path(client, tenants):
    org = org_a(client, tenants)
    create_project(client, tenants, org["slug"])
    return f"/api/org/{org['slug']}/projects/storefront/domains"


def add(client, tenants, path, hostname):
    return client.post(path, json={"hostname": hostname}, cookies=as_role(tenants, "developer"))


def test_add_normalises_and_starts_pending(client, tenants, path):
    response = add(client, tenants, path, "Shop.Example.COM.")
    assert response.status_code == 201, response.text
    domain = response.json()["domain"]
    assert domain["hostname"] == "shop.example.com"
    assert domain["status"] == "pending"
    assert domain["verification"]["type"] == "TXT"
    assert domain["verification"]["name"] == "_backlex-challenge.shop.example.com"
    assert domain["verification"]["value"].startswith("bx-verify-")
    listed = client.get(path, cookies=as_role(tenants, "viewer")).json()["domains"]
    assert [d["id"] for d in listed] == [domain["id"]]


@pytest.mark.parametrize("hostname", ["localhost", "exa mple.com", "-bad.example.com", "bad-.example.com",
                                      "a..example.com", "1.2.3.4", "example.123", "x" * 64 + ".com",
                                      "under_score.example.com", " shop.example.com", "localhost."])
def test_invalid_hostnames_are_422(client, tenants, path, hostname):
    response = add(client, tenants, path, hostname)
    assert response.status_code == 422, hostname
    assert response.json()["error"]["code"] == "VALIDATION"


def _org_b_project_domains(client, tenants) -> str:
    other = org_b(client, tenants)
    response = client.post(f"/api/org/{other['slug']}/projects", json={"name": "Other"},
                           cookies=tenants.bx_session("owner@b.example"))
    assert response.status_code == 201
    return f"/api/org/{other['slug']}/projects/other/domains"


def test_hostname_once_per_org_in_every_spelling(client, tenants, path):
    assert add(client, tenants, path, "shop.example.com").status_code == 201
    for variant in ("SHOP.example.com", "shop.example.com.", "Shop.Example.Com."):
        again = add(client, tenants, path, variant)
        assert again.status_code == 409, variant
        assert again.json()["error"]["message"] == "This hostname is already connected to a project of this organization"


def test_a_pending_claim_does_not_block_another_org(client, tenants, path):
    """Org A's unverified claim of a name cannot squat it: org B adds it too (any spelling),
    and nothing B is told mentions A."""
    assert add(client, tenants, path, "shop.tenant-b-brand.example").status_code == 201
    b_path = _org_b_project_domains(client, tenants)
    response = client.post(b_path, json={"hostname": "SHOP.tenant-b-brand.example."},
                           cookies=tenants.bx_session("owner@b.example"))
    assert response.status_code == 201, response.text
    domain = response.json()["domain"]
    assert domain["hostname"] == "shop.tenant-b-brand.example" and domain["status"] == "pending"
    assert "org" not in response.text.lower().replace("/org/", "")


def test_the_first_org_to_verify_holds_the_name(client, tenants, path, fake_dns):
    a_domain = add(client, tenants, path, "shop.example.com").json()["domain"]
    b_path = _org_b_project_domains(client, tenants)
    b_owner = tenants.bx_session("owner@b.example")
    b_domain = client.post(b_path, json={"hostname": "shop.example.com"}, cookies=b_owner).json()["domain"]
    record = "_backlex-challenge.shop.example.com"
    fake_dns.records[record] = [b_domain["verification"]["value"]]  # B controls the DNS
    b_verified = client.post(f"{b_path}/{b_domain['id']}/verify", cookies=b_owner).json()["domain"]
    assert b_verified["status"] == "verified"
    fake_dns.records[record] = [a_domain["verification"]["value"], b_domain["verification"]["value"]]
    a_after = client.post(f"{path}/{a_domain['id']}/verify", cookies=as_role(tenants)).json()["domain"]
    assert a_after["status"] == "pending"
    assert a_after["reason"] == "This hostname cannot be verified for this project; contact support if you control its DNS"
    assert b_domain["id"] not in str(a_after) and "Other" not in str(a_after)
    # B gives the name up: A's pending claim can now be verified
    assert client.delete(f"{b_path}/{b_domain['id']}", cookies=b_owner).status_code == 200
    a_final = client.post(f"{path}/{a_domain['id']}/verify", cookies=as_role(tenants)).json()["domain"]
    assert a_final["status"] == "verified"


def test_two_verified_claims_cannot_be_stored(client, tenants, database):
    """The partial unique index backs the rule up, whatever a handler does."""
    import peewee

    from handlers.backlex.store import Domain
    from spec_server import clock
    from tests.backlex.org_helpers import make_project

    projects = [make_project(org_a(client, tenants), "p1"), make_project(org_b(client, tenants), "p2")]
    with database.connection_context():
        rows = [Domain.create(project=project, hostname="x.example.com", token="t", status="pending",
                              created_at=clock.now_ms()) for project in projects]
        Domain.update(status="verified").where(Domain.id == rows[0].id).execute()
        with pytest.raises(peewee.IntegrityError), database.atomic():
            Domain.update(status="verified").where(Domain.id == rows[1].id).execute()


def test_verify_with_matching_txt_record(client, tenants, path, fake_dns):
    domain = add(client, tenants, path, "shop.example.com").json()["domain"]
    fake_dns.records["_backlex-challenge.shop.example.com"] = ["unrelated", domain["verification"]["value"]]
    response = client.post(f"{path}/{domain['id']}/verify", cookies=as_role(tenants, "developer"))
    assert response.status_code == 200
    verified = response.json()["domain"]
    assert verified["status"] == "verified" and verified["verifiedAt"] and verified["reason"] is None


def test_verify_without_record_stays_pending_with_reason(client, tenants, path, fake_dns):
    domain = add(client, tenants, path, "shop.example.com").json()["domain"]
    pending = client.post(f"{path}/{domain['id']}/verify", cookies=as_role(tenants)).json()["domain"]
    assert pending["status"] == "pending"
    assert "no TXT record" in pending["reason"] and domain["verification"]["value"] in pending["reason"]
    fake_dns.records["_backlex-challenge.shop.example.com"] = ["bx-verify-wrong"]
    wrong = client.post(f"{path}/{domain['id']}/verify", cookies=as_role(tenants)).json()["domain"]
    assert wrong["status"] == "pending" and "does not contain" in wrong["reason"]
    assert wrong["checkedAt"] is not None


def test_delete_frees_the_hostname(client, tenants, path):
    domain = add(client, tenants, path, "shop.example.com").json()["domain"]
    assert client.delete(f"{path}/{domain['id']}", cookies=as_role(tenants, "developer")).json() == {"ok": True}
    assert client.get(path, cookies=as_role(tenants)).json()["domains"] == []
    assert add(client, tenants, path, "shop.example.com").status_code == 201


def test_deleting_the_project_frees_its_hostnames(client, tenants, path):
    add(client, tenants, path, "shop.example.com")
    org_path = path.rsplit("/projects/", 1)[0]
    client.delete(f"{org_path}/projects/storefront", cookies=as_role(tenants))
    create_project(client, tenants, org_path.rsplit("/", 1)[1], name="Storefront")
    assert add(client, tenants, path, "shop.example.com").status_code == 201


def test_unknown_domain_is_404(client, tenants, path):
    assert client.post(f"{path}/nope/verify", cookies=as_role(tenants)).status_code == 404
    assert client.delete(f"{path}/nope", cookies=as_role(tenants)).status_code == 404


def test_system_resolver_is_the_default():
    _dns.install(None)
    assert isinstance(_dns.resolver(), _dns.SystemResolver)
