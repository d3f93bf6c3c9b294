"""The data of the URL walk: our scope (Hải Phòng, 31, and its ward 11311), two other scopes
full of marked objects, and the roles that walk.

"Theirs" comes twice, because "another scope" depends on who asks:
- P, the other province: Hà Nội (01), its ward Ba Đình (00004) for the learner;
- C, a sibling ward inside our city: Thành Đông (10510), outside ward 11311 but inside 31.

Every object of P and C that a URL can name carries a marker (`ZZ-THEIRS-<scope>-<kind>`) in
its title, text, name or email, and each scope's statistics carry figures no other number on a
page has. Units themselves are public (sign-up shows every commune): they carry no marker.
Marker values never go into a URL parameter, so a page that echoes its own address (a log-in
`next`, a 404 page) cannot fake a leak.
"""

import datetime
from dataclasses import dataclass, field

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.utils import timezone
from django_celery_beat.models import (
    ClockedSchedule,
    CrontabSchedule,
    IntervalSchedule,
    PeriodicTask,
    SolarSchedule,
)

from accounts.models import Role, UnitRole, User
from audit.models import AuditAction, AuditEvent
from courses.models import (
    Assignment,
    Certificate,
    Choice,
    Course,
    Enrollment,
    Lesson,
    LessonCompletion,
    Module,
    Question,
    QuizAttempt,
)
from courses.services import course_search_text_refresh, enrollment_create
from courses.services.roles import roles_setup
from reports.models import DailyStat, ExportJob, StatsRun, UnitStat
from tests.accounts.factories import UserFactory, totp_enable
from tests.courses.factories import author_create, course_build
from units.loader import units_load
from units.models import Unit

CITY = "31"  # Hải Phòng
WARD = "11311"  # Phường Hồng Bàng
OTHER_PROVINCE = "01"  # Hà Nội
OTHER_PROVINCE_WARD = "00004"  # Phường Ba Đình
SIBLING_WARD = "10510"  # Phường Thành Đông, in Hải Phòng

# The kinds of marked objects; no marker is a prefix of another (each ends the same way).
COURSE_CONTENT = ("COURSE", "MODULE", "READING", "BODY", "QUIZ", "QUESTION", "CHOICE", "HANDOUT")
PEOPLE = ("LEARNER", "OFFICIAL", "AUTHOR")
PRIVATE_RECORDS = ("EXPORT", "AUDIT", "GROUP", "TASK")
MARKER_KINDS = COURSE_CONTENT + PEOPLE + PRIVATE_RECORDS


def marker(scope: str, kind: str) -> str:
    return f"ZZ-THEIRS-{scope}-{kind}-ZZ"


@dataclass
class Scope:
    """One other scope: every kind of object a URL parameter can name, each marked."""

    key: str
    owner_unit: Unit  # owns the course, binds the official, the export and the assignment
    home_unit: Unit  # the learner's commune
    province_code: str
    figures: tuple[int, ...]
    objects: dict = field(default_factory=dict)
    media_path: str = ""  # the draft lesson's handout, relative to MEDIA_ROOT
    private_path: str = ""  # the export file, reached from MEDIA_ROOT by "../private/"

    def marker(self, kind: str) -> str:
        return marker(self.key, kind)

    @property
    def markers(self) -> dict[str, str]:
        return {kind: self.marker(kind) for kind in MARKER_KINDS}


@dataclass
class Walker:
    """A role that walks every URL.

    `scopes`: the other scopes whose objects fill its URL parameters (outside its own scope).
    `may_see`: (scope, marker kind) pairs inside its own scope, which it may be shown.
    `may_see_figures`: scopes whose statistics are inside its reports scope.
    """

    name: str
    kind: str  # anonymous, learner, official, content_admin, superuser
    user: User | None
    scopes: tuple[str, ...]
    unit_code: str = ""  # the unit of its role
    may_see: frozenset = frozenset()
    may_see_figures: frozenset = frozenset()


