"""Content administration: unit-scoped authors, the publishing rules, copies, preview and
assignments, driven through the admin as an administrator would."""

import datetime
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.db.models.fields.files import FieldFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role, UnitRole, User
from courses.models import (
    Assignment,
    Choice,
    Course,
    CourseStatus,
    Lesson,
    LessonKind,
    Module,
    Question,
)
from courses.permissions import (
    CONTENT_ADMINS_GROUP,
    OFFICIALS_GROUP,
    content_courses,
)
from courses.services import assignments
from courses.services.roles import roles_setup
from tests.courses.test_certificates import certificate_earn
from tests.factories import UserFactory, course_build, sign_in
from units.services import unit_create

# Fixtures --------------------------------------------------------------------------------


@pytest.fixture
def provinces(db):
    """The nation, Hải Phòng (31) and Hà Nội (01), one ward each: enough tree for scoping."""
    nation = unit_create(code="VN", name="Việt Nam", kind="nation", parent=None)
    hai_phong = unit_create(code="31", name="Thành phố Hải Phòng", kind="city", parent=nation)
    ha_noi = unit_create(code="01", name="Thành phố Hà Nội", kind="city", parent=nation)
    hp_ward = unit_create(code="11560", name="Phường Hồng Bàng", kind="ward", parent=hai_phong)
    hn_ward = unit_create(code="00004", name="Phường Ba Đình", kind="ward", parent=ha_noi)
    return SimpleNamespace(
        nation=nation, hai_phong=hai_phong, ha_noi=ha_noi, hp_ward=hp_ward, hn_ward=hn_ward
    )


def author_create(*, unit, email: str) -> User:
    """A staff user with a content-administrator role at `unit`, set up as `setup_roles` does."""
    user = UserFactory(email=email, is_staff=True, audience_group="official")
    UnitRole.objects.create(user=user, role=Role.CONTENT_ADMIN, unit=unit)
    roles_setup()
    return User.objects.get(pk=user.pk)


def client_for(user: User) -> Client:
    client = Client()
    sign_in(client, user)
    client.cookies["django_language"] = "en"
    return client


def course_owned(unit, *, title: str, slug: str, status: str = "published", **kwargs) -> Course:
    course = course_build(title=title, slug=slug, status=status, **kwargs)
    Course.objects.filter(pk=course.pk).update(owner_unit=unit)
    course.refresh_from_db()
    return course


@pytest.fixture
def hp_author(provinces):
    return author_create(unit=provinces.hai_phong, email="quantri.haiphong@example.com")


@pytest.fixture
def hn_author(provinces):
    return author_create(unit=provinces.ha_noi, email="quantri.hanoi@example.com")


@pytest.fixture
def hp_client(hp_author):
    return client_for(hp_author)


@pytest.fixture
def hn_client(hn_author):
    return client_for(hn_author)


@pytest.fixture
def superuser_client(provinces):
    superuser = User.objects.create_superuser(
        email="quan-tri@example.com", password="x", full_name="Quản trị viên"
    )
    return client_for(superuser)


@pytest.fixture
def hp_course(provinces):
    return course_owned(provinces.hai_phong, title="An toàn mạng Hải Phòng", slug="an-toan-hp")


@pytest.fixture
def hn_course(provinces):
    return course_owned(provinces.ha_noi, title="Dịch vụ công Hà Nội", slug="dich-vu-cong-hn")


def page(response) -> str:
    return response.content.decode()


def shown_messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def _encode(name: str, value) -> dict:
    if value is None or isinstance(value, FieldFile) or value is False:
        return {}
    if value is True:
        return {name: "on"}
    if isinstance(value, list | tuple):
        return {name: [str(v) for v in value]}
    if isinstance(value, datetime.date):
        return {name: value.isoformat()}
    return {name: str(value)}


def changeform_data(response) -> dict:
    """What the browser would post back from an admin change form, unchanged."""
    data = {}
    form = response.context["adminform"].form
    for name in form.fields:
        data.update(_encode(form.add_prefix(name), form[name].value()))
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        for name in management.fields:
            data[management.add_prefix(name)] = str(management[name].value())
        for inline_form in formset.forms:
            for name in inline_form.fields:
                data.update(_encode(inline_form.add_prefix(name), inline_form[name].value()))
    return data


def changelist_ids(client, model: str) -> set[int]:
    response = client.get(reverse(f"admin:courses_{model}_changelist"))
    assert response.status_code == 200
    return {obj.pk for obj in response.context["cl"].result_list}


# Roles -----------------------------------------------------------------------------------


