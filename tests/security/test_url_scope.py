"""Every URL of the URLconf, as every role, by GET and by POST (an empty form, the test
client's default, without CSRF checks), with objects of another scope in every parameter:

- never a server error;
- the status is the one `rules.py` names for that role and page;
- nothing of another scope (a marker or a figure, see `world.py`) is in the response, headers
  included, unless the page shows it to anyone on purpose (PUBLIC_BY_DESIGN);
- no row of the database changed (`checks.Snapshot`).

The patterns come from the resolver, not from a list: a new URL is walked by itself, and fails
the walk until `urlconf.FILLERS` knows its parameters and `rules.py` its answer.
"""

from collections import Counter

import pytest
from django.contrib import admin
from django.test import Client

from tests.accounts.factories import sign_in

from .checks import Snapshot, WriteLog, leaks_found, outcome, response_bytes
from .rules import NoRule, expected
from .urlconf import ADMIN_OBJECTS, endpoints, served_by, targets

pytestmark = pytest.mark.django_db

METHODS = ("GET", "POST")

WALKERS = [
    "anonymous",
    "learner_ours",
    "learner_theirs",
    "official_city",
    "official_ward",
    "content_admin_city",
    "content_admin_ward",
    "content_admin_other_province",
    "superuser",
]

# Patterns never reached: an earlier pattern answers the same address.
SHADOWED = {
    "accounts/signup/": "the project's sign-up (accounts.urls) is included before allauth's",
    "admin/login/": "the site's log-in stands in for the admin's (accounts.views.admin_login)",
    "admin/password_change/": "the site's password change stands in for the admin's",
}

# Pages that show something of another scope to anyone, on purpose: marker kinds, and why.
PUBLIC_BY_DESIGN = {
    "courses:verify": (
        frozenset({"LEARNER", "COURSE"}),
        "a third party checks a certificate by its code: the page shows the holder's name and "
        "the course title as printed on the certificate, nothing else",
    ),
    "media": (
        frozenset({"HANDOUT"}),
        "uploaded course files are served to whoever has their address, unscoped "
        "(docs/security.md, 'Files users uploaded'); only exports are private",
    ),
}

# The superuser sees everything: the admin page of each marked object shows its marker (by
# the object's key in `world.Scope.objects`). This proves the markers reach the pages, so
# their absence elsewhere means something.
SUPERUSER_SEES = {
    "course": "COURSE",
    "module": "MODULE",
    "reading": "READING",
    "quiz": "QUIZ",
    "question": "QUESTION",
    "assignment": "AUTHOR",
    "enrollment": "LEARNER",
    "certificate": "LEARNER",
    "learner": "LEARNER",
    "official": "OFFICIAL",
    "author": "AUTHOR",
    "unit_role": "OFFICIAL",
    "email_address": "LEARNER",
    "authenticator": "OFFICIAL",
    "audit_event": "AUDIT",
    "export": "EXPORT",
    "group": "GROUP",
    "periodic_task": "TASK",
}


def test_every_pattern_is_walked_and_has_a_rule(world):
    """The walk covers the whole URLconf: every parameter has a filler, every page a rule for
    every role, and the only patterns not reached are the shadowed ones listed above."""
    found = endpoints()
    names = {endpoint.name for endpoint in found}
    for model in admin.site._registry:
        assert f"admin:{model._meta.app_label}_{model._meta.model_name}_change" in names
    for name in ("account_login", "mfa_index", "courses:quiz", "reports:export", "media"):
        assert name in names
    problems, shadowed = [], Counter()
    for endpoint in found:
        for scope in world.scopes.values():
            try:
                cases = targets(endpoint, scope, world)
            except LookupError as error:
                problems.append(str(error))
                continue
            for target in cases:
                if not served_by(endpoint, target.url):
                    shadowed[endpoint.route] += 1
                    continue
                for walker in world.walkers.values():
                    if walker.kind == "superuser":
                        continue
                    for method in METHODS:
                        try:
                            expected(walker, endpoint, method, target, scope)
                        except NoRule as error:
                            problems.append(str(error))
    assert not problems, f"{len(set(problems))} gaps:\n" + "\n".join(sorted(set(problems)))
    assert set(shadowed) == set(SHADOWED)


