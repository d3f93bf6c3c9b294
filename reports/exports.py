"""Report exports: the table a report page shows, built by a worker as CSV or XLSX.

The job row is written in the request's transaction and the task is enqueued on commit; the
task only takes the job's id, re-checks the requester's scope, and is safe to run twice: a
delivery builds the job only if it takes it from "pending" in one statement, and writes to it
only while it still holds it. A sweeper sends again the jobs no worker took (a lost message)
or whose worker died; the purge removes old exports and files no job refers to.
"""

import csv
import io
import logging
import secrets
import time
from datetime import timedelta
from functools import partial
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, pgettext

from accounts.models import User
from accounts.selectors import unit_visible_to
from courses.sanitize import text_fold
from units.models import Unit

from .models import ExportJob
from .replica import report_reads
from .selectors import (
    ReportFilters,
    ReportRow,
    children_rows,
    report_courses,
    unit_cell,
)

logger = logging.getLogger(__name__)

# Stored untranslated and translated when shown, in the reader's language.
ERROR_SCOPE = gettext_noop("You can no longer see this unit's report.")
ERROR_PARAMS = gettext_noop("The filters of this export are no longer valid.")
ERROR_BUILD = gettext_noop("The file could not be built. Please try again later.")

EXPORT_DIRECTORY = "exports"  # under PRIVATE_ROOT, as ExportJob.file's upload_to says

# Spreadsheet programs run a cell starting with one of these as a formula (CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
RATE_COLUMNS = (7, 11)  # zero-based: completion rate, rate against target


