"""The admin speaks one language at a time: Vietnamese (the default, with no language cookie),
or English when the visitor chose it.

The admin is walked as a superuser and as a content administrator: the index, every section's
page and, for every model the index lists, its list, add page (where permitted), the change,
history and delete pages of an existing object, the "delete selected" confirmation, and the
model admin's own pages (imports). Pages are found from the admin site's registry, never by
importing an admin module. On every page, the text and the labels a screen reader reads out
must contain:

- no English phrase of Django's admin, django-celery-beat or allauth (PHRASES below, taken
  from what the English pages actually show);
- no English label of a registered model: section, model, field, help text, choice, column,
  filter, fieldset and action names, read from the registry in English;
- nothing Django stores in English in the database (permission names, many-to-many links).

The JavaScript widgets (selector boxes, calendar, clock, actions) take their strings from
/admin/jsi18n/: that catalogue must be Vietnamese for every string the admin's scripts use.
The section names of the index are unique in both languages. With English chosen, the index
shows the English section names, and no page shows a Vietnamese text of our catalogues.

The Vietnamese comes from locale/vi/LC_MESSAGES/django.mo, compiled from django.po,
locale_src/allauth.vi.po and locale_src/admin.vi.po (see `make messages`), and djangojs.mo.
"""

import datetime
import json
import re
from collections import defaultdict
from html.parser import HTMLParser
from pathlib import Path

import django
import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.admin.utils import label_for_field
from django.core.exceptions import FieldDoesNotExist
from django.test import Client
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.text import capfirst

from tests.courses.test_authoring import author_create
from tests.factories import UserFactory, course_build, sign_in, totp_enable
from units.services import unit_create

# What Django's admin, its auth and form machinery, django-celery-beat and allauth show in
# English when their Vietnamese is missing (seen on the English pages of this admin).
PHRASES = [
    # Every page: header, sidebar, breadcrumbs, theme switch.
    "Skip to main content",
    "Toggle navigation",
    "Sidebar",
    "Filter navigation items",
    "Start typing to filter",
    "Breadcrumbs",
    "Toggle theme",
    "current theme",
    "View site",
    "Log out",
    "Change password",
    "Welcome,",
    # Index and section pages.
    "Site administration",
    "administration",
    "Models in the",
    "Model name",
    "Add link",
    "Change or view list link",
    "Recent actions",
    "My actions",
    "None available",
    "Added:",
    "Changed:",
    "Deleted:",
    # Lists: search, filters, actions, selection.
    "Search",
    "Filter",
    "Show counts",
    "Hide counts",
    "Clear all filters",
    "Show all",
    "Any date",
    "Past 7 days",
    "This month",
    "This year",
    "No date",
    "Has date",
    "Not empty",
    "Action:",
    "Go",
    "Run the selected action",
    "Select all",
    "Clear selection",
    "selected",
    "Select this object for an action",
    "Select all objects on this page for an action",
    "Click here to select the objects across all pages",
    "Delete selected",
    "result",
    "results",
    "total",
    "Toggle sorting",
    "Sorting priority",
    "Remove from sorting",
    # Forms, inlines, related-object widgets, history.
    "Add another",
    "Save",
    "Save and continue editing",
    "Save and add another",
    "Save and view",
    "Save as new",
    "Close",
    "Delete",
    "Delete?",
    "History",
    "Change history",
    "View on site",
    "Date/time",
    "Currently:",
    "Change:",
    "Clear",
    "Date:",
    "Time:",
    "Now",
    "Today",
    "View selected",
    "Change selected",
    "Delete selected",
    "Lookup",
    "Please correct the error below",
    "Please correct the errors below",
    "This field is required",
    "Hold down",
    "on a Mac",
    "This object doesn’t have a change history",
    # Delete confirmations.
    "Are you sure",
    "Yes, I’m sure",
    "No, take me back",
    "Delete multiple objects",
    "Summary",
    "Objects",
    "would require deleting",
    # Accounts: password pages of the user admin.
    "After you’ve created a user",
    "Raw passwords are not stored",
    "Reset password",
    "Set password",
    "Password-based authentication",
    "password-based authentication",
    "Enabled",
    "Disabled",
    "Whether the user will be able to authenticate",
    "Enter a new password for the user",
    "Password confirmation",
    "Enter the same password as before",
    "Your password can’t be",
    "algorithm",
    "iterations",
    "Error:",
    "Permissions",
    "Important dates",
    "Available",
    "Chosen",
    # django-celery-beat.
    "Periodic Tasks",
    "Periodic tasks",
    "periodic task",
    "Periodic Tasks Using This Schedule",
    "Intervals",
    "Crontabs",
    "Solar events",
    "Clocked",
    "Solar Event",
    "Clock Time",
    "Task (registered)",
    "Task (custom)",
    "Schedule",
    "Arguments",
    "Positional Arguments",
    "Keyword Arguments",
    "Execution Options",
    "Enable selected tasks",
    "Disable selected tasks",
    "Toggle activity of selected tasks",
    "Run selected tasks",
    "Started at",
    "Start Datetime",
    "Last Run Datetime",
    "Expires Datetime",
    "One-off Task",
    "Queue Override",
    "Routing Key",
    "Exchange",
    "Priority",
    "AMQP Message Headers",
    "Short Description For This Task",
    "Detailed description",
    "Number of Periods",
    "Interval Period",
    "Days",
    "Hours",
    "Minutes",
    "Seconds",
    "Microseconds",
    "every",
    "Sunrise",
    "Sunset",
    "Solar noon",
    "dawn",
    "dusk",
    "Latitude",
    "Longitude",
    "Minute(s)",
    "Hour(s)",
    "Day(s) Of The Month",
    "Month(s) Of The Year",
    "Day(s) Of The Week",
    "Cron Timezone",
    "Run the task",
    "JSON encoded",
    "Datetime",
    # allauth: account and two-step verification.
    "email address",
    "email addresses",
    "Mark selected email addresses as verified",
    "verified",
    "primary",
    "Recovery codes",
]

