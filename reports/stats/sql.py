"""SQL shared by the statistics engine's steps: parameters as arrays on PostgreSQL (lists of
placeholders elsewhere), the run's cursor, and the diff that writes only the rows that differ."""

import re
from collections.abc import Iterable, Sequence
from contextlib import contextmanager

from django.db import connection, transaction

from ..models import StatCounts

# The figures of a leaf or rolled-up cell, as columns of reports_leafstat and reports_unitstat.
FIELDS = StatCounts.COUNT_FIELDS
ROWS_PER_STATEMENT = 500
SNAPSHOT_ID = re.compile(r"[0-9A-F-]+")
TEMP_TABLES = ("stats_closure", "stats_diff")


def marks(count: int, width: int = 1) -> str:
    """`%s, %s` for a list, `(%s, %s), (%s, %s)` for rows of `width` values."""
    one = "%s" if width == 1 else "(" + ", ".join(["%s"] * width) + ")"
    return ", ".join([one] * count)


def chunks(rows: Sequence):
    """The rows in one piece on PostgreSQL (they travel as arrays), in pieces elsewhere."""
    size = max(len(rows), 1) if connection.vendor == "postgresql" else ROWS_PER_STATEMENT
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def sql_in(column: str, values: Iterable, sql_type: str = "bigint") -> tuple[str, list]:
    """`column` is one of `values`: a single array parameter on PostgreSQL (parsing thousands
    of placeholders costs more than the query), a list of placeholders elsewhere."""
    values = sorted(values)
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s::{sql_type}[])", [values]
    if not values:
        return "1 = 0", []
    return f"{column} IN ({marks(len(values))})", values


def sql_rows(rows: Sequence[Sequence], sql_types: Sequence[str]) -> tuple[str, list]:
    """A table of `rows`: unnest() of one array per column on PostgreSQL, VALUES elsewhere."""
    if connection.vendor == "postgresql":
        columns = [list(c) for c in zip(*rows, strict=True)] if rows else [[] for _ in sql_types]
        arrays = ", ".join(f"%s::{t}[]" for t in sql_types)
        return f"SELECT * FROM unnest({arrays})", columns
    return f"VALUES {marks(len(rows), len(sql_types))}", [v for row in rows for v in row]


@contextmanager
def statistics_cursor(*, snapshot: str | None = None, repeatable: bool = False):
    """A cursor inside the run's transaction; its temporary tables are dropped at the end (or
    rolled back with it). `repeatable` reads every statement from one snapshot, which another
    connection can share by its id (`snapshot`).

    On PostgreSQL the recount reads whole indexes that stay in memory: random reads cost what
    sequential ones do, and just-in-time compilation costs more than it saves here."""
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            if repeatable or snapshot:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            if snapshot:
                if not SNAPSHOT_ID.fullmatch(snapshot):
                    raise ValueError(f"not a snapshot id: {snapshot!r}")
                cursor.execute(f"SET TRANSACTION SNAPSHOT '{snapshot}'")
            cursor.execute("SET LOCAL random_page_cost = 1.1")
            cursor.execute("SET LOCAL jit = off")
            if connection.pg_version >= 140000:
                # A killed run's statement stops within a second rather than running to its end.
                cursor.execute("SET LOCAL client_connection_check_interval = 1000")
        yield cursor
        schema = "pg_temp" if connection.vendor == "postgresql" else "temp"
        for table in TEMP_TABLES:
            cursor.execute(f"DROP TABLE IF EXISTS {schema}.{table}")


def upsert(cursor, table: str, columns: Sequence[str], keys: Sequence[str], rows, types) -> int:
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c not in keys)
    for chunk in chunks(rows):
        values, params = sql_rows(chunk, types)
        cursor.execute(
            f"INSERT INTO {table} ({', '.join(columns)}) {values} "
            f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {updates}",
            params,
        )
    return len(rows)


def delete_keys(cursor, table: str, keys: Sequence[str], rows, types) -> int:
    for chunk in chunks(rows):
        values, params = sql_rows(chunk, types)
        cursor.execute(f"DELETE FROM {table} WHERE ({', '.join(keys)}) IN ({values})", params)
    return len(rows)


def merge(
    cursor,
    *,
    table: str,
    keys: Sequence[str],
    values: Sequence[str],
    source: str,
    params: Sequence = (),
    scope: str = "",
    scope_params: Sequence = (),
    stamps: Sequence[str] = (),
    changed_units: set[int] | None = None,
) -> int:
    """Make the rows of `table` within `scope` equal the rows the `source` SELECT returns.

    One full join finds the rows that differ, are missing or are gone; only those are written
    (with `stamps` set on them), so a run over unchanged figures writes nothing. The units of
    the rows written are added to `changed_units` when given."""
    same_key = " AND ".join(f"t.{k} = s.{k}" for k in keys)
    differs = " OR ".join(f"t.{v} <> s.{v}" for v in values)
    cursor.execute(
        f"CREATE TEMPORARY TABLE stats_diff AS WITH source AS ({source}) "
        f"SELECT t.id AS existing_id, (s.{keys[0]} IS NULL) AS gone, "
        + ", ".join(
            [f"COALESCE(s.{k}, t.{k}) AS {k}" for k in keys]
            + [f"s.{c}" for c in (*values, *stamps)]
        )
        + f" FROM source s FULL JOIN (SELECT * FROM {table} WHERE {scope or '1 = 1'}) t "
        f"ON {same_key} WHERE t.id IS NULL OR s.{keys[0]} IS NULL OR {differs}",
        [*params, *scope_params],
    )
    if changed_units is not None:
        cursor.execute("SELECT DISTINCT unit_id FROM stats_diff")
        changed_units.update(unit_id for (unit_id,) in cursor.fetchall())
    assignments = ", ".join(f"{c} = d.{c}" for c in (*values, *stamps))
    cursor.execute(
        f"UPDATE {table} SET {assignments} FROM stats_diff d "
        f"WHERE d.existing_id = {table}.id AND NOT d.gone"
    )
    written = max(cursor.rowcount, 0)
    columns = ", ".join((*keys, *values, *stamps))
    cursor.execute(
        f"INSERT INTO {table} ({columns}) SELECT {columns} FROM stats_diff "
        "WHERE existing_id IS NULL"
    )
    written += max(cursor.rowcount, 0)
    cursor.execute(
        f"DELETE FROM {table} WHERE id IN (SELECT existing_id FROM stats_diff WHERE gone)"
    )
    written += max(cursor.rowcount, 0)
    cursor.execute("DROP TABLE stats_diff")
    return written
