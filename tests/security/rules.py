"""The one status each kind of role gets on each kind of URL when every parameter names an
object of another scope (or our course with another scope's lesson in it).

Written from what each view does, and pinned: where a view answers something unusual, the
comment says why that answer is right. A redirect is written as "<status> <where>" (see
`checks.outcome`). The superuser is not in these tables: it may do everything, and the walk only
checks it never meets a server error.
"""

from django.apps import apps
from django.contrib import admin

from .urlconf import Endpoint, Target
from .world import Scope, Walker

ANONYMOUS, LEARNER, OFFICIAL, CONTENT_ADMIN = "anonymous", "learner", "official", "content_admin"

# The site's pages: (GET anonymous, GET signed in, POST anonymous, POST signed in). "Signed in"
# is every learner, official and content administrator alike.
LOGIN_REQUIRED_GET_ONLY = ("302 login", "404", "302 login", "405")
SITE = {
    "home": ("200", "200", "405", "405"),
    "healthz": ("200", "200", "405", "405"),
    # Browsers post their reports as JSON; an (empty) form is not a report.
    "csp_report": ("405", "405", "400", "400"),
    # Without a language chosen the switcher just goes back home, setting nothing.
    "set_language": ("302 home", "302 home", "302 home", "302 home"),
    # allauth sends a signed-in person away from sign-up and log-in.
    "account_signup": ("200", "302 home", "400", "302 home"),
    "account_login": ("200", "302 home", "200", "302 home"),
    # An empty profile form is refused (400) and nothing is saved.
    "accounts_profile": ("302 login", "200", "302 login", "400"),
    # Erasing one's own account needs the password: an empty POST is refused (400), nothing
    # erased.
    "accounts_erase": ("302 login", "200", "302 login", "400"),
    # The POST logs the walker out (the walk signs it back in).
    "account_logout": ("302 home", "200", "302 home", "302 home"),
    "account_inactive": ("200", "200", "405", "405"),
    "account_reauthenticate": ("302 login", "200", "302 login", "200"),
    "account_request_reauthentication_code": ("302 login", "200", "302 login", "200"),
    # No code was requested: back to asking for one.
    "account_confirm_reauthentication_code": (
        "302 login",
        "302 /accounts/reauthenticate/code/",
        "302 login",
        "302 /accounts/reauthenticate/code/",
    ),
    # A POST naming no action goes back to the page.
    "account_email": ("302 login", "200", "302 login", "302 /accounts/email/"),
    "account_email_verification_sent": ("200", "200", "405", "405"),
    "account_change_password": ("302 login", "200", "302 login", "200"),
    # Every walker has a password already: setting one means changing it.
    "account_set_password": (
        "302 login",
        "302 /accounts/password/change/",
        "302 login",
        "302 /accounts/password/change/",
    ),
    "account_reset_password": ("200", "200", "200", "200"),
    # No log-in by code is under way.
    "account_confirm_login_code": (
        "302 /accounts/login/",
        "302 home",
        "302 /accounts/login/",
        "302 home",
    ),
    # An invalid key: the page says the link is invalid; confirming it is "not found".
    "account_confirm_email": ("200", "200", "404", "404"),
    "account_reset_password_from_key_done": ("200", "200", "405", "405"),
    # A real account's id with a forged token: the page says the link is invalid (200).
    "account_reset_password_from_key": ("200", "200", "200", "200"),
    "account_reset_password_done": ("200", "200", "405", "405"),
    "mfa_index": ("302 login", "200", "302 login", "405"),
    # No log-in is waiting for its second factor.
    "mfa_authenticate": ("302 /accounts/login/", "302 home", "302 /accounts/login/", "302 home"),
    # The walkers have no authenticator: they confirm with their password instead.
    "mfa_reauthenticate": (
        "302 login",
        "302 /accounts/reauthenticate/",
        "302 login",
        "302 /accounts/reauthenticate/",
    ),
    "mfa_activate_totp": ("302 login", "302 reauthenticate", "302 login", "302 reauthenticate"),
    # Nothing to turn off, show or download without an authenticator.
    "mfa_deactivate_totp": ("302 login", "404", "302 login", "404"),
    "mfa_view_recovery_codes": LOGIN_REQUIRED_GET_ONLY,
    "mfa_generate_recovery_codes": (
        "302 login",
        "302 reauthenticate",
        "302 login",
        "302 reauthenticate",
    ),
    "mfa_download_recovery_codes": ("302 login", "404", "302 login", "404"),
    # A province's communes and organisations feed the sign-up form: public.
    "units:province_units": ("200", "200", "405", "405"),
    "courses:catalogue": ("200", "200", "405", "405"),
    # Another scope's draft is "not found" to everyone, like a course that does not exist.
    "courses:course": ("404", "404", "405", "405"),
    # The POST-only learning actions check the method before the course: the 405 is the same
    # for any slug, so it tells nothing about the draft.
    "courses:enroll": ("302 login", "405", "302 login", "404"),
    "courses:leave": ("302 login", "404", "302 login", "404"),
    "courses:resume": LOGIN_REQUIRED_GET_ONLY,
    "courses:lesson": LOGIN_REQUIRED_GET_ONLY,
    "courses:lesson_complete": ("302 login", "405", "302 login", "404"),
    "courses:quiz": ("302 login", "405", "302 login", "404"),
    "courses:my_learning": ("302 login", "200", "302 login", "405"),
    # Someone else's certificate is "not found", so codes cannot be probed.
    "courses:certificate_pdf": LOGIN_REQUIRED_GET_ONLY,
    # Public by design: anyone checks a code (see PUBLIC_BY_DESIGN in the test).
    "courses:verify": ("200", "200", "405", "405"),
    # Another scope's draft is "not found" to every author (and to anyone not an author).
    "courses:preview_course": LOGIN_REQUIRED_GET_ONLY,
    "courses:preview_lesson": LOGIN_REQUIRED_GET_ONLY,
    # The admin's password change is the site's.
    "/admin/password_change/": ("302 /accounts/password/change/",) * 4,
}