# Kept in the database or built when the models load, in English whatever the language:
# permission names, the links of many-to-many fields and the text of an object without a
# name (Django), schedule descriptions (django-celery-beat), the role groups (setup_roles).
STORED_IN_ENGLISH = [
    "Can add",
    "Can change",
    "Can delete",
    "Can view",
    "relationship",
    "relationships",
    "object (",
    "Every minute",
    "At 02:15",  # the description of admin_world's crontab (15 2 * * *)
    "Content administrators",
    "Officials",
]

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


def _pattern(phrase: str) -> re.Pattern:
    """The phrase as words: not inside a longer word, an address, a dotted name or a path."""
    head = r"(?<![\w./@-])" if phrase[0].isalnum() else ""
    tail = r"(?![\w/@-]|\.\w)" if phrase[-1].isalnum() else ""
    return re.compile(head + re.escape(phrase) + tail, re.IGNORECASE)


def english_found(pages: dict[str, str], phrases) -> dict[str, list[str]]:
    """phrase -> the pages (URLs) showing it."""
    found = defaultdict(list)
    for phrase in sorted(set(phrases)):
        pattern = _pattern(phrase)
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
        match = _pattern(phrase).search(text)
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


# One object of every registered model -------------------------------------------------------


def model(label: str):
    return apps.get_model(label)


@pytest.fixture
def admin_world(db):
    """A small tree; a learner with an enrolment, a certificate and an assignment; a national
    content administrator; a superuser with an authenticator; and a row of every other model
    the admin registers."""
    nation = unit_create(code="VN", name="Việt Nam", kind="nation", parent=None)
    city = unit_create(code="31", name="Thành phố Hải Phòng", kind="city", parent=nation)
    ward = unit_create(code="11560", name="Phường Hồng Bàng", kind="ward", parent=city)
    learner = UserFactory(email="hocvien@example.com", full_name="Nguyễn Thị Hoa", home_unit=ward)
    author = author_create(unit=nation, email="quantri@example.com")
    superuser = UserFactory(
        email="sieuquantri@example.com",
        full_name="Trần Văn Quản",
        is_staff=True,
        is_superuser=True,
        audience_group="official",
    )
    totp_enable(superuser)

    now = timezone.now()
    course = course_build(title="An toàn trên mạng", slug="an-toan-tren-mang")
    enrollment = model("courses.Enrollment").objects.create(
        user=learner,
        course=course,
        unit=ward,
        unit_path=ward.path,
        audience_group="citizen",
        progress_percent=100,
        completed_lessons=course.lessons.count(),
        started_at=now,
        completed_at=now,
        certified=True,
    )
    model("courses.Certificate").objects.create(
        enrollment=enrollment, full_name=learner.full_name, course_title=course.title
    )
    model("courses.Assignment").objects.create(
        course=course, unit=city, due_date=datetime.date(2026, 12, 31), created_by=author
    )
    model("reports.UnitStat").objects.create(
        unit=city, course_key=0, audience_group="*", learners=10, enrolled=8, completed=5
    )
    model("reports.ExportJob").objects.create(requester=superuser, unit=city, file_format="csv")
    model("reports.StatsRun").objects.create(kind="full", finished_at=now)
    model("audit.AuditEvent").objects.create(
        actor=superuser,
        actor_email=superuser.email,
        action="role_granted",
        target_repr=str(author),
        ip_address="127.0.0.1",
    )
    interval = model("django_celery_beat.IntervalSchedule").objects.create(
        every=10, period="minutes"
    )
    model("django_celery_beat.CrontabSchedule").objects.create(minute="15", hour="2")
    model("django_celery_beat.SolarSchedule").objects.create(
        event="sunrise", latitude=20.86, longitude=106.68
    )
    model("django_celery_beat.ClockedSchedule").objects.create(clocked_time=now)
    model("django_celery_beat.PeriodicTask").objects.create(
        name="Cập nhật số liệu", task="reports.stats_incremental", interval=interval
    )
    missing = [
        model_class._meta.label
        for model_class in admin.site._registry
        if not model_class._default_manager.exists()
    ]
    assert not missing, f"give these registered models an object in admin_world: {missing}"
    return {"superuser": superuser, "content_admin": author}


