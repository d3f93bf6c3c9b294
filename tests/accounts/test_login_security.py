"""One guarded door: the admin's log-in is the site's, failures are limited per account and per
client address (never a forged one), and nobody learns from an answer whether an address is
registered."""

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse

from accounts.models import User
from tests.accounts.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

TOO_MANY = "Bạn đã đăng nhập không thành công quá nhiều lần"


def login_post(client, email, password, **headers):
    return client.post(reverse("account_login"), {"login": email, "password": password}, **headers)


def logged_in(client) -> bool:
    return SESSION_KEY in client.session


def test_the_admin_login_page_leads_to_the_site_login_keeping_next(client):
    response = client.get("/admin/login/?next=/admin/courses/course/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=%2Fadmin%2Fcourses%2Fcourse%2F"


def test_the_admin_login_never_redirects_off_site(client):
    response = client.get("/admin/login/?next=https://evil.example/")
    assert response["Location"] == "/accounts/login/?next=%2Fadmin%2F"


def test_a_signed_in_learner_at_the_admin_login_is_told_no_rather_than_looped(client, units):
    client.force_login(UserFactory())
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 403
    assert "Bạn không thể xem trang này" in response.content.decode()


def test_a_posted_admin_login_logs_nobody_in(client, units):
    staff = UserFactory(is_staff=True)
    response = client.post("/admin/login/", {"username": staff.email, "password": PASSWORD})
    assert response.status_code == 302
    assert not logged_in(client)


def test_thirty_wrong_passwords_block_the_account_and_the_right_one_then_fails(client, units):
    staff = UserFactory(email="quantri.xa@example.com", is_staff=True)
    # The way a person reaches it: the admin log-in link leads here.
    assert client.get("/admin/login/")["Location"].startswith(reverse("account_login"))
    answers = [login_post(client, staff.email, f"sai-{n}") for n in range(30)]
    assert [a.status_code for a in answers[:5]] == [200] * 5
    assert all(TOO_MANY not in a.content.decode() for a in answers[:5])
    assert all(TOO_MANY in a.content.decode() for a in answers[5:])

    # The account is blocked, and so is the address after 30 failures in a minute.
    response = login_post(client, staff.email, PASSWORD)
    assert TOO_MANY in response.content.decode()
    assert not logged_in(client)
    other = UserFactory()
    response = login_post(client, other.email, PASSWORD)
    assert TOO_MANY in response.content.decode()
    assert not logged_in(client)


def test_the_block_holds_for_the_account_from_another_address(client, units):
    learner = UserFactory()
    for n in range(5):
        login_post(client, learner.email, f"sai-{n}", REMOTE_ADDR="203.0.113.7")
    response = login_post(client, learner.email, PASSWORD, REMOTE_ADDR="198.51.100.9")
    assert TOO_MANY in response.content.decode()
    assert not logged_in(client)


def test_forged_forwarded_for_does_not_escape_the_per_address_limit(client, units):
    people = [UserFactory() for _ in range(32)]
    answers = [
        login_post(client, person.email, "sai", HTTP_X_FORWARDED_FOR=f"10.0.{n}.{n + 1}")
        for n, person in enumerate(people)
    ]
    limited = [TOO_MANY in answer.content.decode() for answer in answers]
    assert limited == [False] * 30 + [True] * 2


def test_behind_a_trusted_proxy_each_client_has_its_own_bucket(client, units, settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    people = [UserFactory() for _ in range(32)]
    # Thirty-two clients of one proxy: none is limited by the others' failures.
    answers = [
        login_post(
            client,
            person.email,
            "sai",
            REMOTE_ADDR="192.0.2.1",
            HTTP_X_FORWARDED_FOR=f"6.6.6.6, 100.64.0.{n + 1}",
        )
        for n, person in enumerate(people)
    ]
    assert not any(TOO_MANY in answer.content.decode() for answer in answers)
    # One client spraying through the proxy, with forged hops in front: limited at the 11th.
    answers = [
        login_post(
            client,
            person.email,
            "sai-lan-hai",
            REMOTE_ADDR="192.0.2.1",
            HTTP_X_FORWARDED_FOR=f"10.9.{n}.1, 100.64.1.50",
        )
        for n, person in enumerate(people)
    ]
    limited = [TOO_MANY in answer.content.decode() for answer in answers]
    assert limited == [False] * 30 + [True] * 2


def test_a_class_of_sixty_behind_one_address_logs_in_typos_and_all(units):
    pupils = [UserFactory() for _ in range(60)]
    logged = 0
    for n, pupil in enumerate(pupils):
        client = Client(REMOTE_ADDR="203.0.113.40")
        if n % 6 == 0:  # ten of them mistype first
            assert TOO_MANY not in login_post(client, pupil.email, "sai").content.decode()
        response = login_post(client, pupil.email, PASSWORD)
        assert response.status_code == 302, n
        logged += logged_in(client)
    assert logged == 60


def test_sign_up_answers_alike_for_a_known_and_an_unknown_address(client, units, mailoutbox):
    from tests.accounts.factories import signup_data

    UserFactory(email="an.tran@example.com", full_name="Trần Văn An")
    known = client.post(reverse("account_signup"), signup_data(email="AN.TRAN@example.com"))
    client.logout()
    unknown = client.post(reverse("account_signup"), signup_data(email="moi@example.com"))
    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    assert known["Location"] == reverse("account_email_verification_sent")
    assert User.objects.filter(email__iexact="an.tran@example.com").count() == 1
    # The owner of the known address is told someone tried; the new one gets a confirmation.
    to_known = [m for m in mailoutbox if m.to == ["an.tran@example.com"]]
    assert len(to_known) == 1 and "confirm-email" not in to_known[0].body
    to_new = [m for m in mailoutbox if m.to == ["moi@example.com"]]
    assert len(to_new) == 1 and "confirm-email" in to_new[0].body


def test_password_reset_answers_alike_for_a_known_and_an_unknown_address(client, units, mailoutbox):
    UserFactory(email="an.tran@example.com")
    known = client.post(reverse("account_reset_password"), {"email": "an.tran@example.com"})
    unknown = client.post(reverse("account_reset_password"), {"email": "ai.do@example.com"})
    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    assert [m.to for m in mailoutbox] == [["an.tran@example.com"], ["ai.do@example.com"]]
    assert "password/reset/key/" in mailoutbox[0].body
    assert "password/reset/key/" not in mailoutbox[1].body
