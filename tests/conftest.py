import pytest

from units.loader import units_load


@pytest.fixture
def units(db):
    """The real 2025 hierarchy, loaded as `load_units` does."""
    units_load()


@pytest.fixture
def units_tx(transactional_db):
    units_load()


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