def test_setup_roles_is_idempotent_and_enrols_role_holders(provinces, capsys):
    author = UserFactory(email="quantri@example.com", is_staff=True)
    UnitRole.objects.create(user=author, role=Role.CONTENT_ADMIN, unit=provinces.hai_phong)
    official = UserFactory(email="canbo@example.com")
    UnitRole.objects.create(user=official, role=Role.OFFICIAL, unit=provinces.hai_phong)

    call_command("setup_roles")
    call_command("setup_roles")

    authors = Group.objects.get(name=CONTENT_ADMINS_GROUP)
    codes = set(authors.permissions.values_list("content_type__app_label", "codename"))
    assert ("courses", "change_course") in codes
    assert ("courses", "add_assignment") in codes
    assert ("courses", "view_certificate") in codes
    assert ("courses", "change_certificate") not in codes
    assert ("courses", "delete_course") not in codes
    assert ("accounts", "change_user") in codes
    assert ("units", "view_unit") in codes
    assert len(codes) == 18 + 3 + 2 + 3 + 1
    assert list(authors.user_set.all()) == [author]
    assert list(Group.objects.get(name=OFFICIALS_GROUP).user_set.all()) == [official]
    assert Group.objects.filter(name__in=[CONTENT_ADMINS_GROUP, OFFICIALS_GROUP]).count() == 2
    assert "Quản trị nội dung: 27 permissions, 1 members" in capsys.readouterr().out


def test_non_staff_role_holder_is_not_an_author(provinces):
    learner = UserFactory()
    UnitRole.objects.create(user=learner, role=Role.CONTENT_ADMIN, unit=provinces.hai_phong)
    course_owned(provinces.hai_phong, title="Khóa", slug="khoa")

    assert not content_courses(user=learner).exists()


# Scope: lists ----------------------------------------------------------------------------


@pytest.mark.parametrize("model", ["course", "module", "lesson", "question"])
def test_each_author_sees_only_their_provinces_content(
    hp_client, hn_client, hp_course, hn_course, model
):
    rows = {
        "course": lambda c: {c.pk},
        "module": lambda c: set(c.modules.values_list("pk", flat=True)),
        "lesson": lambda c: set(c.lessons.values_list("pk", flat=True)),
        "question": lambda c: set(
            Question.objects.filter(lesson__course=c).values_list("pk", flat=True)
        ),
    }[model]

    assert changelist_ids(hp_client, model) == rows(hp_course)
    assert changelist_ids(hn_client, model) == rows(hn_course)


def test_enrolments_certificates_and_assignments_are_scoped_too(hp_client, hn_client, provinces):
    simple = {"quiz": False, "modules": 1}
    hp_course = course_owned(provinces.hai_phong, title="HP", slug="hp", **simple)
    hn_course = course_owned(provinces.ha_noi, title="HN", slug="hn", **simple)
    hp_certificate = certificate_earn(user=UserFactory(), course=hp_course)
    hn_certificate = certificate_earn(user=UserFactory(), course=hn_course)
    due = timezone.localdate() + datetime.timedelta(days=30)
    hp_assignment = Assignment.objects.create(
        course=hp_course, unit=provinces.hai_phong, due_date=due
    )
    hn_assignment = Assignment.objects.create(course=hn_course, unit=provinces.ha_noi, due_date=due)

    assert changelist_ids(hp_client, "enrollment") == {hp_certificate.enrollment_id}
    assert changelist_ids(hp_client, "certificate") == {hp_certificate.pk}
    assert changelist_ids(hp_client, "assignment") == {hp_assignment.pk}
    assert changelist_ids(hn_client, "certificate") == {hn_certificate.pk}
    assert changelist_ids(hn_client, "assignment") == {hn_assignment.pk}


def test_national_author_and_superuser_see_every_course(
    provinces, hp_course, hn_course, superuser_client
):
    national = client_for(author_create(unit=provinces.nation, email="quantri.tw@example.com"))

    assert changelist_ids(national, "course") == {hp_course.pk, hn_course.pk}
    assert changelist_ids(superuser_client, "course") == {hp_course.pk, hn_course.pk}


def test_staff_without_a_content_role_sees_no_course(provinces, hp_course):
    staff = UserFactory(email="nhanvien@example.com", is_staff=True)
    staff.groups.add(roles_setup()[CONTENT_ADMINS_GROUP])

    assert changelist_ids(client_for(staff), "course") == set()


# Scope: another province's objects -------------------------------------------------------


def test_another_provinces_course_page_does_not_exist(hp_client, hn_client, hp_course):
    url = reverse("admin:courses_course_change", args=[hp_course.pk])
    assert hp_client.get(url).status_code == 200

    response = hn_client.get(url)

    assert response.status_code == 302
    assert response.url == reverse("admin:index")


def test_posting_to_another_provinces_course_changes_nothing(hp_client, hn_client, hp_course):
    url = reverse("admin:courses_course_change", args=[hp_course.pk])
    data = changeform_data(hp_client.get(url))
    data["title"] = "Bị sửa trái phép"
    before = Course.objects.filter(pk=hp_course.pk).values().get()

    response = hn_client.post(url, data)

    assert response.status_code == 302
    assert response.url == reverse("admin:index")
    assert Course.objects.filter(pk=hp_course.pk).values().get() == before
    assert hp_course.modules.count() == 2


