"""Child units are sorted and ranked by the measure the official picks, and link down the tree."""

import pytest

from tests.accounts.factories import sign_in
from tests.reports.factories import COMMUNE_A, HAI_PHONG, official_of, stat_create
from tests.reports.pages import child_codes, page
from units.models import Unit
from units.services import unit_create

pytestmark = pytest.mark.django_db


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
