"""A large, realistic data set generated from a seed, for load tests and benchmarks.

Learners get emails ending "@load.invalid" and organisations codes such as "31-AG-001", so the
next run finds the previous set and replaces it. Rows are written with bulk_create, one
transaction per batch: no per-row save, no signals, no StaleCell rows (a full statistics rebuild
follows a load). The same seed gives the same learners, enrolments and progress; only the
timestamps (relative to now) and the certificate codes (random by design) differ.
"""

import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from itertools import accumulate

from django.contrib.auth.hashers import make_password
from django.db import connection, models, transaction
from django.utils import timezone

from accounts.models import AudienceGroup, User
from courses.demo import demo_curriculum_load
from courses.models import (
    Certificate,
    Choice,
    Course,
    CourseStatus,
    Enrollment,
    Lesson,
    LessonCompletion,
    LessonKind,
    QuizAttempt,
    certificate_code,
    local_day,
    stats_shard_of,
)
from courses.services import course_lesson_ids
from units.loader import units_load
from units.models import COMMUNE_KINDS, Unit, UnitKind

LOAD_EMAIL_DOMAIN = "load.invalid"
CITY_CODE = "31"
ORGANISATION_PREFIXES = {UnitKind.AGENCY: "AG", UnitKind.ENTERPRISE: "EN", UnitKind.SCHOOL: "SC"}
ORGANISATION_COUNTS = {UnitKind.AGENCY: 40, UnitKind.ENTERPRISE: 60, UnitKind.SCHOOL: 120}

GROUP_WEIGHTS = {
    AudienceGroup.CITIZEN: 45,
    AudienceGroup.OFFICIAL: 25,
    AudienceGroup.WORKER: 15,
    AudienceGroup.STUDENT: 15,
}
# Share of each group counted at a workplace (agency, enterprise, school) rather than at home.
WORKPLACE_SHARE = {
    AudienceGroup.OFFICIAL: (UnitKind.AGENCY, 0.85),
    AudienceGroup.WORKER: (UnitKind.ENTERPRISE, 0.90),
    AudienceGroup.STUDENT: (UnitKind.SCHOOL, 0.90),
}
COURSES_PER_LEARNER = {1: 20, 2: 30, 3: 30, 4: 20}
# (not started, part-way, completed): officials have a 100% target in 2025, so they are ahead.
# Over the group mix this is about 20% / 45% / 35%.
PROGRESS_MIX = {
    AudienceGroup.CITIZEN: (0.25, 0.50, 0.25),
    AudienceGroup.OFFICIAL: (0.10, 0.35, 0.55),
    AudienceGroup.WORKER: (0.25, 0.50, 0.25),
    AudienceGroup.STUDENT: (0.20, 0.40, 0.40),
}
COMPLETION_WINDOW_DAYS = 120
ENROLMENT_WINDOW_DAYS = 150
# Earlier courses of the curriculum (devices, public services) are taken more often.
COURSE_POPULARITY = (1.6, 1.4, 1.3, 1.0, 0.8, 0.7)

FAMILY_NAMES = {
    "Nguyễn": 38, "Trần": 11, "Lê": 9.5, "Phạm": 7, "Hoàng": 5, "Phan": 4.5, "Vũ": 4,
    "Đặng": 2.1, "Bùi": 2, "Đỗ": 1.4, "Hồ": 1.3, "Ngô": 1.3, "Dương": 1, "Đinh": 1, "Đào": 1,
    "Lương": 0.6, "Mai": 0.6, "Trịnh": 0.6, "Cao": 0.5, "Lý": 0.5, "Tô": 0.4, "Lưu": 0.4,
    "Tạ": 0.3, "Võ": 0.3, "Phùng": 0.3,
}  # fmt: skip
MIDDLE_NAMES = {
    "male": ["Văn", "Văn", "Văn", "Đức", "Minh", "Quang", "Hữu", "Thanh", "Xuân", "Ngọc",
             "Công", "Mạnh", "Tuấn", "Hoàng", "Trung", "Gia", "Duy", "Bá", "Đình", "Tiến"],
    "female": ["Thị", "Thị", "Thị", "Thị", "Thu", "Ngọc", "Thanh", "Phương", "Minh", "Hồng",
               "Thùy", "Bảo", "Khánh", "Mai", "Kim", "Hải", "Diệu", "Thảo", "Lan", "Quỳnh"],
}  # fmt: skip
GIVEN_NAMES = {
    "male": ["Anh", "Bình", "Cường", "Dũng", "Đạt", "Đức", "Hải", "Hiếu", "Hùng", "Huy",
             "Khánh", "Khoa", "Kiên", "Long", "Minh", "Nam", "Nghĩa", "Phong", "Phúc", "Quân",
             "Quang", "Sơn", "Tâm", "Thắng", "Thành", "Thịnh", "Toàn", "Trung", "Tuấn", "Tùng",
             "Việt", "Vinh", "Hưng", "Lâm", "Tài", "Hậu", "Trọng", "Duy", "Hoàng", "Kiệt"],
    "female": ["Anh", "Chi", "Dung", "Giang", "Hà", "Hạnh", "Hằng", "Hoa", "Hương", "Huyền",
               "Lan", "Linh", "Loan", "Mai", "My", "Nga", "Ngân", "Ngọc", "Nhung", "Oanh",
               "Phương", "Quỳnh", "Tâm", "Thảo", "Thu", "Thủy", "Trang", "Uyên", "Vân", "Yến",
               "Hồng", "Hiền", "Liên", "Nhàn", "Trâm", "Vy", "Hoài", "Duyên", "Thư", "Xuân"],
}  # fmt: skip

