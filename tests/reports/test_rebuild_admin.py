import pytest
from django.urls import reverse

from reports.models import StatsRun
from tests.accounts.factories import UserFactory, sign_in
from tests.waiting import wait_until

pytestmark = pytest.mark.celery


def test_superuser_queues_a_full_rebuild_that_a_real_worker_runs(client, celery_worker, units_tx):
    admin = UserFactory(is_staff=True, is_superuser=True)
    sign_in(client, admin)
    page = client.get(reverse("admin:reports_statsrun_changelist"))
    assert page.status_code == 200
    response = client.post(reverse("admin:reports_statsrun_rebuild"))
    assert response.status_code == 302
    wait_until(
        StatsRun.objects.filter(kind="full", finished_at__isnull=False).exists,
        timeout=30,
        message="the worker did not finish the queued rebuild within 30 s",
    )


def test_staff_without_superuser_cannot_rebuild(client, units_tx):
    sign_in(client, UserFactory(is_staff=True))
    assert client.post(reverse("admin:reports_statsrun_rebuild")).status_code == 403
    assert not StatsRun.objects.exists()
