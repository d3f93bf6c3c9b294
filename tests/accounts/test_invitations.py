"""Invitations of imported learners go through the real broker and a real worker."""

import csv
import io
import re

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from django.core import mail
from django.urls import reverse

from accounts import tasks
from accounts.learner_files import learner_import
from accounts.models import User
from accounts.services import invitation_send
from platform_app.tasks import ping
from tests.waiting import wait_until

PASSWORD = "Hoc-tap-so-2025!"
ROWS = [
    ("Nguyễn Thị Hồng Nhung", "nhung.nguyen@example.vn", "Người dân", "11311"),
    ("Trần Văn Đức", "duc.tran@example.vn", "official", "11560"),
    ("Lê Thị Ánh Tuyết", "tuyet.le@example.vn", "Học sinh, sinh viên", "11311"),
]


def learners_file() -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["Họ và tên", "Email", "Đối tượng", "Mã đơn vị"])
    writer.writerows(ROWS)
    return buffer.getvalue().encode("utf-8-sig")


def wait_for_outbox(count: int, *, timeout: float = 30) -> list:
    wait_until(
        lambda: len(mail.outbox) >= count,
        timeout=timeout,
        message=lambda: f"{len(mail.outbox)} of {count} emails in {timeout} s",
    )
    return mail.outbox


def set_password_path(message) -> str:
    url = re.search(r"https?://\S+/password/reset/key/\S+", message.body).group(0)
    assert url.startswith(settings.SITE_URL)
    return url[len(settings.SITE_URL) :]


@pytest.mark.celery
def test_each_imported_learner_gets_one_working_invitation(
    client, units_tx, celery_worker, mailoutbox
):
    report = learner_import(content=learners_file(), importer=None, dry_run=False)
    assert report.ok and report.created == 3

    wait_for_outbox(3)
    # One worker takes messages in order: once a ping comes back, every invitation task queued
    # before it has run, so a duplicate would be in the outbox by now.
    assert ping.delay().get(timeout=20) == "pong"
    outbox = list(mail.outbox)
    assert sorted(m.to[0] for m in outbox) == sorted(row[1] for row in ROWS)
    message = next(m for m in outbox if m.to == ["nhung.nguyen@example.vn"])
    assert "Nguyễn Thị Hồng Nhung" in message.body
    assert message.subject.startswith(settings.ACCOUNT_EMAIL_SUBJECT_PREFIX)
    assert User.objects.filter(invited_at__isnull=False).count() == 3

    # The link opens allauth's set-password form; the new password then logs in.
    response = client.get(set_password_path(message), follow=True)
    assert response.status_code == 200 and "password1" in response.content.decode()
    form_url = response.redirect_chain[-1][0]
    response = client.post(form_url, {"password1": PASSWORD, "password2": PASSWORD})
    assert response.status_code == 302
    learner = User.objects.get(email="nhung.nguyen@example.vn")
    assert learner.check_password(PASSWORD)
    assert EmailAddress.objects.get(user=learner).verified  # the link proved the mailbox

    client.logout()
    response = client.post(
        reverse("account_login"), {"login": "nhung.nguyen@example.vn", "password": PASSWORD}
    )
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert client.session["_auth_user_id"] == str(learner.pk)

    # Running the task again sends nothing: not for the one who set a password, nor the others.
    for user in User.objects.all():
        tasks.invitation_send.delay(user.pk)
    assert ping.delay().get(timeout=20) == "pong"  # one worker, in order: the tasks above ran
    invitations = [m for m in mail.outbox if "password/reset/key" in m.body]
    assert len(invitations) == 3


@pytest.mark.django_db
def test_invitation_is_sent_once_and_never_to_someone_with_a_password(units, mailoutbox):
    assert learner_import(content=learners_file(), importer=None, dry_run=False).created == 3
    nhung = User.objects.get(email="nhung.nguyen@example.vn")
    assert invitation_send(user_id=nhung.pk) is True
    assert invitation_send(user_id=nhung.pk) is False
    assert len(mailoutbox) == 1

    duc = User.objects.get(email="duc.tran@example.vn")
    duc.set_password(PASSWORD)
    duc.save()
    assert invitation_send(user_id=duc.pk) is False
    assert invitation_send(user_id=0) is False
    assert len(mailoutbox) == 1