AGENCY_NAMES = [
    "Văn phòng Ủy ban nhân dân thành phố", "Văn phòng Đoàn ĐBQH và HĐND thành phố",
    "Sở Nội vụ", "Sở Tài chính", "Sở Tư pháp", "Sở Công Thương", "Sở Xây dựng",
    "Sở Nông nghiệp và Môi trường", "Sở Giáo dục và Đào tạo", "Sở Y tế",
    "Sở Khoa học và Công nghệ", "Sở Văn hóa, Thể thao và Du lịch", "Sở Ngoại vụ",
    "Thanh tra thành phố", "Ban Quản lý Khu kinh tế Hải Phòng", "Công an thành phố",
    "Bộ Chỉ huy Quân sự thành phố", "Văn phòng Thành ủy", "Ban Tổ chức Thành ủy",
    "Ban Tuyên giáo và Dân vận Thành ủy", "Ủy ban Kiểm tra Thành ủy", "Ban Nội chính Thành ủy",
    "Ủy ban MTTQ Việt Nam thành phố", "Thành đoàn Hải Phòng",
    "Hội Liên hiệp Phụ nữ thành phố", "Hội Nông dân thành phố",
    "Liên đoàn Lao động thành phố", "Hội Cựu chiến binh thành phố",
    "Thuế thành phố Hải Phòng", "Kho bạc Nhà nước khu vực III",
    "Bảo hiểm xã hội thành phố", "Thống kê thành phố Hải Phòng",
    "Đài Phát thanh và Truyền hình Hải Phòng", "Báo Hải Phòng",
    "Trung tâm Phục vụ hành chính công thành phố", "Trường Chính trị Tô Hiệu",
    "Bệnh viện Hữu nghị Việt Tiệp", "Cảng vụ Hàng hải Hải Phòng",
    "Trung tâm Chuyển đổi số thành phố", "Quỹ Đầu tư phát triển thành phố",
]  # fmt: skip
ENTERPRISE_FORMS = ["Công ty TNHH", "Công ty Cổ phần", "Công ty TNHH MTV"]
ENTERPRISE_TRADES = [
    "Cảng", "Đóng tàu", "Thép", "Vận tải biển", "Logistics", "Dệt may", "Điện tử", "Xi măng",
    "Thủy sản", "Nhựa", "Giày da", "Cơ khí", "Thương mại", "Xây dựng", "Bao bì", "Sơn",
    "Kho vận", "Thực phẩm",
]  # fmt: skip
ENTERPRISE_BRANDS = [
    "Hải An", "Bạch Đằng", "Đông Hải", "Tân Cảng", "Minh Phát", "Hoàng Long", "Thành Đạt",
    "Việt Nhật", "An Phú", "Sao Đỏ", "Lạch Tray", "Đình Vũ", "Tràng Kênh", "Nam Triệu",
    "Cát Bi", "Đồ Sơn", "Thủy Nguyên", "Chí Linh", "Kinh Môn", "Thanh Hà", "Nam Sách",
    "Hồng Hà", "Phương Đông", "Duyên Hải",
]  # fmt: skip
SCHOOL_LEVELS = {"Tiểu học": 40, "THCS": 33, "THPT": 20, "Trung cấp nghề": 4, "Cao đẳng": 3}

