"""Exports that always finish or say why: a lost message is sent again by the sweeper, a job
is built once whatever the deliveries, and no file is left behind without its job. Through the
real broker and the test's real worker."""

import os
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import connection
from django.urls import reverse
from django.utils import timezone, translation

from platform_app.celery import app
from reports import exports, tasks
from reports.exports import ERROR_BUILD
from reports.models import ExportJob
from tests.accounts.factories import sign_in
from tests.reports.factories import COMMUNE_A, HAI_PHONG, official_of, stat_create
from tests.waiting import wait_until
from units.models import Unit

pytestmark = pytest.mark.celery


@pytest.fixture
def private_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVATE_ROOT = tmp_path / "private"
    return settings.PRIVATE_ROOT


@pytest.fixture
def stats(units_tx):
    stat_create(HAI_PHONG, learners=600, enrolled=520, started=450, completed=390, certified=380)
    stat_create(COMMUNE_A, learners=211, enrolled=200, started=180, completed=150, certified=149)


def stored_files(root: Path) -> list[Path]:
    return sorted(path for path in Path(root).rglob("*") if path.is_file())


def finished(job: ExportJob, *, timeout: float = 30) -> ExportJob:
    def done():
        job.refresh_from_db()
        return job.status in (ExportJob.Status.DONE, ExportJob.Status.FAILED)

    wait_until(done, timeout=timeout, message=lambda: f"export {job.pk} still {job.status}")
    return job


def backdate(job: ExportJob, **ago) -> None:
    """As if the job had been waiting that long (no sleeping in tests)."""
    ExportJob.objects.filter(pk=job.pk).update(
        **{field: timezone.now() - delta for field, delta in ago.items()}
    )


def purge(queue: str) -> int:
    """Empty the queue as a broker restart without persistence does (app.control.purge()
    would not: in this process the stopped worker has deselected the queue)."""
    with app.connection_for_write() as connection:
        return connection.default_channel.queue_purge(queue) or 0


def test_an_export_whose_message_was_lost_is_built_once_the_worker_is_back(
    client, celery_worker, stats, private_root
):
    official = official_of(HAI_PHONG)
    sign_in(client, official)
    queue = app.amqp.router.route({}, tasks.export_build.name)["queue"].name  # "exports"
    stopped = app.control.cancel_consumer(
        queue, destination=[celery_worker.hostname], reply=True, timeout=5
    )
    assert stopped, "the worker did not stop consuming"
    try:
        response = client.post(
            reverse("reports:export_create", args=[HAI_PHONG]), {"file_format": "csv"}
        )
        assert response.status_code == 302
        job = ExportJob.objects.get()
        # The broker restarts while the worker is down: the message is lost. (A message the
        # worker was popping as it stopped goes back to the queue a moment later.)
        lost = []
        wait_until(
            lambda: lost.append(purge(queue)) or sum(lost),
            timeout=10,
            message="the message never reached the broker's queue",
        )
        assert sum(lost) == 1
    finally:
        app.control.add_consumer(queue, destination=[celery_worker.hostname], reply=True, timeout=5)

    # Nobody picked it up for three minutes: the official is told, in their language.
    backdate(job, created_at=timedelta(minutes=3, seconds=5))
    client.cookies["django_language"] = "en"
    html = client.get(reverse("reports:export", args=[job.pk])).content.decode()
    assert "Waiting for the server to process it" in html and "waited 3 minutes" in html
    client.cookies["django_language"] = "vi"
    html = client.get(reverse("reports:export", args=[job.pk])).content.decode()
    assert "Đang chờ máy chủ xử lý" in html and "đã chờ 3 phút" in html

    assert tasks.exports_sweep.delay().get(timeout=30) == 1

    job = finished(job)
    assert job.status == ExportJob.Status.DONE, job.error
    assert stored_files(private_root) == [Path(job.file.path)]
    html = client.get(reverse("reports:export", args=[job.pk])).content.decode()
    assert "Đang chờ máy chủ xử lý" not in html


def test_a_fresh_pending_export_is_not_sent_again_nor_said_to_wait(
    client, celery_worker, stats, private_root
):
    official = official_of(HAI_PHONG)
    job = ExportJob.objects.create(
        requester=official, unit=Unit.objects.get(code=HAI_PHONG), file_format="csv"
    )
    sign_in(client, official)
    client.cookies["django_language"] = "en"
    html = client.get(reverse("reports:export", args=[job.pk])).content.decode()
    assert "Waiting for the server" not in html
    assert tasks.exports_sweep.delay().get(timeout=30) == 0
    job.refresh_from_db()
    assert job.status == ExportJob.Status.PENDING


def test_a_duplicate_delivery_during_the_build_builds_nothing(
    celery_worker, stats, private_root, monkeypatch
):
    official = official_of(HAI_PHONG)
    job = ExportJob.objects.create(
        requester=official, unit=Unit.objects.get(code=HAI_PHONG), file_format="xlsx"
    )
    entered, release, errors = threading.Event(), threading.Event(), []
    table = exports.export_table

    def held_table(**kwargs):  # the first delivery to get here stops midway
        if not entered.is_set():
            entered.set()
            assert release.wait(60), "never released"
        return table(**kwargs)

    def first_delivery():  # another worker's, run as a worker runs a task
        try:
            tasks.export_build.apply(args=[job.pk], throw=True)
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    monkeypatch.setattr(exports, "export_table", held_table)
    first = threading.Thread(target=first_delivery)
    first.start()
    try:
        assert entered.wait(30), "the first delivery never started building"
        # The same message again, through the broker, to the test's worker.
        tasks.export_build.delay(job.pk).get(timeout=30)
    finally:
        release.set()
        first.join(30)
    assert not first.is_alive(), "the first delivery was still building 30 s after its release"
    assert not errors, errors

    job = finished(job)
    assert job.status == ExportJob.Status.DONE, job.error
    assert stored_files(private_root) == [Path(job.file.path)]
    assert job.attempts == 1


