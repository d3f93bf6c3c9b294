"""A cache that outlives Redis: sessions, log-in limits and report pages keep working when the
Redis server stops answering, through Django's database cache, and go back to Redis when it
answers again.

Sessions are written through to the database anyway (cached_db), so nobody is logged out. Log-in
limits keep counting, in the database table, from zero when the switch happens: an attacker gains
at most one fresh allowance per outage, and no learner is refused because the cache is down.

What was written or deleted during an outage may be stale in Redis when it returns (a session
ended meanwhile, a count that moved): the first process that reaches Redis again deletes those
keys there, read from the database table, and empties the table.
"""

import logging
import threading
import time

from django.core.cache import caches
from django.core.cache.backends.base import DEFAULT_TIMEOUT, BaseCache
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from django.db import connections, router

logger = logging.getLogger(__name__)

# After a failure, Redis is left alone this long: one slow timeout per interval, not per call.
RETRY_AFTER_S = 10.0
# Marks, in the fallback, a key deleted during an outage (so Redis forgets it too afterwards).
DELETED = "deleted-during-outage:"


class FallbackCache(BaseCache):
    """OPTIONS: PRIMARY and FALLBACK, the aliases of two caches in settings.CACHES."""

    def __init__(self, location, params):
        super().__init__(params)
        options = params.get("OPTIONS", {})
        self._primary_alias = options["PRIMARY"]
        self._fallback_alias = options["FALLBACK"]
        self._retry_after = float(options.get("RETRY_AFTER_S", RETRY_AFTER_S))
        self._down_until = 0.0
        self._was_down = False
        self._lock = threading.Lock()

    @property
    def primary(self) -> BaseCache:
        return caches[self._primary_alias]

    @property
    def fallback(self) -> BaseCache:
        return caches[self._fallback_alias]

    def primary_is_down(self) -> bool:
        return time.monotonic() < self._down_until

    def _call(self, name: str, *args, **kwargs):
        if not self.primary_is_down():
            try:
                if self._was_down:
                    self._recover()
                return getattr(self.primary, name)(*args, **kwargs)
            except Exception as error:  # redis-py raises ConnectionError, TimeoutError, OSError…
                self._mark_down(error)
        return getattr(self.fallback, name)(*args, **kwargs)

    def _mark_down(self, error: Exception) -> None:
        with self._lock:
            first = not self.primary_is_down()
            self._down_until = time.monotonic() + self._retry_after
            self._was_down = True
        if first:
            logger.warning(
                "cache %r unavailable (%s): using %r for %.0f s",
                self._primary_alias,
                error.__class__.__name__,
                self._fallback_alias,
                self._retry_after,
            )

    def _recover(self) -> None:
        """Redis answers again: drop there every key the outage touched, then empty the table."""
        keys = self.fallback_keys()
        if keys:
            self.primary.delete_many(keys)
        self.fallback.clear()
        with self._lock:
            self._was_down = False
        logger.warning("cache %r answers again: %d keys refreshed", self._primary_alias, len(keys))

    def fallback_keys(self) -> list[str]:
        """The keys in the fallback table, as callers named them (deletion marks resolved)."""
        fallback = self.fallback
        database = router.db_for_read(fallback.cache_model_class)
        connection = connections[database]
        table = connection.ops.quote_name(fallback._table)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT cache_key FROM {table}")  # noqa: S608 - our own table name
            stored = [row[0] for row in cursor.fetchall()]
        keys = set()
        for cache_key in stored:
            key = cache_key.split(":", 2)[-1]  # "<prefix>:<version>:<key>"
            keys.add(key.removeprefix(DELETED))
        return sorted(keys)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("add", key, value, timeout=timeout, version=version)

    def get(self, key, default=None, version=None):
        return self._call("get", key, default=default, version=version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("set", key, value, timeout=timeout, version=version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("touch", key, timeout=timeout, version=version)

    def delete(self, key, version=None):
        deleted = self._call("delete", key, version=version)
        if self.primary_is_down():
            self.fallback.set(DELETED + key, True, timeout=None, version=version)
        return deleted

    def get_many(self, keys, version=None):
        return self._call("get_many", keys, version=version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("set_many", data, timeout=timeout, version=version)

    def delete_many(self, keys, version=None):
        keys = list(keys)
        deleted = self._call("delete_many", keys, version=version)
        if self.primary_is_down():
            self.fallback.set_many({DELETED + key: True for key in keys}, timeout=None)
        return deleted

    def has_key(self, key, version=None):
        return self._call("has_key", key, version=version)

    def incr(self, key, delta=1, version=None):
        return self._call("incr", key, delta=delta, version=version)

    def decr(self, key, delta=1, version=None):
        return self._call("decr", key, delta=delta, version=version)

    def clear(self):
        # The table holds entries only during an outage, and is emptied when Redis returns.
        self._call("clear")

    def close(self, **kwargs):
        for cache in (self.primary, self.fallback):
            try:
                cache.close(**kwargs)
            except Exception:  # closing a dead connection is no reason to fail a request
                logger.debug("closing cache failed", exc_info=True)


class _ReusedClient(RedisCacheClient):
    """Django builds a new redis-py client for every call (its table of ~150 reply callbacks
    with it: about 0.15 ms each time); one client per connection pool is thread-safe."""

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        clients = self.__dict__.setdefault("_clients", {})
        client = clients.get(id(pool))
        if client is None:
            client = clients[id(pool)] = self._client(connection_pool=pool)
        return client


class ReusedClientRedisCache(RedisCache):
    """Django's Redis cache, with one redis-py client per connection pool."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = _ReusedClient
