"""What a page of the admin says, as text and the labels a screen reader reads out, and the
labels of every registered model in a given language."""

import re
from collections import defaultdict
from html.parser import HTMLParser

from django.apps import apps
from django.contrib import admin
from django.contrib.admin.utils import label_for_field
from django.core.exceptions import FieldDoesNotExist
from django.utils import translation
from django.utils.text import capfirst

# Labels spelt the same in both languages.
SAME_IN_BOTH = {
    "Email",
    "Video",
    "ID",
    "IP",
    "URL",
    "CSV",
    "Excel (XLSX)",
    "JSON",
    "HTML",
    "TOTP",
    "WebAuthn",
    "MFA",
}
VIETNAMESE_LETTERS = re.compile(r"[À-ỹĐđ]")

# Page text ---------------------------------------------------------------------------------


class _Text(HTMLParser):
    """Text content, and the attributes people read or hear: titles, labels, placeholders,
    alternative texts and the captions of buttons. Not scripts, nor <code> (the names a file
    or a system uses, such as the column keys of the learner import)."""

    SKIPPED = {"script", "style", "template", "code"}
    READ_ATTRIBUTES = ("title", "aria-label", "placeholder", "alt")
    BUTTON_TYPES = {"submit", "button", "reset"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIPPED:
            self._skipping += 1
            return
        attributes = dict(attrs)
        for name in self.READ_ATTRIBUTES:
            if attributes.get(name):
                self.parts.append(attributes[name])
        if tag == "input" and attributes.get("type") in self.BUTTON_TYPES:
            self.parts.append(attributes.get("value") or "")

    def handle_startendtag(self, tag, attrs):
        if tag not in self.SKIPPED:
            self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        if tag in self.SKIPPED and self._skipping:
            self._skipping -= 1

    def handle_data(self, data):
        if not self._skipping:
            self.parts.append(data)


def page_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    parser.close()
    return " | ".join(" ".join(part.split()) for part in parser.parts if part.strip())


def phrase_pattern(phrase: str) -> re.Pattern:
    """The phrase as words: not inside a longer word, an address, a dotted name or a path."""
    head = r"(?<![\w./@-])" if phrase[0].isalnum() else ""
    tail = r"(?![\w/@-]|\.\w)" if phrase[-1].isalnum() else ""
    return re.compile(head + re.escape(phrase) + tail, re.IGNORECASE)


def english_found(pages: dict[str, str], phrases) -> dict[str, list[str]]:
    """phrase -> the pages (URLs) showing it."""
    found = defaultdict(list)
    for phrase in sorted(set(phrases)):
        pattern = phrase_pattern(phrase)
        for url, text in pages.items():
            if pattern.search(text):
                found[phrase].append(url)
    return dict(found)


def found_report(
    found: dict[str, list[str]], pages: dict[str, str], what: str = "English phrases"
) -> str:
    lines = [f"{len(found)} {what} on the admin:"]
    for phrase, urls in sorted(found.items()):
        text = pages[urls[0]]
        match = phrase_pattern(phrase).search(text)
        context = text[max(0, match.start() - 50) : match.end() + 50]
        lines.append(f"  {phrase!r} on {len(urls)} pages, e.g. {urls[0]}: …{context}…")
    return "\n".join(lines)


# The labels of the registered models, in both languages ---------------------------------


def _label_getters(model_class, model_admin):
    """Zero-argument callables, each giving one label in the active language: the model's
    section, names, fields, help texts and choices, then what its admin shows."""
    opts = model_class._meta
    getters = [
        lambda: apps.get_app_config(opts.app_label).verbose_name,
        lambda: opts.verbose_name,
        lambda: opts.verbose_name_plural,
    ]
    for field in opts.get_fields():
        if field.auto_created and not field.concrete:
            continue  # reverse relations carry the other model's names
        getters.append(lambda field=field: field.verbose_name)
        if getattr(field, "help_text", ""):
            getters.append(lambda field=field: field.help_text)
        for value, label in getattr(field, "flatchoices", None) or []:
            if str(label).replace(" ", "_") == str(value):
                continue  # an identifier (a time zone), not a word
            getters.append(lambda field=field, value=value: dict(field.flatchoices).get(value, ""))
    return getters + _admin_label_getters(model_class, model_admin)


def _admin_label_getters(model_class, model_admin):
    """Columns, fields, fieldsets, filters, actions, form fields and inlines of an admin."""
    getters = []
    names = set(model_admin.list_display) | set(model_admin.readonly_fields)
    for fieldset_name, options in model_admin.fieldsets or []:
        if fieldset_name:
            getters.append(lambda name=fieldset_name: name)
        for entry in options.get("fields", ()):
            names.update(entry if isinstance(entry, list | tuple) else [entry])
    names.update(model_admin.fields or [])
    for name in names:
        if callable(name) or name == "action_checkbox":
            continue
        getters.append(
            lambda name=name: label_for_field(name, model_class, model_admin, return_attr=False)
        )
    for list_filter in model_admin.list_filter:
        if isinstance(list_filter, type):
            getters.append(lambda list_filter=list_filter: list_filter.title)
    for action in model_admin.actions or []:
        function = action if callable(action) else getattr(model_admin, action, None)
        description = getattr(function, "short_description", None)
        if description:
            getters.append(lambda description=description: description)
    form = getattr(model_admin, "form", None)
    for declared in getattr(form, "declared_fields", {}).values():
        if declared.label:
            getters.append(lambda declared=declared: declared.label)
        if declared.help_text:
            getters.append(lambda declared=declared: declared.help_text)
    for inline in model_admin.inlines:
        getters.append(lambda inline=inline: inline.verbose_name or "")
        getters.append(lambda inline=inline: inline.verbose_name_plural or "")
    return getters


def _evaluated(getter, language: str) -> str:
    with translation.override(language):
        try:
            return str(getter() or "")
        except (FieldDoesNotExist, AttributeError):
            return ""


def english_labels() -> dict[str, str]:
    """English label -> the model it belongs to, for every registered model, and the names
    of every other model (the permission lists show them all). Labels spelt the same in both
    languages are left out."""
    getters = [
        (model_class, getter)
        for model_class, model_admin in admin.site._registry.items()
        for getter in _label_getters(model_class, model_admin)
    ]
    for model_class in apps.get_models():
        opts = model_class._meta
        getters.append((model_class, lambda opts=opts: opts.verbose_name))
        getters.append((model_class, lambda opts=opts: opts.verbose_name_plural))
    labels = {}
    for model_class, getter in getters:
        english = " ".join(capfirst(_evaluated(getter, "en")).split())
        if len(re.sub(r"[^A-Za-z]", "", english)) < 2 or english in SAME_IN_BOTH:
            continue
        labels.setdefault(english, model_class._meta.label)
    return labels
