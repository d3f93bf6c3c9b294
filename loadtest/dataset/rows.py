"""Writing many generated rows of one model at once."""

from django.db import connection, models
from django.utils import timezone


class RowWriter:
    """Inserts many rows of one model, given as tuples of `fields` (attribute names).

    On PostgreSQL, COPY, with keys drawn from the table's sequence first when the caller needs
    them: at this size bulk_create spends more time preparing each field of each model instance
    than the database spends inserting. Elsewhere (or with use_copy off), bulk_create. Fields
    not given get their model default (auto_now fields: now), as bulk_create would give them,
    so a column added to a model later needs no change here."""

    use_copy = True

    def __init__(self, model: type[models.Model], fields: tuple[str, ...], *, with_ids=False):
        self.model, self.fields, self.with_ids = model, fields, with_ids
        self.copy = self.use_copy and connection.vendor == "postgresql"
        meta = model._meta
        by_attname = {f.attname: f for f in meta.concrete_fields}
        given = [by_attname[name] for name in fields]
        self.json_fields = {i: f for i, f in enumerate(given) if isinstance(f, models.JSONField)}
        self.defaulted = [
            f
            for f in meta.concrete_fields
            if not f.primary_key
            and f.attname not in fields
            and not (f.has_db_default() and not f.has_default())  # the database fills it in
        ]
        quote = connection.ops.quote_name
        columns = [meta.pk.column] if with_ids else []
        columns += [f.column for f in given] + [f.column for f in self.defaulted]
        self.copy_sql = f"COPY {quote(meta.db_table)} ({', '.join(map(quote, columns))}) FROM STDIN"

    def _defaults(self) -> tuple:
        now = timezone.now()
        values = []
        for f in self.defaulted:
            auto = getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
            values.append(f.get_db_prep_save(now if auto else f.get_default(), connection))
        return tuple(values)

    def write(self, rows: list[tuple]) -> list[int]:
        """Insert the rows; with `with_ids`, return their primary keys in order."""
        if not rows:
            return []
        if not self.copy:
            objs = [self.model(**dict(zip(self.fields, row, strict=True))) for row in rows]
            self.model._base_manager.bulk_create(objs, batch_size=2000)
            return [obj.pk for obj in objs] if self.with_ids else []
        meta = self.model._meta
        defaults = self._defaults()
        with connection.cursor() as cursor:
            ids: list[int] = []
            if self.with_ids:
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                    [meta.db_table, meta.pk.column, len(rows)],
                )
                ids = [row[0] for row in cursor.fetchall()]
            with cursor.cursor.copy(self.copy_sql) as copy:
                for index, row in enumerate(rows):
                    if self.json_fields:
                        row = list(row)
                        for i, f in self.json_fields.items():
                            row[i] = f.get_db_prep_save(row[i], connection)
                    head = (ids[index],) if ids else ()
                    copy.write_row((*head, *row, *defaults))
        return ids
