import os

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

ALL_COURSES = 0  # course_key of the "all courses" total
ALL_GROUPS = "*"  # audience_group of the "all groups" total


class StatCounts(models.Model):
    learners = models.PositiveIntegerField(_("registered learners"), default=0)
    enrolled = models.PositiveIntegerField(_("enrolled"), default=0)
    started = models.PositiveIntegerField(_("started"), default=0)
    completed = models.PositiveIntegerField(_("completed"), default=0)
    certified = models.PositiveIntegerField(_("certified"), default=0)
    # Learner-course pairs required by assignments, and how many of them are completed.
    target = models.PositiveIntegerField(_("target"), default=0)
    target_completed = models.PositiveIntegerField(_("completed against target"), default=0)

    COUNT_FIELDS = (
        "learners",
        "enrolled",
        "started",
        "completed",
        "certified",
        "target",
        "target_completed",
    )

    class Meta:
        abstract = True

    def counts(self) -> tuple[int, ...]:
        return tuple(getattr(self, name) for name in self.COUNT_FIELDS)


class LeafStat(StatCounts):
    """Learners whose own unit is exactly `unit`, per course and audience group.

    On course rows the counts are enrolments; on the all-courses row (course_key 0) they are
    distinct learners. Every row is recomputed from enrolments with GROUP BY, never adjusted.
    """

    unit = models.ForeignKey("units.Unit", on_delete=models.CASCADE, related_name="+")
    course_key = models.IntegerField()
    audience_group = models.CharField(max_length=20)

    class Meta:
        verbose_name = _("leaf stat")
        verbose_name_plural = _("leaf stats")
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "course_key", "audience_group"], name="leafstat_cell"
            )
        ]

    def __str__(self) -> str:
        return f"{self.unit_id}/{self.course_key}/{self.audience_group}"


class LeafShard(models.Model):
    """Enrolment counts of one part of a leaf course cell: the enrolments of learners whose own
    unit is exactly `unit`, in `course_key`, of `audience_group`, with user id modulo
    STATS_SHARDS equal to `shard`. A change recounts only its part; the leaf cell adds them up.
    """

    unit = models.ForeignKey("units.Unit", on_delete=models.CASCADE, related_name="+")
    course_key = models.IntegerField()
    audience_group = models.CharField(max_length=20)
    shard = models.PositiveSmallIntegerField()
    enrolled = models.PositiveIntegerField(default=0)
    started = models.PositiveIntegerField(default=0)
    completed = models.PositiveIntegerField(default=0)
    certified = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("leaf shard")
        verbose_name_plural = _("leaf shards")
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "course_key", "audience_group", "shard"], name="leafshard_cell"
            )
        ]

    def __str__(self) -> str:
        return f"{self.unit_id}/{self.course_key}/{self.audience_group}/{self.shard}"


class UnitStat(StatCounts):
    """A unit and everything below it, per course (0 = all) and audience group ("*" = all):
    what the officials' reports read."""

    unit = models.ForeignKey(
        "units.Unit", verbose_name=_("unit"), on_delete=models.CASCADE, related_name="stats"
    )
    course_key = models.IntegerField(_("course"))
    audience_group = models.CharField(_("audience group"), max_length=20)
    computed_at = models.DateTimeField(_("computed at"), default=timezone.now)

    class Meta:
        verbose_name = _("completion statistic")
        verbose_name_plural = _("completion statistics")
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "course_key", "audience_group"], name="unitstat_cell"
            )
        ]

    def __str__(self) -> str:
        return f"{self.unit_id}/{self.course_key}/{self.audience_group}"

    @property
    def completion_rate(self) -> float | None:
        """Completed over enrolled, in percent."""
        return round(100 * self.completed / self.enrolled, 1) if self.enrolled else None

    @property
    def target_rate(self) -> float | None:
        """Assigned learner-course pairs completed, in percent, where assignments exist."""
        return round(100 * self.target_completed / self.target, 1) if self.target else None


class DailyStat(models.Model):
    """Course completions per day in a unit's whole subtree: the trend line."""

    unit = models.ForeignKey("units.Unit", on_delete=models.CASCADE, related_name="daily_stats")
    day = models.DateField()
    completed = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("daily stat")
        verbose_name_plural = _("daily stats")
        constraints = [models.UniqueConstraint(fields=["unit", "day"], name="dailystat_cell")]

    def __str__(self) -> str:
        return f"{self.unit_id}/{self.day}"