def test_deleting_another_provinces_course_deletes_nothing(hn_author, hn_client, hp_course):
    url = reverse("admin:courses_course_delete", args=[hp_course.pk])
    assert hn_client.post(url, {"post": "yes"}).status_code == 403  # the role cannot delete

    hn_author.user_permissions.add(Permission.objects.get(codename="delete_course"))
    response = client_for(hn_author).post(url, {"post": "yes"})

    assert response.status_code == 302
    assert response.url == reverse("admin:index")
    assert Course.objects.filter(pk=hp_course.pk).exists()


@pytest.mark.parametrize("model", ["module", "lesson", "question"])
def test_another_provinces_content_pages_do_not_exist(hn_client, hp_course, model):
    obj = {
        "module": hp_course.modules.first,
        "lesson": hp_course.lessons.first,
        "question": Question.objects.filter(lesson__course=hp_course).first,
    }[model]()
    url = reverse(f"admin:courses_{model}_change", args=[obj.pk])
    rows = type(obj).objects.filter(pk=obj.pk)
    before = rows.values().get()

    get = hn_client.get(url)
    post = hn_client.post(url, {"title": "x", "text": "x"})

    assert get.status_code == post.status_code == 302
    assert get.url == reverse("admin:index")
    assert rows.values().get() == before


def test_actions_ignore_another_provinces_course(hn_client, hp_course):
    Course.objects.filter(pk=hp_course.pk).update(status=CourseStatus.DRAFT)

    hn_client.post(
        reverse("admin:courses_course_changelist"),
        {"action": "archive_courses", "_selected_action": [hp_course.pk]},
    )

    hp_course.refresh_from_db()
    assert hp_course.status == CourseStatus.DRAFT


def test_preview_of_another_province_is_not_found(hn_client, hp_course):
    lesson = hp_course.lessons.first()

    assert hn_client.get(reverse("courses:preview_course", args=[hp_course.pk])).status_code == 404
    assert (
        hn_client.get(reverse("courses:preview_lesson", args=[hp_course.pk, lesson.pk])).status_code
        == 404
    )


# Scope: choices ---------------------------------------------------------------------------


def course_add_data(unit, **changes) -> dict:
    data = {
        "title": "Kỹ năng số cho cán bộ",
        "slug": "ky-nang-so-can-bo",
        "summary": "Tóm tắt",
        "description": "",
        "owner_unit": unit.pk,
        "audiences": ["official"],
        "competency_area": "safety",
        "level": "basic",
        "estimated_minutes": 30,
        "sequential": "on",
        "cover_alt": "",
        "status": CourseStatus.DRAFT,
        "modules-TOTAL_FORMS": 1,
        "modules-INITIAL_FORMS": 0,
        "modules-MIN_NUM_FORMS": 0,
        "modules-MAX_NUM_FORMS": 1000,
        "modules-0-title": "Chương mở đầu",
        "modules-0-position": 0,
    }
    data.update(changes)
    return data


def test_an_empty_slug_is_made_from_the_vietnamese_title(hp_client, provinces):
    for _ in range(2):
        data = course_add_data(provinces.hp_ward, title="Chuyển đổi số cho cán bộ phường", slug="")
        assert hp_client.post(reverse("admin:courses_course_add"), data).status_code == 302
    slugs = set(Course.objects.values_list("slug", flat=True))
    assert slugs == {"chuyen-doi-so-cho-can-bo-phuong", "chuyen-doi-so-cho-can-bo-phuong-2"}


def test_author_creates_a_draft_course_in_their_unit(hp_client, provinces):
    response = hp_client.post(
        reverse("admin:courses_course_add"), course_add_data(provinces.hp_ward)
    )

    assert response.status_code == 302, page(response)[:3000]
    course = Course.objects.get(slug="ky-nang-so-can-bo")
    assert course.owner_unit == provinces.hp_ward
    assert course.audiences == ",official,"
    assert course.status == CourseStatus.DRAFT
    assert list(course.modules.values_list("title", "position")) == [("Chương mở đầu", 1)]


def test_an_out_of_scope_owner_unit_is_a_form_error(hp_client, provinces):
    response = hp_client.post(
        reverse("admin:courses_course_add"), course_add_data(provinces.ha_noi)
    )

    assert response.status_code == 200
    assert "owner_unit" in response.context["adminform"].form.errors
    assert not Course.objects.filter(slug="ky-nang-so-can-bo").exists()


def test_new_course_form_starts_at_the_authors_unit(hp_client, provinces):
    response = hp_client.get(reverse("admin:courses_course_add"))

    form = response.context["adminform"].form
    assert form.initial["owner_unit"] == provinces.hai_phong.pk
    assert set(form.fields["owner_unit"].queryset) == {provinces.hai_phong, provinces.hp_ward}


