"""The state of the parts the site uses: the database (needed by every page), the cache (Redis,
with the database standing in when it does not answer) and the broker (needed by jobs only)."""

import logging

from django.db import connection

from .celery import app as celery_app

logger = logging.getLogger(__name__)

BROKER_TIMEOUT_S = 1.5


def database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:
        logger.exception("database health check failed")
        return False


def broker_ok() -> bool:
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(
                max_retries=1, interval_start=0, interval_step=0, timeout=BROKER_TIMEOUT_S
            )
            # Redis accepts TCP before it is usable; a real round trip proves it answers.
            client = getattr(conn.default_channel, "client", None)
            if client is not None:
                client.ping()
        return True
    except Exception:
        logger.warning("broker health check failed", exc_info=True)
        return False


def cache_state() -> str:
    """"ok" when Redis (or the embedded file cache) answers, "fallback" when the database table
    stands in for it."""
    from django.core.cache import caches

    from .cache import FallbackCache

    backend = caches["default"]
    target = getattr(backend, "primary", None) if isinstance(backend, FallbackCache) else backend
    if isinstance(backend, FallbackCache) and backend.primary_is_down():
        return "fallback"
    try:
        target.get("healthz-probe")
        return "ok"
    except Exception:
        logger.warning("cache health check failed", exc_info=True)
        return "fallback" if isinstance(backend, FallbackCache) else "unavailable"
