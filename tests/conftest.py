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