def _other_scope(key: str, *, owner: str, home: str, province: str, figures) -> Scope:
    scope = Scope(
        key=key,
        owner_unit=Unit.objects.get(code=owner),
        home_unit=Unit.objects.get(code=home),
        province_code=province,
        figures=figures,
    )
    m = scope.marker
    o = scope.objects
    o["owner_unit"] = scope.owner_unit
    lower = key.lower()
    n = 1 + "PC".index(key)  # tells the two scopes' schedules apart

    o["learner"] = UserFactory(
        email=f"{m('LEARNER').lower()}@example.com",
        full_name=f"Trần Thị {m('LEARNER')}",
        home_unit=scope.home_unit,
    )
    o["email_address"] = EmailAddress.objects.get(user=o["learner"])
    o["official"] = UserFactory(
        email=f"{m('OFFICIAL').lower()}@example.com",
        full_name=f"Lê Văn {m('OFFICIAL')}",
        home_unit=scope.home_unit,
        audience_group="official",
    )
    o["unit_role"] = UnitRole.objects.create(
        user=o["official"], role=Role.OFFICIAL, unit=scope.owner_unit
    )
    totp_enable(o["official"])
    o["author"] = author_create(unit=scope.owner_unit, email=f"{m('AUTHOR').lower()}@example.com")
    User.objects.filter(pk=o["author"].pk).update(full_name=f"Phạm Văn {m('AUTHOR')}")
    o["authenticator"] = Authenticator.objects.get(user=o["official"], type="totp")

    # A draft course of that scope: module, reading lesson with a handout, quiz, question.
    course = Course.objects.create(
        title=f"Khóa nháp {m('COURSE')}",
        slug=f"{lower}-draft-course",  # slugs are URL parameters: no marker
        summary="Tóm tắt.",
        competency_area="safety",
        audiences=",citizen,official,",
        status="draft",
        owner_unit=scope.owner_unit,
    )
    module = Module.objects.create(course=course, title=f"Chương {m('MODULE')}", position=1)
    reading = Lesson.objects.create(
        module=module,
        course=course,
        title=f"Bài đọc {m('READING')}",
        kind="reading",
        position=1,
        body=f"<p>Nội dung {m('BODY')}</p>",
    )
    reading.attachment.save(f"{lower}-handout.txt", ContentFile(m("HANDOUT").encode()))
    scope.media_path = reading.attachment.name
    quiz = Lesson.objects.create(
        module=module,
        course=course,
        title=f"Bài kiểm tra {m('QUIZ')}",
        kind="quiz",
        position=2,
        pass_mark=100,
    )
    question = Question.objects.create(lesson=quiz, text=f"Câu hỏi {m('QUESTION')}", position=1)
    choice = Choice.objects.create(
        question=question, text=f"Đáp án {m('CHOICE')}", is_correct=True, position=1
    )
    Choice.objects.create(question=question, text="Đáp án sai", position=2)
    course_search_text_refresh(course=course)
    o.update(course=course, module=module, reading=reading, quiz=quiz, question=question)
    o["choice"] = choice

    # The learner took it while it was open, and holds a certificate of it.
    now = timezone.now()
    enrollment = Enrollment.objects.create(
        user=o["learner"],
        course=course,
        unit=scope.home_unit,
        unit_path=scope.home_unit.path,
        audience_group="citizen",
        progress_percent=100,
        completed_lessons=2,
        started_at=now,
        completed_at=now,
        certified=True,
    )
    LessonCompletion.objects.create(enrollment=enrollment, lesson=reading)
    LessonCompletion.objects.create(enrollment=enrollment, lesson=quiz)
    QuizAttempt.objects.create(
        enrollment=enrollment,
        lesson=quiz,
        number=1,
        score_percent=100,
        passed=True,
        answers={str(question.pk): [choice.pk]},
    )
    o["enrollment"] = enrollment
    o["certificate"] = Certificate.objects.create(
        enrollment=enrollment, full_name=o["learner"].full_name, course_title=course.title
    )
    o["assignment"] = Assignment.objects.create(
        course=course,
        unit=scope.owner_unit,
        due_date=datetime.date(2026, 12, 31),
        created_by=o["author"],
    )

    # The official's finished export, its file in the private root.
    export = ExportJob.objects.create(
        requester=o["official"],
        unit=scope.owner_unit,
        file_format="csv",
        status=ExportJob.Status.DONE,
        params={"label": m("EXPORT")},
        finished_at=now,
    )
    export.file.save(f"{lower}-export.csv", ContentFile(f"{m('EXPORT')},{figures[0]}\n".encode()))
    o["export"] = export
    scope.private_path = f"../private/{export.file.name}"

    learners, enrolled, completed = figures
    o["unit_stat"] = UnitStat.objects.create(
        unit=scope.owner_unit,
        course_key=0,
        audience_group="*",
        learners=learners,
        enrolled=enrolled,
        completed=completed,
    )
    DailyStat.objects.create(unit=scope.owner_unit, day=now.date(), completed=completed)
    o["audit_event"] = AuditEvent.objects.create(
        actor=o["official"],
        actor_email=o["official"].email,
        action=AuditAction.EXPORT_DOWNLOADED,
        target_repr=m("AUDIT"),
        details={"unit": scope.owner_unit.code},
    )
    o["group"] = Group.objects.create(name=m("GROUP"))
    interval = IntervalSchedule.objects.create(every=10 + n, period="minutes")
    o["interval_schedule"] = interval
    o["periodic_task"] = PeriodicTask.objects.create(
        name=m("TASK"), task="reports.stats_incremental", interval=interval, enabled=False
    )
    o["crontab_schedule"] = CrontabSchedule.objects.create(minute="7", hour=str(n))
    o["solar_schedule"] = SolarSchedule.objects.create(
        event="sunrise", latitude=21 - n, longitude=105.85
    )
    o["clocked_schedule"] = ClockedSchedule.objects.create(clocked_time=now)
    o["stats_run"] = StatsRun.objects.create(kind="full", finished_at=now)
    return scope


