"""Removing the previous generated data set: the learners with everything hanging off them,
then the organisations, refused while a row outside the set still points at one of them."""

from collections import Counter

from django.db import connection, models, transaction

from accounts.models import User
from units.models import Unit

from .organisations import CITY_CODE, ORGANISATION_PREFIXES
from .population import LOAD_EMAIL_DOMAIN


class LoadDataInUse(Exception):
    """Rows outside the generated set still point at generated rows."""


def rows_delete(cursor, model, pk_sql: str, params: list, *, through_protected: bool, counts):
    """Delete `model` rows whose key is in `pk_sql`, after every row that points at them.

    Reads the relations from the models, so tables added later are cleaned up too. Protected
    references are followed only when `through_protected` (the learners' own certificates);
    otherwise a row still pointing at one to remove stops the whole removal."""
    quote = connection.ops.quote_name
    for rel in model._meta.get_fields(include_hidden=True):
        if not (rel.auto_created and not rel.concrete and (rel.one_to_many or rel.one_to_one)):
            continue
        related = rel.related_model
        table, column = quote(related._meta.db_table), quote(rel.field.column)
        where = f"{column} IN ({pk_sql})"
        if rel.on_delete is models.DO_NOTHING:
            continue
        if rel.on_delete is models.SET_NULL:
            cursor.execute(f"UPDATE {table} SET {column} = NULL WHERE {where}", params)
            continue
        followed = rel.on_delete is models.CASCADE or (
            through_protected and rel.on_delete in (models.PROTECT, models.RESTRICT)
        )
        if not followed or related is model:
            cursor.execute(f"SELECT 1 FROM {table} WHERE {where} LIMIT 1", params)
            if cursor.fetchone():
                raise LoadDataInUse(
                    f"{related._meta.label} rows still refer to {model._meta.label} rows "
                    "of the generated data set; remove them first."
                )
            continue
        sub = f"SELECT {quote(related._meta.pk.column)} FROM {table} WHERE {where}"
        rows_delete(
            cursor, related, sub, params, through_protected=through_protected, counts=counts
        )
    table, pk = quote(model._meta.db_table), quote(model._meta.pk.column)
    cursor.execute(f"DELETE FROM {table} WHERE {pk} IN ({pk_sql})", params)
    counts[model._meta.label] += max(cursor.rowcount, 0)


@transaction.atomic
def load_remove() -> dict[str, int]:
    """Remove the generated learners with everything hanging off them, then the organisations."""
    counts: Counter = Counter()
    quote = connection.ops.quote_name
    users, units = quote(User._meta.db_table), quote(Unit._meta.db_table)
    with connection.cursor() as cursor:
        rows_delete(
            cursor,
            User,
            f"SELECT id FROM {users} WHERE email LIKE %s",
            [f"%@{LOAD_EMAIL_DOMAIN}"],
            through_protected=True,
            counts=counts,
        )
        prefixes = [f"{CITY_CODE}-{p}-%" for p in ORGANISATION_PREFIXES.values()]
        rows_delete(
            cursor,
            Unit,
            f"SELECT id FROM {units} WHERE " + " OR ".join(["code LIKE %s"] * len(prefixes)),
            prefixes,
            through_protected=False,
            counts=counts,
        )
    return {label: n for label, n in sorted(counts.items()) if n}
