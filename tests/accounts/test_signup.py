"""Sign-up through the real form: good input creates one account, bad input creates nothing."""

import pytest
from django.urls import reverse

from accounts.models import User
from accounts.phone import phone_normalise
from tests.accounts.factories import UserFactory, sign_in, signup_data
from units.models import Unit

pytestmark = pytest.mark.django_db


def test_sign_up_stores_the_profile_the_reports_need(client, units, mailoutbox):
    response = client.post(reverse("account_signup"), signup_data())
    assert response.status_code == 302
    user = User.objects.get(email="an.tran@example.com")
    assert user.full_name == "Trần Văn An"
    assert user.audience_group == "official"
    assert user.home_unit.code == "11311"
    assert user.phone == "0912345678"
    assert len(mailoutbox) == 1 and "confirm-email" in mailoutbox[0].body


@pytest.mark.parametrize(
    "overrides,message",
    [
        ({"home_unit": "999999999"}, "Đơn vị này không tồn tại"),
        ({"province": "99"}, "Đơn vị này không tồn tại"),
        ({"home_unit": "commune-of-hanoi"}, "không thuộc tỉnh/thành phố đã chọn"),
        ({"phone": "12345"}, "số điện thoại di động Việt Nam"),
        ({"email": "not-an-email"}, "email"),
        ({"audience_group": "alien"}, "Hãy chọn một lựa chọn hợp lệ"),
        ({"full_name": "   "}, "Trường này là bắt buộc"),
    ],
)
def test_bad_sign_up_input_gets_a_vietnamese_error_and_creates_nothing(
    client, units, overrides, message
):
    if overrides.get("home_unit") == "commune-of-hanoi":
        overrides["home_unit"] = str(Unit.objects.filter(parent__code="01").first().pk)
    response = client.post(reverse("account_signup"), signup_data(**overrides))
    assert response.status_code == 400  # refused input, as the profile form answers it
    assert message in response.content.decode()
    assert not User.objects.exists()


def test_bad_input_in_english_when_the_user_chose_english(client, units):
    client.cookies["django_language"] = "en"
    response = client.post(reverse("account_signup"), signup_data(phone="12345"))
    assert "Enter a Vietnamese mobile number" in response.content.decode()


def test_without_javascript_the_province_button_brings_its_communes(client, units):
    page = client.get(reverse("account_signup")).content.decode()
    assert "Phường Hồng Bàng" not in page
    response = client.post(
        reverse("account_signup"),
        {"province": "31", "full_name": "Trần Văn An", "_refresh_units": "1"},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Phường Hồng Bàng" in page and 'value="Trần Văn An"' in page
    assert "errorlist" not in page
    assert not User.objects.exists()


@pytest.mark.parametrize(
    "raw,expected",
    [
        ("0912345678", "0912345678"),
        ("+84 912 345 678", "0912345678"),
        ("84-386.123.456", "0386123456"),
    ],
)
def test_phone_numbers_are_stored_normalised(raw, expected):
    assert phone_normalise(raw) == expected


def test_profile_edit_moves_the_learner(client, units):
    user = UserFactory()
    sign_in(client, user)
    commune = Unit.objects.get(code="11560")
    response = client.post(
        reverse("accounts_profile"),
        {
            "full_name": "Tên Mới",
            "audience_group": "worker",
            "province": "31",
            "home_unit": str(commune.pk),
            "phone": "",
        },
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert (user.full_name, user.audience_group, user.home_unit) == ("Tên Mới", "worker", commune)
