"""A large, realistic data set generated from a seed, for load tests and benchmarks.

Learners get emails ending "@load.invalid" and organisations codes such as "31-AG-001", so the
next run finds the previous set and replaces it. Rows are written with bulk_create, one
transaction per batch: no per-row save, no signals, no StaleCell rows (a full statistics rebuild
follows a load). The same seed gives the same learners, enrolments and progress; only the
timestamps (relative to now) and the certificate codes (random by design) differ.
"""

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import User
from courses.demo import demo_curriculum_load
from courses.models import (
    Certificate,
    Course,
    CourseStatus,
    Enrollment,
    LessonCompletion,
    QuizAttempt,
    certificate_code,
    local_day,
    stats_shard_of,
)
from units.loader import units_load
from units.models import Unit

from .organisations import CITY_CODE, ORGANISATION_PREFIXES, communes_of, organisations_create
from .population import (
    FAMILY_NAMES,
    GROUP_WEIGHTS,
    LOAD_EMAIL_DOMAIN,
    WORKPLACE_SHARE,
    Picker,
    full_name,
)
from .progress import CoursePlan, ago, course_plans, enrolment_plan
from .removal import load_remove
from .rows import RowWriter

COURSES_PER_LEARNER = {1: 20, 2: 30, 3: 30, 4: 20}
# Earlier courses of the curriculum (devices, public services) are taken more often.
COURSE_POPULARITY = (1.6, 1.4, 1.3, 1.0, 0.8, 0.7)

Progress = Callable[[str], None]


@dataclass
class LoadSummary:
    learners: int = 0
    enrollments: int = 0
    completions: int = 0
    attempts: int = 0
    certificates: int = 0
    organisations: int = 0
    removed: dict[str, int] = field(default_factory=dict)
    elapsed_s: float = 0.0


def expected_enrollments_per_learner(course_count: int = 6) -> float:
    weights = {min(k, course_count): w for k, w in COURSES_PER_LEARNER.items()}
    return sum(k * w for k, w in weights.items()) / sum(weights.values())


class _Generator:
    def __init__(
        self, *, rng, now, communes, organisations, plans: list[CoursePlan], password: str
    ):
        self.rng, self.now, self.plans, self.password = rng, now, plans, password
        self.family = Picker(rng, list(FAMILY_NAMES), list(FAMILY_NAMES.values()))
        self.group = Picker(rng, list(GROUP_WEIGHTS), list(GROUP_WEIGHTS.values()))
        # Uneven populations and engagement, so rankings are worth reading.
        self.home = Picker(rng, communes, [rng.lognormvariate(0, 0.9) for _ in communes])
        self.workplace = {
            kind: Picker(rng, units, [rng.lognormvariate(0, 0.7) for _ in units])
            for kind in ORGANISATION_PREFIXES
            if (units := [u for u in organisations if u.kind == kind])
        }
        self.course_count = Picker(
            rng, list(COURSES_PER_LEARNER), list(COURSES_PER_LEARNER.values())
        )
        popularity = [COURSE_POPULARITY[i % len(COURSE_POPULARITY)] for i in range(len(plans))]
        self.popularity = dict(zip((p.id for p in plans), popularity, strict=True))
        self.codes: set[str] = set(Certificate.objects.values_list("code", flat=True))
        self.writers = {
            "user": RowWriter(
                User,
                ("email", "full_name", "audience_group", "home_unit_id", "workplace_unit_id",
                 "password", "date_joined"),
                with_ids=True,
            ),
            "enrollment": RowWriter(
                Enrollment,
                ("user_id", "course_id", "is_active", "unit_id", "unit_path", "audience_group",
                 "progress_percent", "completed_lessons", "last_lesson_id", "enrolled_at",
                 "started_at", "completed_at", "completed_day", "certified", "stats_shard"),
                with_ids=True,
            ),
            "completion": RowWriter(
                LessonCompletion, ("enrollment_id", "lesson_id", "completed_at")
            ),
            "attempt": RowWriter(
                QuizAttempt,
                ("enrollment_id", "lesson_id", "number", "score_percent", "passed", "answers",
                 "submitted_at"),
            ),
            "certificate": RowWriter(
                Certificate, ("enrollment_id", "code", "full_name", "course_title", "issued_at")
            ),
        }  # fmt: skip

    def _code(self) -> str:
        code = certificate_code()
        while code in self.codes:  # random by design: keep the batch and the table unique
            code = certificate_code()
        self.codes.add(code)
        return code

    def _courses(self, group: str) -> list[CoursePlan]:
        k = min(self.course_count(), len(self.plans))
        chosen: list[CoursePlan] = []
        pool = list(self.plans)
        for _ in range(k):  # weighted sampling without replacement
            plan = self.rng.choices(pool, [self.popularity[p.id] for p in pool])[0]
            pool.remove(plan)
            chosen.append(plan)
        return chosen

    def batch(self, first: int, count: int) -> tuple[int, ...]:
        """Plan `count` learners (all random draws happen here), then write them in one
        transaction."""
        rng = self.rng
        learners = []
        for number in range(first, first + count):
            group = self.group()
            home = self.home()
            workplace = None
            if group in WORKPLACE_SHARE:
                kind, share = WORKPLACE_SHARE[group]
                if kind in self.workplace and rng.random() < share:
                    workplace = self.workplace[kind]()
            name = full_name(rng, self.family)
            courses = self._courses(group)
            enrolments = [enrolment_plan(rng, self.now, plan, group) for plan in courses]
            joined = min(e["enrolled_at"] for e in enrolments) - ago(rng, 5)
            learners.append((number, group, home, workplace, name, joined, enrolments))
        with transaction.atomic():
            return self._write(learners)

    def _write(self, learners: list) -> tuple[int, ...]:
        w = self.writers
        user_ids = w["user"].write(
            [
                (f"learner{number:06d}@{LOAD_EMAIL_DOMAIN}", name, group, home.pk,
                 workplace.pk if workplace else None, self.password, joined)
                for number, group, home, workplace, name, joined, _e in learners
            ]
        )  # fmt: skip
        rows, details = [], []
        for user_id, (_n, group, home, workplace, name, _j, enrolments) in zip(
            user_ids, learners, strict=True
        ):
            unit = workplace or home
            for e in enrolments:
                rows.append(
                    (user_id, e["course"].id, True, unit.pk, unit.path, group,
                     e["progress_percent"], len(e["completions"]), e["last_lesson"],
                     e["enrolled_at"], e["started_at"], e["completed_at"],
                     local_day(e["completed_at"]), e["completed_at"] is not None,
                     stats_shard_of(user_id))
                )  # fmt: skip
                details.append((name, e))
        enrollment_ids = w["enrollment"].write(rows)
        completions, attempts, certificates = [], [], []
        for enrollment_id, (name, e) in zip(enrollment_ids, details, strict=True):
            completions += [(enrollment_id, lesson, at) for lesson, at in e["completions"]]
            attempts += [(enrollment_id, *attempt) for attempt in e["attempts"]]
            if e["completed_at"] is not None:
                code = self._code()
                certificates.append(
                    (enrollment_id, code, name, e["course"].title, e["completed_at"])
                )
        w["completion"].write(completions)
        w["attempt"].write(attempts)
        w["certificate"].write(certificates)
        return len(user_ids), len(rows), len(completions), len(attempts), len(certificates)


