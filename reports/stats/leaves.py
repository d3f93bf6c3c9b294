"""Shards and leaf cells: enrolment counts per (own unit, course, audience group, shard) from
the enrolments' covering index, then per leaf cell (the shards added up, with registered
learners, targets, and an all-courses cell adding up the course cells)."""

from ..models import ALL_COURSES
from .sql import FIELDS, delete_keys, merge, sql_in, sql_rows, upsert

LEARNERS, ENROLLED, STARTED, COMPLETED, CERTIFIED, TARGET, TARGET_COMPLETED = range(len(FIELDS))
# An incremental run recounts every shard (one scan) rather than the stale ones (one lookup
# each) when more than this share of all shards is stale.
WHOLE_RECOUNT_SHARE = 0.1

Cell = tuple[int, int, str]  # (unit id, course key, audience group)
Counts = list[int]  # in FIELDS order


def recount_shards(cursor, published: list[int], *, shards=None) -> tuple[int, set[int]]:
    """LeafShard from the enrolments: one GROUP BY over their covering index, for every shard
    or the (unit, course, group, shard) shards named. Returns the rows written and the units
    whose counts changed."""
    in_published, params = sql_in("e.course_id", published)
    shard = "e.stats_shard"
    source = (
        f"SELECT e.unit_id, e.course_id AS course_key, e.audience_group, {shard} AS shard, "
        "COUNT(*) AS enrolled, COUNT(e.started_at) AS started, "
        "COUNT(e.completed_at) AS completed, "
        "SUM(CASE WHEN e.certified THEN 1 ELSE 0 END) AS certified "
        f"FROM courses_enrollment e WHERE e.is_active AND e.unit_id IS NOT NULL AND {in_published} "
    )
    keys = ("unit_id", "course_key", "audience_group", "shard")
    scope, scope_params = "", []
    if shards is not None:
        values, scope_params = sql_rows(sorted(shards), ("bigint", "bigint", "text", "smallint"))
        scope = f"({', '.join(keys)}) IN ({values})"
        source += f"AND (e.unit_id, e.course_id, e.audience_group, {shard}) IN ({values}) "
        params = [*params, *scope_params]
    source += f"GROUP BY e.unit_id, e.course_id, e.audience_group, {shard}"
    changed: set[int] = set()
    written = merge(
        cursor,
        table="reports_leafshard",
        keys=keys,
        values=("enrolled", "started", "completed", "certified"),
        source=source,
        params=params,
        scope=scope,
        scope_params=scope_params,
        changed_units=changed,
    )
    return written, changed


def recount_stale_shards(cursor, published: list[int], shards) -> tuple[int, set[int]]:
    """The shards named, or every shard once they are more than WHOLE_RECOUNT_SHARE of all:
    then one scan of the whole index costs less than a lookup per shard. Either way only the
    shards whose counts changed are written."""
    cursor.execute("SELECT COUNT(*) FROM reports_leafshard")
    whole = len(shards) > WHOLE_RECOUNT_SHARE * cursor.fetchone()[0]
    return recount_shards(cursor, published, shards=None if whole else shards)


def course_cells(cursor, *, unit_ids=None) -> dict[Cell, Counts]:
    """Enrolment counts per leaf course cell, adding up its shards."""
    sql = (
        "SELECT unit_id, course_key, audience_group, SUM(enrolled), SUM(started), "
        "SUM(completed), SUM(certified) FROM reports_leafshard"
    )
    params: list = []
    if unit_ids is not None:
        condition, params = sql_in("unit_id", unit_ids)
        sql += f" WHERE {condition}"
    cursor.execute(sql + " GROUP BY unit_id, course_key, audience_group", params)
    return {
        (u, c, g): [0, int(enrolled), int(started), int(completed), int(certified), 0, 0]
        for u, c, g, enrolled, started, completed, certified in cursor.fetchall()
    }


def stored_leaves(cursor, *, unit_ids=None) -> dict[Cell, Counts]:
    sql = f"SELECT unit_id, course_key, audience_group, {', '.join(FIELDS)} FROM reports_leafstat"
    params: list = []
    if unit_ids is not None:
        condition, params = sql_in("unit_id", unit_ids)
        sql += f" WHERE {condition}"
    cursor.execute(sql, params)
    return {(u, c, g): list(counts) for u, c, g, *counts in cursor.fetchall()}


def stored_learners(cursor) -> dict[tuple[int, str], int]:
    """Registered learners per (unit, audience group) as the leaf cells hold them."""
    cursor.execute(
        "SELECT unit_id, audience_group, learners FROM reports_leafstat WHERE course_key = %s",
        [ALL_COURSES],
    )
    return {(u, g): n for u, g, n in cursor.fetchall()}


def complete_leaves(
    course_cells: dict[Cell, Counts],
    *,
    unit_ids: set[int],
    learners: dict[tuple[int, str], int],
    paths: dict[int, str],
    assignments,
) -> dict[Cell, Counts]:
    """Add targets to course cells and build each unit's all-courses cells from them.

    `course_cells` must hold every course cell of the units in `unit_ids`."""
    cells = {key: list(value) for key, value in course_cells.items() if key[0] in unit_ids}
    for (unit_id, group), n in learners.items():
        if unit_id not in unit_ids:
            continue
        for course_id, path, assigned_group in assignments:
            if paths[unit_id].startswith(path) and assigned_group in ("", group):
                cell = cells.setdefault((unit_id, course_id, group), [0] * len(FIELDS))
                cell[TARGET], cell[TARGET_COMPLETED] = n, cell[COMPLETED]
    totals: dict[Cell, Counts] = {}
    for (unit_id, _course, group), counts in cells.items():
        total = totals.setdefault((unit_id, ALL_COURSES, group), [0] * len(FIELDS))
        for i in range(ENROLLED, len(FIELDS)):
            total[i] += counts[i]
    for (unit_id, group), n in learners.items():
        if unit_id in unit_ids and n:
            totals.setdefault((unit_id, ALL_COURSES, group), [0] * len(FIELDS))[LEARNERS] = n
    cells.update(totals)
    return cells


def write_leaves(cursor, leaves: dict[Cell, Counts], *, existing: dict[Cell, Counts]) -> int:
    """Make the leaf cells of the units `existing` was read for equal `leaves`."""
    keys = ("unit_id", "course_key", "audience_group")
    types = ("bigint", "integer", "text")
    changed = [(*key, *counts) for key, counts in leaves.items() if existing.get(key) != counts]
    gone = [key for key in existing if key not in leaves]
    written = upsert(
        cursor,
        "reports_leafstat",
        [*keys, *FIELDS],
        keys,
        changed,
        (*types, *["integer"] * len(FIELDS)),
    )
    return written + delete_keys(cursor, "reports_leafstat", keys, gone, types)