Progress = Callable[[str], None]


@dataclass
class QuizPlan:
    max_attempts: int
    passing: list[tuple[int, dict]]  # (score, stored answers) a passing attempt may show
    failing: list[tuple[int, dict]]


@dataclass
class CoursePlan:
    id: int
    title: str
    lesson_ids: list[int]
    quizzes: dict[int, QuizPlan]  # by lesson id


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


# Removal ---------------------------------------------------------------------------------


class LoadDataInUse(Exception):
    """Rows outside the generated set still point at generated rows."""


def _rows_delete(cursor, model, pk_sql: str, params: list, *, through_protected: bool, counts):
    """Delete `model` rows whose key is in `pk_sql`, after every row that points at them.

    Reads the relations from the models, so tables added later are cleaned up too. Protected
    references are followed only when `through_protected` (the learners' own certificates);
    otherwise a row still pointing at one to remove stops the whole removal."""
    quote = connection.ops.quote_name
    for rel in model._meta.get_fields(include_hidden=True):
        if not (rel.auto_created and not rel.concrete and (rel.one_to_many or rel.one_to_one)):
            continue
        related = rel.related_model
        table, column = quote(related._meta.db_table), quote(rel.field.column)
        where = f"{column} IN ({pk_sql})"
        if rel.on_delete is models.DO_NOTHING:
            continue
        if rel.on_delete is models.SET_NULL:
            cursor.execute(f"UPDATE {table} SET {column} = NULL WHERE {where}", params)
            continue
        followed = rel.on_delete is models.CASCADE or (
            through_protected and rel.on_delete in (models.PROTECT, models.RESTRICT)
        )
        if not followed or related is model:
            cursor.execute(f"SELECT 1 FROM {table} WHERE {where} LIMIT 1", params)
            if cursor.fetchone():
                raise LoadDataInUse(
                    f"{related._meta.label} rows still refer to {model._meta.label} rows "
                    "of the generated data set; remove them first."
                )
            continue
        sub = f"SELECT {quote(related._meta.pk.column)} FROM {table} WHERE {where}"
        _rows_delete(
            cursor, related, sub, params, through_protected=through_protected, counts=counts
        )
    table, pk = quote(model._meta.db_table), quote(model._meta.pk.column)
    cursor.execute(f"DELETE FROM {table} WHERE {pk} IN ({pk_sql})", params)
    counts[model._meta.label] += max(cursor.rowcount, 0)


@transaction.atomic
def load_remove() -> dict[str, int]:
    """Remove the generated learners with everything hanging off them, then the organisations."""
    counts: Counter = Counter()
    quote = connection.ops.quote_name
    users, units = quote(User._meta.db_table), quote(Unit._meta.db_table)
    with connection.cursor() as cursor:
        _rows_delete(
            cursor,
            User,
            f"SELECT id FROM {users} WHERE email LIKE %s",
            [f"%@{LOAD_EMAIL_DOMAIN}"],
            through_protected=True,
            counts=counts,
        )
        prefixes = [f"{CITY_CODE}-{p}-%" for p in ORGANISATION_PREFIXES.values()]
        _rows_delete(
            cursor,
            Unit,
            f"SELECT id FROM {units} WHERE " + " OR ".join(["code LIKE %s"] * len(prefixes)),
            prefixes,
            through_protected=False,
            counts=counts,
        )
    return {label: n for label, n in sorted(counts.items()) if n}


# Plans read once from the database -------------------------------------------------------


