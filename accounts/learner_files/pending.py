"""An uploaded learner file waiting between its dry run and the confirmation.

It waits outside MEDIA_ROOT, readable by this process only, named by a random token that only
the uploader's session holds; confirming or cancelling deletes it, and a file left behind is
removed by the next upload once it is a day old.
"""

import os
import re
import secrets
import time
from pathlib import Path

from django.conf import settings

PENDING_IMPORT_SESSION_KEY = "accounts_learner_import"
PENDING_IMPORT_MAX_AGE = 24 * 3600
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{32,64}$")


def pending_import_dir() -> Path:
    directory = Path(
        getattr(settings, "LEARNER_IMPORT_DIR", None) or Path(settings.VAR_DIR) / "learner-imports"
    )
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    return directory


def pending_import_save(content: bytes) -> str:
    directory = pending_import_dir()
    cutoff = time.time() - PENDING_IMPORT_MAX_AGE
    for stale in directory.iterdir():  # files of imports never confirmed nor cancelled
        if stale.is_file() and stale.stat().st_mtime < cutoff:
            stale.unlink(missing_ok=True)
    token = secrets.token_urlsafe(32)
    descriptor = os.open(directory / token, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(content)
    return token


def pending_import_read(token: str) -> bytes | None:
    if not _TOKEN.match(token or ""):
        return None
    try:
        return (pending_import_dir() / token).read_bytes()
    except FileNotFoundError:
        return None


def pending_import_delete(token: str) -> None:
    if _TOKEN.match(token or ""):
        (pending_import_dir() / token).unlink(missing_ok=True)


def pending_upload_keep(*, session, content: bytes, name: str) -> None:
    """Keep a checked file for the confirmation; the session forgets any file kept before."""
    pending_upload_discard(session=session)
    session[PENDING_IMPORT_SESSION_KEY] = {"token": pending_import_save(content), "name": name}


def pending_upload_take(*, session) -> tuple[bytes | None, str]:
    """The kept file's content (None if it is gone) and name; it is kept no longer."""
    pending = session.pop(PENDING_IMPORT_SESSION_KEY, None) or {}
    content = pending_import_read(pending.get("token", ""))
    pending_import_delete(pending.get("token", ""))
    return content, pending.get("name", "")


def pending_upload_discard(*, session) -> None:
    pending = session.pop(PENDING_IMPORT_SESSION_KEY, None) or {}
    pending_import_delete(pending.get("token", ""))
