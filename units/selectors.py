"""Reads of the unit tree. Subtrees are path-prefix queries: one indexed query, no recursion."""

from django.db.models import QuerySet

from .models import COMMUNE_KINDS, ORGANISATION_KINDS, PROVINCE_KINDS, Unit


def in_subtree(queryset: QuerySet, *, root: Unit, unit_path: str = "path") -> QuerySet:
    """The one place a subtree is spelled: the rows whose unit, reached by the lookup
    `unit_path` (ending at a unit's materialized path), is `root` or lies below it."""
    return queryset.filter(**{f"{unit_path}__startswith": root.path})


def unit_is_within(*, unit: Unit, root: Unit) -> bool:
    """The same rule for one unit already in hand."""
    return unit.path.startswith(root.path)


def unit_subtree(*, unit: Unit, include_self: bool = True) -> QuerySet[Unit]:
    """This unit and everything below it."""
    queryset = in_subtree(Unit.objects.all(), root=unit)
    if not include_self:
        queryset = queryset.exclude(pk=unit.pk)
    return queryset


def unit_ancestors(*, unit: Unit) -> QuerySet[Unit]:
    """Every unit above this one, root first (codes come from the path: one query)."""
    return Unit.objects.filter(code__in=unit.ancestor_codes()[:-1]).order_by("depth")


def province_list() -> QuerySet[Unit]:
    return Unit.objects.filter(kind__in=PROVINCE_KINDS).order_by("name")


def commune_list(*, province: Unit) -> QuerySet[Unit]:
    return Unit.objects.filter(parent=province, kind__in=COMMUNE_KINDS).order_by("name")


def organisation_list(*, province: Unit) -> QuerySet[Unit]:
    """Agencies, enterprises and schools anywhere under a province."""
    return unit_subtree(unit=province).filter(kind__in=ORGANISATION_KINDS).order_by("name")


def province_of(*, unit: Unit) -> Unit | None:
    codes = unit.ancestor_codes()
    if len(codes) < 2:
        return None
    return Unit.objects.filter(code=codes[1]).first()