def test_only_the_nation_chooses_featured_courses(hp_client, provinces, hp_course):
    national = client_for(author_create(unit=provinces.nation, email="quantri.tw@example.com"))
    url = reverse("admin:courses_course_change", args=[hp_course.pk])

    assert "featured" not in hp_client.get(url).context["adminform"].form.fields
    assert "featured" in national.get(url).context["adminform"].form.fields


def test_unit_search_returns_only_units_in_scope(hp_client, provinces):
    response = hp_client.get(
        reverse("admin:courses_course_autocomplete"),
        {"app_label": "courses", "model_name": "course", "field_name": "owner_unit", "term": ""},
    )

    assert response.status_code == 200
    names = {item["text"] for item in response.json()["results"]}
    assert names == {"Thành phố Hải Phòng", "Phường Hồng Bàng"}


def test_module_search_shows_only_scoped_modules_with_their_course(hp_client, hp_course, hn_course):
    response = hp_client.get(
        reverse("admin:courses_course_autocomplete"),
        {"app_label": "courses", "model_name": "lesson", "field_name": "module", "term": "Chương"},
    )

    texts = {item["text"] for item in response.json()["results"]}
    assert texts == {f"{hp_course.title} › Chương 1", f"{hp_course.title} › Chương 2"}


def test_a_lesson_cannot_be_added_to_another_provinces_module(hp_client, hn_course):
    module = hn_course.modules.first()

    response = hp_client.post(
        reverse("admin:courses_lesson_add"),
        lesson_data(module, title="Bài chen ngang"),
    )

    assert response.status_code == 200
    assert "module" in response.context["adminform"].form.errors
    assert not Lesson.objects.filter(title="Bài chen ngang").exists()


# Authoring rules -------------------------------------------------------------------------


def lesson_data(module, **changes) -> dict:
    data = {
        "module": module.pk,
        "title": "Bài mới",
        "kind": LessonKind.READING,
        "position": 0,
        "estimated_minutes": 5,
        "body": "<p>Nội dung</p>",
        "video_url": "",
        "transcript": "",
        "pass_mark": 80,
        "max_attempts": 3,
    }
    data.update(changes)
    return data


@pytest.mark.parametrize("pass_mark", [0, 101])
def test_pass_mark_must_be_between_1_and_100(hp_client, hp_course, pass_mark):
    module = hp_course.modules.last()

    response = hp_client.post(
        reverse("admin:courses_lesson_add"),
        lesson_data(module, kind=LessonKind.QUIZ, title="Kiểm tra", pass_mark=pass_mark),
    )

    assert response.status_code == 200
    assert "pass_mark" in response.context["adminform"].form.errors
    assert not Lesson.objects.filter(title="Kiểm tra").exists()


def test_a_new_lesson_goes_to_the_end_of_its_module_with_clean_html(hp_client, hp_course):
    module = hp_course.modules.first()

    response = hp_client.post(
        reverse("admin:courses_lesson_add"),
        lesson_data(module, body='<p onclick="x()">Chào</p><script>alert(1)</script>'),
    )

    assert response.status_code == 302, page(response)[:3000]
    lesson = Lesson.objects.get(title="Bài mới")
    assert lesson.body == "<p>Chào</p>"
    assert lesson.course == hp_course
    assert lesson.position == 3  # after "Bài 1.1" and "Bài 1.2"


def test_a_lesson_moves_only_between_modules_of_its_course(hp_client, hp_course, hn_course):
    lesson = hp_course.lessons.first()
    url = reverse("admin:courses_lesson_change", args=[lesson.pk])

    queryset = hp_client.get(url).context["adminform"].form.fields["module"].queryset

    assert set(queryset) == set(hp_course.modules.all())


def question_data(lesson, *, kind="single", choices=(("Đúng", True), ("Sai", False))) -> dict:
    data = {
        "lesson": lesson.pk,
        "text": "Câu hỏi mới?",
        "kind": kind,
        "explanation": "",
        "position": 0,
        "choices-TOTAL_FORMS": len(choices),
        "choices-INITIAL_FORMS": 0,
        "choices-MIN_NUM_FORMS": 0,
        "choices-MAX_NUM_FORMS": 1000,
    }
    for index, (text, correct) in enumerate(choices):
        data[f"choices-{index}-text"] = text
        data[f"choices-{index}-position"] = 0
        if correct:
            data[f"choices-{index}-is_correct"] = "on"
    return data


@pytest.mark.parametrize(
    ("kind", "choices", "error"),
    [
        ("single", [("A", False), ("B", False)], "Mark at least one choice as correct."),
        (
            "single",
            [("A", True), ("B", True)],
            "A single-choice question must have exactly one correct choice.",
        ),
        ("multiple", [("A", True)], "A question needs at least two choices."),
    ],
)
def test_a_question_needs_a_valid_answer_key(hp_client, hp_course, kind, choices, error):
    quiz = hp_course.lessons.get(kind=LessonKind.QUIZ)

    response = hp_client.post(
        reverse("admin:courses_question_add"), question_data(quiz, kind=kind, choices=choices)
    )

    assert response.status_code == 200
    formset_errors = response.context["inline_admin_formsets"][0].formset.non_form_errors()
    assert error in formset_errors
    assert not Question.objects.filter(text="Câu hỏi mới?").exists()