def test_a_second_delivery_after_the_build_changes_nothing(celery_worker, stats, private_root):
    job = ExportJob.objects.create(
        requester=official_of(HAI_PHONG), unit=Unit.objects.get(code=HAI_PHONG), file_format="csv"
    )
    tasks.export_build.delay(job.pk).get(timeout=30)
    built = finished(job)
    tasks.export_build.delay(job.pk).get(timeout=30)
    job.refresh_from_db()
    assert (job.status, job.file.name, job.finished_at) == (
        ExportJob.Status.DONE,
        built.file.name,
        built.finished_at,
    )
    assert stored_files(private_root) == [Path(job.file.path)]


def test_a_job_whose_worker_died_is_built_again_then_given_up_with_a_reason(
    client, celery_worker, stats, private_root
):
    official = official_of(HAI_PHONG)
    unit = Unit.objects.get(code=HAI_PHONG)
    stuck_for = timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 120)
    died = ExportJob.objects.create(requester=official, unit=unit, file_format="csv")
    ExportJob.objects.filter(pk=died.pk).update(status="running", attempts=1, progress=60)
    backdate(died, created_at=stuck_for, claimed_at=stuck_for)
    given_up = ExportJob.objects.create(requester=official, unit=unit, file_format="csv")
    ExportJob.objects.filter(pk=given_up.pk).update(status="running", attempts=3)
    backdate(given_up, created_at=stuck_for, claimed_at=stuck_for)
    still_building = ExportJob.objects.create(requester=official, unit=unit, file_format="csv")
    ExportJob.objects.filter(pk=still_building.pk).update(
        status="running", attempts=1, claimed_at=timezone.now()
    )

    assert tasks.exports_sweep.delay().get(timeout=30) == 1

    died = finished(died)
    assert (died.status, died.attempts) == (ExportJob.Status.DONE, 2)
    given_up.refresh_from_db()
    assert (given_up.status, given_up.error) == (ExportJob.Status.FAILED, ERROR_BUILD)
    assert given_up.finished_at is not None
    still_building.refresh_from_db()
    assert still_building.status == ExportJob.Status.RUNNING
    sign_in(client, official)
    client.cookies["django_language"] = "en"
    html = client.get(reverse("reports:export", args=[given_up.pk])).content.decode()
    with translation.override("en"):
        assert translation.gettext(ERROR_BUILD) in html


def test_the_purge_removes_old_and_orphan_files_and_keeps_the_rest(
    celery_worker, units_tx, private_root
):
    official = official_of(HAI_PHONG)
    unit = Unit.objects.get(code=HAI_PHONG)
    kept = ExportJob.objects.create(requester=official, unit=unit, file_format="csv", status="done")
    kept.file.save("kept.csv", ContentFile(b"a,b\n"))
    old = ExportJob.objects.create(
        requester=official,
        unit=unit,
        file_format="csv",
        status="done",
        created_at=timezone.now() - timedelta(days=8),
    )
    old.file.save("old.csv", ContentFile(b"a,b\n"))
    directory = Path(kept.file.path).parent
    orphan, fresh_orphan = directory / "orphan.csv", directory / "being-written.xlsx"
    orphan.write_bytes(b"x")
    fresh_orphan.write_bytes(b"x")
    an_hour_ago = (timezone.now() - timedelta(hours=1)).timestamp()
    os.utime(orphan, (an_hour_ago, an_hour_ago))
    old_path = Path(old.file.path)
    elsewhere = Path(private_root) / "other" / "keep.txt"  # not an export: never touched
    elsewhere.parent.mkdir(parents=True)
    elsewhere.write_bytes(b"x")
    os.utime(elsewhere, (an_hour_ago, an_hour_ago))

    tasks.exports_purge.delay().get(timeout=30)

    assert not ExportJob.objects.filter(pk=old.pk).exists()
    assert stored_files(private_root) == sorted([Path(kept.file.path), fresh_orphan, elsewhere])
    assert not old_path.exists()


def test_the_sweeper_is_not_stopped_by_a_broker_that_refuses(
    celery_worker, stats, private_root, monkeypatch
):
    job = ExportJob.objects.create(
        requester=official_of(HAI_PHONG), unit=Unit.objects.get(code=HAI_PHONG), file_format="csv"
    )
    backdate(job, created_at=timedelta(minutes=10))

    def refused(*args, **kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr(tasks.export_build, "delay", refused)
    assert exports.exports_sweep() == 0
    job.refresh_from_db()
    assert job.status == ExportJob.Status.PENDING
    monkeypatch.undo()
    assert exports.exports_sweep() == 1
    assert finished(job).status == ExportJob.Status.DONE
