import pytest
from django.core.management import call_command

from units.models import COMMUNE_KINDS, PROVINCE_KINDS, Unit
from units.selectors import unit_ancestors, unit_subtree
from units.services import unit_create, unit_update

pytestmark = pytest.mark.django_db


def test_load_units_loads_the_2025_hierarchy_and_a_second_run_changes_nothing(capsys):
    call_command("load_units")
    assert Unit.objects.filter(kind__in=PROVINCE_KINDS).count() == 34
    assert Unit.objects.filter(kind__in=COMMUNE_KINDS).count() == 3321
    hai_phong = Unit.objects.get(code="31")
    assert hai_phong.name == "Thành phố Hải Phòng"
    assert hai_phong.children.count() == 114
    kinds = set(hai_phong.children.values_list("kind", flat=True))
    assert kinds == {"commune", "ward", "special_zone"}
    assert Unit.objects.get(name="Đặc khu Bạch Long Vĩ").parent == hai_phong
    before = list(Unit.objects.order_by("pk").values())
    capsys.readouterr()
    call_command("load_units")
    assert "0 created, 0 updated, 3356 unchanged" in capsys.readouterr().out
    assert list(Unit.objects.order_by("pk").values()) == before


def test_subtree_is_one_indexed_query(units, django_assert_num_queries):
    hai_phong = Unit.objects.get(code="31")
    school = unit_create(
        code="31-THPT-NGO-QUYEN",
        name="Trường THPT Ngô Quyền",
        kind="school",
        parent=Unit.objects.get(code="11311"),
    )
    with django_assert_num_queries(1):
        codes = set(unit_subtree(unit=hai_phong).values_list("code", flat=True))
    assert len(codes) == 1 + 114 + 1
    assert school.code in codes and "01" not in codes
    assert [u.code for u in unit_ancestors(unit=school)] == ["VN", "31", "11311"]


def test_moving_a_unit_moves_its_subtree(units):
    agency = unit_create(
        code="31-SO-GDDT",
        name="Sở Giáo dục và Đào tạo",
        kind="agency",
        parent=Unit.objects.get(code="31"),
    )
    school = unit_create(code="31-TRUONG-A", name="Trường A", kind="school", parent=agency)
    unit_update(
        unit=agency, name=agency.name, kind=agency.kind, parent=Unit.objects.get(code="11311")
    )
    school.refresh_from_db()
    assert school.path == "/VN/31/11311/31-SO-GDDT/31-TRUONG-A/"
    assert school.depth == 4