def test_a_valid_question_is_added_at_the_end_of_its_quiz(hp_client, hp_course):
    quiz = hp_course.lessons.get(kind=LessonKind.QUIZ)

    response = hp_client.post(
        reverse("admin:courses_question_add"),
        question_data(quiz, kind="multiple", choices=[("A", True), ("B", True), ("C", False)]),
    )

    assert response.status_code == 302, page(response)[:3000]
    question = Question.objects.get(text="Câu hỏi mới?")
    assert question.position == 3
    assert list(question.choices.values_list("text", "is_correct", "position")) == [
        ("A", True, 1),
        ("B", True, 2),
        ("C", False, 3),
    ]


def test_question_form_only_offers_quizzes_in_scope(hp_client, hp_course, hn_course):
    response = hp_client.get(reverse("admin:courses_question_add"))

    queryset = response.context["adminform"].form.fields["lesson"].queryset
    assert set(queryset) == {hp_course.lessons.get(kind=LessonKind.QUIZ)}


def test_the_last_question_of_a_live_quiz_cannot_be_deleted(provinces, hp_course):
    quiz = hp_course.lessons.get(kind=LessonKind.QUIZ)
    editor = author_create(unit=provinces.hai_phong, email="bientap@example.com")
    editor.user_permissions.add(Permission.objects.get(codename="delete_question"))
    client = client_for(editor)
    url = reverse("admin:courses_lesson_change", args=[quiz.pk])
    data = changeform_data(client.get(url))
    for index in range(quiz.questions.count()):
        data[f"questions-{index}-DELETE"] = "on"

    response = client.post(url, data)

    assert response.status_code == 200
    assert "A quiz in a published course needs at least one question." in page(response)
    assert quiz.questions.count() == 2


# Publishing ------------------------------------------------------------------------------


def test_publish_action_refuses_a_course_without_lessons(hp_client, provinces):
    empty = Course.objects.create(
        title="Khóa rỗng",
        slug="khoa-rong",
        summary="-",
        competency_area="safety",
        owner_unit=provinces.hai_phong,
    )

    response = hp_client.post(
        reverse("admin:courses_course_changelist"),
        {"action": "publish_courses", "_selected_action": [empty.pk]},
        follow=True,
    )

    assert "“Khóa rỗng” was not published: Add at least one lesson before publishing." in (
        shown_messages(response)
    )
    empty.refresh_from_db()
    assert empty.status == CourseStatus.DRAFT
    assert empty.published_at is None


def test_publish_action_lists_every_problem(hp_client, provinces):
    course = course_owned(provinces.hai_phong, title="Nháp", slug="nhap", status="draft")
    quiz = course.lessons.get(kind=LessonKind.QUIZ)
    Lesson.objects.create(
        module=quiz.module, course=course, title="Kiểm tra trống", kind=LessonKind.QUIZ
    )
    Choice.objects.filter(question__lesson=quiz).update(is_correct=False)

    response = hp_client.post(
        reverse("admin:courses_course_changelist"),
        {"action": "publish_courses", "_selected_action": [course.pk]},
        follow=True,
    )

    [message] = shown_messages(response)
    assert "The quiz “Kiểm tra trống” has no questions." in message
    assert "Mark at least one choice as correct." in message
    assert Course.objects.get(pk=course.pk).status == CourseStatus.DRAFT


def test_status_workflow_actions(hp_client, provinces):
    course = course_owned(provinces.hai_phong, title="Nháp", slug="nhap", status="draft")
    url = reverse("admin:courses_course_changelist")
    before = course.updated_at

    response = hp_client.post(
        url, {"action": "publish_courses", "_selected_action": [course.pk]}, follow=True
    )
    course.refresh_from_db()
    assert "1 course published." in shown_messages(response)
    assert course.status == CourseStatus.PUBLISHED
    assert course.published_at is not None
    assert course.updated_at > before  # the statistics engine notices

    hp_client.post(url, {"action": "archive_courses", "_selected_action": [course.pk]})
    assert Course.objects.get(pk=course.pk).status == CourseStatus.ARCHIVED

    hp_client.post(url, {"action": "unpublish_courses", "_selected_action": [course.pk]})
    assert Course.objects.get(pk=course.pk).status == CourseStatus.DRAFT


def test_publishing_from_the_form_is_checked_too(hp_client, provinces):
    empty = Course.objects.create(
        title="Khóa rỗng",
        slug="khoa-rong",
        summary="-",
        competency_area="safety",
        owner_unit=provinces.hai_phong,
    )
    url = reverse("admin:courses_course_change", args=[empty.pk])
    data = changeform_data(hp_client.get(url))
    data["status"] = CourseStatus.PUBLISHED

    response = hp_client.post(url, data)

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["status"]
    assert "Add at least one lesson before publishing." in errors
    assert Course.objects.get(pk=empty.pk).status == CourseStatus.DRAFT


