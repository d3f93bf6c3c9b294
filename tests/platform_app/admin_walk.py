"""Walking the admin as one user: the index, every section, and for every model the index
lists its list, add, change, history and delete pages and the model admin's own pages."""

from django.contrib import admin
from django.test import Client
from django.urls import NoReverseMatch, reverse

from tests.accounts.factories import sign_in
from tests.platform_app.admin_text import page_text

# The roles whose admin is walked: everything, and a content administrator's part of it.
ROLES = ["superuser", "content_admin"]


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
