"""What the load tools share: statements counted, wall-clock timing, a signed-in test client,
changes undone at the end, and the commands' common options and output."""

import json
import time
from collections.abc import Callable
from contextlib import contextmanager

from django.db import connection, transaction
from django.test import Client

from accounts.models import User
from accounts.services import session_second_factor_mark

Progress = Callable[[str], None]


class QueryCounter:
    """Counts every statement the connection executes (the request cycle resets query logs)."""

    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)

    def __enter__(self):
        self._wrapper = connection.execute_wrapper(self)
        self._wrapper.__enter__()
        return self

    def __exit__(self, *exc):
        self._wrapper.__exit__(*exc)


def timed(fn: Callable) -> tuple[float, object]:
    """(seconds, result) of one call."""
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


@contextmanager
def rolled_back():
    """A transaction that is rolled back at the end: the database keeps its data, and nothing
    waits for the commit (no email, no task)."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def signed_in_client(user: User, *, language: str = "", raise_request_exception=True) -> Client:
    """A test client (no network) signed in as `user`, whose log-in passed its second factor."""
    client = Client(HTTP_HOST="127.0.0.1", raise_request_exception=raise_request_exception)
    if language:
        client.cookies["django_language"] = language
    client.force_login(user)
    session = client.session
    session_second_factor_mark(session=session)
    session.save()
    return client


def add_seed_option(parser) -> None:
    parser.add_argument("--seed", type=int, default=42)


def add_json_option(parser) -> None:
    parser.add_argument("--json", action="store_true", dest="as_json", help="print one JSON object")


def figures_write(stdout, figures: dict, *, as_json: bool) -> None:
    """One JSON object with --json, else one `key: value` line per figure."""
    if as_json:
        stdout.write(json.dumps(figures, ensure_ascii=False))
        return
    for key, value in figures.items():
        stdout.write(f"{key}: {value}")