def test_publishing_from_the_form_sets_published_at(hp_client, provinces):
    course = course_owned(provinces.hai_phong, title="Nháp", slug="nhap", status="draft")
    url = reverse("admin:courses_course_change", args=[course.pk])
    data = changeform_data(hp_client.get(url))
    data["status"] = CourseStatus.PUBLISHED

    response = hp_client.post(url, data)

    assert response.status_code == 302, page(response)[:3000]
    course.refresh_from_db()
    assert course.status == CourseStatus.PUBLISHED
    assert course.published_at is not None


def test_a_new_course_cannot_start_published(hp_client, provinces):
    data = course_add_data(provinces.hai_phong, status=CourseStatus.PUBLISHED)

    response = hp_client.post(reverse("admin:courses_course_add"), data)

    assert response.status_code == 200
    assert "status" in response.context["adminform"].form.errors
    assert not Course.objects.filter(slug="ky-nang-so-can-bo").exists()


def test_module_positions_are_edited_inline(hp_client, hp_course):
    url = reverse("admin:courses_course_change", args=[hp_course.pk])
    response = hp_client.get(url)
    data = changeform_data(response)
    first, second = hp_course.modules.order_by("position")
    forms = response.context["inline_admin_formsets"][0].formset.forms
    index = {form.instance.pk: i for i, form in enumerate(forms) if form.instance.pk}
    data[f"modules-{index[first.pk]}-position"] = 5
    data[f"modules-{index[second.pk]}-position"] = 1

    response = hp_client.post(url, data)

    assert response.status_code == 302, page(response)[:3000]
    assert list(hp_course.modules.order_by("position").values_list("pk", flat=True)) == [
        second.pk,
        first.pk,
    ]


def test_course_page_shows_outline_and_preview_button(hp_client, hp_course):
    response = hp_client.get(reverse("admin:courses_course_change", args=[hp_course.pk]))

    html = page(response)
    assert reverse("courses:preview_course", args=[hp_course.pk]) in html
    assert "Lessons by module" in html
    assert "Bài kiểm tra" in html
    assert reverse("admin:courses_lesson_add") + f"?module={hp_course.modules.first().pk}" in html


# Duplicate -------------------------------------------------------------------------------


def structure(course: Course) -> list:
    return [
        (
            module.title,
            module.position,
            [
                (
                    lesson.title,
                    lesson.kind,
                    lesson.body,
                    lesson.video_file.name.rsplit("/", 1)[-1],  # stored in a random folder
                    [
                        (q.text, q.kind, [(c.text, c.is_correct) for c in q.choices.all()])
                        for q in lesson.questions.all()
                    ],
                )
                for lesson in module.lessons.order_by("position")
            ],
        )
        for module in course.modules.order_by("position")
    ]


def test_duplicate_makes_a_deep_draft_copy(hp_client, hp_course):
    Lesson.objects.filter(course=hp_course, title="Bài 1.1").update(
        kind=LessonKind.VIDEO, video_file="courses/videos/bai-1-1.mp4"
    )
    Course.objects.filter(pk=hp_course.pk).update(featured=True)
    url = reverse("admin:courses_course_changelist")

    response = hp_client.post(
        url, {"action": "duplicate_courses", "_selected_action": [hp_course.pk]}
    )
    copy = Course.objects.get(slug="an-toan-hp-ban-sao")
    assert response.status_code == 302
    assert response.url == reverse("admin:courses_course_change", args=[copy.pk])
    hp_client.post(url, {"action": "duplicate_courses", "_selected_action": [hp_course.pk]})
    hp_client.post(url, {"action": "duplicate_courses", "_selected_action": [copy.pk]})

    assert copy.title == "An toàn mạng Hải Phòng (copy)"
    assert copy.status == CourseStatus.DRAFT
    assert copy.published_at is None
    assert not copy.featured
    assert copy.owner_unit_id == hp_course.owner_unit_id
    assert structure(copy) == structure(hp_course)
    assert copy.lessons.get(title="Bài 1.1").video_file.name == "courses/videos/bai-1-1.mp4"
    assert set(Lesson.objects.filter(course=copy).values_list("module__course", flat=True)) == {
        copy.pk
    }
    assert Question.objects.filter(lesson__course=hp_course).count() == 2  # original untouched
    assert set(Course.objects.values_list("slug", flat=True)) == {
        "an-toan-hp",
        "an-toan-hp-ban-sao",
        "an-toan-hp-ban-sao-2",
        "an-toan-hp-ban-sao-3",
    }
    assert "an toan mang hai phong" in copy.search_text


# Preview ---------------------------------------------------------------------------------