class StatsRun(models.Model):
    """One run of the statistics engine; the latest finished one dates the figures.

    Only runs that change figures are stored (and full rebuilds, from their start): a check
    that changes nothing moves the latest finished run's `checked_at` and watermarks instead,
    so the run history, and the report pages cached per run, are kept."""

    class Kind(models.TextChoices):
        FULL = "full", _("Full rebuild")
        INCREMENTAL = "incremental", _("Incremental")

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        DONE = "done", _("Finished")
        FAILED = "failed", _("Failed")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    started_at = models.DateTimeField(_("started at"), default=timezone.now, db_index=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    # Set on a run that raised, or that the next run found unfinished: its process had died.
    failed_at = models.DateTimeField(_("failed at"), null=True, blank=True)
    # The last check that found nothing to change since this run (the figures' freshness).
    checked_at = models.DateTimeField(_("last checked at"), null=True, blank=True)
    stale_rows = models.PositiveIntegerField(_("stale rows"), default=0)
    cells_written = models.PositiveIntegerField(_("cells written"), default=0)
    # Learners changed after this instant are reconciled by the next run.
    users_seen_until = models.DateTimeField(_("users seen until"), null=True, blank=True)
    courses_seen_until = models.DateTimeField(_("courses seen until"), null=True, blank=True)

    class Meta:
        verbose_name = _("stats run")
        verbose_name_plural = _("stats runs")
        ordering = ["-started_at"]
        indexes = [
            # The latest finished run: read as every run starts and by every report page.
            models.Index(
                fields=["-finished_at", "-id"],
                name="statsrun_latest_finished",
                condition=Q(finished_at__isnull=False),
            ),
            # Runs left unfinished, marked failed as the next run starts: usually none.
            models.Index(
                fields=["started_at"],
                name="statsrun_unfinished",
                condition=Q(finished_at__isnull=True, failed_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.started_at:%Y-%m-%d %H:%M:%S}"

    @property
    def status(self) -> str:
        if self.finished_at is not None:
            return self.Status.DONE
        if self.failed_at is not None:
            return self.Status.FAILED
        return self.Status.RUNNING


class PrivateStorage(FileSystemStorage):
    """Exports live outside MEDIA_ROOT: only the permission-checked view ever serves them."""

    @property
    def base_location(self):
        return settings.PRIVATE_ROOT

    @property
    def location(self):
        return os.path.abspath(self.base_location)

    @property
    def base_url(self):
        return None


def private_storage():
    return PrivateStorage()


class ExportJob(models.Model):
    """A report export built by a worker; the file is private to its requester."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Being prepared")
        DONE = "done", _("Ready")
        FAILED = "failed", _("Failed")

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "Excel (XLSX)"

    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requester"),
        on_delete=models.CASCADE,
        related_name="report_exports",
    )
    unit = models.ForeignKey(
        "units.Unit", verbose_name=_("unit"), on_delete=models.CASCADE, related_name="+"
    )
    view = models.CharField(_("report table"), max_length=20, default="children")
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    file_format = models.CharField(_("file format"), max_length=10, choices=Format.choices)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING
    )
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    file = models.FileField(
        _("file"), upload_to="exports/%Y/%m/", blank=True, storage=private_storage
    )
    error = models.CharField(_("error"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)
    # When the sweeper last sent the job again (the first message goes on commit).
    dispatched_at = models.DateTimeField(_("sent again at"), null=True, blank=True)
    # When a worker took the job (pending -> running); each take counts an attempt.
    claimed_at = models.DateTimeField(_("taken by a worker at"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("export job")
        verbose_name_plural = _("export jobs")
        ordering = ["-created_at"]
        indexes = [
            # What the sweeper reads every minute: the jobs not finished yet.
            models.Index(
                fields=["created_at"],
                name="exportjob_unfinished",
                condition=Q(status__in=["pending", "running"]),
            )
        ]

    def __str__(self) -> str:
        return f"{self.file_format} {self.unit_id} {self.status}"
