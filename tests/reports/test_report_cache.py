"""The rendered report is cached per scope, unit, filters, language, day and statistics run:
a new run shows at once, and nothing of one reader reaches another."""

import re

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
from reports.models import StatsRun, UnitStat
from reports.report_cache import report_body_key
from tests.accounts.factories import sign_in
from tests.courses.factories import course_build
from tests.reports.factories import COMMUNE_A, COMMUNE_B, HAI_PHONG, official_of, stat_create
from tests.reports.pages import cells, page
from units.models import Unit
from units.services import unit_create

pytestmark = pytest.mark.django_db


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