def test_preview_shows_a_draft_without_enrolling_or_answers(hp_client, hp_author, provinces):
    course = course_owned(provinces.hai_phong, title="Nháp", slug="nhap", status="draft")
    Lesson.objects.filter(course=course, title="Bài 1.1").update(
        body='<p>Đọc kỹ</p><img src="x" onerror="alert(1)">'
    )

    response = hp_client.get(reverse("courses:preview_course", args=[course.pk]))
    assert response.status_code == 200
    html = page(response)
    assert "Preview — not published" in html
    assert "Bài 1.1" in html
    assert reverse("courses:enroll", args=[course.slug]) not in html

    reading = course.lessons.get(title="Bài 1.1")
    html = page(hp_client.get(reverse("courses:preview_lesson", args=[course.pk, reading.pk])))
    assert "<p>Đọc kỹ</p>" in html
    assert "onerror" not in html

    quiz = course.lessons.get(kind=LessonKind.QUIZ)
    response = hp_client.get(reverse("courses:preview_lesson", args=[course.pk, quiz.pk]))
    html = page(response)
    assert "Mã OTP có được chia sẻ không?" in html
    assert "Không bao giờ" in html
    assert "is-correct" not in html and "✓" not in html
    assert "Mật khẩu mạnh dài và khó đoán." not in html  # explanations reveal answers
    assert not hp_author.enrollments.exists()


def test_preview_is_for_staff_only(client, hp_course):
    url = reverse("courses:preview_course", args=[hp_course.pk])
    learner = UserFactory()

    anonymous = client.get(url)
    sign_in(client, learner)
    logged_in = client.get(url)

    assert anonymous.status_code == 302
    assert logged_in.status_code == 404


def test_preview_of_a_lesson_of_another_course_is_not_found(hp_client, hp_course, provinces):
    other = course_owned(provinces.hai_phong, title="Khác", slug="khac")
    lesson = other.lessons.first()

    response = hp_client.get(reverse("courses:preview_lesson", args=[hp_course.pk, lesson.pk]))

    assert response.status_code == 404


# Assignments -----------------------------------------------------------------------------


def assignment_data(courses, unit, **changes) -> dict:
    data = {
        "courses": [c.pk for c in courses],
        "unit": unit.pk,
        "audience_group": "",
        "due_date": (timezone.localdate() + datetime.timedelta(days=30)).isoformat(),
    }
    data.update(changes)
    return data


def test_assigning_two_courses_creates_two_assignments(hp_client, hp_author, provinces, hp_course):
    second = course_owned(provinces.hai_phong, title="Thanh toán số", slug="thanh-toan-so")
    url = reverse("admin:courses_assignment_add")
    assert hp_client.get(url).status_code == 200

    response = hp_client.post(
        url, assignment_data([hp_course, second], provinces.hp_ward, audience_group="official")
    )

    assert response.status_code == 302, page(response)[:3000]
    assignments = Assignment.objects.order_by("course__title")
    assert [(a.course, a.unit, a.audience_group, a.created_by) for a in assignments] == [
        (hp_course, provinces.hp_ward, "official", hp_author),
        (second, provinces.hp_ward, "official", hp_author),
    ]
    listing = page(hp_client.get(reverse("admin:courses_assignment_changelist")))
    assert "Phường Hồng Bàng" in listing and "Officials and public employees" in listing


def test_assigning_a_course_twice_is_a_form_error(hp_client, provinces, hp_course):
    second = course_owned(provinces.hai_phong, title="Thanh toán số", slug="thanh-toan-so")
    url = reverse("admin:courses_assignment_add")
    hp_client.post(url, assignment_data([hp_course], provinces.hai_phong))

    response = hp_client.post(url, assignment_data([hp_course, second], provinces.hai_phong))

    assert response.status_code == 400
    assert "Already assigned to this unit and audience group: An toàn mạng Hải Phòng." in page(
        response
    )
    assert Assignment.objects.count() == 1


@pytest.mark.parametrize("field", ["courses", "unit"])
def test_assignment_choices_are_scoped(hp_client, provinces, hp_course, hn_course, field):
    data = assignment_data([hp_course], provinces.hai_phong)
    if field == "courses":  # another province's unpublished course
        hn_draft = course_owned(provinces.ha_noi, title="HN nháp", slug="hn-nhap", status="draft")
        data["courses"] = [hn_draft.pk]
    else:
        data["unit"] = provinces.ha_noi.pk

    response = hp_client.post(reverse("admin:courses_assignment_add"), data)

    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert not Assignment.objects.exists()


def test_a_province_assigns_a_published_national_course_to_its_units(hp_client, provinces):
    national = course_owned(provinces.nation, title="Kỹ năng số cơ bản", slug="ky-nang-so")
    response = hp_client.post(
        reverse("admin:courses_assignment_add"), assignment_data([national], provinces.hai_phong)
    )
    assert response.status_code == 302
    assignment = Assignment.objects.get()
    assert (assignment.course, assignment.unit) == (national, provinces.hai_phong)
    assert changelist_ids(hp_client, "assignment") == {assignment.pk}


