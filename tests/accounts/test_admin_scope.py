"""A content administrator manages the plain learners of their subtree in the admin, and nobody
else: never an official, another administrator or staff (no takeover through a password or an
email), never a learner moved out of the subtree, never an account outside every scope."""

import json

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Role, UnitRole, User
from tests.accounts.factories import PASSWORD, UserFactory, sign_in
from tests.courses.factories import author_create
from units.models import Unit

pytestmark = pytest.mark.django_db

COMMUNE = "10510"  # where the demo's official and author both live
PROVINCE = "31"


def client_for(user: User) -> Client:
    client = Client()
    sign_in(client, user)
    return client


@pytest.fixture
def people(units):
    commune = Unit.objects.get(code=COMMUNE)
    province = Unit.objects.get(code=PROVINCE)
    commune_author = author_create(unit=commune, email="quantri.xa@example.com")
    province_author = author_create(unit=province, email="quantri.tinh@example.com")
    province_official = UserFactory(email="canbo.tinh@example.com", home_unit=commune)
    UnitRole.objects.create(user=province_official, role=Role.OFFICIAL, unit=province)
    commune_official = UserFactory(email="canbo.xa@example.com", home_unit=commune)
    UnitRole.objects.create(user=commune_official, role=Role.OFFICIAL, unit=commune)
    staff = UserFactory(email="nhanvien@example.com", home_unit=commune, is_staff=True)
    for author in (commune_author, province_author):
        author.home_unit = commune
        author.save()
    return {
        "commune_author": commune_author,
        "province_author": province_author,
        "province_official": province_official,
        "commune_official": commune_official,
        "staff": staff,
        "learner": UserFactory(email="hocvien.xa@example.com", home_unit=commune),
        "hanoi": Unit.objects.filter(parent__code="01").order_by("code").first(),
        "sibling": Unit.objects.filter(parent__code=PROVINCE).exclude(code=COMMUNE).first(),
    }


def change_data(user: User, **overrides) -> dict:
    data = {
        "email": user.email,
        "full_name": user.full_name,
        "audience_group": user.audience_group,
        "home_unit": str(user.home_unit_id or ""),
        "workplace_unit": str(user.workplace_unit_id or ""),
        "phone": user.phone,
        "is_active": "on",
        "last_login_0": "",
        "last_login_1": "",
        "date_joined_0": "2025-03-01",
        "date_joined_1": "08:00:00",
    }
    data.update(overrides)
    return data


TARGETS = ["province_official", "commune_official", "staff", "province_author"]


@pytest.mark.parametrize("target", TARGETS)
def test_a_commune_author_cannot_take_over_an_account_with_rights(people, target):
    client = client_for(people["commune_author"])
    victim = people[target]
    before = User.objects.get(pk=victim.pk)
    password_url = reverse("admin:auth_user_password_change", args=[victim.pk])
    change_url = reverse("admin:accounts_user_change", args=[victim.pk])

    answers = [
        client.get(password_url),
        client.post(
            password_url,
            {
                "password1": "Chiem-quyen-2025!",
                "password2": "Chiem-quyen-2025!",
                "usable_password": "true",
            },
        ),
        client.get(change_url),
        client.post(change_url, change_data(victim, email="ke.gian@example.com", is_active="")),
    ]

    assert [a.status_code for a in answers] == [404, 404, 404, 404]
    after = User.objects.get(pk=victim.pk)
    assert (after.email, after.is_active, after.password) == (
        before.email,
        before.is_active,
        before.password,
    )
    assert Client().login(email=victim.email, password=PASSWORD)


def test_a_province_author_cannot_take_over_a_commune_author(people):
    client = client_for(people["province_author"])
    victim = people["commune_author"]
    url = reverse("admin:auth_user_password_change", args=[victim.pk])
    response = client.post(
        url, {"password1": "Chiem-quyen-2025!", "password2": "Chiem-quyen-2025!"}
    )
    assert response.status_code == 404
    assert User.objects.get(pk=victim.pk).check_password(PASSWORD)


def test_the_user_list_shows_the_learners_only(people):
    response = client_for(people["commune_author"]).get(reverse("admin:accounts_user_changelist"))
    page = response.content.decode()
    assert response.status_code == 200
    assert "hocvien.xa@example.com" in page
    for target in [*TARGETS, "commune_author"]:
        assert people[target].email not in page


def test_an_author_may_reset_a_learner_password_of_their_commune(people):
    learner = people["learner"]
    url = reverse("admin:auth_user_password_change", args=[learner.pk])
    response = client_for(people["commune_author"]).post(
        url,
        {
            "password1": "Mat-khau-moi-2025!",
            "password2": "Mat-khau-moi-2025!",
            "usable_password": "true",
        },
    )
    assert response.status_code == 302
    assert User.objects.get(pk=learner.pk).check_password("Mat-khau-moi-2025!")


def test_a_learner_cannot_be_moved_out_of_the_authors_subtree(people):
    learner = people["learner"]
    client = client_for(people["commune_author"])
    url = reverse("admin:accounts_user_change", args=[learner.pk])
    for elsewhere in (people["hanoi"], people["sibling"]):
        response = client.post(url, change_data(learner, home_unit=str(elsewhere.pk)))
        assert response.status_code == 200
        assert "Select a valid choice" in response.content.decode() or "Hãy chọn" in (
            response.content.decode()
        )
        assert User.objects.get(pk=learner.pk).home_unit.code == COMMUNE
    # Within the subtree the move is saved.
    response = client_for(people["province_author"]).post(
        url, change_data(learner, home_unit=str(people["sibling"].pk))
    )
    assert response.status_code == 302
    assert User.objects.get(pk=learner.pk).home_unit == people["sibling"]


def add_data(**overrides) -> dict:
    data = {
        "email": "moi.tao@example.com",
        "full_name": "Người Mới",
        "password1": "Mat-khau-moi-2025!",
        "password2": "Mat-khau-moi-2025!",
        "usable_password": "true",
        "audience_group": "citizen",
        "home_unit": "",
        "workplace_unit": "",
        "phone": "",
    }
    data.update(overrides)
    return data


def test_an_author_cannot_create_an_account_outside_every_scope(people):
    client = client_for(people["commune_author"])
    url = reverse("admin:accounts_user_add")
    for home_unit in ("", str(people["hanoi"].pk)):
        response = client.post(url, add_data(home_unit=home_unit))
        assert response.status_code == 200
        assert not User.objects.filter(email="moi.tao@example.com").exists()

    commune = Unit.objects.get(code=COMMUNE)
    response = client.post(url, add_data(home_unit=str(commune.pk)))
    assert response.status_code == 302
    created = User.objects.get(email="moi.tao@example.com")
    assert (created.home_unit, created.is_staff) == (commune, False)
    # ...and its creator can open it.
    change = client.get(reverse("admin:accounts_user_change", args=[created.pk]))
    assert change.status_code == 200


def test_the_unit_search_offers_the_authors_communes_only(people):
    client = client_for(people["province_author"])
    url = reverse("admin:accounts_user_unit_autocomplete")
    query = {"app_label": "accounts", "model_name": "user", "field_name": "home_unit"}
    found = json.loads(client.get(url, {**query, "term": "Phường"}).content)["results"]
    codes = {Unit.objects.get(pk=row["id"]).parent.code for row in found}
    assert found and codes == {PROVINCE}
    hanoi = json.loads(client.get(url, {**query, "term": people["hanoi"].name}).content)
    assert hanoi["results"] == []