def _answers(questions, choices: dict[int, list], wrong: set[int]) -> tuple[int, dict]:
    """Stored answers and score as quiz_score would give them, wrong on the given questions."""
    right, stored = 0, {}
    for question in questions:
        correct = sorted(c.pk for c in choices[question.pk] if c.is_correct)
        incorrect = sorted(c.pk for c in choices[question.pk] if not c.is_correct)
        if question.pk in wrong and incorrect:
            chosen = incorrect[:1]
        else:
            chosen = correct[:1] if question.kind == "single" else correct
        right += chosen == correct
        stored[str(question.pk)] = chosen
    return ((100 * right) // len(questions) if questions else 100), stored


def _quiz_plan(lesson: Lesson) -> QuizPlan:
    questions = list(lesson.questions.order_by("position", "id"))
    choices = Choice.objects.filter(question__in=questions).order_by("position", "id")
    by_question: dict[int, list] = {q.pk: [] for q in questions}
    for choice in choices:
        by_question[choice.question_id].append(choice)
    variants = [
        _answers(questions, by_question, {q.pk for q in questions[:n]})
        for n in range(len(questions) + 1)
    ]
    passing = [v for v in variants if v[0] >= lesson.pass_mark][:2]
    failing = [v for v in variants if v[0] < lesson.pass_mark][:2]
    return QuizPlan(
        max_attempts=lesson.max_attempts, passing=passing or variants[:1], failing=failing
    )


def _course_plans(courses: list[Course]) -> list[CoursePlan]:
    plans = []
    for course in courses:
        lesson_ids = course_lesson_ids(course_id=course.pk)
        quizzes = {
            lesson.pk: _quiz_plan(lesson)
            for lesson in Lesson.objects.filter(course=course, kind=LessonKind.QUIZ)
        }
        if lesson_ids:
            plans.append(CoursePlan(course.pk, course.title, lesson_ids, quizzes))
    return plans


def _communes(city: Unit) -> list[Unit]:
    return list(
        Unit.objects.filter(path__startswith=city.path, kind__in=COMMUNE_KINDS).order_by("code")
    )


def _short_name(commune: Unit) -> str:
    for prefix in ("Phường ", "Xã ", "Đặc khu "):
        if commune.name.startswith(prefix):
            return commune.name[len(prefix) :]
    return commune.name


@transaction.atomic
def _organisations_create(rng: random.Random, city: Unit, communes: list[Unit]) -> list[Unit]:
    """Agencies under the city, enterprises and schools under communes: paths as unit_create
    derives them."""
    rows: list[tuple[str, str, Unit]] = []
    agencies = AGENCY_NAMES[: ORGANISATION_COUNTS[UnitKind.AGENCY]]
    rows += [(UnitKind.AGENCY, name, city) for name in agencies]
    pairs = rng.sample(
        [(t, b) for t in ENTERPRISE_TRADES for b in ENTERPRISE_BRANDS],
        ORGANISATION_COUNTS[UnitKind.ENTERPRISE],
    )
    for trade, brand in pairs:
        form = rng.choice(ENTERPRISE_FORMS)
        rows.append((UnitKind.ENTERPRISE, f"{form} {trade} {brand}", rng.choice(communes)))
    levels, level_weights = list(SCHOOL_LEVELS), list(SCHOOL_LEVELS.values())
    seen: Counter = Counter()
    for _ in range(ORGANISATION_COUNTS[UnitKind.SCHOOL]):
        commune = rng.choice(communes)
        name = f"Trường {rng.choices(levels, level_weights)[0]} {_short_name(commune)}"
        seen[name] += 1
        rows.append(
            (UnitKind.SCHOOL, name if seen[name] == 1 else f"{name} số {seen[name]}", commune)
        )
    numbers: Counter = Counter()
    units = []
    for kind, name, parent in rows:
        numbers[kind] += 1
        code = f"{CITY_CODE}-{ORGANISATION_PREFIXES[kind]}-{numbers[kind]:03d}"
        units.append(
            Unit(
                code=code,
                name=name,
                kind=kind,
                parent=parent,
                path=f"{parent.path}{code}/",
                depth=parent.depth + 1,
            )
        )
    for unit in units:
        unit.full_clean()
    return Unit.objects.bulk_create(units)


# Generation ------------------------------------------------------------------------------


class _Picker:
    """Weighted choice by bisecting cumulative weights (random.choices re-adds them per call)."""

    def __init__(self, rng: random.Random, items: list, weights: list[float]):
        self.rng, self.items = rng, items
        self.cum = list(accumulate(weights))

    def __call__(self):
        return self.rng.choices(self.items, cum_weights=self.cum)[0]


def _full_name(rng: random.Random, family: _Picker) -> str:
    sex = "female" if rng.random() < 0.52 else "male"
    parts = [family(), rng.choice(MIDDLE_NAMES[sex])]
    if rng.random() < 0.15:  # four syllables: "Nguyễn Thị Hồng Nhung"
        parts[1] = "Thị" if sex == "female" else "Văn"
        parts.append(rng.choice([m for m in MIDDLE_NAMES[sex] if m not in ("Thị", "Văn")]))
    given = rng.choice(GIVEN_NAMES[sex])
    while given == parts[-1]:
        given = rng.choice(GIVEN_NAMES[sex])
    parts.append(given)
    return " ".join(parts)


class _RowWriter:
    """Inserts many rows of one model, given as tuples of `fields` (attribute names).

    On PostgreSQL, COPY, with keys drawn from the table's sequence first when the caller needs
    them: at this size bulk_create spends more time preparing each field of each model instance
    than the database spends inserting. Elsewhere (or with use_copy off), bulk_create. Fields
    not given get their model default (auto_now fields: now), as bulk_create would give them,
    so a column added to a model later needs no change here."""

    use_copy = True

    def __init__(self, model: type[models.Model], fields: tuple[str, ...], *, with_ids=False):
        self.model, self.fields, self.with_ids = model, fields, with_ids
        self.copy = self.use_copy and connection.vendor == "postgresql"
        meta = model._meta
        by_attname = {f.attname: f for f in meta.concrete_fields}
        given = [by_attname[name] for name in fields]
        self.json_fields = {i: f for i, f in enumerate(given) if isinstance(f, models.JSONField)}
        self.defaulted = [
            f
            for f in meta.concrete_fields
            if not f.primary_key
            and f.attname not in fields
            and not (f.has_db_default() and not f.has_default())  # the database fills it in
        ]
        quote = connection.ops.quote_name
        columns = [meta.pk.column] if with_ids else []
        columns += [f.column for f in given] + [f.column for f in self.defaulted]
        self.copy_sql = f"COPY {quote(meta.db_table)} ({', '.join(map(quote, columns))}) FROM STDIN"

    def _defaults(self) -> tuple:
        now = timezone.now()
        values = []
        for f in self.defaulted:
            auto = getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
            values.append(f.get_db_prep_save(now if auto else f.get_default(), connection))
        return tuple(values)

    def write(self, rows: list[tuple]) -> list[int]:
        """Insert the rows; with `with_ids`, return their primary keys in order."""
        if not rows:
            return []
        if not self.copy:
            objs = [self.model(**dict(zip(self.fields, row, strict=True))) for row in rows]
            self.model._base_manager.bulk_create(objs, batch_size=2000)
            return [obj.pk for obj in objs] if self.with_ids else []
        meta = self.model._meta
        defaults = self._defaults()
        with connection.cursor() as cursor:
            ids: list[int] = []
            if self.with_ids:
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                    [meta.db_table, meta.pk.column, len(rows)],
                )
                ids = [row[0] for row in cursor.fetchall()]
            with cursor.cursor.copy(self.copy_sql) as copy:
                for index, row in enumerate(rows):
                    if self.json_fields:
                        row = list(row)
                        for i, f in self.json_fields.items():
                            row[i] = f.get_db_prep_save(row[i], connection)
                    head = (ids[index],) if ids else ()
                    copy.write_row((*head, *row, *defaults))
        return ids


