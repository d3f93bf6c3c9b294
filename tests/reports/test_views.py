"""The officials' report page reads UnitStat / DailyStat / StatsRun rows as they are."""

import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.template.defaultfilters import floatformat
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.numberformat import format as number_format

from accounts.models import UnitRole
from reports.formatting import count_text, percent_text, separators
from reports.models import DailyStat, StatsRun, UnitStat
from reports.report_cache import report_body_key
from tests.factories import UserFactory, course_build, sign_in
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
    sign_in(client, official_of(COMMUNE_A))
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
    sign_in(client, official_of(COMMUNE_A))

    report = client.get(page(COMMUNE_A)).context["report"]

    ranks = {row.code: row.rank for row in report.children}
    assert ranks == {"HB-AGENCY": 1, "HB-FIRM": 2, "HB-TWIN": 2, "HB-SCHOOL": 4, "HB-EMPTY": None}
    assert child_codes(client.get(page(COMMUNE_A, "?sort=rate")))[-1] == "HB-EMPTY"


def test_sort_links_toggle_and_mark_the_sorted_column(client, three_children):
    sign_in(client, official_of(COMMUNE_A))
    html = client.get(page(COMMUNE_A)).content.decode()
    assert 'aria-sort="descending"' in html
    assert 'href="?sort=rate"' in html  # best first now: the next click reverses
    assert 'href="?sort=-completed"' in html
    html = client.get(page(COMMUNE_A, "?sort=rate")).content.decode()
    assert 'aria-sort="ascending"' in html
    assert 'href="?"' in html  # back to the default, best first


def test_a_child_name_links_to_its_own_report_with_a_breadcrumb(client, official, three_children):
    stat_create(COMMUNE_A, learners=5, enrolled=4, completed=3)
    sign_in(client, official)

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
    sign_in(client, official_of(HAI_PHONG))
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
    sign_in(client, official)
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
    sign_in(client, UserFactory(is_superuser=True, is_staff=True))

    response = client.get(reverse("admin:reports_unitstat_changelist"))
    assert response.status_code == 200
    assert "Phường Hồng Bàng" in response.content.decode()
    assert client.get(reverse("admin:reports_unitstat_add")).status_code == 403
    response = client.get(reverse("admin:reports_exportjob_change", args=[job.pk]))
    assert response.status_code == 200
    assert "/media/" not in response.content.decode()  # exports are never linked from MEDIA_URL
    assert client.post(reverse("admin:reports_exportjob_delete", args=[job.pk])).status_code == 403


# The rendered report is cached per scope, unit, filters, language, day and statistics run.


def run_finish() -> StatsRun:
    """What the engine does last: a finished run dates (and versions) every figure."""
    return StatsRun.objects.create(kind="incremental", finished_at=timezone.now())


def row_of(html: str, name: str) -> list[str]:
    return cells(re.search(rf"{name}</a>.*?</tr>", html, re.S).group(0))


def cached_fragment(response) -> str | None:
    return cache.get(report_body_key(report=response.context["report"]))


def test_a_new_stats_run_shows_its_figures_at_once(client, official):
    cell = stat_create(COMMUNE_A, learners=1234, enrolled=1000, completed=500)
    run_finish()
    sign_in(client, official)

    with CaptureQueriesContext(connection) as miss:
        first = client.get(page(HAI_PHONG))
    with CaptureQueriesContext(connection) as hit:
        second = client.get(page(HAI_PHONG))

    assert row_of(first.content.decode(), "Phường Hồng Bàng")[:4] == ["1.234", "1.000", "0", "500"]
    assert cells(second.content.decode()) == cells(first.content.decode())
    # The second page came from the cache: no statistics table was read for it.
    assert len(hit) < len(miss)
    assert not [q for q in hit if "reports_unitstat" in q["sql"] or "reports_dailystat" in q["sql"]]
    assert cached_fragment(second) is not None

    # The engine rewrites the cell and finishes a run: the next page shows the new figure.
    UnitStat.objects.filter(pk=cell.pk).update(completed=600)
    run_finish()
    html = client.get(page(HAI_PHONG)).content.decode()
    assert row_of(html, "Phường Hồng Bàng")[:4] == ["1.234", "1.000", "0", "600"]
    assert ">500<" not in html


def test_officials_of_different_scopes_never_share_a_cached_report(client, units):
    stat_create(COMMUNE_A, learners=4321, enrolled=10, completed=7)
    run_finish()
    city = official_of(HAI_PHONG, full_name="Trần Thị Thành")
    ward_a = official_of(COMMUNE_A, full_name="Lê Văn An")
    ward_b = official_of(COMMUNE_B, full_name="Phạm Văn Bình")

    sign_in(client, ward_a)
    client.post(reverse("reports:export_create", args=[COMMUNE_A]), {"file_format": "csv"})
    own = client.get(page(COMMUNE_A))
    assert "4.321" in own.content.decode() and "report-breadcrumb" not in own.content.decode()

    # The city official reads the same unit: its own breadcrumb, none of ward A's page.
    sign_in(client, city)
    seen = client.get(page(COMMUNE_A))
    html = seen.content.decode()
    assert '<li><a href="/reports/units/31/">Thành phố Hải Phòng</a></li>' in html
    assert "4.321" in html and "Trần Thị Thành" in html
    assert "Lê Văn An" not in html and 'class="export-list"' not in html
    assert report_body_key(report=seen.context["report"]) != report_body_key(
        report=own.context["report"]
    )
    # ... and ward A still reads its own rendering, with its own exports.
    sign_in(client, ward_a)
    html = client.get(page(COMMUNE_A)).content.decode()
    assert "report-breadcrumb" not in html and 'class="export-list"' in html

    # Nothing of a reader is in a shared fragment: no name, no CSRF token, no exports.
    for response in (own, seen):
        fragment = cached_fragment(response)
        assert fragment and "4.321" in fragment
        for private in ("csrfmiddlewaretoken", "export", ward_a.full_name, city.full_name):
            assert private not in fragment
        assert ward_a.email not in fragment and city.email not in fragment

    # Ward B never gets ward A's cached report: the scope check comes before the cache.
    sign_in(client, ward_b)
    response = client.get(page(COMMUNE_A))
    assert response.status_code == 404 and "4.321" not in response.content.decode()
    # Nor does ward A once its role moves away, although its rendering is still cached.
    UnitRole.objects.filter(user=ward_a).update(unit=Unit.objects.get(code=COMMUNE_B))
    sign_in(client, ward_a)
    assert cached_fragment(own) is not None
    assert client.get(page(COMMUNE_A)).status_code == 404


