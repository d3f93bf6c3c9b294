"""With English chosen the admin is English: its section names (unique in both languages, as
the Vietnamese ones are) and no Vietnamese text of our catalogues on any page."""

import json
import re
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse
from django.utils import translation

from tests.platform_app.admin_text import (
    VIETNAMESE_LETTERS,
    english_found,
    found_report,
    page_text,
    phrase_pattern,
)
from tests.platform_app.admin_walk import ROLES, Walk


def _captions(html: str) -> list[str]:
    """The section headings of the admin index."""
    return [
        " ".join(re.sub(r"<[^>]+>", "", caption).split())
        for caption in re.findall(r"<caption>(.*?)</caption>", html, re.S)
    ]


def test_admin_section_names_are_unique_in_both_languages(admin_world):
    for language in (None, "en"):
        walk = Walk(admin_world["superuser"], language=language)
        captions = _captions(walk.get(reverse("admin:index")).content.decode())
        sections = {model_class._meta.app_label for model_class in admin.site._registry}
        assert len(captions) == len(sections)
        duplicated = sorted({name for name in captions if captions.count(name) > 1})
        assert not duplicated, f"sections with the same name ({language or 'vi'}): {duplicated}"


def test_admin_is_english_when_english_is_chosen(admin_world):
    walk = Walk(admin_world["superuser"], language="en")
    response = walk.get(reverse("admin:index"))
    assert response["Content-Language"] == "en"
    captions = _captions(response.content.decode())
    with translation.override("en"):
        expected = {
            str(apps.get_app_config(model_class._meta.app_label).verbose_name)
            for model_class in admin.site._registry
        }
    assert set(captions) == expected
    vietnamese = [name for name in captions if VIETNAMESE_LETTERS.search(name)]
    assert not vietnamese, vietnamese
    for name in ("Courses", "Reports", "Administrative units", "Audit log"):
        assert name in captions
    text = page_text(response.content.decode())
    for phrase in ("Recent actions", "Log out", "View site", "Add", "Change"):
        assert phrase_pattern(phrase).search(text), phrase


CATALOGUES = [
    Path(__file__).resolve().parents[2] / "locale_src/admin.vi.po",
    Path(__file__).resolve().parents[2] / "locale_src/allauth.vi.po",
    Path(__file__).resolve().parents[2] / "locale/vi/LC_MESSAGES/django.po",
]


def _vietnamese_of_the_catalogues() -> set[str]:
    """Vietnamese sentences and phrases of our catalogues (two words at least: a single word
    could also be a name in the data)."""
    texts, names = set(), set()
    for path in CATALOGUES:
        for block in path.read_text().split("\n\n"):
            if block.lstrip().startswith("#~"):
                continue
            for match in re.finditer(r'^(msgid|msgstr)(?:\[\d\])? ((?:".*"\n?)+)', block, re.M):
                raw = "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', match.group(2)))
                text = json.loads(f'"{raw}"')
                for part in re.split(r"%\(\w+\)[sd]|%[sd]|\{\w*\}|<[^>]+>|\n", text):
                    part = " ".join(part.split()).strip(" .:,;()–—")
                    if len(part.split()) >= 2 and VIETNAMESE_LETTERS.search(part):
                        (names if match.group(1) == "msgid" else texts).add(part)
    return texts - names  # a Vietnamese msgid is a name, the same in both languages


# The learner file's headings are Vietnamese in both languages: the import page lists them as
# the file must spell them (data, not labels).
LEARNER_FILE_HEADINGS = ["Họ và tên", "Số điện thoại", "Đối tượng", "Mã đơn vị", "Mã nơi làm việc"]


def _data_texts() -> list[str]:
    """Every text stored in the test's database (names, titles, lesson bodies), lowercased."""
    texts = [heading.lower() for heading in LEARNER_FILE_HEADINGS]
    for model_class in apps.get_models():
        names = [
            field.name
            for field in model_class._meta.concrete_fields
            if field.get_internal_type() in ("CharField", "TextField")
        ]
        if names:
            for row in model_class._default_manager.values_list(*names):
                texts.extend(str(value).lower() for value in row if value)
    return texts


@pytest.mark.parametrize("role", ROLES)
def test_admin_pages_in_english_show_none_of_the_vietnamese(walks, role):
    """English chosen: no Vietnamese of the catalogues on any page (a label turned into text
    in the default language while the code loaded, say). The data stays as it was typed."""
    walk = walks(role, "en")
    assert len(walk.pages) > 20
    data = _data_texts()
    vietnamese = {
        text
        for text in _vietnamese_of_the_catalogues()
        if not any(text.lower() in value for value in data)
    }
    found = english_found(walk.pages, vietnamese)
    assert not found, found_report(found, walk.pages, "Vietnamese texts in English")