# Report pages, signed in: (GET, POST) per role. Anonymous: "302 login" everywhere. The scope
# is checked before the method: another scope's unit or export is 404 whatever the method.
NO_REPORTS = ("403", "403")  # no official role: forbidden, before anything is looked up
REPORTS = {
    "reports:index": {OFFICIAL: ("302 own report", "405")},
    "reports:unit": {OFFICIAL: ("404", "404")},
    "reports:export_create": {OFFICIAL: ("404", "404")},
    "reports:export": {OFFICIAL: ("404", "404")},
    "reports:export_download": {OFFICIAL: ("404", "404")},
}

# The site's own admin log-in stands in for the admin's: (GET, POST) per role.
ADMIN_LOGIN = {
    ANONYMOUS: ("302 /accounts/login/?next=%2Fadmin%2F",) * 2,
    # A signed-in learner or official sent to the admin's log-in would loop: 403 says why.
    LEARNER: ("403", "403"),
    OFFICIAL: ("403", "403"),
    CONTENT_ADMIN: ("302 admin index", "302 admin index"),
}

# The admin, for a content administrator. Pages of the site itself: (GET, POST).
ADMIN_SITE = {
    "admin:index": ("200", "200"),
    # Logging out of the admin is POST only (and logs out: the walk signs back in).
    "admin:logout": ("405", "200"),
    "admin:password_change_done": ("200", "405"),
    # Without its query (app, model, field) an autocomplete refuses to answer; with one, see
    # _autocomplete.
    "admin:autocomplete": ("403", "405"),
    "admin:jsi18n": ("200", "405"),
    # No model has a public page ("view on site"): not found, whatever the object.
    "admin:view_on_site": ("404", "404"),
    # The scoped search-as-you-type views, without a query: refused like the admin's own.
    "admin:accounts_user_unit_autocomplete": ("403", "405"),
    "admin:courses_course_autocomplete": ("403", "405"),
    # Import forms: an empty POST shows the form again, nothing imported; the learner import
    # says its form was refused (400, "choose a file").
    "admin:accounts_user_import": ("200", "400"),
    "admin:courses_course_import": ("200", "200"),
    # The author's own learners as CSV (either method), recorded in the audit log.
    "admin:accounts_user_export": ("200", "200"),
    # Superusers only, checked before the method.
    "admin:reports_statsrun_rebuild": ("403", "403"),
}
# Apps with a model the content administrator may see: the app page lists them; any other
# app's page is "not found".
CONTENT_ADMIN_APPS = {"accounts", "courses", "units"}

# Each admin model, for a content administrator: what it may do (its permissions as the
# ModelAdmin finally answers them), and how another scope's object looks to it:
# - "scoped": outside its queryset, so the admin's "doesn't exist" redirect to the index;
# - "404": the ModelAdmin answers 404 for an object outside the scope (learner accounts);
# - "public": units are everyone's, an author sees them all (read only);
# - "unscoped": the object exists for it, its permissions decide.
CONTENT_ADMIN_MODELS = {
    "courses.course": ({"view", "add", "change"}, "scoped"),
    "courses.module": ({"view", "add", "change"}, "scoped"),
    "courses.lesson": ({"view", "add", "change"}, "scoped"),
    "courses.question": ({"view", "add", "change", "delete"}, "scoped"),
    "courses.assignment": ({"view", "add", "change", "delete"}, "scoped"),
    "courses.enrollment": ({"view"}, "scoped"),  # read only for everyone
    "courses.certificate": ({"view"}, "scoped"),  # revoked by an action, never edited
    "accounts.user": ({"view", "add", "change"}, "404"),
    "units.unit": ({"view"}, "public"),
    "reports.unitstat": (set(), "scoped"),  # rows of the reports scope: none for an author
    "reports.exportjob": (set(), "scoped"),  # the requester's own only
    "reports.statsrun": (set(), "unscoped"),
    "accounts.unitrole": (set(), "unscoped"),
    "audit.auditevent": (set(), "unscoped"),
    "auth.group": (set(), "unscoped"),
    "account.emailaddress": (set(), "unscoped"),
    "mfa.authenticator": (set(), "unscoped"),
    "django_celery_beat.periodictask": (set(), "unscoped"),
    "django_celery_beat.clockedschedule": (set(), "unscoped"),
    "django_celery_beat.crontabschedule": (set(), "unscoped"),
    "django_celery_beat.solarschedule": (set(), "unscoped"),
    "django_celery_beat.intervalschedule": (set(), "unscoped"),
}


