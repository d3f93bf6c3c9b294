"""The admin's JavaScript widgets (selector boxes, calendar, clock, actions) take their strings
from /admin/jsi18n/: Vietnamese for every string the admin's scripts use, English when chosen."""

import json
import re
from pathlib import Path

import django
from django.test import Client
from django.urls import reverse

from tests.accounts.factories import sign_in
from tests.platform_app.admin_text import VIETNAMESE_LETTERS


def _po_messages(path: Path) -> list[tuple[str, str, str]]:
    """(context, msgid, msgid_plural) of every message of a .po file."""

    def joined(block: str, keyword: str) -> str:
        match = re.search(rf'^{keyword} ((?:".*"\n?)+)', block, re.M)
        if not match:
            return ""
        raw = "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', match.group(1)))
        return json.loads(f'"{raw}"')

    messages = []
    for block in path.read_text().split("\n\n"):
        msgid = joined(block, "msgid")
        if msgid and not block.lstrip().startswith("#~"):
            messages.append((joined(block, "msgctxt"), msgid, joined(block, "msgid_plural")))
    return messages


ADMIN_JS_MESSAGES = Path(django.__file__).parent / (
    "contrib/admin/locale/en/LC_MESSAGES/djangojs.po"
)


def _js_catalogue(client) -> dict:
    response = client.get(reverse("admin:jsi18n"))
    assert response.status_code == 200
    match = re.search(r"const newcatalog = (\{.*?\});\n", response.content.decode(), re.S)
    return json.loads(match.group(1)) if match else {}  # English: nothing to translate


def test_admin_javascript_catalogue_is_vietnamese(admin_world):
    client = Client()
    sign_in(client, admin_world["content_admin"])
    catalogue = _js_catalogue(client)
    messages = _po_messages(ADMIN_JS_MESSAGES)
    assert len(messages) > 60
    untranslated = []
    for context, msgid, plural in messages:
        key = f"{context}\x04{msgid}" if context else msgid
        value = catalogue.get(key)
        translations = value if isinstance(value, list) else [value]
        if value is None or any(not text or text in (msgid, plural) for text in translations):
            untranslated.append(key.replace("\x04", " | "))
    assert not untranslated, f"{len(untranslated)} admin JavaScript strings: {untranslated}"
    # The selector of the assignment page.
    assert catalogue["Choose all %s"] == "Chọn tất cả %s"
    assert catalogue["Remove all %s"] == "Bỏ chọn tất cả %s"
    # Our catalogue (LOCALE_PATHS) wins over Django's Vietnamese ("Chọn %s", "Hủy bỏ").
    assert catalogue["Chosen %s"] == "Danh sách %s đã chọn"
    assert catalogue["Cancel"] == "Hủy"
    assert (
        "Choose"
        not in catalogue['Choose %s by selecting them and then select the "Choose" arrow button.']
    )


def test_admin_javascript_catalogue_is_english_when_english_is_chosen(admin_world):
    client = Client()
    sign_in(client, admin_world["content_admin"])
    client.cookies["django_language"] = "en"
    catalogue = _js_catalogue(client)
    assert catalogue.get("Choose all %s", "Choose all %s") == "Choose all %s"
    assert not any(
        VIETNAMESE_LETTERS.search(text)
        for value in catalogue.values()
        for text in (value if isinstance(value, list) else [value])
    )
