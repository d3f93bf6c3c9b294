"""Loads the 2025 two-tier hierarchy (34 provinces, 3,321 communes) from `vietnam-provinces`."""

from dataclasses import dataclass

from django.db import transaction
from vietnam_provinces import Province, VietNamDivisionType, Ward

from .models import Unit, UnitKind

NATION_CODE = "VN"
NATION_NAME = "Việt Nam"

KIND_BY_DIVISION = {
    VietNamDivisionType.TINH: UnitKind.PROVINCE,
    VietNamDivisionType.THANH_PHO_TRUNG_UONG: UnitKind.CITY,
    VietNamDivisionType.XA: UnitKind.COMMUNE,
    VietNamDivisionType.PHUONG: UnitKind.WARD,
    VietNamDivisionType.DAC_KHU: UnitKind.SPECIAL_ZONE,
}


@dataclass
class LoadResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


def _wanted_units() -> list[tuple[str, str, str, str | None]]:
    """(code, name, kind, parent code) for the whole hierarchy, parents before children."""
    rows: list[tuple[str, str, str, str | None]] = [
        (NATION_CODE, NATION_NAME, UnitKind.NATION, None)
    ]
    for province in sorted(Province.iter_all(), key=lambda p: int(p.code)):
        rows.append(
            (
                f"{int(province.code):02d}",
                province.name,
                KIND_BY_DIVISION[province.division_type],
                NATION_CODE,
            )
        )
    for ward in sorted(Ward.iter_all(), key=lambda w: int(w.code)):
        rows.append(
            (
                f"{int(ward.code):05d}",
                ward.name,
                KIND_BY_DIVISION[ward.division_type],
                f"{int(ward.province_code):02d}",
            )
        )
    return rows


@transaction.atomic
def units_load() -> LoadResult:
    """Idempotent: rows already right are left alone, so a second run writes nothing."""
    result = LoadResult()
    existing = {unit.code: unit for unit in Unit.objects.all()}
    to_create: list[Unit] = []
    to_update: list[Unit] = []
    by_code: dict[str, Unit] = dict(existing)
    for code, name, kind, parent_code in _wanted_units():
        parent = by_code.get(parent_code) if parent_code else None
        path = f"{parent.path if parent else '/'}{code}/"
        depth = parent.depth + 1 if parent else 0
        unit = existing.get(code)
        if unit is None:
            unit = Unit(code=code, name=name, kind=kind, path=path, depth=depth)
            unit.parent = parent
            to_create.append(unit)
            by_code[code] = unit
            result.created += 1
            continue
        changed = (unit.name, unit.kind, unit.path, unit.depth, unit.parent_id) != (
            name,
            kind,
            path,
            depth,
            parent.pk if parent else None,
        )
        if changed:
            unit.name, unit.kind, unit.path, unit.depth, unit.parent = (
                name,
                kind,
                path,
                depth,
                parent,
            )
            to_update.append(unit)
            result.updated += 1
        else:
            result.unchanged += 1
    # Parents must have primary keys before children reference them: create level by level.
    for depth in sorted({u.depth for u in to_create}):
        level = [u for u in to_create if u.depth == depth]
        for unit in level:
            if unit.parent is not None:
                unit.parent_id = unit.parent.pk
        Unit.objects.bulk_create(level, batch_size=1000)
    if to_update:
        Unit.objects.bulk_update(
            to_update, ["name", "kind", "path", "depth", "parent"], batch_size=1000
        )
    return result
