"""Officials, content administrators and superusers reach the staff areas only with a second
factor (TOTP from an authenticator app); a learner may turn it on and is never asked."""

import re
import time

import pyotp
import pytest
from allauth.mfa.models import Authenticator
from django.contrib.auth import SESSION_KEY
from django.urls import reverse

from accounts.models import Role
from accounts.services import unit_role_grant
from tests.accounts.factories import PASSWORD, UserFactory
from units.models import Unit

# Real commits: the activation marks the session when its transaction commits.
pytestmark = pytest.mark.django_db(transaction=True)


def password_login(client, user):
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302
    return response


def code(secret: str, *, step: int = 0) -> str:
    return pyotp.TOTP(secret).at(time.time() + 30 * step)


def activate(client) -> str:
    """Set up the app as a person does: confirm the password, read the key off the page, type
    the app's code."""
    response = client.get(reverse("mfa_activate_totp"))
    if response.status_code == 302 and response["Location"].startswith(
        reverse("account_reauthenticate")
    ):
        client.post(response["Location"], {"password": PASSWORD})
    page = client.get(reverse("mfa_activate_totp")).content.decode()
    secret = re.search(r'id="authenticator_secret"[^>]*value="([A-Z2-7]+)"', page).group(1)
    response = client.post(reverse("mfa_activate_totp"), {"code": code(secret)})
    assert response.status_code == 302, response.content.decode()
    return secret


@pytest.fixture
def official(units_tx):
    user = UserFactory(email="canbo.xa@example.com", audience_group="official")
    unit_role_grant(user=user, role=Role.OFFICIAL, unit=Unit.objects.get(code="31"))
    return user


def test_an_official_without_a_second_factor_is_sent_to_set_one_up(client, official):
    password_login(client, official)
    response = client.get("/reports/")
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp") + "?next=%2Freports%2F"
    page = client.get(response["Location"], follow=True).content.decode()
    assert "hãy cài đặt xác thực hai bước bằng ứng dụng xác thực" in page

    activate(client)
    assert client.get("/reports/").status_code == 302  # on to the official's own unit
    assert client.get(reverse("reports:unit", kwargs={"code": "31"})).status_code == 200


def test_with_the_app_set_up_log_in_asks_for_its_code(client, official):
    password_login(client, official)
    secret = activate(client)
    client.post(reverse("account_logout"))

    response = password_login(client, official)
    assert response["Location"] == reverse("mfa_authenticate")
    assert SESSION_KEY not in client.session
    assert client.get("/reports/").status_code == 302  # still anonymous: to the log-in page
    wrong = client.post(reverse("mfa_authenticate"), {"code": "000000"})
    assert wrong.status_code == 200 and SESSION_KEY not in client.session
    response = client.post(reverse("mfa_authenticate"), {"code": code(secret, step=1)})
    assert response.status_code == 302 and SESSION_KEY in client.session
    assert client.get(reverse("reports:unit", kwargs={"code": "31"})).status_code == 200


def test_a_recovery_code_stands_in_for_a_lost_phone(client, official):
    password_login(client, official)
    activate(client)
    codes = re.findall(
        r"\b\d{8}\b", client.get(reverse("mfa_view_recovery_codes")).content.decode()
    )
    assert len(codes) >= 10
    client.post(reverse("account_logout"))
    password_login(client, official)
    response = client.post(reverse("mfa_authenticate"), {"code": codes[0]})
    assert response.status_code == 302 and SESSION_KEY in client.session


@pytest.mark.parametrize("path", ["/admin/", "/preview/courses/1/"])
def test_content_administrators_and_superusers_need_it_for_the_admin_and_previews(
    client, units_tx, path
):
    author = UserFactory(is_staff=True)
    unit_role_grant(user=author, role=Role.CONTENT_ADMIN, unit=Unit.objects.get(code="31"))
    superuser = UserFactory(is_staff=True, is_superuser=True)
    for user in (author, superuser):
        password_login(client, user)
        response = client.get(path)
        assert response["Location"].startswith(reverse("mfa_activate_totp")), user
        client.post(reverse("account_logout"))


def test_an_official_cannot_turn_the_app_off(client, official):
    password_login(client, official)
    activate(client)
    response = client.post(reverse("mfa_deactivate_totp"))
    assert response.status_code == 200
    assert Authenticator.objects.filter(user=official, type="totp").exists()
    assert client.get(reverse("reports:unit", kwargs={"code": "31"})).status_code == 200


def test_a_learner_is_never_asked_and_may_turn_it_on(client, units_tx):
    learner = UserFactory()
    password_login(client, learner)
    assert client.get(reverse("courses:my_learning")).status_code == 200
    activate(client)
    assert Authenticator.objects.filter(user=learner, type="totp").exists()
