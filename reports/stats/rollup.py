"""Rolled-up cells (UnitStat): a unit and its whole subtree, summed in SQL from the leaf cells
through a unit-ancestor table built from the parent links."""

from collections.abc import Iterable

from django.db import connection

from units.models import Unit

from ..models import ALL_COURSES, ALL_GROUPS
from .sql import FIELDS, merge, sql_in


def closure(cursor) -> None:
    """Every unit with itself and each of its ancestors, from the parent links."""
    cursor.execute(
        "CREATE TEMPORARY TABLE stats_closure AS "
        "WITH RECURSIVE chain(unit_id, ancestor_id) AS ("
        "SELECT id, id FROM units_unit "
        "UNION ALL SELECT chain.unit_id, u.parent_id FROM chain "
        "JOIN units_unit u ON u.id = chain.ancestor_id WHERE u.parent_id IS NOT NULL"
        ") SELECT unit_id, ancestor_id FROM chain"
    )
    if connection.vendor == "postgresql":
        cursor.execute("ANALYZE stats_closure")


def roll_up(cursor, *, unit_ids: set[int] | None, now) -> int:
    """UnitStat of the given units (all when None) from the leaf cells of their subtrees, with
    the all-groups column; a course cell's registered learners are its unit's and group's."""
    where, params, scope = "", [], ""
    if unit_ids is not None:
        condition, params = sql_in("c.ancestor_id", unit_ids)
        where, scope = f"WHERE {condition}", sql_in("unit_id", unit_ids)[0]
    sums = ", ".join(f"SUM(l.{f}) AS {f}" for f in FIELDS)
    resum = ", ".join(f"SUM({f})" for f in FIELDS)
    others = ", ".join(FIELDS[1:])
    source = (
        f"WITH sums AS (SELECT c.ancestor_id AS unit_id, l.course_key, l.audience_group, {sums} "
        "FROM reports_leafstat l JOIN stats_closure c ON c.unit_id = l.unit_id "
        f"{where} GROUP BY c.ancestor_id, l.course_key, l.audience_group), "
        "cells AS (SELECT * FROM sums UNION ALL "
        f"SELECT unit_id, course_key, '{ALL_GROUPS}', {resum} FROM sums "
        "GROUP BY unit_id, course_key) "
        "SELECT unit_id, course_key, audience_group, "
        f"CASE WHEN course_key = {ALL_COURSES} THEN learners ELSE COALESCE(MAX(CASE WHEN "
        f"course_key = {ALL_COURSES} THEN learners END) OVER (PARTITION BY unit_id, "
        f"audience_group), 0) END AS learners, {others}, %s AS computed_at FROM cells"
    )
    return merge(
        cursor,
        table="reports_unitstat",
        keys=("unit_id", "course_key", "audience_group"),
        values=FIELDS,
        stamps=("computed_at",),
        source=source,
        params=[*params, now],
        scope=scope,
        scope_params=params,
    )


def ancestor_ids() -> dict[int, list[int]]:
    """Each unit's id with every ancestor's, read from the materialized paths."""
    units = list(Unit.objects.values_list("id", "code", "path"))
    id_by_code = {code: pk for pk, code, _path in units}
    return {
        pk: [id_by_code[c] for c in path.split("/") if c and c in id_by_code]
        for pk, _code, path in units
    }


def above(unit_ids: Iterable[int], ancestors: dict[int, list[int]]) -> set[int]:
    """The units given and every unit above them."""
    return {a for u in unit_ids for a in ancestors.get(u, (u,))}
