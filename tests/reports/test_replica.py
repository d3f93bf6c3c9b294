"""With REPLICA_DATABASE_URL set, the officials' figures are read from the replica (a second
alias on the same server here) and the statistics engine keeps to the primary. Run in a process
of its own, as a deployment with a replica starts."""

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings

from accounts.models import Role
from accounts.services import unit_role_grant
from courses import services
from reports.stats import stats_full_rebuild
from tests.accounts.factories import UserFactory
from tests.courses.factories import course_build
from units.models import Unit

SCRIPT = """
import json
import django
django.setup()
from django.db import connections
from django.test.utils import CaptureQueriesContext, setup_test_environment
setup_test_environment()
from django.test import Client
from accounts.models import User
from accounts.services import session_second_factor_mark
from reports.stats import stats_incremental

client = Client()
client.force_login(User.objects.get(email="canbo.tp@example.com"))
session = client.session
session_second_factor_mark(session=session)
session.save()
with CaptureQueriesContext(connections["default"]) as primary, CaptureQueriesContext(
    connections["replica"]
) as replica:
    status = client.get("/reports/units/31/").status_code
with CaptureQueriesContext(connections["replica"]) as engine_on_replica:
    stats_incremental()
print(json.dumps({
    "status": status,
    "primary": [q["sql"] for q in primary.captured_queries],
    "replica": [q["sql"] for q in replica.captured_queries],
    "engine_on_replica": len(engine_on_replica.captured_queries),
}))
"""


def database_url() -> str:
    from django.db import connection

    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    host, port = db.get("HOST") or "127.0.0.1", db.get("PORT") or 5432
    return f"postgres://{db['USER']}@{host}:{port}/{db['NAME']}"


@pytest.mark.django_db(transaction=True)
def test_report_figures_come_from_the_replica_and_the_engine_keeps_to_the_primary(units_tx):
    official = UserFactory(email="canbo.tp@example.com")
    unit_role_grant(user=official, role=Role.OFFICIAL, unit=Unit.objects.get(code="31"))
    course = course_build(quiz=False, modules=1, lessons_per_module=1)
    learner = UserFactory()
    services.enrollment_create(user=learner, course=course)
    services.lesson_complete(user=learner, lesson=course.lessons.get())
    stats_full_rebuild()

    url = database_url()
    env = {**os.environ, "DATABASE_URL": url, "REPLICA_DATABASE_URL": url, "DEBUG": "0"}
    env["DJANGO_SETTINGS_MODULE"] = "platform_app.settings"
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        env=env,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    assert figures["status"] == 200
    on_replica = " ".join(figures["replica"])
    assert "reports_unitstat" in on_replica and "reports_statsrun" in on_replica
    on_primary = " ".join(figures["primary"])
    assert "reports_unitstat" not in on_primary and "reports_dailystat" not in on_primary
    assert figures["engine_on_replica"] == 0
