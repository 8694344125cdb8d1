"""SSO: per-type validation (422), secrets never returned, URLs from the public base, disable."""

from __future__ import annotations

from tests.backlex.org_helpers import team_org

OIDC = {"type": "oidc", "emailDomain": "Acme.example",
        "config": {"issuer": "https://idp.acme.example", "clientId": "backlex", "clientSecret": "s3cret-value"}}


def put(client, tenants, org, body, who="owner@a.example"):
    return client.put(f"/api/org/{org['slug']}/sso", json=body, cookies=tenants.bx_session(who))


def get(client, tenants, org, who="owner@a.example"):
    response = client.get(f"/api/org/{org['slug']}/sso", cookies=tenants.bx_session(who))
    assert response.status_code == 200, response.text
    return response.json()


def test_unconfigured_sso_has_null_config_and_urls(client, tenants, settings):
    org = team_org(client, tenants)
    body = get(client, tenants, org, who="admin@a.example")
    assert body["sso"] is None
    base = settings.public_base_url
    assert body["urls"]["oidcRedirectUri"] == f"{base}/api/auth/sso/{org['slug']}/oidc/callback"
    assert body["urls"]["samlAcsUrl"] == f"{base}/api/auth/sso/{org['slug']}/saml/acs"
    assert all(url.startswith(base) for url in body["urls"].values())


def test_urls_follow_the_public_base_url(client, tenants, settings, monkeypatch):
    org = team_org(client, tenants)
    monkeypatch.setattr(settings, "public_base_url", "https://cloud.example.com")
    urls = get(client, tenants, org)["urls"]
    assert urls["loginUrl"] == f"https://cloud.example.com/api/auth/sso/{org['slug']}/login"


def test_oidc_config_is_stored_without_ever_returning_the_secret(client, tenants):
    org = team_org(client, tenants)
    response = put(client, tenants, org, OIDC)
    assert response.status_code == 200, response.text
    sso = response.json()["sso"]
    assert sso["type"] == "oidc" and sso["enabled"] is True and sso["emailDomain"] == "acme.example"
    assert sso["config"]["issuer"] == "https://idp.acme.example" and sso["config"]["clientSecretSet"] is True
    assert "s3cret-value" not in response.text
    assert "s3cret-value" not in str(get(client, tenants, org))
    audit = client.get(f"/api/org/{org['slug']}/audit", cookies=tenants.bx_session()).text
    assert "s3cret-value" not in audit


def test_oidc_missing_fields_are_422_each_named(client, tenants):
    org = team_org(client, tenants)
    response = put(client, tenants, org, {"type": "oidc", "config": {"issuer": "https://idp.example"}})
    assert response.status_code == 422
    fields = response.json()["error"]["details"]["fieldErrors"]
    assert set(fields) == {"config.clientId", "config.clientSecret"}
    assert put(client, tenants, org, {"type": "oidc", "config": {**OIDC["config"], "issuer": "not a url"}}
               ).status_code == 422


def test_updating_oidc_without_the_secret_keeps_it(client, tenants):
    org = team_org(client, tenants)
    put(client, tenants, org, OIDC)
    response = put(client, tenants, org, {"type": "oidc", "config": {"issuer": "https://idp2.example",
                                                                       "clientId": "other"}})
    assert response.status_code == 200
    assert response.json()["sso"]["config"] == {"issuer": "https://idp2.example", "clientId": "other",
                                                "clientSecretSet": True}


def test_saml_needs_metadata_url_or_xml(client, tenants):
    org = team_org(client, tenants)
    missing = put(client, tenants, org, {"type": "saml", "config": {}})
    assert missing.status_code == 422
    assert "config.metadataUrl" in missing.json()["error"]["details"]["fieldErrors"]
    by_xml = put(client, tenants, org, {"type": "saml", "config": {"metadataXml": "<EntityDescriptor/>"}})
    assert by_xml.status_code == 200 and by_xml.json()["sso"]["config"]["metadataXml"] == "<EntityDescriptor/>"
    by_url = put(client, tenants, org, {"type": "saml", "config": {"metadataUrl": "https://idp.example/md"}})
    assert by_url.status_code == 200 and by_url.json()["sso"]["type"] == "saml"


def test_bad_email_domain_is_422(client, tenants):
    org = team_org(client, tenants)
    response = put(client, tenants, org, {**OIDC, "emailDomain": "not a domain"})
    assert response.status_code == 422
    assert "emailDomain" in response.json()["error"]["details"]["fieldErrors"]


def test_unknown_type_is_422(client, tenants):
    org = team_org(client, tenants)
    assert put(client, tenants, org, {"type": "ldap"}).status_code == 422


def test_delete_disables_sso(client, tenants):
    org = team_org(client, tenants)
    put(client, tenants, org, OIDC)
    response = client.delete(f"/api/org/{org['slug']}/sso", cookies=tenants.bx_session())
    assert response.status_code == 200 and response.json() == {"ok": True}
    assert get(client, tenants, org)["sso"]["enabled"] is False


def test_only_owners_change_sso(client, tenants):
    org = team_org(client, tenants)
    assert put(client, tenants, org, OIDC, who="admin@a.example").status_code == 403
    assert client.delete(f"/api/org/{org['slug']}/sso",
                         cookies=tenants.bx_session("admin@a.example")).status_code == 403
