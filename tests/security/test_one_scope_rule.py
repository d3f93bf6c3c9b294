"""One scope rule, proven. The project has one scope function, `accounts.selectors.scoped`,
over `units.selectors.in_subtree`, the one place a subtree is spelled:

- every admin list a commune's content administrator or official may open, and every report
  page of a commune's official, asks `in_subtree` for its rows, rooted at that commune (a
  nation-level role is let through unfiltered by the rule, so the walkers are commune roles);
- no product module spells a subtree itself (`path__startswith`, `.path.startswith(`).

The lists are found from the admin site's registry and the report URLconf, not from a list
kept here: a new ModelAdmin or report page is checked by itself.
"""

import re
import sys
from pathlib import Path

import pytest
from django.contrib import admin
from django.core.files.base import ContentFile
from django.test import Client, RequestFactory
from django.urls import reverse

from accounts.selectors import scoped
from reports.models import ExportJob
from reports.urls import app_name, urlpatterns
from tests.accounts.factories import sign_in
from units import selectors as unit_selectors
from units.models import Unit

from .world import WARD

pytestmark = pytest.mark.django_db

PRODUCT_APPS = ("accounts", "audit", "courses", "platform_app", "reports", "units")
ROOT = Path(__file__).resolve().parents[2]

# Admin lists a commune's role may open without the scope rule, and why.
UNSCOPED_BY_DESIGN = {
    "units.unit": "the unit tree is public (sign-up lists every province's communes): an author "
    "sees every unit, read only (tests/security/rules.py calls it 'public')",
}


@pytest.fixture
def subtree_calls(monkeypatch) -> list[tuple[str, str, str]]:
    """(model, root unit code, lookup) of every call of `in_subtree`, wherever it was imported
    from: the function is replaced in its module and in every product module that imported it."""
    original = unit_selectors.in_subtree
    calls = []

    def spy(queryset, *, root, unit_path="path"):
        calls.append((queryset.model._meta.label_lower, root.code, unit_path))
        return original(queryset, root=root, unit_path=unit_path)

    patched = []
    for name, module in list(sys.modules.items()):
        if name.split(".")[0] in PRODUCT_APPS and vars(module).get("in_subtree") is original:
            monkeypatch.setattr(module, "in_subtree", spy)
            patched.append(name)
    assert {"units.selectors", "accounts.selectors"} <= set(patched), patched
    return calls


def commune_walker(world, kind: str):
    walker = world.walkers[f"{kind}_ward"]
    assert walker.unit_code == WARD  # a commune: the rule must filter, not let through
    return walker.user


def openable_changelists(user) -> set[str]:
    """The registered models whose list the admin's own permission checks let `user` open."""
    request = RequestFactory().get("/admin/")
    request.user = user
    if not admin.site.has_permission(request):
        return set()
    return {
        model._meta.label_lower
        for model, model_admin in admin.site._registry.items()
        if model_admin.has_view_or_change_permission(request)
    }


@pytest.mark.parametrize("kind", ["content_admin", "official"])
def test_every_admin_list_a_commune_role_opens_goes_through_the_scope_rule(
    world, subtree_calls, kind
):
    user = commune_walker(world, kind)
    client = Client()
    sign_in(client, user)
    # Not theirs to open: an official is not staff (off to the log-in), an author lacks the
    # permission.
    refused = 302 if kind == "official" else 403
    opened, unscoped = set(), {}
    for model in admin.site._registry:
        opts = model._meta
        subtree_calls.clear()
        response = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
        if response.status_code != 200:
            assert response.status_code == refused, (opts.label_lower, response.status_code)
            continue
        opened.add(opts.label_lower)
        rooted_here = [call for call in subtree_calls if call[1] == WARD]
        if not rooted_here:
            unscoped[opts.label_lower] = subtree_calls[:]

    assert opened == openable_changelists(user)
    if kind == "content_admin":  # the walk opened the author's lists: it proves something
        assert {"courses.course", "courses.enrollment", "accounts.user"} <= opened
    else:  # officials read reports, never the admin (they are not staff)
        assert opened == set()
    assert set(unscoped) == set(UNSCOPED_BY_DESIGN) & opened, (
        f"lists that never asked in_subtree for the subtree of {WARD}: {unscoped}"
    )


def test_every_report_page_of_a_commune_official_goes_through_the_scope_rule(world, subtree_calls):
    official = commune_walker(world, "official")
    ward = Unit.objects.get(code=WARD)
    job = ExportJob.objects.create(
        requester=official, unit=ward, file_format="csv", status=ExportJob.Status.DONE
    )
    job.file.save("bao-cao.csv", ContentFile(b"a,b\n"))
    client = Client()
    sign_in(client, official)
    pages = {
        "index": ("get", reverse(f"{app_name}:index")),
        "unit": ("get", reverse(f"{app_name}:unit", args=[WARD])),
        "export_create": ("post", reverse(f"{app_name}:export_create", args=[WARD])),
        "export": ("get", reverse(f"{app_name}:export", args=[job.pk])),
        "export_download": ("get", reverse(f"{app_name}:export_download", args=[job.pk])),
    }
    assert set(pages) == {pattern.name for pattern in urlpatterns}, "a report page is not walked"

    answers, asked = {}, {}
    for name, (method, url) in pages.items():
        subtree_calls.clear()
        data = {"file_format": "csv"} if method == "post" else {}
        answers[name] = getattr(client, method)(url, data).status_code
        asked[name] = [call for call in subtree_calls if call[1] == WARD]

    assert answers == {
        "index": 302,  # to the official's own unit
        "unit": 200,
        "export_create": 302,  # to the new export's page
        "export": 200,
        "export_download": 200,
    }
    # The index names no unit: it sends the official to their root, reading no row.
    not_scoped = [name for name, calls in asked.items() if not calls and name != "index"]
    assert not not_scoped, f"report pages that never asked in_subtree: {not_scoped}"
    assert ("units.unit", WARD, "path") in asked["unit"]  # the unit is looked up in the scope
    assert ("reports.exportjob", WARD, "unit__path") in asked["export"]


def test_a_nation_level_role_is_let_through_without_a_filter(world, subtree_calls):
    """The one exception the rule makes: the nation reaches every row, at no cost."""
    superuser = world.walkers["superuser"].user
    units = Unit.objects.all()
    assert scoped(units, user=superuser) is units
    assert subtree_calls == []


# Only units.selectors spells a subtree: a unit path that starts with the root's path.
SUBTREE_SPELLINGS = re.compile(r"path__startswith|(?<!request)\.path\.startswith\(")


def product_sources() -> list[Path]:
    files = []
    for app in PRODUCT_APPS:
        files += [path for path in (ROOT / app).rglob("*.py") if "migrations" not in path.parts]
    return files


def test_no_product_module_spells_a_subtree_itself():
    sources = product_sources()
    assert len(sources) > 50 and ROOT / "units" / "selectors.py" in sources
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in sources
        if path != ROOT / "units" / "selectors.py"
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if SUBTREE_SPELLINGS.search(line)
    ]
    assert not found, "a subtree spelled outside units/selectors.py:\n" + "\n".join(found)
    # `request.path` is an address, not a unit's path: the one look-alike, left out above.
    assert SUBTREE_SPELLINGS.search("unit.path.startswith(root.path)")
    assert not SUBTREE_SPELLINGS.search("request.path.startswith(self.paths)")
