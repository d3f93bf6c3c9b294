"""What the walk checks on each response: the status (with where a redirect goes), that nothing
of another scope is in it, and that no row of the database changed."""

import hashlib
import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from django.apps import apps
from django.db import connection

from audit.models import AuditAction

from .world import World

# Response bodies ----------------------------------------------------------------------------


def response_bytes(response) -> bytes:
    """Headers and body, streamed bodies joined; binary files are searched as bytes.

    The test client closes the response itself (a second close would end the database
    connection, and with it the walk's transaction)."""
    if response.streaming:
        content = b"".join(response.streaming_content)
    else:
        content = response.content
    headers = "\n".join(f"{name}: {value}" for name, value in response.items())
    return headers.encode() + b"\n\n" + content


def _figure_pattern(number: int) -> re.Pattern:
    """The number as any page may print it: 738291, 738.291, 738,291, 738 291."""
    text = str(number)
    head, tail = text[:-3], text[-3:]
    return re.compile(rf"(?<![\d.,]){head}[.,\u00a0\u202f ]?{tail}(?![\d.,])")


def leaks_found(
    body: bytes, *, world: World, may_see: frozenset, figures_seen: frozenset, public: frozenset
) -> list[str]:
    """Markers and figures of other scopes in the response, except those the reader may see
    (`may_see`: (scope, kind) in its own scope; `public`: kinds this page shows to anyone)."""
    lowered = body.lower()
    found = []
    for scope in world.scopes.values():
        for kind, text in scope.markers.items():
            if (scope.key, kind) in may_see or kind in public:
                continue
            if text.lower().encode() in lowered:
                found.append(text)
        if scope.key in figures_seen:
            continue
        decoded = body.decode(errors="replace")
        found += [str(n) for n in scope.figures if _figure_pattern(n).search(decoded)]
    return found


# Statuses --------------------------------------------------------------------------------

REDIRECTS = {301, 302, 303, 307, 308}


def outcome(response, url: str) -> str:
    """The status, and for a redirect where it goes, named when it is one of the usual places:
    "302 login" (the site's log-in, back to this URL), "302 admin login" (the admin's, back to
    this URL), "302 reauthenticate" (confirm the password, back to this URL), "302 admin
    index", "301 slash" (this URL with a final slash), "302 change" (this URL + "change/"),
    "302 home"; any other place is given as it is."""
    status = response.status_code
    if status not in REDIRECTS:
        return str(status)
    location = response["Location"]
    parts = urlsplit(location)
    back = parse_qs(parts.query).get("next") == [url]
    if parts.path == "/accounts/login/" and back:
        where = "login"
    elif parts.path == "/admin/login/" and back:
        where = "admin login"
    elif parts.path == "/accounts/reauthenticate/" and back:
        where = "reauthenticate"
    elif location == "/admin/":
        where = "admin index"
    elif location == url + "/":
        where = "slash"
    elif location == url + "change/":
        where = "change"
    elif location == "/":
        where = "home"
    else:
        where = location
    return f"{status} {where}"


# Rows ------------------------------------------------------------------------------------

# Every model of the project's apps, of allauth's accounts and second factors, of the role
# groups, of the admin's own log of changes and of the scheduler's tasks. Left out on purpose:
# sessions (every sign-in and message writes one) and the cache (rate limits, cached reports),
# which are no rows of these apps.
SNAPSHOT_APPS = (
    "accounts",
    "audit",
    "courses",
    "reports",
    "units",
    "account",
    "mfa",
    "auth",
    "admin",
    "django_celery_beat",
)
# Columns any request may change by design.
IGNORED_COLUMNS = {
    # A role that logs itself out (the log-out pages) is signed in again, which stamps it.
    "accounts.user": {"last_login"},
}


def _snapshot_models():
    for label in SNAPSHOT_APPS:
        for model in apps.get_app_config(label).get_models():
            if model._meta.managed and not model._meta.proxy:
                yield model


def _rows(model, *, reader) -> dict:
    ignored = IGNORED_COLUMNS.get(model._meta.label_lower, set())
    columns = [f.attname for f in model._meta.concrete_fields if f.name not in ignored]
    queryset = model._default_manager.order_by("pk")
    if model._meta.label_lower == "audit.auditevent" and reader is not None:
        # The learner list a content administrator or superuser downloads (a GET of an
        # export they may take) is written to the audit log: that row is the point.
        queryset = queryset.exclude(
            actor=reader, action=AuditAction.EXPORT_DOWNLOADED, details__kind="learners"
        )
    return {row[0]: row for row in queryset.values_list("pk", *columns)}


@dataclass
class Snapshot:
    tables: dict  # label -> (count, sha256, rows by pk)

    @classmethod
    def take(cls, *, reader=None) -> "Snapshot":
        tables = {}
        for model in _snapshot_models():
            rows = _rows(model, reader=reader)
            digest = hashlib.sha256(repr(list(rows.items())).encode()).hexdigest()
            tables[model._meta.label_lower] = (len(rows), digest, rows)
        return cls(tables)

    def changes(self, later: "Snapshot") -> list[str]:
        """Per changed table: its count before and after, and which rows differ."""
        found = []
        for label, (count, digest, rows) in self.tables.items():
            count_after, digest_after, rows_after = later.tables[label]
            if (count, digest) == (count_after, digest_after):
                continue
            added = sorted(set(rows_after) - set(rows))
            removed = sorted(set(rows) - set(rows_after))
            edited = sorted(pk for pk in set(rows) & set(rows_after) if rows[pk] != rows_after[pk])
            found.append(
                f"{label}: {count} -> {count_after} rows; added {added[:5]}, "
                f"removed {removed[:5]}, changed {edited[:5]}"
            )
        return found


class WriteLog:
    """Which request wrote to the database (diagnostics for a changed snapshot)."""

    def __init__(self):
        self.current = None
        self.writes: list[tuple[str, str]] = []

    def __call__(self, execute, sql, params, many, context):
        verb = sql.lstrip().split(None, 1)[0].upper() if sql.strip() else ""
        if self.current and verb in {"INSERT", "UPDATE", "DELETE"} and "django_session" not in sql:
            self.writes.append((self.current, sql[:90]))
        return execute(sql, params, many, context)

    def installed(self):
        return connection.execute_wrapper(self)