class NoRule(LookupError):
    pass


def _admin_action(endpoint: Endpoint) -> str:
    """changelist, add, change, delete, history, redirect (the old change address), or the
    name of a custom page."""
    if not endpoint.name:
        return "redirect"
    if endpoint.name.endswith("_password_change"):  # named after auth's User by Django
        return "password_change"
    opts = endpoint.model._meta
    return endpoint.name.removeprefix(f"admin:{opts.app_label}_{opts.model_name}_")


def _model_page(endpoint: Endpoint, method: str) -> str:
    """Django's ModelAdmin views, in the order they check (Django 5.2)."""
    label = endpoint.model._meta.label_lower
    if label not in CONTENT_ADMIN_MODELS:
        raise NoRule(f"{endpoint}: no content administrator rule for the admin of {label}")
    perms, looks = CONTENT_ADMIN_MODELS[label]
    may_view = bool(perms & {"view", "change"})
    action = _admin_action(endpoint)
    if action == "changelist":
        return "200" if may_view else "403"
    if action == "add":
        return "200" if "add" in perms else "403"
    if action == "redirect":  # the address of Django < 1.9: to the change page, no lookup
        return "302 change"
    if looks == "404" and action in {"change", "history", "delete", "password_change"}:
        return "404"  # the object is looked up first, and outside the scope is 404
    if action == "history":  # looked up before the permission is checked
        if looks == "scoped":
            return "302 admin index"
        return "200" if may_view else "403"
    if action == "delete":  # the permission is checked before the lookup
        if "delete" not in perms:
            return "403"
        return "302 admin index" if looks == "scoped" else "200"
    if action == "change":  # permission to view (GET) or change (POST), then the lookup
        allowed = "change" in perms if method == "POST" else may_view
        if not allowed:
            return "403"
        return "200" if looks == "public" else "302 admin index"
    raise NoRule(f"{endpoint}: no rule for the admin page {action!r}")


def _autocomplete(method: str, remote_label: str) -> str:
    """An autocomplete asked about a relation: GET only; "not found" when the related model's
    admin has no search box (Django checks that first), refused without permission to view
    that model, else the first page of the related model's admin queryset (scoped there)."""
    if method == "POST":
        return "405"
    # Whether a model has a search box is the admin's configuration, not a scope decision.
    if not admin.site._registry[apps.get_model(remote_label)].search_fields:
        return "404"
    perms, _looks = CONTENT_ADMIN_MODELS[remote_label]
    return "200" if perms & {"view", "change"} else "403"


def _admin(walker: Walker, endpoint: Endpoint, method: str, target: Target) -> str:
    get = method == "GET"
    if walker.kind != CONTENT_ADMIN:
        # Not staff: every admin page sends to the admin's log-in, which sends on to the
        # site's; the log-out page has nothing to do and goes to the index (Django's rule).
        return "302 admin index" if endpoint.name == "admin:logout" else "302 admin login"
    if target.variant == "query":
        return _autocomplete(method, target.value("remote"))
    if endpoint.name in ADMIN_SITE:
        return ADMIN_SITE[endpoint.name][0 if get else 1]
    if endpoint.name == "admin:app_list":
        return "200" if target.value("app_label") in CONTENT_ADMIN_APPS else "404"
    if "url" in endpoint.param_names:  # the admin's catch-all: a known page gets its slash
        return "404" if target.value("url") == "no-such-page" else "301 slash"
    if endpoint.model is None:
        raise NoRule(f"{endpoint}: no rule for this admin page")
    return _model_page(endpoint, method)


def expected(walker: Walker, endpoint: Endpoint, method: str, target: Target, scope: Scope):
    """The outcome `checks.outcome` must report for this case."""
    get = method == "GET"
    key = endpoint.name or str(endpoint)
    if key == "media":
        # Uploaded course files are public; the private root is out of reach.
        if method == "POST":
            return "405"
        return "404" if target.value("path") == scope.private_path else "200"
    if key == "admin_login_redirect":
        return ADMIN_LOGIN[walker.kind][0 if get else 1]
    if endpoint.namespace == "reports":
        if walker.kind == ANONYMOUS:
            return "302 login"
        if key not in REPORTS:
            raise NoRule(f"{endpoint}: no rule for {key!r}")
        answer = REPORTS[key].get(walker.kind, NO_REPORTS)[0 if get else 1]
        return answer.replace("own report", f"/reports/units/{walker.unit_code}/")
    if endpoint.namespace == "admin":
        return _admin(walker, endpoint, method, target)
    if key not in SITE:
        raise NoRule(f"{endpoint}: no rule for {key!r}")
    anonymous_get, signed_in_get, anonymous_post, signed_in_post = SITE[key]
    if walker.kind == ANONYMOUS:
        return anonymous_get if get else anonymous_post
    return signed_in_get if get else signed_in_post
