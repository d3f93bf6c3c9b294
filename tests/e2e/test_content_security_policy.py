"""The policy is enforced by a real browser: an injected inline script never runs, a picture
from another site never loads, and the e2e watcher (conftest.CspWatchedBrowser) sees both."""

import pytest

pytestmark = pytest.mark.e2e

INJECT_SCRIPT = """() => {
    const script = document.createElement("script");
    script.textContent = "window.injected = true;";
    document.body.appendChild(script);
}"""
INJECT_PICTURE = """() => {
    const picture = document.createElement("img");
    picture.src = "https://tracker.example/pixel.png";
    document.body.appendChild(picture);
}"""


def violation(directive: str):
    return lambda message: message.text.startswith("CSP violation: " + directive)


def test_injected_script_and_foreign_picture_are_blocked_and_reported(page, browser, units_tx):
    response = page.goto("/")
    policy = response.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy

    with page.expect_console_message(violation("script-src")):
        page.evaluate(INJECT_SCRIPT)
    assert page.evaluate("() => window.injected === true") is False
    with page.expect_console_message(violation("img-src")):
        page.evaluate(INJECT_PICTURE)

    assert any(text.startswith("CSP violation: script-src") for text in browser.violations)
    browser.violations.clear()  # expected here; every other journey must have none
