"""`make run` on a port of its own: an imported learner's invitation, sent by the worker, links
to the address actually served, and the link opens the set-password page."""

import os
import re
import signal
import subprocess
import urllib.request
from pathlib import Path

import pytest

from tests.faults import free_port
from tests.waiting import wait_until

ROOT = Path(__file__).resolve().parents[2]
LEARNERS = "Họ và tên,Email,Đối tượng,Mã đơn vị\nPhạm Thị Mời,moi.hoc@example.vn,Người dân,11311\n"


def wait_for(predicate, *, seconds: float, what: str):
    return wait_until(
        predicate,
        timeout=seconds,
        message=f"{what} did not happen within {seconds:.0f} s",
        interval=0.5,
    )


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


@pytest.mark.e2e
def test_make_run_serves_its_port_and_the_emailed_link_works(tmp_path):
    port = free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "SITE_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(VAR_DIR=str(tmp_path / "var"), PORT=str(port), PYTHONUNBUFFERED="1")
    log = open(tmp_path / "make-run.log", "w+")  # noqa: SIM115 - read while the server runs
    server = subprocess.Popen(
        ["make", "run"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_for(lambda: answers(f"http://127.0.0.1:{port}/"), seconds=180, what="make run")
        learners = tmp_path / "hoc-vien.csv"
        learners.write_text(LEARNERS, encoding="utf-8")
        imported = subprocess.run(
            [str(ROOT / ".venv/bin/python"), "manage.py", "import_learners", str(learners)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert imported.returncode == 0, imported.stdout + imported.stderr

        def emailed_link():
            log.seek(0)
            found = re.search(r"http://\S+/accounts/password/reset/key/\S+/", log.read())
            return found.group(0) if found else None

        link = wait_for(emailed_link, seconds=60, what="the invitation email")
        assert link.startswith(f"http://127.0.0.1:{port}/")
        browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
        with browser.open(link, timeout=10) as response:
            page = response.read().decode()
        assert response.status == 200 and 'name="password1"' in page
    finally:
        os.killpg(server.pid, signal.SIGINT)  # Ctrl-C, as the README says
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(10)
        log.close()
