"""The officials' report page reads UnitStat / DailyStat / StatsRun rows as they are."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from reports.models import DailyStat, StatsRun
from tests.factories import UserFactory, course_build
from units.models import Unit
from units.services import unit_create

from . import COMMUNE_A, COMMUNE_B, HAI_PHONG, official_of, stat_create

pytestmark = pytest.mark.django_db

QUERY_BUDGET = 12


def page(code: str, query: str = "") -> str:
    return reverse("reports:unit", args=[code]) + query


def cells(html: str) -> list[str]:
    """The text of every table cell and summary value, tags stripped."""
    found = re.findall(r"<(?:td|th)[^>]*>(.*?)</(?:td|th)>", html, re.S)
    found += re.findall(r'<span class="stat-value">(.*?)</span>', html, re.S)
    return [re.sub(r"<[^>]+>", " ", text).split()[0] if text.strip() else "" for text in found]


def child_codes(response) -> list[str]:
    return [row.code for row in response.context["report"].children]


@pytest.fixture
def official(units):
    return official_of(HAI_PHONG, full_name="Cán bộ Hải Phòng")


@pytest.fixture
def course(units):
    return course_build(title="An toàn trên mạng")


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
    client.force_login(official)

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
    client.force_login(official)
    response = client.get(page(HAI_PHONG))
    summary = re.findall(r'<span class="stat-value">(.*?)</span>', response.content.decode())
    assert summary == ["10", "10", "9", "90,0%", "0", "75,0%"]


def test_selected_course_and_group_pick_the_matching_cells(client, official, course):
    stat_create(HAI_PHONG, learners=999, enrolled=999, completed=999)
    stat_create(HAI_PHONG, course=course.pk, group="citizen", learners=41, enrolled=40, completed=4)
    stat_create(COMMUNE_A, course=course.pk, group="citizen", learners=21, enrolled=20, completed=5)
    stat_create(COMMUNE_A, learners=888, enrolled=888, completed=888)
    client.force_login(official)

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


@pytest.fixture
def three_children(units):
    """A commune with three organisations under it, ranked differently by each measure."""
    commune = Unit.objects.get(code=COMMUNE_A)
    made = {}
    for code, name, kind in [
        ("HB-SCHOOL", "Trường THCS Hồng Bàng", "school"),
        ("HB-AGENCY", "UBND phường Hồng Bàng", "agency"),
        ("HB-FIRM", "Công ty Cảng Hải Phòng", "enterprise"),
    ]:
        made[code] = unit_create(code=code, name=name, kind=kind, parent=commune)
    stat_create(
        "HB-SCHOOL", learners=50, enrolled=40, completed=10, target=20, target_completed=10
    )  # 25%, 50%
    stat_create(
        "HB-AGENCY", learners=30, enrolled=20, completed=18, target=100, target_completed=18
    )  # 90%, 18%
    stat_create("HB-FIRM", learners=90, enrolled=80, completed=40)  # 50%, no target
    return made


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("", ["HB-AGENCY", "HB-FIRM", "HB-SCHOOL"]),
        ("-rate", ["HB-AGENCY", "HB-FIRM", "HB-SCHOOL"]),
        ("rate", ["HB-SCHOOL", "HB-FIRM", "HB-AGENCY"]),
        ("name", ["HB-FIRM", "HB-SCHOOL", "HB-AGENCY"]),  # Công ty, Trường, UBND
        ("-completed", ["HB-FIRM", "HB-AGENCY", "HB-SCHOOL"]),
        ("completed", ["HB-SCHOOL", "HB-AGENCY", "HB-FIRM"]),
        ("-target_rate", ["HB-SCHOOL", "HB-AGENCY", "HB-FIRM"]),  # no target: last
        ("target_rate", ["HB-AGENCY", "HB-SCHOOL", "HB-FIRM"]),
    ],
)
def test_sort_orders_the_child_units(client, three_children, sort, expected):
    client.force_login(official_of(COMMUNE_A))
    response = client.get(page(COMMUNE_A, f"?sort={sort}" if sort else ""))
    assert response.status_code == 200
    assert child_codes(response) == expected
    html = response.content.decode()
    positions = [html.index(three_children[code].name) for code in expected]
    assert positions == sorted(positions)


def test_rank_follows_the_measure_and_ties_share_a_rank(client, three_children):
    stat_create(COMMUNE_A, learners=1)
    unit_create(
        code="HB-TWIN",
        name="Trường Tiểu học Hồng Bàng",
        kind="school",
        parent=three_children["HB-FIRM"].parent,
    )
    stat_create("HB-TWIN", learners=8, enrolled=8, completed=4)  # 50%, ties with HB-FIRM
    unit_create(
        code="HB-EMPTY",
        name="Trường Mầm non",
        kind="school",
        parent=Unit.objects.get(code=COMMUNE_A),
    )
    client.force_login(official_of(COMMUNE_A))

    report = client.get(page(COMMUNE_A)).context["report"]

    ranks = {row.code: row.rank for row in report.children}
    assert ranks == {"HB-AGENCY": 1, "HB-FIRM": 2, "HB-TWIN": 2, "HB-SCHOOL": 4, "HB-EMPTY": None}
    assert child_codes(client.get(page(COMMUNE_A, "?sort=rate")))[-1] == "HB-EMPTY"


def test_sort_links_toggle_and_mark_the_sorted_column(client, three_children):
    client.force_login(official_of(COMMUNE_A))
    html = client.get(page(COMMUNE_A)).content.decode()
    assert 'aria-sort="descending"' in html
    assert 'href="?sort=rate"' in html  # best first now: the next click reverses
    assert 'href="?sort=-completed"' in html
    html = client.get(page(COMMUNE_A, "?sort=rate")).content.decode()
    assert 'aria-sort="ascending"' in html
    assert 'href="?"' in html  # back to the default, best first


def test_a_child_name_links_to_its_own_report_with_a_breadcrumb(client, official, three_children):
    stat_create(COMMUNE_A, learners=5, enrolled=4, completed=3)
    client.force_login(official)

    html = client.get(page(HAI_PHONG)).content.decode()
    link = f'href="/reports/units/{COMMUNE_A}/"'
    assert link in html

    response = client.get(page(COMMUNE_A))
    assert response.status_code == 200
    html = response.content.decode()
    assert '<li><a href="/reports/units/31/">Thành phố Hải Phòng</a></li>' in html
    assert "Việt Nam" not in html  # the breadcrumb stops at the official's own unit
    assert 'href="/reports/units/HB-SCHOOL/"' in html
    # and further down, to an organisation without children
    response = client.get(page("HB-SCHOOL"))
    assert response.status_code == 200
    assert [u.code for u in response.context["report"].breadcrumb] == [HAI_PHONG, COMMUNE_A]


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
    client.force_login(official)
    client.cookies["django_language"] = "en"
    response = client.get(page(HAI_PHONG, query))
    assert response.status_code == 400
    html = response.content.decode()
    assert 'class="errorlist nonfield"' in html
    assert message in html.lower()


def test_a_draft_course_is_not_a_valid_filter(client, official, units):
    draft = course_build(title="Bản nháp", status="draft")
    client.force_login(official)
    assert client.get(page(HAI_PHONG, f"?course={draft.pk}")).status_code == 400


def test_figures_computed_at_shows_the_latest_finished_run(client, official):
    client.force_login(official)
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
    client.force_login(official)
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
    client.force_login(official)
    response = client.get(reverse("reports:index"))
    assert response.status_code == 302
    assert response.url == page(HAI_PHONG)
    superuser = UserFactory(is_superuser=True, is_staff=True)
    client.force_login(superuser)
    assert client.get(reverse("reports:index")).url == page("VN")
    assert client.get(page("VN")).status_code == 200


def test_nav_shows_reports_only_to_users_with_a_reports_scope(client, official, units):
    client.force_login(official)
    assert 'href="/reports/"' in client.get(reverse("home")).content.decode()
    client.force_login(UserFactory())
    assert 'href="/reports/"' not in client.get(reverse("home")).content.decode()


def _measure(client, url, django_assert_max_num_queries) -> int:
    with CaptureQueriesContext(connection) as captured:
        with django_assert_max_num_queries(QUERY_BUDGET):
            response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def test_query_budget_with_three_children(
    client, three_children, course, django_assert_max_num_queries
):
    stat_create(COMMUNE_A, learners=9, enrolled=9, completed=9)
    stat_create(COMMUNE_A, course=course.pk, learners=9, enrolled=9, completed=9)
    client.force_login(official_of(HAI_PHONG))
    count = _measure(client, page(COMMUNE_A), django_assert_max_num_queries)
    print(f"queries for a unit with 3 children: {count}")


def test_query_budget_with_114_children_and_many_courses(
    client, official, django_assert_max_num_queries
):
    courses = [course_build(title=f"Khóa học {n}", slug=f"khoa-{n}", quiz=False) for n in range(8)]
    children = list(Unit.objects.filter(parent__code=HAI_PHONG))
    assert len(children) >= 100
    for child in children:
        stat_create(child.code, learners=10, enrolled=8, completed=4, target=20, target_completed=4)
    for course in courses:
        stat_create(HAI_PHONG, course=course.pk, learners=5, enrolled=5, completed=1)
        for group in ("citizen", "official"):
            stat_create(HAI_PHONG, course=course.pk, group=group, learners=2, enrolled=2)
    today = timezone.localdate()
    unit = Unit.objects.get(code=HAI_PHONG)
    for day in range(90):
        DailyStat.objects.create(unit=unit, day=today - timedelta(days=day), completed=day)
    StatsRun.objects.create(kind="full", finished_at=timezone.now())
    client.force_login(official)
    client.post(reverse("reports:export_create", args=[HAI_PHONG]), {"file_format": "csv"})

    count = _measure(client, page(HAI_PHONG), django_assert_max_num_queries)
    filtered = _measure(
        client,
        page(HAI_PHONG, f"?course={courses[0].pk}&group=citizen&sort=name"),
        django_assert_max_num_queries,
    )
    print(f"queries for a unit with {len(children)} children: {count} / filtered {filtered}")


def test_admin_lists_stats_and_exports_read_only(client, official, settings, tmp_path):
    from django.core.files.base import ContentFile

    from reports.models import ExportJob

    settings.MEDIA_ROOT = tmp_path
    stat_create(COMMUNE_A, learners=5, enrolled=4, completed=3)
    job = ExportJob.objects.create(
        requester=official, unit=Unit.objects.get(code=HAI_PHONG), file_format="csv"
    )
    job.file.save("secret.csv", ContentFile(b"x"))
    client.force_login(UserFactory(is_superuser=True, is_staff=True))

    response = client.get(reverse("admin:reports_unitstat_changelist"))
    assert response.status_code == 200
    assert "Phường Hồng Bàng" in response.content.decode()
    assert client.get(reverse("admin:reports_unitstat_add")).status_code == 403
    response = client.get(reverse("admin:reports_exportjob_change", args=[job.pk]))
    assert response.status_code == 200
    assert "/media/" not in response.content.decode()  # exports are never linked from MEDIA_URL
    assert client.post(reverse("admin:reports_exportjob_delete", args=[job.pk])).status_code == 403
