import pytest

from units.loader import units_load

# The helper modules whose asserts check a page or a file: failures show the values compared,
# as a test's own asserts do.
pytest.register_assert_rewrite(
    "tests.accounts.learner_files",
    "tests.courses.archives",
    "tests.courses.authoring",
    "tests.platform_app.admin_walk",
    "tests.faults",
)


@pytest.fixture
def units(db):
    """The real 2025 hierarchy, loaded as `load_units` does."""
    units_load()


@pytest.fixture
def units_tx(transactional_db):
    units_load()


@pytest.fixture(autouse=True)
def _quick_password_hashing(settings):
    """Hashing is slow on purpose (a million rounds); tests that create hundreds of accounts
    use a quick hasher for the passwords they set. Log-in checks run the same code."""
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]


@pytest.fixture(autouse=True)
def _clean_cache():
    """Rate limits and cached pages live in the shared cache; each test starts without them."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture(scope="session")
def celery_worker_session(django_db_setup, django_db_blocker):
    """A real Celery worker (in a thread) consuming from the configured broker."""
    from celery.contrib.testing.worker import start_worker

    from platform_app.celery import app

    app.control.purge()
    with django_db_blocker.unblock():
        with start_worker(app, pool="solo", perform_ping_check=False, loglevel="WARNING") as worker:
            yield worker


@pytest.fixture
def celery_worker(celery_worker_session, transactional_db):
    """Tests that use the worker commit their data so the worker's connection sees it."""
    return celery_worker_session


@pytest.fixture
def celery_beat(celery_worker):
    """A real `celery beat` process on the test database and broker, ticking every few seconds."""
    import os
    import subprocess
    import sys
    import tempfile

    from django.db import connection

    db = connection.settings_dict
    if db["ENGINE"].endswith("postgresql"):
        url = (
            f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        )
    else:
        url = f"sqlite:///{db['NAME']}"
    schedule_dir = tempfile.mkdtemp()
    env = {**os.environ, "DATABASE_URL": url, "STATS_INCREMENTAL_SECONDS": "3"}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "platform_app",
            "beat",
            "--loglevel=WARNING",
            "--scheduler",
            "django_celery_beat.schedulers:DatabaseScheduler",
            "--pidfile",
            os.path.join(schedule_dir, "beat.pid"),
        ],
        env=env,
    )
    yield process
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture
def private_redis():
    """A redis-server of this test's own (tests.faults): safe to kill."""
    from tests.faults import PrivateRedis

    server = PrivateRedis()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def cache_on(settings):
    """Point the site's cache at a given Redis URL, the database table behind it."""

    def point(url: str) -> None:
        caches = {**settings.CACHES}
        caches["default"] = {
            "BACKEND": "platform_app.cache.FallbackCache",
            "OPTIONS": {"PRIMARY": "redis", "FALLBACK": "database", "RETRY_AFTER_S": 1},
        }
        caches["redis"] = {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": "bdhvs",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
        caches["database"] = settings.DATABASE_CACHE
        settings.CACHES = caches

    return point