class ExportRefused(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def cell_safe(value):
    """Text a spreadsheet would read as a formula gets a leading quote; numbers pass."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def export_job_create(
    *, user: User, unit: Unit, filters: ReportFilters, file_format: str
) -> ExportJob:
    with transaction.atomic():
        job = ExportJob.objects.create(
            requester=user,
            unit=unit,
            view="children",
            params={**filters.as_params(), "language": translation.get_language()},
            file_format=file_format,
        )
        transaction.on_commit(partial(export_dispatch, job_id=job.pk))
    return job


def export_dispatch(*, job_id: int) -> bool:
    """Send the job to a worker. A broker that refuses costs latency only: the job is in the
    database, and the sweeper sends it again."""
    from .tasks import export_build as export_build_task

    try:
        export_build_task.delay(job_id)
    except Exception:
        logger.warning("export %s not sent; the sweeper will send it", job_id, exc_info=True)
        return False
    return True


def export_filename(job: ExportJob) -> str:
    """The name the requester's browser saves, e.g. bao-cao-31-20251020-0930.xlsx."""
    stem = slugify(text_fold(pgettext("export file name", "report"))) or "report"
    stamp = timezone.localtime(job.created_at).strftime("%Y%m%d-%H%M")
    return f"{stem}-{slugify(job.unit.code)}-{stamp}.{job.file_format}"


def export_headers() -> list[str]:
    return [
        _("Unit"),
        _("Code"),
        _("Rank"),
        _("Registered learners"),
        _("Enrolled"),
        _("Started"),
        _("Completed"),
        _("Completion rate (%)"),
        _("Certified"),
        _("Target"),
        _("Completed against target"),
        _("Rate against target (%)"),
    ]


def _line(*, name: str, code: str, rank: int | None, stat) -> list:
    return [
        cell_safe(name),
        cell_safe(code),
        rank,
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


def export_table(*, unit: Unit, filters: ReportFilters) -> list[list]:
    """Header, one line per child unit in the page's order, and the unit's total."""
    rows: list[ReportRow] = children_rows(unit=unit, filters=filters)
    total = unit_cell(unit=unit, filters=filters)
    lines = [export_headers()]
    lines += [_line(name=r.name, code=r.code, rank=r.rank, stat=r.stat) for r in rows]
    total_name = _("Total: %(unit)s") % {"unit": unit.name}
    lines.append(_line(name=total_name, code=unit.code, rank=None, stat=total))
    return lines


def csv_render(lines: list[list]) -> bytes:
    """UTF-8 with a byte-order mark, so Excel shows Vietnamese letters."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for line in lines:
        writer.writerow(["" if value is None else value for value in line])
    return buffer.getvalue().encode("utf-8-sig")


def xlsx_render(lines: list[list], *, title: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "".join(ch for ch in title if ch not in "[]:*?/\\")[:31] or "Report"
    for line in lines:
        sheet.append(line)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for cell in sheet[len(lines)]:
        cell.font = Font(bold=True)
    for column in RATE_COLUMNS:
        for (cell,) in sheet.iter_rows(min_row=2, min_col=column + 1, max_col=column + 1):
            cell.number_format = "0.0"
    sheet.freeze_panes = "A2"
    sheet.column_dimensions["A"].width = 40
    for index in range(2, len(lines[0]) + 1):
        sheet.column_dimensions[get_column_letter(index)].width = 14
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _job_claim(job_id: int) -> ExportJob | None:
    """Take a pending job for this delivery, in one statement: of two deliveries of the same
    job (a duplicate message, a redelivery, the sweeper's) one takes it, the other nothing."""
    taken = ExportJob.objects.filter(pk=job_id, status=ExportJob.Status.PENDING).update(
        status=ExportJob.Status.RUNNING,
        claimed_at=timezone.now(),
        attempts=F("attempts") + 1,
        progress=10,
    )
    if not taken:
        return None
    return ExportJob.objects.select_related("unit", "requester").filter(pk=job_id).first()


def _job_update(job: ExportJob, **values) -> bool:
    """Write to the job while this delivery still holds it: False once the sweeper has given
    it to another delivery (this one's worker seemed dead)."""
    for name, value in values.items():
        setattr(job, name, value)
    held = ExportJob.objects.filter(
        pk=job.pk, status=ExportJob.Status.RUNNING, attempts=job.attempts
    )
    return bool(held.update(**values))


def _job_filters(job: ExportJob) -> ReportFilters:
    from .forms import ReportFilterForm

    params = job.params or {}
    form = ReportFilterForm(
        {
            "course": params.get("course") or "",
            "group": params.get("group") or "",
            "sort": params.get("sort") or "",
        },
        courses=report_courses(),
    )
    if not form.is_valid():
        raise ExportRefused(ERROR_PARAMS)
    return form.filters()


def _job_content(job: ExportJob) -> bytes:
    if not unit_visible_to(user=job.requester, unit=job.unit):
        raise ExportRefused(ERROR_SCOPE)
    filters = _job_filters(job)
    lines = export_table(unit=job.unit, filters=filters)
    _job_update(job, progress=60)
    if job.file_format == ExportJob.Format.XLSX:
        return xlsx_render(lines, title=job.unit.name)
    return csv_render(lines)


def export_build(*, job_id: int) -> ExportJob | None:
    """Build one export if this delivery takes it; a job already taken (being built, done or
    failed) is left alone, so duplicate deliveries and reruns write nothing."""
    job = _job_claim(job_id)
    if job is None:
        return ExportJob.objects.filter(pk=job_id).first()
    language = (job.params or {}).get("language") or settings.LANGUAGE_CODE
    try:
        with translation.override(language), report_reads():
            content = _job_content(job)
        _job_update(job, progress=90)
        # A random stored name: the file is only ever served by the permission-checked view.
        name = job.file.field.generate_filename(
            job, f"{secrets.token_urlsafe(16)}.{job.file_format}"
        )
        stored = job.file.storage.save(name, ContentFile(content))
        done = _job_update(
            job,
            status=ExportJob.Status.DONE,
            progress=100,
            error="",
            file=stored,
            finished_at=timezone.now(),
        )
        if not done:  # the job went to another delivery meanwhile: it writes its own file
            job.file.storage.delete(stored)
    except ExportRefused as refusal:
        _job_update(
            job, status=ExportJob.Status.FAILED, error=refusal.message, finished_at=timezone.now()
        )
    except Exception:
        logger.exception("Export %s failed", job_id)
        _job_update(
            job, status=ExportJob.Status.FAILED, error=ERROR_BUILD, finished_at=timezone.now()
        )
    return job


def exports_sweep() -> int:
    """Send again the jobs no worker took for EXPORT_REDISPATCH_AFTER_S (their message was lost,
    or the broker refused it), and those running for longer than the task's time limit (their
    worker died) until EXPORT_MAX_ATTEMPTS builds, then failed with a reason. Returns the
    number of jobs sent."""
    now = timezone.now()
    stuck = ExportJob.objects.filter(
        status=ExportJob.Status.RUNNING, claimed_at__lt=now - _longest_build()
    )
    attempts = settings.EXPORT_MAX_ATTEMPTS
    stuck.filter(attempts__gte=attempts).update(
        status=ExportJob.Status.FAILED, error=ERROR_BUILD, finished_at=now
    )
    stuck.filter(attempts__lt=attempts).update(status=ExportJob.Status.PENDING, progress=0)
    since = now - timedelta(seconds=settings.EXPORT_REDISPATCH_AFTER_S)
    due = ExportJob.objects.filter(status=ExportJob.Status.PENDING).filter(
        Q(dispatched_at__lt=since) | Q(dispatched_at__isnull=True, created_at__lt=since)
    )
    sent = 0
    for job_id in due.values_list("pk", flat=True):
        if export_dispatch(job_id=job_id):
            ExportJob.objects.filter(pk=job_id).update(dispatched_at=now)
            sent += 1
    return sent


def _longest_build() -> timedelta:
    """No build lasts longer: the worker's hard time limit kills it (and a minute to spare)."""
    return timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 60)


def exports_purge() -> int:
    """Delete exports (rows and files) older than EXPORT_RETENTION_DAYS, and the files of the
    export directory that no job refers to (a build that died before recording its file),
    once older than any build lasts. Returns the number of jobs and files deleted."""
    cutoff = timezone.now() - timedelta(days=settings.EXPORT_RETENTION_DAYS)
    purged = 0
    for job in ExportJob.objects.filter(created_at__lt=cutoff).iterator():
        if job.file:
            job.file.delete(save=False)
        job.delete()
        purged += 1
    return purged + _orphans_purge()


def _orphans_purge() -> int:
    storage = ExportJob._meta.get_field("file").storage
    location = Path(storage.location)
    directory = location / EXPORT_DIRECTORY
    if not directory.is_dir():
        return 0
    referenced = set(ExportJob.objects.exclude(file="").values_list("file", flat=True))
    before = time.time() - _longest_build().total_seconds()
    removed = 0
    for path in directory.rglob("*"):
        name = path.relative_to(location).as_posix()
        if path.is_file() and name not in referenced and path.stat().st_mtime < before:
            path.unlink(missing_ok=True)
            removed += 1
    return removed
