"""Who granted or removed a role, changed a course's status, revoked a certificate, changed an
account's rights or downloaded an export: each is recorded with the change, readable by
superusers in the admin and editable by nobody."""

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse

from accounts.models import Role, UnitRole, User
from audit.models import AuditAction, AuditEvent
from courses.models import Certificate
from reports.models import ExportJob
from tests.accounts.factories import UserFactory, sign_in
from tests.courses.factories import author_create, certificate_earn, course_build, course_create
from units.models import Unit

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser(units):
    return User.objects.create_superuser(
        email="quantri.he.thong@example.com", password="x", full_name="Quản trị hệ thống"
    )


def client_for(user) -> Client:
    client = Client()
    sign_in(client, user)
    return client


def test_granting_and_removing_a_role_in_the_admin_is_recorded(superuser):
    official = UserFactory(email="canbo@example.com")
    client = client_for(superuser)
    commune = Unit.objects.get(code="11311")
    response = client.post(
        reverse("admin:accounts_unitrole_add"),
        {
            "user": official.pk,
            "role": Role.OFFICIAL,
            "unit": commune.pk,
            "granted_at_0": "2026-01-01",
            "granted_at_1": "08:00:00",
        },
        REMOTE_ADDR="203.0.113.5",
    )
    assert response.status_code == 302
    grant = UnitRole.objects.get(user=official)
    event = AuditEvent.objects.get(action=AuditAction.ROLE_GRANTED)
    assert (event.actor, event.actor_email, event.target_id) == (
        superuser,
        superuser.email,
        str(official.pk),
    )
    assert event.details["unit"] == "11311" and event.ip_address == "203.0.113.5"

    response = client.post(
        reverse("admin:accounts_unitrole_delete", args=[grant.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert not UnitRole.objects.filter(user=official).exists()
    removed = AuditEvent.objects.get(action=AuditAction.ROLE_REMOVED)
    assert removed.actor == superuser and removed.details == {"role": "official", "unit": "11311"}


def test_making_someone_staff_is_recorded(superuser):
    learner = UserFactory(email="hocvien@example.com")
    client = client_for(superuser)
    url = reverse("admin:accounts_user_change", args=[learner.pk])
    response = client.post(
        url,
        {
            "email": learner.email,
            "full_name": learner.full_name,
            "audience_group": "citizen",
            "home_unit": learner.home_unit_id,
            "workplace_unit": "",
            "phone": "",
            "is_active": "on",
            "is_staff": "on",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "08:00:00",
        },
    )
    assert response.status_code == 302
    event = AuditEvent.objects.get(action=AuditAction.ACCOUNT_RIGHTS_CHANGED)
    assert event.details == {"is_staff": True} and event.actor == superuser


def test_publishing_archiving_and_revoking_are_recorded(units):
    author = author_create(unit=Unit.objects.get(code="VN"), email="quantri@example.com")
    course = course_build(title="Thanh toán an toàn", status="draft")
    course.owner_unit = Unit.objects.get(code="31")
    course.save()
    client = client_for(author)
    changelist = reverse("admin:courses_course_changelist")
    for action in ("publish_courses", "archive_courses"):
        client.post(changelist, {"action": action, "_selected_action": [course.pk]})
    moves = AuditEvent.objects.filter(action=AuditAction.COURSE_STATUS_CHANGED).order_by("at")
    assert [(e.details["from"], e.details["to"]) for e in moves] == [
        ("draft", "published"),
        ("published", "archived"),
    ]
    assert {e.actor for e in moves} == {author}


def test_revoking_a_certificate_is_recorded(superuser):
    certificate = certificate_earn(user=UserFactory(full_name="Lê Thị Hoa"), course=course_create())
    client_for(superuser).post(
        reverse("admin:courses_certificate_changelist"),
        {"action": "revoke_certificates", "_selected_action": [certificate.pk]},
    )
    assert Certificate.objects.get(pk=certificate.pk).revoked_at is not None
    event = AuditEvent.objects.get(action=AuditAction.CERTIFICATE_REVOKED)
    assert event.actor == superuser and "Lê Thị Hoa" in event.target_repr


def test_downloading_an_export_is_recorded(units, settings, tmp_path):
    settings.PRIVATE_ROOT = tmp_path
    official = UserFactory()
    unit = Unit.objects.get(code="31")
    UnitRole.objects.create(user=official, role=Role.OFFICIAL, unit=unit)
    job = ExportJob.objects.create(requester=official, unit=unit, file_format="csv", status="done")
    job.file.save("bao-cao.csv", ContentFile(b"a,b\n"))
    response = client_for(official).get(reverse("reports:export_download", args=[job.pk]))
    assert response.status_code == 200
    event = AuditEvent.objects.get(action=AuditAction.EXPORT_DOWNLOADED)
    assert event.actor == official and event.details["unit"] == "31"

    author = author_create(unit=unit, email="quantri.tp@example.com")
    response = client_for(author).get(reverse("admin:accounts_user_export"))
    assert response.status_code == 200
    learners = AuditEvent.objects.filter(
        action=AuditAction.EXPORT_DOWNLOADED, details__kind="learners"
    ).get()
    assert learners.actor == author


def test_the_log_is_read_by_superusers_only_and_edited_by_nobody(superuser):
    official = UserFactory()
    client = client_for(superuser)
    client.post(
        reverse("admin:accounts_unitrole_add"),
        {
            "user": official.pk,
            "role": Role.OFFICIAL,
            "unit": Unit.objects.get(code="31").pk,
            "granted_at_0": "2026-01-01",
            "granted_at_1": "08:00:00",
        },
    )
    event = AuditEvent.objects.get()
    changelist = client.get(reverse("admin:audit_auditevent_changelist"))
    assert changelist.status_code == 200 and official.email in changelist.content.decode()
    change_url = reverse("admin:audit_auditevent_change", args=[event.pk])
    assert client.get(change_url).status_code == 200
    assert client.post(change_url, {"target_repr": "sửa"}).status_code == 403
    assert client.get(reverse("admin:audit_auditevent_add")).status_code == 403
    delete_url = reverse("admin:audit_auditevent_delete", args=[event.pk])
    assert client.post(delete_url, {"post": "yes"}).status_code == 403
    assert AuditEvent.objects.get().target_repr == event.target_repr

    author = author_create(unit=Unit.objects.get(code="31"), email="quantri.tp@example.com")
    assert client_for(author).get(reverse("admin:audit_auditevent_changelist")).status_code == 403


def test_importing_learners_is_recorded_and_a_dry_run_is_not(superuser):
    from accounts.learner_files import learner_import

    content = (
        "Họ và tên,Email,Đối tượng,Mã đơn vị\n"
        "Nguyễn Văn Một,mot@example.vn,Người dân,11311\n"
        "Trần Thị Hai,hai@example.vn,Người dân,11311\n"
    ).encode()
    assert learner_import(content=content, importer=superuser, dry_run=True).ok
    assert not AuditEvent.objects.exists()
    report = learner_import(content=content, importer=superuser, dry_run=False)
    assert report.created == 2
    event = AuditEvent.objects.get(action=AuditAction.LEARNERS_IMPORTED)
    assert event.actor == superuser and event.details["created"] == 2
