"""The officials' report page reads UnitStat / DailyStat / StatsRun rows as they are, in a
number of queries that does not grow with the unit."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from reports.models import DailyStat, StatsRun
from tests.accounts.factories import UserFactory, sign_in
from tests.courses.factories import course_build
from tests.reports.factories import COMMUNE_A, COMMUNE_B, HAI_PHONG, official_of, stat_create
from tests.reports.pages import cells, page
from units.models import Unit

pytestmark = pytest.mark.django_db


def test_summary_children_and_breakdowns_show_the_stored_numbers(client, official, course):
    stat_create(HAI_PHONG, learners=611, enrolled=523, started=450, completed=397, certified=389)
    stat_create(HAI_PHONG, course=course.pk, learners=301, enrolled=302, completed=151)
    stat_create(HAI_PHONG, group="worker", learners=77, enrolled=66, completed=33)
    stat_create(
        COMMUNE_A,
        learners=211,
        enrolled=200,
        completed=150,
        certified=149,
        target=300,
        target_completed=150,
    )
    stat_create(COMMUNE_B, learners=96, enrolled=80, completed=20, certified=19)
    sign_in(client, official)

    response = client.get(page(HAI_PHONG))

    assert response.status_code == 200
    html = response.content.decode()
    summary = re.findall(r'<span class="stat-value">(.*?)</span>', html)
    assert summary == ["611", "523", "397", "75,9%", "389"]  # no target: no "against target" card
    # Commune A: 150/200 = 75.0%, 150/300 = 50.0%; commune B: 20/80 = 25.0%, no target.
    row_a = re.search(r"Phường Hồng Bàng.*?</tr>", html, re.S).group(0)
    assert cells(row_a) == ["211", "200", "0", "150", "75,0%", "149", "300", "50,0%"]
    row_b = re.search(r"Phường Thuỷ Nguyên.*?</tr>", html, re.S).group(0)
    assert cells(row_b) == ["96", "80", "0", "20", "25,0%", "19", "—", "—"]
    # The 112 other communes have no stats row: a row of zeros and no rank each.
    children = response.context["report"].children
    assert len(children) == 114
    assert sum(1 for row in children if row.rank is None and row.stat.enrolled == 0) == 112
    # Breakdowns: the course row (this unit, selected group) and the "worker" group row.
    assert "An toàn trên mạng" in html
    course_row = re.search(r"An toàn trên mạng</th>.*?</tr>", html, re.S).group(0)
    assert cells(course_row) == ["302", "151", "50,0%"]
    worker = re.search(
        r"<th scope=\"row\">(Người lao động[^<]*|Enterprise workers)</th>.*?</tr>", html, re.S
    )
    assert worker and cells(worker.group(0))[-3:] == ["66", "33", "50,0%"]


def test_target_card_shows_the_rate_against_target(client, official):
    stat_create(HAI_PHONG, learners=10, enrolled=10, completed=9, target=12, target_completed=9)
    sign_in(client, official)
    response = client.get(page(HAI_PHONG))
    summary = re.findall(r'<span class="stat-value">(.*?)</span>', response.content.decode())
    assert summary == ["10", "10", "9", "90,0%", "0", "75,0%"]


def test_selected_course_and_group_pick_the_matching_cells(client, official, course):
    stat_create(HAI_PHONG, learners=999, enrolled=999, completed=999)
    stat_create(HAI_PHONG, course=course.pk, group="citizen", learners=41, enrolled=40, completed=4)
    stat_create(COMMUNE_A, course=course.pk, group="citizen", learners=21, enrolled=20, completed=5)
    stat_create(COMMUNE_A, learners=888, enrolled=888, completed=888)
    sign_in(client, official)

    response = client.get(page(HAI_PHONG, f"?course={course.pk}&group=citizen"))

    assert response.status_code == 200
    report = response.context["report"]
    assert (report.summary.enrolled, report.summary.completed) == (40, 4)
    row_a = next(row for row in report.children if row.code == COMMUNE_A)
    assert (row_a.stat.enrolled, row_a.stat.completed) == (20, 5)
    assert ">888<" not in response.content.decode()
    # The child link keeps the filters, so the drill-down shows the same cell.
    assert f'href="/reports/units/{COMMUNE_A}/?course={course.pk}&amp;group=citizen"' in (
        response.content.decode()
    )


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("?sort=bogus", "order"),
        ("?sort=-name", "order"),
        ("?course=999999", "course"),
        ("?course=abc", "course"),
        ("?course=0", "course"),
        ("?group=alien", "audience group"),
        ("?group=*", "audience group"),
    ],
)
def test_invalid_parameters_are_a_400_with_a_message(client, official, query, message):
    sign_in(client, official)
    client.cookies["django_language"] = "en"
    response = client.get(page(HAI_PHONG, query))
    assert response.status_code == 400
    html = response.content.decode()
    assert 'class="errorlist nonfield"' in html
    assert message in html.lower()


def test_a_draft_course_is_not_a_valid_filter(client, official, units):
    draft = course_build(title="Bản nháp", status="draft")
    sign_in(client, official)
    assert client.get(page(HAI_PHONG, f"?course={draft.pk}")).status_code == 400


def test_figures_computed_at_shows_the_latest_finished_run(client, official):
    sign_in(client, official)
    client.cookies["django_language"] = "en"
    assert "Figures not computed yet" in client.get(page(HAI_PHONG)).content.decode()

    finished = timezone.make_aware(timezone.datetime(2025, 10, 20, 9, 45))
    StatsRun.objects.create(kind="full", finished_at=finished - timedelta(hours=5))
    StatsRun.objects.create(kind="incremental", finished_at=finished)
    StatsRun.objects.create(kind="incremental")  # still running: not the figures' age

    html = client.get(page(HAI_PHONG)).content.decode()
    assert "Figures computed at 09:45, 20/10/2025" in html


def test_trend_chart_is_accessible_svg_with_a_data_table(client, official):
    today = timezone.localdate()
    unit = Unit.objects.get(code=HAI_PHONG)
    DailyStat.objects.create(unit=unit, day=today - timedelta(days=200), completed=500)  # too old
    DailyStat.objects.create(unit=unit, day=today - timedelta(days=30), completed=12)
    DailyStat.objects.create(unit=unit, day=today, completed=7)
    sign_in(client, official)
    client.cookies["django_language"] = "en"

    response = client.get(page(HAI_PHONG))

    trend = response.context["report"].trend
    assert len(trend) == 90 and trend[-1].cumulative == 19
    html = response.content.decode()
    svg = re.search(r"<svg class=\"trend-svg\".*?</svg>", html, re.S).group(0)
    assert 'viewBox="0 0 600 200"' in svg and 'width="100%"' in svg
    assert 'role="img"' in svg and "<title" in svg and "<desc" in svg
    assert "19 completions from" in svg
    table = re.search(r'<div class="sr-only"><table>.*?</table>', html, re.S).group(0)
    assert today.strftime("%d/%m/%Y") in table and "12" in table
    assert "style=" not in html


def test_index_redirects_to_the_officials_own_unit(client, official, units):
    sign_in(client, official)
    response = client.get(reverse("reports:index"))
    assert response.status_code == 302
    assert response.url == page(HAI_PHONG)
    superuser = UserFactory(is_superuser=True, is_staff=True)
    sign_in(client, superuser)
    assert client.get(reverse("reports:index")).url == page("VN")
    assert client.get(page("VN")).status_code == 200


def test_nav_shows_reports_only_to_users_with_a_reports_scope(client, official, units):
    sign_in(client, official)
    assert 'href="/reports/"' in client.get(reverse("home")).content.decode()
    sign_in(client, UserFactory())
    assert 'href="/reports/"' not in client.get(reverse("home")).content.decode()


# Queries per page ---------------------------------------------------------------------------

# From the cache: the signed-in user, the official's grant, the unit and the official's exports.
CACHED_QUERIES = 4
# The first request after a statistics run also reads the latest run, the course list, the
# unit's figures, its children's figures and the trend.
RENDERING_QUERIES = 9


def report_costs(client, official, url, django_assert_num_queries, *, children: int) -> list:
    """The queries of `url` for `official`: rendered after a new run, then from the cache."""
    sign_in(client, official)
    StatsRun.objects.create(kind="incremental", finished_at=timezone.now())
    costs = []
    for expected in (RENDERING_QUERIES, CACHED_QUERIES):
        with django_assert_num_queries(expected) as captured:
            response = client.get(url)
        assert response.status_code == 200
        assert len(response.context["report"].children) == children
        costs.append(len(captured))
    return costs


def test_a_report_page_costs_the_same_queries_with_3_or_114_children(
    client, three_children, django_assert_num_queries
):
    courses = [course_build(title=f"Khóa học {n}", slug=f"khoa-{n}", quiz=False) for n in range(8)]
    for child in Unit.objects.filter(parent__code=HAI_PHONG):
        stat_create(child.code, learners=10, enrolled=8, completed=4, target=20, target_completed=4)
    for course in courses:
        stat_create(HAI_PHONG, course=course.pk, learners=5, enrolled=5, completed=1)
        for group in ("citizen", "official"):
            stat_create(HAI_PHONG, course=course.pk, group=group, learners=2, enrolled=2)
    city = Unit.objects.get(code=HAI_PHONG)
    today = timezone.localdate()
    for day in range(90):
        DailyStat.objects.create(unit=city, day=today - timedelta(days=day), completed=day)
    commune_official, city_official = official_of(COMMUNE_A), official_of(HAI_PHONG)
    for official, code in ((commune_official, COMMUNE_A), (city_official, HAI_PHONG)):
        sign_in(client, official)  # each has an export listed under the report
        client.post(reverse("reports:export_create", args=[code]), {"file_format": "csv"})

    commune = report_costs(
        client, commune_official, page(COMMUNE_A), django_assert_num_queries, children=3
    )
    city = report_costs(
        client, city_official, page(HAI_PHONG), django_assert_num_queries, children=114
    )
    filtered = report_costs(
        client,
        city_official,
        page(HAI_PHONG, f"?course={courses[0].pk}&group=citizen&sort=name"),
        django_assert_num_queries,
        children=114,
    )

    assert commune == city == filtered == [RENDERING_QUERIES, CACHED_QUERIES]


def test_admin_lists_stats_and_exports_read_only(client, official, settings, tmp_path):
    from django.core.files.base import ContentFile

    from reports.models import ExportJob

    settings.MEDIA_ROOT = tmp_path
    stat_create(COMMUNE_A, learners=5, enrolled=4, completed=3)
    job = ExportJob.objects.create(
        requester=official, unit=Unit.objects.get(code=HAI_PHONG), file_format="csv"
    )
    job.file.save("secret.csv", ContentFile(b"x"))
    sign_in(client, UserFactory(is_superuser=True, is_staff=True))

    response = client.get(reverse("admin:reports_unitstat_changelist"))
    assert response.status_code == 200
    assert "Phường Hồng Bàng" in response.content.decode()
    assert client.get(reverse("admin:reports_unitstat_add")).status_code == 403
    response = client.get(reverse("admin:reports_exportjob_change", args=[job.pk]))
    assert response.status_code == 200
    assert "/media/" not in response.content.decode()  # exports are never linked from MEDIA_URL
    assert client.post(reverse("admin:reports_exportjob_delete", args=[job.pk])).status_code == 403
