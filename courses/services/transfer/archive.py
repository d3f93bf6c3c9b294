"""Opening an uploaded course archive: size, entry count, paths and unpacked size are checked
before anything is read from it, and every member's checksum once the sizes are known."""

import os
import zipfile
import zlib
from pathlib import PurePosixPath
from typing import IO

from django.utils.translation import gettext as _

from . import limits

# Reading an archive member can fail in all of these ways when the archive is damaged or odd.
READ_ERRORS = (zipfile.BadZipFile, zlib.error, OSError, EOFError, NotImplementedError, RuntimeError)


class TransferError(Exception):
    """The archive cannot be imported; `problems` says why, in words for the administrator."""

    def __init__(self, *problems: str):
        super().__init__("; ".join(problems))
        self.problems = list(problems)


def path_unsafe(name: str) -> bool:
    """Absolute, drive-letter, parent-directory or NUL paths never leave the archive."""
    normal = name.replace("\\", "/")
    if not normal or normal.startswith("/") or "\x00" in normal:
        return True
    if len(normal) > 1 and normal[1] == ":":
        return True
    return ".." in PurePosixPath(normal).parts


def _upload_size(upload: IO[bytes]) -> int:
    size = getattr(upload, "size", None)
    if size is None:
        upload.seek(0, os.SEEK_END)
        size = upload.tell()
    upload.seek(0)
    return size


def archive_open(upload: IO[bytes]) -> zipfile.ZipFile:
    if _upload_size(upload) > limits.MAX_ARCHIVE_BYTES:
        raise TransferError(
            _("The file is larger than %(limit)d MB.")
            % {"limit": limits.MAX_ARCHIVE_BYTES // 2**20}
        )
    if not zipfile.is_zipfile(upload):
        raise TransferError(_("This file is not a .zip archive."))
    upload.seek(0)
    try:
        archive = zipfile.ZipFile(upload)
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError) as error:
        raise TransferError(_("The .zip archive is damaged and cannot be read.")) from error
    if len(infos) > limits.MAX_ENTRIES:
        raise TransferError(
            _("The archive holds %(count)d entries; at most %(limit)d are allowed.")
            % {"count": len(infos), "limit": limits.MAX_ENTRIES}
        )
    unsafe = sorted(info.filename for info in infos if path_unsafe(info.filename))
    if unsafe:
        raise TransferError(
            _("The archive contains unsafe file paths: %(names)s.") % {"names": ", ".join(unsafe)}
        )
    if sum(info.file_size for info in infos) > limits.MAX_UNPACKED_BYTES:
        raise TransferError(
            _("The archive unpacks to more than %(limit)d MB.")
            % {"limit": limits.MAX_UNPACKED_BYTES // 2**20}
        )
    return archive


def archive_members_check(archive: zipfile.ZipFile) -> None:
    """Every member unpacks to its declared size and checksum; run once the sizes are known."""
    try:
        damaged = archive.testzip()
    except READ_ERRORS as error:
        raise TransferError(_("The .zip archive is damaged and cannot be read.")) from error
    if damaged is not None:
        raise TransferError(_("The file “%(name)s” in the archive is damaged.") % {"name": damaged})
