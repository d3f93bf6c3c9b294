"""`make test` fails on a locked dependency with a known, fixed vulnerability, and says plainly
when the advisory database could not be reached instead of passing in silence."""

import importlib.util
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "audit_dependencies.py"
spec = importlib.util.spec_from_file_location("audit_dependencies", SCRIPT)
audit = importlib.util.module_from_spec(spec)
spec.loader.exec_module(audit)


def test_a_fixed_vulnerability_fails_the_build():
    report = {
        "dependencies": [
            {
                "name": "django",
                "version": "5.2.0",
                "vulns": [
                    {"id": "PYSEC-2025-1", "fix_versions": ["5.2.1"]},
                ],
            },
            {"name": "celery", "version": "5.7.0", "vulns": []},
        ]
    }
    status, lines = audit.verdict(report)
    assert status == 1
    assert "django 5.2.0: PYSEC-2025-1 fixed in 5.2.1" in lines
    assert lines[-1] == (
        "dependency audit: 2 packages checked, 1 known vulnerabilities, 1 with a fix"
    )


def test_a_vulnerability_without_a_fix_is_shown_but_does_not_fail():
    report = {
        "dependencies": [
            {"name": "six", "version": "1.17.0", "vulns": [{"id": "GHSA-x", "fix_versions": []}]}
        ]
    }
    status, lines = audit.verdict(report)
    assert status == 0 and lines[0] == "six 1.17.0: GHSA-x no fixed release yet"


def test_without_the_database_the_audit_says_it_was_skipped():
    offline = {"dependencies": [{"name": "amqp", "skip_reason": "not found"}], "fixes": []}
    assert audit.verdict(offline) == (
        0,
        [
            "dependency audit skipped: no package could be looked up in the advisory database "
            "(1 locked packages)"
        ],
    )
    status, lines = audit.verdict(None)
    assert status == 0 and "skipped" in lines[0]
