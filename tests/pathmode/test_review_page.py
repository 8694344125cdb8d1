"""The public review page of a shared intent: GET /review/{token} (outside the API paths)."""

from __future__ import annotations

import os
import shutil

import pytest

from tests.pathmode import _part2
from tests.pathmode._part2 import random_id
from tests.support import new_intent

live_server = _part2.live_server  # fixture: the app on a real socket
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
SPEC = {
    "title": "Add password reset",
    "objective": "Let users recover access without contacting support",
    "outcomes": ["Users can reset password from the login screen", "Reset email arrives within a minute"],
    "constraints": ["Tokens expire after one hour"],
    "edgeCases": [{"scenario": "Expired token", "expectedBehavior": "Show an expiry message"}],
}


def shared_intent(client, tenants, **fields):
    intent = new_intent(client, tenants, **{**SPEC, **fields})
    response = client.post(f"/api/v1/intents/{intent['id']}/share", headers=tenants.pm_headers())
    assert response.status_code == 200, response.text
    return intent, response.json()["token"]


def test_page_shows_the_intent_without_login(client, tenants):
    """The issue: "a read-only HTML page of the intent (title, objective, outcomes, edge cases,
    constraints, status) at /review/{token} ... no login"."""
    _, token = shared_intent(client, tenants)
    response = client.get(f"/review/{token}")  # no cookie, no key
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    for text in ("Add password reset", "Let users recover access without contacting support",
                 "Users can reset password from the login screen", "Reset email arrives within a minute",
                 "Expired token", "Show an expiry message", "Tokens expire after one hour", ">draft<"):
        assert text in response.text


def test_page_escapes_intent_text(client, tenants):
    """Intent text is user content on a public page: it is shown, never run."""
    _, token = shared_intent(client, tenants, title="<script>alert(1)</script> reset")
    page = client.get(f"/review/{token}").text
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt; reset" in page


def test_page_is_read_only(client, tenants):
    """Read-only: the page route answers GET only."""
    _, token = shared_intent(client, tenants)
    assert client.post(f"/review/{token}").status_code == 405


def test_revoked_or_unknown_token_is_404(client, tenants):
    """The issue: "A revoked or unknown token is 404." """
    intent, token = shared_intent(client, tenants)
    assert client.get(f"/review/{random_id()}").status_code == 404
    assert client.delete(f"/api/v1/intents/{intent['id']}/share", headers=tenants.pm_headers()).status_code == 200
    gone = client.get(f"/review/{token}")
    assert gone.status_code == 404 and "Add password reset" not in gone.text
    assert "Review link not found" in gone.text


def test_page_follows_the_intent(client, tenants):
    """The page reads the intent as it is now (a later edit shows, no stale copy)."""
    intent, token = shared_intent(client, tenants)
    client.patch(f"/api/v1/intents/{intent['id']}", json={"title": "Password reset, take two"},
                 headers=tenants.pm_headers())
    assert "Password reset, take two" in client.get(f"/review/{token}").text


@pytest.fixture
def browser(monkeypatch):
    if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
        pytest.skip(f"headless Chromium test needs Debian's chromium and chromium-driver ({CHROMIUM}, "
                    f"{CHROMEDRIVER}); scripts/test.sh installs them when run as root with apt")
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    monkeypatch.setenv("SE_OFFLINE", "true")  # never let Selenium Manager download anything
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"):
        options.add_argument(argument)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=shutil.which("chromedriver")
                                                               or CHROMEDRIVER))
    yield driver
    driver.quit()


def test_reader_sees_the_intent_in_chromium(client, tenants, live_server, browser):
    """Headless Chromium opens the review link and reads what a person would see."""
    from selenium.webdriver.common.by import By

    intent, token = shared_intent(client, tenants)
    browser.get(f"{live_server}/review/{token}")
    assert browser.title == "Add password reset · Pathmode review"
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"
    main = browser.find_element(By.TAG_NAME, "main")
    assert main.find_element(By.TAG_NAME, "h1").text == "Add password reset"
    assert browser.find_element(By.CSS_SELECTOR, "[data-testid=status]").text == "draft"
    assert browser.find_element(By.CSS_SELECTOR, "[data-testid=objective]").text == SPEC["objective"]
    outcomes = [li.text for li in browser.find_elements(By.CSS_SELECTOR, "[data-testid=outcomes] li")]
    assert outcomes == SPEC["outcomes"]
    assert [dt.text for dt in browser.find_elements(By.CSS_SELECTOR, "[data-testid=edge-cases] dt")] == ["Expired token"]
    assert [dd.text for dd in browser.find_elements(By.CSS_SELECTOR, "[data-testid=edge-cases] dd")] == [
        "Show an expiry message"]
    assert [li.text for li in browser.find_elements(By.CSS_SELECTOR, "[data-testid=constraints] li")] == SPEC[
        "constraints"]
    headings = [h.text for h in browser.find_elements(By.TAG_NAME, "h2")]
    assert headings == ["Objective", "Outcomes", "Edge cases", "Constraints"]
    assert not browser.find_elements(By.TAG_NAME, "form") and not browser.find_elements(By.TAG_NAME, "button")

    client.delete(f"/api/v1/intents/{intent['id']}/share", headers=tenants.pm_headers())
    browser.get(f"{live_server}/review/{token}")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Review link not found"
