"""Waiting for what another process or thread does: poll until it is true, or fail saying what
did not happen. A pause only paces the polls; it never stands as proof of anything."""

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_until(
    condition: Callable[[], T],
    *,
    timeout: float,
    message: str | Callable[[], str],
    interval: float = 0.05,
    between: Callable[[], object] | None = None,
) -> T:
    """Poll `condition` until it returns something true, and return that. At the deadline,
    fail with `message` (called then, if callable, to say what was seen last). `between` runs
    after each unsuccessful poll (reloading a page, say)."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(message() if callable(message) else message)
        time.sleep(interval)
        if between is not None:
            between()