def tables_maintain(command: str, say: Progress) -> None:
    """VACUUM after the removal, so the new rows fill the freed pages instead of growing the
    tables; VACUUM ANALYZE after the load, as autovacuum would do in a running site: the
    reports' GROUP BYs are planned for the new sizes and can read their indexes alone."""
    if connection.vendor != "postgresql":
        return
    if command.startswith("VACUUM") and connection.in_atomic_block:
        # VACUUM cannot run inside a transaction (a test, or a caller's atomic block).
        if "ANALYZE" not in command:
            return
        command = "ANALYZE"
    started = time.perf_counter()
    models_ = (User, Enrollment, LessonCompletion, QuizAttempt, Certificate, Unit, Course)
    tables = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in models_)
    with connection.cursor() as cursor:
        cursor.execute(f"{command} {tables}")
    say(f"{command.lower()} in {time.perf_counter() - started:.1f} s")


def load_generate(
    *, learners: int, seed: int = 42, batch: int = 5000, progress: Progress | None = None
) -> LoadSummary:
    """Replace the generated data set with `learners` new learners and their learning."""
    say = progress or (lambda _message: None)
    started = time.perf_counter()
    summary = LoadSummary()
    if not Unit.objects.filter(code=CITY_CODE).exists():
        units_load()
        say("units loaded")
    courses = [c for c, _created in demo_curriculum_load() if c.status == CourseStatus.PUBLISHED]
    plans = course_plans(courses)
    if not plans:
        raise ValueError("No published demo course with lessons to enrol learners in.")
    summary.removed = load_remove()
    if summary.removed:
        removed = ", ".join(f"{label} {n}" for label, n in summary.removed.items())
        say(f"removed the previous data set: {removed} ({time.perf_counter() - started:.1f} s)")
        tables_maintain("VACUUM", say)
    rng = random.Random(seed)
    city = Unit.objects.get(code=CITY_CODE)
    communes = communes_of(city)
    organisations = organisations_create(rng, city, communes)
    summary.organisations = len(organisations)
    say(f"{len(organisations)} organisations created ({time.perf_counter() - started:.1f} s)")
    generator = _Generator(
        rng=rng,
        now=timezone.now(),
        communes=communes,
        organisations=organisations,
        plans=plans,
        password=make_password(None),  # unusable, so no hashing: shared by every learner
    )
    for first in range(1, learners + 1, batch):
        counts = generator.batch(first, min(batch, learners - first + 1))
        for name, n in zip(
            ("learners", "enrollments", "completions", "attempts", "certificates"),
            counts,
            strict=True,
        ):
            setattr(summary, name, getattr(summary, name) + n)
        say(
            f"{summary.learners}/{learners} learners, {summary.enrollments} enrolments "
            f"({time.perf_counter() - started:.1f} s)"
        )
    tables_maintain("VACUUM ANALYZE", say)
    summary.elapsed_s = round(time.perf_counter() - started, 1)
    return summary
