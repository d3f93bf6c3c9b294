"""The security walk: an official of commune A tries every report URL on units and exports
outside A's subtree. Every URL in reports.urls is walked, so a new one is covered by itself."""

import re

import pytest
from django.core.files.base import ContentFile
from django.urls import URLPattern, reverse

from accounts.models import Role, UnitRole
from reports.models import ExportJob
from reports.urls import app_name, urlpatterns
from tests.accounts.factories import UserFactory, sign_in
from tests.courses.factories import course_build
from tests.reports.factories import COMMUNE_A, COMMUNE_B, HAI_PHONG, official_of, stat_create
from units.models import Unit

pytestmark = pytest.mark.django_db

# Figures no page of commune A may ever show, in any number format.
SECRETS = (7771, 7772, 9993, 9994)
B_NAME = "Phường Thuỷ Nguyên"


def leaks(body: str) -> list[str]:
    found = [B_NAME] if B_NAME in body else []
    for number in SECRETS:
        text = str(number)
        pattern = rf"(?<![\d.,]){text[0]}[.,\u00a0 ]?{text[1:]}(?![\d.,])"
        found += re.findall(pattern, body)
    return found


@pytest.fixture
def walk(units, settings, tmp_path):
    """Hải Phòng with communes A and B, an official of A, and another official's export of B."""
    settings.MEDIA_ROOT = tmp_path
    stat_create(HAI_PHONG, learners=9993, enrolled=9994, completed=9993)
    stat_create(COMMUNE_B, learners=7771, enrolled=7772, completed=7771)
    stat_create(COMMUNE_A, learners=120, enrolled=100, completed=40)
    course = course_build(title="Dịch vụ công trực tuyến")
    stat_create(COMMUNE_B, course=course.pk, group="citizen", learners=7771, enrolled=7772)
    stat_create(COMMUNE_A, course=course.pk, group="citizen", learners=12, enrolled=10)
    other = official_of(HAI_PHONG)
    other_job = ExportJob.objects.create(
        requester=other, unit=Unit.objects.get(code=COMMUNE_B), file_format="csv", status="done"
    )
    other_job.file.save("b.csv", ContentFile(f"{B_NAME},7771\n".encode()))
    return {
        "official": official_of(COMMUNE_A),
        "course": course,
        "other_job": other_job,
    }


def report_urls(*, codes, pks) -> list[str]:
    """Every reports URL pattern, with each outside code or foreign export id filled in."""
    urls = []
    for pattern in urlpatterns:
        assert isinstance(pattern, URLPattern)
        converters = pattern.pattern.converters
        assert set(converters) <= {"code", "pk"}, f"walk does not know {pattern}"
        name = f"{app_name}:{pattern.name}"
        if "code" in converters:
            urls += [reverse(name, kwargs={"code": code}) for code in codes]
        elif "pk" in converters:
            urls += [reverse(name, kwargs={"pk": pk}) for pk in pks]
        else:
            urls.append(reverse(name))
    return urls


def test_an_official_of_commune_a_sees_nothing_outside_a(client, walk):
    sign_in(client, walk["official"])
    urls = report_urls(codes=[COMMUNE_B, HAI_PHONG, "VN"], pks=[walk["other_job"].pk])
    assert len(urls) == 3 * 2 + 2 + 1

    for url in urls:
        for method in (client.get, client.post, client.head):
            response = method(url, {"file_format": "csv"} if method == client.post else {})
            body = b"".join(response.streaming_content) if response.streaming else response.content
            if url != reverse("reports:index"):  # outside A: "not found", whatever the method
                assert response.status_code == 404, (method, url, response.status_code)
            elif method == client.post:  # the index only reads
                assert response.status_code == 405, url
            else:  # and sends the official to their own unit, whatever they asked for
                assert response.status_code == 302, (method, url, response.status_code)
                assert response.url == reverse("reports:unit", args=[COMMUNE_A])
            assert not leaks(body.decode(errors="replace")), (method, url)
    assert ExportJob.objects.count() == 1  # no export was started for someone else's unit


def test_own_page_with_tampered_parameters_never_shows_b(client, walk):
    sign_in(client, walk["official"])
    course = walk["course"].pk
    own = reverse("reports:unit", args=[COMMUNE_A])
    shown = [  # valid filters, or parameters the page does not read
        "",
        f"?course={course}&group=citizen&sort=name",
        f"?course={course}&group=citizen&sort=-target_rate",
        f"?code={COMMUNE_B}&unit={COMMUNE_B}&unit_id=1",
        f"?course=0&course={course}&group=*&group=citizen",  # the last of each is read
    ]
    refused = [
        "?course=0",
        "?course=-1",
        f"?course={course} OR 1=1",
        "?group=*",
        "?group=citizen%00",
        "?sort=-rate;DROP TABLE reports_unitstat",
        "?sort=unit__path",
        "?course=99999999999999999999",
    ]
    for queries, status in ((shown, 200), (refused, 400)):
        for query in queries:
            response = client.get(own + query)
            assert response.status_code == status, query
            assert not leaks(response.content.decode()), query
    assert (
        client.get(own + f"?course={course}&group=citizen").context["report"].summary.learners == 12
    )

    export = reverse("reports:export_create", args=[COMMUNE_A])
    response = client.post(export, {"file_format": "csv", "course": course, "group": "*"})
    assert response.status_code == 400
    assert not leaks(response.content.decode())


def test_the_page_of_a_shows_only_a(client, walk):
    sign_in(client, walk["official"])
    response = client.get(reverse("reports:unit", args=[COMMUNE_A]))
    assert response.status_code == 200
    assert response.context["report"].summary.learners == 120
    assert response.context["report"].breadcrumb == []  # nothing above the official's unit
    assert "Hải Phòng" not in response.content.decode()


def test_learners_and_other_roles_get_403_everywhere(client, walk):
    own_job = ExportJob.objects.create(
        requester=walk["official"], unit=Unit.objects.get(code=COMMUNE_A), file_format="csv"
    )
    urls = report_urls(codes=[COMMUNE_A, COMMUNE_B, "VN"], pks=[own_job.pk, walk["other_job"].pk])
    content_admin = UserFactory()
    UnitRole.objects.create(
        user=content_admin, role=Role.CONTENT_ADMIN, unit=Unit.objects.get(code=HAI_PHONG)
    )
    for user in (UserFactory(), content_admin, UserFactory(is_staff=True)):
        sign_in(client, user)
        for url in urls:
            for method in (client.get, client.post):
                response = method(url)
                assert response.status_code == 403, (user, method, url)
                assert not leaks(response.content.decode()), url


def test_anonymous_visitors_are_sent_to_log_in_everywhere(client, walk):
    urls = report_urls(codes=[COMMUNE_A, COMMUNE_B], pks=[walk["other_job"].pk])
    login = reverse("account_login")
    for url in urls:
        for method in (client.get, client.post):
            response = method(url)
            assert response.status_code == 302, url
            assert response.url.startswith(f"{login}?next="), url
    assert ExportJob.objects.count() == 1


def test_an_official_whose_grant_moved_loses_the_old_unit(client, walk):
    official = walk["official"]
    sign_in(client, official)
    assert client.get(reverse("reports:unit", args=[COMMUNE_A])).status_code == 200
    UnitRole.objects.filter(user=official).update(unit=Unit.objects.get(code=COMMUNE_B))
    assert client.get(reverse("reports:unit", args=[COMMUNE_A])).status_code == 404
