"""Input is checked before any view or query: control characters are refused with a Vietnamese
400 (never a 500 from PostgreSQL), text is stored in one Unicode spelling, bodies over a page's
limit are refused before they are read, and signed-in pages stay out of every cache."""

import unicodedata

import pytest
from django.urls import reverse

from accounts.models import Role, User
from accounts.services import unit_role_grant
from platform_app.middleware import upload_limits
from tests.accounts.factories import UserFactory, sign_in, signup_data
from tests.courses.factories import author_create
from units.models import Unit

pytestmark = pytest.mark.django_db

REFUSED = "Yêu cầu đã bị từ chối"


@pytest.mark.parametrize(
    "path",
    [
        "/verify/%00",
        "/units/%00/units.json",
        "/certificates/%00.pdf",
        "/courses/%00/",
        "/courses/?q=an%00toan",
        "/verify/abc%07",
    ],
)
def test_a_control_character_in_the_address_is_refused(client, units, path):
    response = client.get(path)
    assert response.status_code == 400
    assert "Địa chỉ có ký tự không được phép" in response.content.decode()


def test_an_official_report_address_with_nul_is_refused(client, units):
    official = UserFactory()
    unit_role_grant(user=official, role=Role.OFFICIAL, unit=Unit.objects.get(code="31"))
    sign_in(client, official)
    assert client.get("/reports/units/%00/").status_code == 400


def test_a_nul_in_the_sign_up_form_is_refused_and_nothing_is_written(client, units):
    response = client.post(reverse("account_signup"), signup_data(province="3\x001"))
    assert response.status_code == 400
    assert "NUL" in response.content.decode()
    assert not User.objects.exists()


def test_a_nul_in_the_profile_is_refused(client, units):
    learner = UserFactory(full_name="Tên Cũ")
    sign_in(client, learner)
    response = client.post(
        reverse("accounts_profile"),
        {"full_name": "Tên\x00Mới", "audience_group": "citizen", "province": "31"},
    )
    assert response.status_code == 400
    learner.refresh_from_db()
    assert learner.full_name == "Tên Cũ"


def test_admin_searches_and_the_course_import_refuse_nul(client, units):
    author = author_create(unit=Unit.objects.get(code="31"), email="quantri@example.com")
    sign_in(client, author)
    for name, query in [
        (
            "admin:autocomplete",
            {"app_label": "courses", "model_name": "course", "field_name": "owner_unit"},
        ),
        (
            "admin:courses_course_autocomplete",
            {"app_label": "courses", "model_name": "course", "field_name": "owner_unit"},
        ),
        (
            "admin:accounts_user_unit_autocomplete",
            {"app_label": "accounts", "model_name": "user", "field_name": "home_unit"},
        ),
    ]:
        response = client.get(reverse(name), {**query, "term": "\x00"})
        assert response.status_code == 400, name
    response = client.post(reverse("admin:courses_course_import"), {"owner_unit": "\x00"})
    assert response.status_code == 400


def test_other_control_characters_are_dropped_from_form_text(client, units):
    learner = UserFactory()
    sign_in(client, learner)
    commune = Unit.objects.get(code="11311")
    response = client.post(
        reverse("accounts_profile"),
        {
            "full_name": "Trần\x0bVăn\x1f An",
            "audience_group": "citizen",
            "province": "31",
            "home_unit": str(commune.pk),
        },
    )
    assert response.status_code == 302
    learner.refresh_from_db()
    assert learner.full_name == "TrầnVăn An"


def test_names_typed_with_combining_marks_are_stored_composed(client, units):
    decomposed = unicodedata.normalize("NFD", "Nguyễn Thị Ánh")
    assert decomposed != "Nguyễn Thị Ánh"
    client.post(
        reverse("account_signup"),
        signup_data(full_name=decomposed, email="anh@example.com"),
    )
    assert User.objects.get(email="anh@example.com").full_name == "Nguyễn Thị Ánh"

    learner = User.objects.get(email="anh@example.com")
    sign_in(client, learner)
    client.post(
        reverse("accounts_profile"),
        {
            "full_name": unicodedata.normalize("NFD", "Lê Hồng Phúc"),
            "audience_group": "citizen",
            "province": "31",
            "home_unit": str(learner.home_unit_id),
        },
    )
    learner.refresh_from_db()
    assert learner.full_name == "Lê Hồng Phúc"


def test_a_body_over_the_pages_limit_is_refused_from_its_length(client, units, settings):
    author = author_create(unit=Unit.objects.get(code="31"), email="quantri@example.com")
    sign_in(client, author)
    declared = upload_limits()["admin:courses_course_import"] + 1
    response = client.post(
        reverse("admin:courses_course_import"),
        b"x" * 100,
        content_type="multipart/form-data; boundary=xyz",
        CONTENT_LENGTH=str(declared),
    )
    assert response.status_code == 413
    page = response.content.decode()
    assert "Tệp quá lớn" in page and "MB" in page
    # Pages without files take far less.
    response = client.post(
        reverse("accounts_profile"),
        b"x",
        content_type="application/x-www-form-urlencoded",
        CONTENT_LENGTH=str(settings.REQUEST_MAX_BYTES + 1),
    )
    assert response.status_code == 413


def test_signed_in_pages_are_kept_out_of_every_cache(client, units):
    assert "no-store" not in client.get(reverse("courses:catalogue")).get("Cache-Control", "")
    sign_in(client, UserFactory())
    for name in ("courses:my_learning", "accounts_profile", "courses:catalogue"):
        cache_control = client.get(reverse(name))["Cache-Control"]
        assert "private" in cache_control and "no-store" in cache_control, name
