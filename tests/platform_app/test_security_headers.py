"""Every kind of response carries the security headers: pages, errors, refusals, files, JSON."""

import json

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path",
    ["/", "/courses/", "/accounts/login/", "/healthz", "/khong-co/", "/verify/%00", "/admin/"],
)
def test_every_response_carries_the_policy(client, units, path):
    response = client.get(path)
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy and "report-uri /csp-report/" in policy
    assert "camera=()" in response["Permissions-Policy"]
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


def test_a_violation_report_is_logged(client, caplog):
    report = {
        "csp-report": {
            "document-uri": "https://hocvuso.example/courses/",
            "violated-directive": "script-src 'self'",
            "blocked-uri": "inline",
        }
    }
    response = client.post(
        "/csp-report/", json.dumps(report), content_type="application/csp-report"
    )
    assert response.status_code == 204
    logged = "CSP violation: script-src 'self' blocked inline on https://hocvuso.example/courses/"
    assert logged in caplog.text
