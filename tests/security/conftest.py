import pytest
from django.db import transaction
from django.test import override_settings

from .world import world_build


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    """The data of the walk, built once per module in a transaction rolled back at its end.

    Each test runs inside it in its own savepoint (pytest-django's `db`), so what one role's
    walk might change is undone before the next role walks."""
    files = tmp_path_factory.mktemp("security-walk")
    media, private = files / "media", files / "private"
    with (
        override_settings(MEDIA_ROOT=media, PRIVATE_ROOT=private),
        django_db_blocker.unblock(),
        transaction.atomic(),
    ):
        yield world_build()
        transaction.set_rollback(True)