class _Generator:
    def __init__(
        self, *, rng, now, communes, organisations, plans: list[CoursePlan], password: str
    ):
        self.rng, self.now, self.plans, self.password = rng, now, plans, password
        self.family = _Picker(rng, list(FAMILY_NAMES), list(FAMILY_NAMES.values()))
        self.group = _Picker(rng, list(GROUP_WEIGHTS), list(GROUP_WEIGHTS.values()))
        # Uneven populations and engagement, so rankings are worth reading.
        self.home = _Picker(rng, communes, [rng.lognormvariate(0, 0.9) for _ in communes])
        self.workplace = {
            kind: _Picker(rng, units, [rng.lognormvariate(0, 0.7) for _ in units])
            for kind in ORGANISATION_PREFIXES
            if (units := [u for u in organisations if u.kind == kind])
        }
        self.course_count = _Picker(
            rng, list(COURSES_PER_LEARNER), list(COURSES_PER_LEARNER.values())
        )
        popularity = [COURSE_POPULARITY[i % len(COURSE_POPULARITY)] for i in range(len(plans))]
        self.popularity = dict(zip((p.id for p in plans), popularity, strict=True))
        self.codes: set[str] = set(Certificate.objects.values_list("code", flat=True))
        self.writers = {
            "user": _RowWriter(
                User,
                ("email", "full_name", "audience_group", "home_unit_id", "workplace_unit_id",
                 "password", "date_joined"),
                with_ids=True,
            ),
            "enrollment": _RowWriter(
                Enrollment,
                ("user_id", "course_id", "is_active", "unit_id", "unit_path", "audience_group",
                 "progress_percent", "completed_lessons", "last_lesson_id", "enrolled_at",
                 "started_at", "completed_at", "completed_day", "certified", "stats_shard"),
                with_ids=True,
            ),
            "completion": _RowWriter(
                LessonCompletion, ("enrollment_id", "lesson_id", "completed_at")
            ),
            "attempt": _RowWriter(
                QuizAttempt,
                ("enrollment_id", "lesson_id", "number", "score_percent", "passed", "answers",
                 "submitted_at"),
            ),
            "certificate": _RowWriter(
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

    def _ago(self, max_days: float) -> timedelta:
        return timedelta(seconds=self.rng.uniform(0, max_days * 86400))

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
            name = _full_name(rng, self.family)
            enrolments = [self._enrolment_plan(plan, group) for plan in self._courses(group)]
            joined = min(e["enrolled_at"] for e in enrolments) - self._ago(5)
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

    def _enrolment_plan(self, plan: CoursePlan, group: str) -> dict:
        """Progress as courses.services would have left it after the learner's steps."""
        rng, now, total = self.rng, self.now, len(plan.lesson_ids)
        not_started, part_way, _completed = PROGRESS_MIX[group]
        roll = rng.random()
        e = {"course": plan, "completions": [], "attempts": [], "last_lesson": None}
        e["started_at"] = e["completed_at"] = None
        if roll < not_started or (total == 1 and roll < not_started + part_way):
            e["enrolled_at"] = now - self._ago(ENROLMENT_WINDOW_DAYS)
            e["progress_percent"] = 0
            return e
        if roll < not_started + part_way:
            done = rng.randint(1, total - 1)
            end = now - self._ago(COMPLETION_WINDOW_DAYS)
        else:
            done = total
            end = e["completed_at"] = now - self._ago(COMPLETION_WINDOW_DAYS)
        started = end - timedelta(minutes=20) - self._ago(10)
        e["started_at"] = started
        e["enrolled_at"] = started - self._ago(3)
        step = (end - started) / (done - 1) if done > 1 else timedelta(0)
        for index, lesson in enumerate(plan.lesson_ids[:done]):
            at = started + step * index
            quiz = plan.quizzes.get(lesson)
            if quiz is not None:
                number = 1
                if index and quiz.failing and quiz.max_attempts != 1 and rng.random() < 0.25:
                    score, answers = rng.choice(quiz.failing)
                    e["attempts"].append((lesson, 1, score, False, answers, at - step / 2))
                    number = 2
                score, answers = rng.choice(quiz.passing)
                e["attempts"].append((lesson, number, score, True, answers, at))
            e["completions"].append((lesson, at))
        e["last_lesson"] = plan.lesson_ids[done - 1]
        e["progress_percent"] = (100 * done) // total
        following = plan.lesson_ids[done] if done < total else None
        quiz = plan.quizzes.get(following)
        # Some failed the test once or twice (always with a try left): quiz_submit then leaves
        # last_lesson on the quiz.
        tries_left = quiz.max_attempts - 1 if quiz and quiz.max_attempts else 2
        if quiz is not None and quiz.failing and tries_left >= 1 and rng.random() < 0.4:
            for number in range(1, rng.randint(1, min(2, tries_left)) + 1):
                score, answers = rng.choice(quiz.failing)
                at = e["completions"][-1][1] + timedelta(minutes=10 * number)
                e["attempts"].append((following, number, score, False, answers, at))
            e["last_lesson"] = following
        return e


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
    plans = _course_plans(courses)
    if not plans:
        raise ValueError("No published demo course with lessons to enrol learners in.")
    summary.removed = load_remove()
    if summary.removed:
        removed = ", ".join(f"{label} {n}" for label, n in summary.removed.items())
        say(f"removed the previous data set: {removed} ({time.perf_counter() - started:.1f} s)")
        tables_maintain("VACUUM", say)
    rng = random.Random(seed)
    city = Unit.objects.get(code=CITY_CODE)
    communes = _communes(city)
    organisations = _organisations_create(rng, city, communes)
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
