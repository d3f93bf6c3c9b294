"""Reading course.json: its size, nesting, JSON and schema version checked before it is parsed
further, then every value read with its expected type (ManifestReader)."""

import json
import re
import unicodedata
import zipfile

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from . import limits
from .archive import READ_ERRORS, TransferError, path_unsafe
from .schema import MANIFEST, MEDIA_DIR, SCHEMA, SCHEMA_VERSION

# JSON strings with their escapes (an unterminated one runs to the end), and other runs of text.
NOT_BRACKETS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?|[^"\[\]{}]+', re.DOTALL)
# C0 controls other than tab, LF and CR, and lone surrogates, which no database text can hold.
INVALID_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")


def _nesting_exceeds(text: str, limit: int) -> bool:
    """Whether brackets outside JSON strings open more than `limit` levels, in one pass."""
    depth = 0
    for bracket in NOT_BRACKETS.sub("", text):
        depth += 1 if bracket in "[{" else -1
        if depth > limit:
            return True
    return False


def manifest_read(archive: zipfile.ZipFile) -> dict:
    try:
        info = archive.getinfo(MANIFEST)
    except KeyError as error:
        raise TransferError(
            _("The archive has no %(name)s: it is not a course export.") % {"name": MANIFEST}
        ) from error
    if info.file_size > limits.MAX_MANIFEST_BYTES:
        raise TransferError(_("%(name)s is too large.") % {"name": MANIFEST})
    try:
        text = archive.read(info).decode("utf-8")
    except UnicodeDecodeError as error:
        raise TransferError(_("%(name)s is not valid JSON.") % {"name": MANIFEST}) from error
    except READ_ERRORS as error:
        raise TransferError(
            _("The file “%(name)s” in the archive is damaged.") % {"name": MANIFEST}
        ) from error
    # json.loads recurses once per level: a deep enough file exhausts the stack.
    if _nesting_exceeds(text, limits.MAX_DEPTH):
        raise TransferError(
            _("%(name)s is nested more than %(limit)d levels deep.")
            % {"name": MANIFEST, "limit": limits.MAX_DEPTH}
        )
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise TransferError(_("%(name)s is not valid JSON.") % {"name": MANIFEST}) from error
    except RecursionError as error:
        raise TransferError(
            _("%(name)s is nested too deeply to be read.") % {"name": MANIFEST}
        ) from error
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise TransferError(_("This file is not a course export of this platform."))
    version = data.get("schema_version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise TransferError(_("The export has no valid schema version."))
    if version > SCHEMA_VERSION:
        raise TransferError(
            _(
                "The export uses schema version %(version)d; this site reads up to version "
                "%(supported)d. Update this site first."
            )
            % {"version": version, "supported": SCHEMA_VERSION}
        )
    if not isinstance(data.get("course"), dict):
        raise TransferError(_("The export has no course."))
    return data["course"]


class ManifestReader:
    """Reads the manifest's values with their expected types, collecting every problem with
    the place it was found rather than stopping at the first."""

    def __init__(self, archive: zipfile.ZipFile):
        self.archive = archive
        self.names = {info.filename for info in archive.infolist() if not info.is_dir()}
        self.problems: list[str] = []

    def problem(self, where: str, message: str) -> None:
        self.problems.append(f"{where}: {message}" if where else message)

    def text(
        self, data: dict, key: str, where: str, default: str = "", normalize: bool = True
    ) -> str:
        value = data.get(key, default)
        if value is None:
            return default
        if not isinstance(value, str):
            self.problem(where, _("“%(field)s” must be text.") % {"field": key})
            return default
        if INVALID_CHARACTERS.search(value):
            self.invalid(where, key)
            return default
        return unicodedata.normalize("NFC", value) if normalize else value

    def invalid(self, where: str, key: str) -> None:
        self.problem(where, _("“%(field)s” contains invalid characters.") % {"field": key})

    def number(self, data: dict, key: str, where: str, default: int = 0) -> int:
        value = data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int):
            self.problem(where, _("“%(field)s” must be a whole number.") % {"field": key})
            return default
        return value

    def flag(self, data: dict, key: str, where: str, default: bool = False) -> bool:
        value = data.get(key, default)
        if not isinstance(value, bool):
            self.problem(where, _("“%(field)s” must be true or false.") % {"field": key})
            return default
        return value

    def items(self, data: dict, key: str, where: str) -> list[dict]:
        value = data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
            self.problem(where, _("“%(field)s” must be a list of objects.") % {"field": key})
            return []
        return value

    def media(self, data: dict, key: str, where: str) -> str:
        # Member names are looked up as the archive spells them.
        name = self.text(data, key, where, normalize=False)
        if not name:
            return ""
        if path_unsafe(name) or not name.startswith(MEDIA_DIR):
            self.problem(where, _("unsafe file path “%(name)s”.") % {"name": name})
            return ""
        if name not in self.names:
            self.problem(where, _("the file “%(name)s” is not in the archive.") % {"name": name})
            return ""
        return name

    def validate(self, instance, where: str, exclude: list[str]) -> None:
        try:
            instance.full_clean(exclude=exclude, validate_unique=False)
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                label = name if name != "__all__" else ""
                for message in messages:
                    self.problem(where, f"{label} – {message}" if label else message)