def test_the_cached_report_follows_the_language_and_the_filters(client, official):
    stat_create(HAI_PHONG, learners=12345, enrolled=10000, completed=2500)
    stat_create(HAI_PHONG, group="citizen", learners=678, enrolled=600, completed=300)
    run_finish()
    sign_in(client, official)

    def summary(query: str = "") -> list[str]:
        html = client.get(page(HAI_PHONG, query)).content.decode()
        return re.findall(r'<span class="stat-value">(.*?)</span>', html)

    assert summary() == ["12.345", "10.000", "2.500", "25,0%", "0"]
    assert summary("?group=citizen") == ["678", "600", "300", "50,0%", "0"]
    client.cookies["django_language"] = "en"
    assert summary() == ["12,345", "10,000", "2,500", "25.0%", "0"]
    client.cookies["django_language"] = "vi"
    assert summary("?sort=name") == ["12.345", "10.000", "2.500", "25,0%", "0"]


def test_the_page_is_served_when_the_cache_fails(client, official, monkeypatch):
    class BrokenCache:
        def get(self, *args, **kwargs):
            raise ConnectionError("cache down")

        set = delete = get

    stat_create(HAI_PHONG, learners=4242, enrolled=10, completed=5)
    run_finish()
    monkeypatch.setattr("reports.report_cache.cache", BrokenCache())
    sign_in(client, official)
    response = client.get(page(HAI_PHONG))
    assert response.status_code == 200 and "4.242" in response.content.decode()
    assert "Chưa có số liệu" not in response.content.decode()  # the run was read from the database
    run_finish()  # forgetting the cached run fails too, and the run is still saved
    assert client.get(page(HAI_PHONG)).status_code == 200


def test_course_changes_reach_the_filters_at_once(client, official):
    """The course list is cached with the latest run, and forgotten when a course changes."""
    sign_in(client, official)
    client.cookies["django_language"] = "en"
    assert client.get(page(HAI_PHONG)).status_code == 200  # caches the list without the course

    course = course_build(title="Dịch vụ công trực tuyến")
    response = client.get(page(HAI_PHONG, f"?course={course.pk}"))
    assert response.status_code == 200
    assert f'<option value="{course.pk}" selected>Dịch vụ công trực tuyến</option>' in (
        response.content.decode()
    )

    course.title = "Dịch vụ công mức độ 4"
    course.save()
    assert "Dịch vụ công mức độ 4" in client.get(page(HAI_PHONG)).content.decode()

    course.status = "draft"
    course.save()
    assert client.get(page(HAI_PHONG, f"?course={course.pk}")).status_code == 400


@pytest.mark.parametrize("language", ["vi", "en"])
def test_fast_number_formats_match_djangos(language):
    """The display pass formats without django.utils.formats, with the same result."""
    with translation.override(language):
        thousands, decimal = separators()
        for value in (0, 7, 999, 1000, 21500, 999999, 1234567, 10**9):
            expected = number_format(
                value, decimal, grouping=3, thousand_sep=thousands, force_grouping=True
            )
            assert count_text(value, thousands) == expected
        for enrolled in (1, 3, 7, 9, 11, 300, 1234):
            for completed in range(enrolled + 1):
                rate = UnitStat(enrolled=enrolled, completed=completed).completion_rate
                assert percent_text(rate, decimal) == f"{floatformat(rate, 1)}%"
    assert count_text(None, ".") == percent_text(None, ",") == "—"


def test_unit_names_are_escaped_and_kinds_labelled(client, units):
    commune = Unit.objects.get(code=COMMUNE_A)
    unit_create(code="HB-AMP", name="Công ty A & B <Cảng>", kind="enterprise", parent=commune)
    stat_create("HB-AMP", learners=1500, enrolled=1200, completed=300)
    run_finish()
    sign_in(client, official_of(COMMUNE_A))
    client.cookies["django_language"] = "en"
    for _ in range(2):  # rendered, then from the cache
        html = client.get(page(COMMUNE_A, "?sort=name")).content.decode()
        row = re.search(r'<a href="/reports/units/HB-AMP/\?sort=name">(.*?)</tr>', html, re.S)
        assert row, html
        assert "Công ty A &amp; B &lt;Cảng&gt;</a>" in row.group(0)
        assert '<span class="unit-kind">Enterprise</span>' in row.group(0)
        assert cells(row.group(0))[-8:] == ["1,500", "1,200", "0", "300", "25.0%", "0", "—", "—"]