def test_a_due_date_in_the_past_is_refused(hp_client, provinces, hp_course):
    data = assignment_data([hp_course], provinces.hai_phong, due_date="2020-01-01")

    response = hp_client.post(reverse("admin:courses_assignment_add"), data)

    assert "due_date" in response.context["form"].errors


def test_changing_an_assignment_changes_only_its_due_date(hp_client, provinces, hp_course):
    assignment = Assignment.objects.create(
        course=hp_course, unit=provinces.hai_phong, due_date=datetime.date(2030, 1, 1)
    )
    url = reverse("admin:courses_assignment_change", args=[assignment.pk])

    response = hp_client.post(url, {"due_date": "2030-06-30", "unit": provinces.ha_noi.pk})

    assert response.status_code == 302, page(response)[:3000]
    assignment.refresh_from_db()
    assert assignment.due_date == datetime.date(2030, 6, 30)
    assert assignment.unit == provinces.hai_phong


def test_deleting_assignments_touches_their_courses(superuser_client, provinces, hp_course):
    second = course_owned(provinces.hai_phong, title="Thanh toán số", slug="thanh-toan-so")
    due = datetime.date(2030, 1, 1)
    one = Assignment.objects.create(course=hp_course, unit=provinces.hai_phong, due_date=due)
    two = Assignment.objects.create(course=second, unit=provinces.hai_phong, due_date=due)
    three = Assignment.objects.create(course=second, unit=provinces.hp_ward, due_date=due)
    Course.objects.update(updated_at=timezone.now() - datetime.timedelta(days=1))
    a_day_ago = Course.objects.get(pk=hp_course.pk).updated_at

    response = superuser_client.post(
        reverse("admin:courses_assignment_delete", args=[one.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert Course.objects.get(pk=hp_course.pk).updated_at > a_day_ago
    assert Course.objects.get(pk=second.pk).updated_at == a_day_ago

    superuser_client.post(
        reverse("admin:courses_assignment_changelist"),
        {"action": "delete_selected", "_selected_action": [two.pk, three.pk], "post": "yes"},
    )
    assert not Assignment.objects.exists()
    assert Course.objects.get(pk=second.pk).updated_at > a_day_ago


def test_assignments_create_is_all_or_nothing(provinces, hp_course):
    second = course_owned(provinces.hai_phong, title="Thanh toán số", slug="thanh-toan-so")
    due = datetime.date(2030, 1, 1)
    Assignment.objects.create(course=second, unit=provinces.hai_phong, due_date=due)

    with pytest.raises(assignments.ValidationError):
        assignments.assignments_create(
            courses=[hp_course, second], unit=provinces.hai_phong, audience_group="", due_date=due
        )

    assert Assignment.objects.count() == 1


# Pages open ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "admin:courses_course_add",
        "admin:courses_course_import",
        "admin:courses_module_add",
        "admin:courses_lesson_add",
        "admin:courses_question_add",
        "admin:courses_assignment_add",
        "admin:index",
    ],
)
def test_author_pages_open(hp_client, hp_course, name):
    assert hp_client.get(reverse(name)).status_code == 200


def test_change_pages_open_with_parent_links(hp_client, hp_course):
    quiz = hp_course.lessons.get(kind=LessonKind.QUIZ)
    question = quiz.questions.first()
    module = quiz.module

    module_page = page(hp_client.get(reverse("admin:courses_module_change", args=[module.pk])))
    quiz_page = page(hp_client.get(reverse("admin:courses_lesson_change", args=[quiz.pk])))
    question_page = page(
        hp_client.get(reverse("admin:courses_question_change", args=[question.pk]))
    )

    assert reverse("admin:courses_course_change", args=[hp_course.pk]) in module_page
    assert "1 choice, 1 correct" not in quiz_page and "2 choices, 1 correct" in quiz_page
    assert reverse("admin:courses_question_add") + f"?lesson={quiz.pk}" in quiz_page
    assert reverse("courses:preview_lesson", args=[hp_course.pk, quiz.pk]) in question_page


def test_lessons_added_on_the_module_page_belong_to_its_course(hp_client, hp_course):
    module = hp_course.modules.first()
    url = reverse("admin:courses_module_change", args=[module.pk])
    data = changeform_data(hp_client.get(url))
    index = int(data["lessons-TOTAL_FORMS"]) - 1  # the blank extra row
    data[f"lessons-{index}-title"] = "Bài thêm"
    data[f"lessons-{index}-kind"] = LessonKind.READING

    response = hp_client.post(url, data)

    assert response.status_code == 302, page(response)[:3000]
    lesson = Lesson.objects.get(title="Bài thêm")
    assert (lesson.course, lesson.module, lesson.position) == (hp_course, module, 3)
    assert Module.objects.get(pk=module.pk).course == hp_course