@dataclass
class World:
    scopes: dict[str, Scope]
    walkers: dict[str, Walker]
    our_course: Course


def world_build() -> World:
    units_load()
    scopes = {
        "P": _other_scope(
            "P",
            owner=OTHER_PROVINCE,
            home=OTHER_PROVINCE_WARD,
            province=OTHER_PROVINCE,
            figures=(738291, 738292, 738293),
        ),
        "C": _other_scope(
            "C",
            owner=SIBLING_WARD,
            home=SIBLING_WARD,
            province=CITY,
            figures=(649301, 649302, 649303),
        ),
    }
    city, ward = Unit.objects.get(code=CITY), Unit.objects.get(code=WARD)

    # Ours: a published course of the ward, which our learner follows.
    our_course = course_build(title="Khóa học của phường", slug="khoa-hoc-cua-phuong")
    Course.objects.filter(pk=our_course.pk).update(owner_unit=ward)
    our_learner = UserFactory(email="hocvien.hongbang@example.com", home_unit=ward)
    enrollment_create(user=our_learner, course=our_course)

    def official(code: str, email: str) -> User:
        user = UserFactory(email=email, home_unit=ward, audience_group="official")
        UnitRole.objects.create(user=user, role=Role.OFFICIAL, unit=Unit.objects.get(code=code))
        return user

    # In a content administrator's scope: the courses, their learners, and who assigned them.
    course_kinds = COURSE_CONTENT + ("LEARNER", "AUTHOR")
    walkers = [
        Walker("anonymous", "anonymous", None, ("P", "C")),
        Walker("learner_ours", "learner", our_learner, ("P", "C")),
        Walker(
            "learner_theirs",
            "learner",
            UserFactory(
                email="hocvien.badinh@example.com",
                home_unit=Unit.objects.get(code=OTHER_PROVINCE_WARD),
            ),
            ("P", "C"),
        ),
        Walker(
            "official_city",
            "official",
            official(CITY, "canbo.haiphong@example.com"),
            ("P",),
            CITY,
            may_see_figures=frozenset({"C"}),
        ),
        Walker(
            "official_ward",
            "official",
            official(WARD, "canbo.hongbang@example.com"),
            ("C", "P"),
            WARD,
        ),
        Walker(
            "content_admin_city",
            "content_admin",
            author_create(unit=city, email="quantri.haiphong@example.com"),
            ("P",),
            CITY,
            may_see=frozenset(("C", kind) for kind in course_kinds),
        ),
        Walker(
            "content_admin_ward",
            "content_admin",
            author_create(unit=ward, email="quantri.hongbang@example.com"),
            ("C", "P"),
            WARD,
        ),
        Walker(
            "content_admin_other_province",
            "content_admin",
            author_create(
                unit=Unit.objects.get(code=OTHER_PROVINCE), email="quantri.hanoi@example.com"
            ),
            ("C",),
            OTHER_PROVINCE,
            may_see=frozenset(("P", kind) for kind in course_kinds),
        ),
        Walker(
            "superuser",
            "superuser",
            UserFactory(email="sieuquantri@example.com", is_staff=True, is_superuser=True),
            ("P",),
            "VN",
        ),
    ]
    roles_setup()  # officials join their group as `setup_roles` makes them
    return World(
        scopes=scopes,
        walkers={walker.name: walker for walker in walkers},
        our_course=Course.objects.get(pk=our_course.pk),
    )
