"""Known vulnerabilities in the locked dependencies (pip-audit against PyPI's advisory data).

Fails when a locked version has a known vulnerability that a newer release fixes. Without a
connection to the advisory database it says so and passes: the check is then skipped, not met.
"""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements-dev.lock"  # the runtime lock's packages are all in it


def pip_audit_report(lock: Path) -> dict | None:
    command = [
        sys.executable,
        "-m",
        "pip_audit",
        "--requirement",
        str(lock),
        "--require-hashes",
        "--disable-pip",
        "--progress-spinner",
        "off",
        "--format",
        "json",
        "--timeout",
        "10",
    ]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    try:
        return json.loads(done.stdout)
    except json.JSONDecodeError:
        return None


def verdict(report: dict | None) -> tuple[int, list[str]]:
    """Exit status and the lines to print for a pip-audit JSON report."""
    if report is None:
        return 0, ["dependency audit skipped: pip-audit could not reach its advisory database"]
    dependencies = report.get("dependencies", [])
    audited = [d for d in dependencies if "skip_reason" not in d]
    if not audited:
        return 0, [
            "dependency audit skipped: no package could be looked up in the advisory database "
            f"({len(dependencies)} locked packages)"
        ]
    lines, fixable = [], 0
    for dependency in audited:
        for vulnerability in dependency.get("vulns", []):
            fixes = vulnerability.get("fix_versions") or []
            fixable += bool(fixes)
            lines.append(
                f"{dependency['name']} {dependency['version']}: {vulnerability['id']} "
                + (f"fixed in {', '.join(fixes)}" if fixes else "no fixed release yet")
            )
    skipped = len(dependencies) - len(audited)
    lines.append(
        f"dependency audit: {len(audited)} packages checked"
        + (f", {skipped} not found in the database" if skipped else "")
        + f", {len(lines)} known vulnerabilities, {fixable} with a fix"
    )
    return (1 if fixable else 0), lines


def main() -> int:
    status, lines = verdict(pip_audit_report(LOCK))
    for line in lines:
        print(line)
    return status


if __name__ == "__main__":
    sys.exit(main())