# Walking the admin ---------------------------------------------------------------------------


class Walk:
    """The admin pages one user reaches, in the language of their cookie (none: Vietnamese)."""

    def __init__(self, user, *, language: str | None = None):
        self.client = Client()
        sign_in(self.client, user)
        if language:
            self.client.cookies["django_language"] = language
        self.pages: dict[str, str] = {}  # address -> text
        self.models: set = set()  # the models whose pages were walked

    def get(self, url: str):
        response = self.client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        self.keep(url, response)
        return response

    def keep(self, url: str, response) -> None:
        if response.status_code == 200 and "html" in response.get("Content-Type", ""):
            self.pages[url] = page_text(response.content.decode())


def walk_admin(user, *, language: str | None = None) -> Walk:
    walk = Walk(user, language=language)
    index = walk.get(reverse("admin:index"))
    own_pages = []
    for app in index.context["app_list"]:
        walk.get(app["app_url"])
        for entry in app["models"]:
            _walk_model(walk, entry)
            walk.models.add(entry["model"])
            own_pages += _own_pages(entry["model"])
    # Last, as some write to the audit log (the learner list download).
    for url in own_pages:
        if url not in walk.pages:
            walk.keep(url, walk.client.get(url))
    return walk


def _own_pages(model_class) -> list[str]:
    """The model admin's own pages that take no parameter (imports, downloads)."""
    urls = []
    for pattern in admin.site._registry[model_class].get_urls():
        name = getattr(pattern, "name", None) or ""
        if not name or name.endswith(("_changelist", "_add")):
            continue  # walked by _walk_model where permitted
        if "autocomplete" in name:
            continue  # JSON for the search-as-you-type selects
        try:
            urls.append(reverse(f"admin:{name}"))
        except NoReverseMatch:
            continue  # takes a parameter: one of the pages _walk_model reads
    return urls


def _walk_model(walk: Walk, entry: dict) -> None:
    model_class = entry["model"]
    opts = model_class._meta
    prefix = f"admin:{opts.app_label}_{opts.model_name}"
    model_admin = admin.site._registry[model_class]
    changelist = walk.get(entry["admin_url"])
    objects = list(changelist.context["cl"].result_list[:1])
    assert objects, f"{opts.label}: the list shows no object"
    pk = objects[0].pk
    if entry.get("add_url"):
        walk.get(entry["add_url"])
    walk.get(reverse(f"{prefix}_change", args=[pk]))
    walk.get(reverse(f"{prefix}_history", args=[pk]))
    if entry["perms"].get("delete"):
        walk.get(reverse(f"{prefix}_delete", args=[pk]))
    action_form = changelist.context.get("action_form")
    if action_form is not None and "delete_selected" in dict(action_form.fields["action"].choices):
        response = walk.client.post(
            entry["admin_url"], {"action": "delete_selected", "_selected_action": [pk]}
        )
        walk.keep(f"{entry['admin_url']} (delete selected)", response)
    if hasattr(model_admin, "user_change_password"):
        walk.get(reverse("admin:auth_user_password_change", args=[pk]))


@pytest.fixture
def walks(admin_world):
    cache = {}

    def walked(role: str, language: str | None = None) -> Walk:
        if (role, language) not in cache:
            cache[role, language] = walk_admin(admin_world[role], language=language)
        return cache[role, language]

    return walked


ROLES = ["superuser", "content_admin"]


# The tests -------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_admin_pages_show_no_english_of_django_or_third_party_apps(walks, role):
    walk = walks(role)
    if role == "superuser":
        assert walk.models == set(admin.site._registry)  # every registered model was walked
    assert len(walk.pages) > 20
    found = english_found(walk.pages, PHRASES)
    assert not found, found_report(found, walk.pages)


@pytest.mark.parametrize("role", ROLES)
def test_admin_pages_show_no_english_label_of_a_registered_model(walks, role):
    walk = walks(role)
    labels = english_labels()
    found = english_found(walk.pages, labels)
    models = ", ".join(sorted({labels[phrase] for phrase in found}))
    assert not found, f"{found_report(found, walk.pages)}\n(labels of {models})"


@pytest.mark.parametrize("role", ROLES)
def test_admin_pages_show_nothing_django_stores_in_english(walks, role):
    walk = walks(role)
    found = english_found(walk.pages, STORED_IN_ENGLISH)
    assert not found, found_report(found, walk.pages)


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


VIETNAMESE_LETTERS = re.compile(r"[À-ỹĐđ]")


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
        assert _pattern(phrase).search(text), phrase


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


# The JavaScript catalogue ------------------------------------------------------------------


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
