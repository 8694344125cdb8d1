from tests.support import backlex_org, new_intent


def test_both_apis_answer_at_native_paths(client, tenants):
    assert client.get("/api/orgs", cookies=tenants.bx_session()).status_code == 200
    assert client.get("/api/v1/intents", headers=tenants.pm_headers()).status_code == 200
    intent = new_intent(client, tenants)
    assert client.get(f"/api/v1/intents/{intent['id']}", headers=tenants.pm_headers()).json() == intent
    org = backlex_org(client, tenants, members={"viewer@a.example": "viewer"})
    overview = client.get(f"/api/org/{org['slug']}/overview", cookies=tenants.bx_session("viewer@a.example"))
    assert overview.status_code == 200 and overview.json()["role"] == "viewer"
