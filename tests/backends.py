"""Chooses the test backends before Django reads its settings (loaded with `-p tests.backends`).

PostgreSQL and Redis on their standard local ports when they answer, SQLite and kombu's
filesystem broker otherwise; DATABASE_URL / REDIS_URL override both. The header says which.
"""

import os
import socket
from urllib.parse import urlparse

LOCAL_POSTGRES = "postgres://postgres@127.0.0.1:5432/test"
LOCAL_REDIS = "redis://127.0.0.1:6379/15"


def _answers(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection(
            (parsed.hostname or "127.0.0.1", parsed.port or default_port), 0.5
        ):
            return True
    except OSError:
        return False


if "DATABASE_URL" not in os.environ and _answers(LOCAL_POSTGRES, 5432):
    os.environ["DATABASE_URL"] = LOCAL_POSTGRES
if "REDIS_URL" not in os.environ and _answers(LOCAL_REDIS, 6379):
    os.environ["REDIS_URL"] = LOCAL_REDIS
os.environ.setdefault("VAR_DIR", os.path.join(os.getcwd(), "var", "test"))
# Playwright's sync API runs an event loop in the test thread; the ORM calls beside it are safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def backends_description() -> str:
    database = os.environ.get("DATABASE_URL", "sqlite (embedded file)")
    broker = os.environ.get("REDIS_URL", "kombu filesystem transport (embedded)")
    return f"backends: database={database.split('@')[-1]} broker={broker.split('@')[-1]}"


def pytest_report_header(config):
    return backends_description()


def pytest_terminal_summary(terminalreporter):
    terminalreporter.write_line(backends_description())
