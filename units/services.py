"""Writes to the unit tree. Paths are always derived here, never typed by hand."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Concat, Substr
from django.utils.translation import gettext as _

from .models import Unit
from .selectors import in_subtree, unit_is_within


def unit_path_for(*, code: str, parent: Unit | None) -> str:
    return f"{parent.path if parent else '/'}{code}/"


def unit_create(*, code: str, name: str, kind: str, parent: Unit | None) -> Unit:
    unit = Unit(code=code, name=name, kind=kind, parent=parent)
    unit.path = unit_path_for(code=code, parent=parent)
    unit.depth = parent.depth + 1 if parent else 0
    unit.full_clean()
    unit.save()
    return unit


@transaction.atomic
def unit_update(*, unit: Unit, name: str, kind: str, parent: Unit | None) -> Unit:
    """Rename or move a unit; a move rewrites the whole subtree's paths in one UPDATE."""
    if parent is not None and unit_is_within(unit=parent, root=unit):
        raise ValidationError(
            {"parent": _("A unit cannot be placed under itself or its own subtree.")}
        )
    old_path, old_depth = unit.path, unit.depth
    unit.name, unit.kind, unit.parent = name, kind, parent
    unit.path = unit_path_for(code=unit.code, parent=parent)
    unit.depth = parent.depth + 1 if parent else 0
    unit.full_clean()
    unit.save()
    if unit.path != old_path:
        # The subtree as it was before the move: still under the old path.
        in_subtree(Unit.objects.exclude(pk=unit.pk), root=Unit(path=old_path)).update(
            path=Concat(Value(unit.path), Substr("path", len(old_path) + 1)),
            depth=F("depth") + (unit.depth - old_depth),
        )
    return unit