@pytest.mark.parametrize("walker_name", WALKERS)
def test_walk(world, walker_name):
    walker = world.walkers[walker_name]
    client = Client(raise_request_exception=False)  # a 500 is a finding, not a crash
    if walker.user is not None:
        sign_in(client, walker.user)
    before = Snapshot.take(reader=walker.user)
    log = WriteLog()
    failures, cases = [], 0
    seen: set[str] = set()  # what the superuser was shown (see SUPERUSER_SEES)
    with log.installed():
        for endpoint in endpoints():
            # A page without parameters is the same whichever scope would fill them.
            scopes = walker.scopes if endpoint.params else walker.scopes[:1]
            for scope in (world.scopes[key] for key in scopes):
                for target in targets(endpoint, scope, world):
                    if not served_by(endpoint, target.url):
                        continue  # listed in SHADOWED, checked above
                    for method in METHODS:
                        cases += 1
                        failures += _case(
                            client, walker, world, endpoint, method, target, scope, log, seen
                        )
                        if walker.user is not None and "_auth_user_id" not in client.session:
                            sign_in(client, walker.user)  # the log-out pages did their job
    if walker.kind == "superuser":
        missing = {*SUPERUSER_SEES, "reports:unit"} - seen
        if missing:
            failures.append(f"the superuser was never shown the markers of {sorted(missing)}")
    else:  # the superuser may write; its walk looks for server errors
        changes = before.changes(Snapshot.take(reader=walker.user))
        if changes:
            writes = sorted({request for request, _sql in log.writes})
            failures.append(f"rows changed: {changes}; written by: {writes}")
    summary = f"{walker_name}: {len(failures)} failures in {cases} cases"
    assert not failures, "\n".join([summary, *failures])


def _case(client, walker, world, endpoint, method, target, scope, log, seen) -> list[str]:
    log.current = f"{method} {target.url}"
    response = getattr(client, method.lower())(target.url)
    log.current = None
    got = outcome(response, target.url)
    body = response_bytes(response)
    where = f"{method} {target.url} [{target.variant}]"
    if response.status_code >= 500:
        return [f"{where}: server error {response.status_code}"]
    public = PUBLIC_BY_DESIGN.get(endpoint.name, (frozenset(),))[0]
    if walker.kind == "superuser":
        return _superuser_sees(endpoint, method, target, scope, body, world, seen)
    failures = []
    want = expected(walker, endpoint, method, target, scope)
    if got != want:
        failures.append(f"{where}: expected {want}, got {got}")
    elif got == "302 admin login" and method == "GET":
        # The admin's log-in is the site's: anonymous visitors go on to it, keeping the page
        # they asked for; a signed-in learner or official is told 403 rather than looping.
        then = outcome(client.get(response["Location"]), target.url)
        if then != ("302 login" if walker.kind == "anonymous" else "403"):
            failures.append(f"{where}: the admin's log-in then answered {then}")
    found = leaks_found(
        body,
        world=world,
        may_see=walker.may_see,
        figures_seen=walker.may_see_figures,
        public=public,
    )
    if found:
        failures.append(f"{where}: shows {found}")
    return failures


def _superuser_sees(endpoint, method, target, scope, body, world, seen) -> list[str]:
    """The superuser's admin page of each marked object shows its marker, and the report of
    the other scope's unit shows its figures."""
    if method != "GET":
        return []
    if endpoint.name == "reports:unit" and target.value("code") == scope.owner_unit.code:
        seen.add(endpoint.name)
        shown = leaks_found(
            body, world=world, may_see=frozenset(), figures_seen=frozenset(), public=frozenset()
        )
        missing = [n for n in scope.figures if str(n) not in shown]
        return [f"GET {target.url}: the superuser's report lacks {missing}"] if missing else []
    opts = endpoint.model._meta if endpoint.model else None
    if opts is None or endpoint.name != f"admin:{opts.app_label}_{opts.model_name}_change":
        return []
    pk = target.value("object_id")
    keys = ADMIN_OBJECTS[opts.label_lower]
    key = next((k for k in keys if str(scope.objects[k].pk) == pk and k in SUPERUSER_SEES), None)
    if key is None:
        return []
    seen.add(key)
    if scope.marker(SUPERUSER_SEES[key]).lower().encode() in body.lower():
        return []
    return [f"GET {target.url}: the superuser's page lacks {scope.marker(SUPERUSER_SEES[key])}"]
