"""`make bench-load`: the site under simulated learners and officials, measured by locust.

Starts gunicorn (as the Dockerfile runs it), a Celery worker and beat on this machine's
configured database and broker, runs locust headless on the loopback for a fixed time, prints
each address's p50/p95/p99, requests per second and errors, then checks that the statistics
the engine computed meanwhile equal a direct recount from the source rows.
"""

import csv
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.utils import timezone

from reports.models import StatsRun
from units.models import Unit

from ..bench.learner_pages import Gunicorn, database_url
from ..bench.on_request import on_request_report, precomputed_report
from .people import people_prepare

LOCUSTFILE = Path(__file__).with_name("locustfile.py")


class Background:
    """A Celery worker or beat process for the run."""

    def __init__(self, *arguments: str, env: dict):
        command = [sys.executable, "-m", "celery", "-A", "platform_app", *arguments]
        self.process = subprocess.Popen(
            [*command, "--loglevel=WARNING"], env=env, cwd=settings.BASE_DIR
        )

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()


def server_env() -> dict:
    return {**os.environ, "DATABASE_URL": database_url(), "DEBUG": "0"}


def locust_run(
    *,
    port: int,
    people: dict,
    users: int,
    seconds: int,
    think: tuple[float, float],
    csv_dir: str,
    ramp_s: float = 60,
) -> dict[str, dict]:
    """`seconds` of steady state after `ramp_s` in which the people arrive (a log-in costs
    ~0.25 s of CPU, by design); the figures cover the steady state."""
    env = {
        **os.environ,
        "BENCH_COURSES": ",".join(people["courses"]),
        "BENCH_COMMUNES": ",".join(people["communes"]),
        "BENCH_CITY": people["city"],
        "BENCH_THINK_MIN": str(think[0]),
        "BENCH_THINK_MAX": str(think[1]),
        "PYTHONPATH": str(settings.BASE_DIR),
        "BENCH_LOG_IN_REPORT": str(Path(csv_dir) / "log-ins.json"),
    }
    prefix = str(Path(csv_dir) / "load")
    command = [
        sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless",
        "--users", str(users), "--spawn-rate", str(max(1.0, users / ramp_s)), "--reset-stats",
        "--run-time", f"{round(seconds + ramp_s)}s", "--host", f"http://127.0.0.1:{port}",
        "--csv", prefix, "--only-summary", "--loglevel", "WARNING", "--exit-code-on-error", "0",
    ]  # fmt: skip
    timeout = seconds + ramp_s + 300
    finished = subprocess.run(command, env=env, cwd=settings.BASE_DIR, timeout=timeout)
    if finished.returncode != 0:
        raise RuntimeError(f"locust ended with status {finished.returncode}")
    rows = stats_read(f"{prefix}_stats.csv")
    with open(f"{prefix}_failures.csv", newline="") as handle:
        failures = [
            f"{r['Name']}: {r['Error']} ({r['Occurrences']}×)" for r in csv.DictReader(handle)
        ]
    refused = json.loads((Path(csv_dir) / "log-ins.json").read_text())
    rows["Aggregated"]["failure_messages"] = failures
    rows["Aggregated"]["log_ins_refused"] = len(refused)
    return rows


def stats_read(path: str) -> dict[str, dict]:
    """Locust's per-address summary: requests, failures, p50/p95/p99 (ms), requests/s."""
    rows = {}
    with open(path, newline="") as handle:
        for row in csv.DictReader(handle):
            if row["Request Count"] == "0":  # asked only while people arrived
                continue
            rows[row["Name"]] = {
                "requests": int(row["Request Count"]),
                "failures": int(row["Failure Count"]),
                "p50_ms": float(row["50%"]),
                "p95_ms": float(row["95%"]),
                "p99_ms": float(row["99%"]),
                "rps": round(float(row["Requests/s"]), 1),
            }
    return rows


def statistics_check(*, city_code: str, since, timeout: float = 120) -> bool:
    """Wait for beat's next run after the load, then the city's figures against a recount."""
    deadline = time.monotonic() + timeout
    while not StatsRun.objects.filter(checked_at__gte=since, failed_at__isnull=True).exists():
        if time.monotonic() > deadline:
            raise RuntimeError(f"no statistics run finished within {timeout:.0f} s of the load")
        time.sleep(1)
    city = Unit.objects.get(code=city_code)
    return precomputed_report(unit=city) == on_request_report(unit=city)


def load_run(
    *, users: int, seconds: int, think: tuple[float, float], learners: int, officials: int
) -> dict:
    people = people_prepare(learners=max(learners, users), officials=officials)
    env = server_env()
    connection.close()
    schedule_dir = tempfile.mkdtemp(prefix="beat-")
    worker = Background("worker", "--concurrency", "1", env=env)
    beat = Background("beat", "--pidfile", str(Path(schedule_dir) / "beat.pid"), env=env)
    try:
        with Gunicorn() as server, tempfile.TemporaryDirectory() as csv_dir:
            rows = locust_run(
                port=server.port,
                people=people,
                users=users,
                seconds=seconds,
                think=think,
                csv_dir=csv_dir,
            )
        ended = timezone.now()
        equal = statistics_check(city_code=people["city"], since=ended)
    finally:
        beat.stop()
        worker.stop()
    total = rows.pop("Aggregated")
    return {"users": users, "seconds": seconds, "think_s": list(think), "total": total,
            "pages": rows, "statistics_equal_recount": equal}  # fmt: skip


def saturation_run(*, steps: list[int], seconds: int, think_mean: float) -> dict:
    """Without think time, more and more simulated people: the highest requests/s whose p95
    stays under 500 ms, and how many people with a person's think time that rate serves."""
    people = people_prepare(learners=max(steps), officials=max(1, max(steps) // 50))
    measured = []
    connection.close()
    with Gunicorn() as server, tempfile.TemporaryDirectory() as csv_dir:
        for users in steps:
            total = locust_run(
                port=server.port,
                people=people,
                users=users,
                seconds=seconds,
                think=(0, 0),
                csv_dir=csv_dir,
                ramp_s=5,
            )["Aggregated"]
            measured.append({"users": users, **total})
    under = [step for step in measured if step["p95_ms"] < 500 and step["failures"] == 0]
    best = max(under, key=lambda step: step["rps"]) if under else None
    return {
        "steps": measured,
        "saturation_rps": best["rps"] if best else None,
        "saturation_learners": round(best["rps"] * think_mean) if best else None,
        "think_mean_s": think_mean,
    }
