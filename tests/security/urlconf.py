"""Every pattern of the URLconf, found by walking the resolver, and how to fill its parameters
with objects of another scope.

Nothing here is a list of URLs: the admin's generated pages for every registered model,
allauth's and the project's all come from `get_resolver()`. What is listed is how to fill each
kind of parameter; a pattern with a parameter this module cannot fill fails the walk.
"""

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.converters import IntConverter, PathConverter, SlugConverter, StringConverter
from django.urls.resolvers import RegexPattern, RoutePattern
from django.utils.http import int_to_base36

from courses.models import Course

from .world import Scope, World

CONVERTER_NAMES = {
    IntConverter: "int",
    PathConverter: "path",
    SlugConverter: "slug",
    StringConverter: "str",
}


@dataclass(frozen=True)
class Endpoint:
    """One URL pattern: its full route, name, parameters and, in the admin, its model."""

    route: str
    name: str  # "namespace:name", "" when the pattern has no name
    namespace: str
    params: tuple[tuple[str, str], ...]  # (parameter, converter or "regex"), in order
    model: type | None  # the model of a ModelAdmin's page
    chain: tuple  # pattern objects from the root down to this one
    callback: Callable

    @property
    def param_names(self) -> tuple[str, ...]:
        return tuple(name for name, _converter in self.params)

    def __str__(self) -> str:
        return f"/{self.route}"


def _pattern_text(pattern) -> str:
    if isinstance(pattern, RegexPattern):
        return pattern._regex
    return str(pattern)


def _pattern_params(pattern) -> list[tuple[str, str]]:
    if isinstance(pattern, RoutePattern):
        return [
            (name, CONVERTER_NAMES.get(type(converter), type(converter).__name__))
            for name, converter in pattern.converters.items()
        ]
    return [(name, "regex") for name in pattern.regex.groupindex]


def _admin_models() -> dict[str, type]:
    return {
        f"{model._meta.app_label}/{model._meta.model_name}/": model
        for model in admin.site._registry
    }


def endpoints() -> list[Endpoint]:
    """Every URLPattern reachable from the root URLconf, depth first, in resolution order."""
    admin_models = _admin_models()
    found: list[Endpoint] = []

    def walk(resolver: URLResolver, chain: tuple, namespace: str, model) -> None:
        for entry in resolver.url_patterns:
            text = _pattern_text(entry.pattern)
            if isinstance(entry, URLResolver):
                inner = namespace
                if entry.namespace:
                    inner = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
                inner_model = model
                if inner == "admin" and text in admin_models:
                    inner_model = admin_models[text]
                walk(entry, (*chain, entry), inner, inner_model)
                continue
            assert isinstance(entry, URLPattern)
            full = (*chain, entry)
            params = [p for part in full for p in _pattern_params(part.pattern)]
            name = entry.name or ""
            found.append(
                Endpoint(
                    route="".join(_pattern_text(part.pattern) for part in full),
                    name=f"{namespace}:{name}" if namespace and name else name,
                    namespace=namespace,
                    params=tuple(params),
                    model=model,
                    chain=full,
                    callback=entry.callback,
                )
            )

    walk(get_resolver(), (), "", None)
    return found


# Building a URL from a pattern ---------------------------------------------------------


def _fill_regex(regex: str, values: dict[str, str]) -> str:
    """The regex with each named group replaced by its value, anchors dropped."""
    out, i = [], 0
    while i < len(regex):
        if regex.startswith("(?P<", i):
            name_end = regex.index(">", i)
            name = regex[i + 4 : name_end]
            depth, j = 1, name_end + 1
            while depth:
                if regex[j] == "\\":
                    j += 2
                    continue
                depth += {"(": 1, ")": -1}.get(regex[j], 0)
                j += 1
            out.append(values[name])
            i = j
        else:
            out.append(regex[i])
            i += 1
    return "".join(out).removeprefix("^").removesuffix("$")


def _fill_route(pattern: RoutePattern, values: dict[str, str]) -> str:
    def fill(match: re.Match) -> str:
        name = match.group("name")
        return pattern.converters[name].to_url(values[name])

    return re.sub(r"<(?:[^>:]+:)?(?P<name>[^>]+)>", fill, str(pattern))


def url_build(endpoint: Endpoint, values: dict[str, str]) -> str:
    parts = []
    for part in endpoint.chain:
        if isinstance(part.pattern, RoutePattern):
            parts.append(_fill_route(part.pattern, values))
        else:
            parts.append(_fill_regex(part.pattern._regex, values))
    return "/" + "".join(parts)


def served_by(endpoint: Endpoint, url: str) -> bool:
    """Whether the URL built for this pattern resolves to it (not to an earlier pattern)."""
    match = resolve(url.partition("?")[0])
    return match.func is endpoint.callback


# Filling parameters ----------------------------------------------------------------------

# The admin's objects of each registered model, in a scope: the page's <object_id>.
ADMIN_OBJECTS: dict[str, tuple[str, ...]] = {
    "auth.group": ("group",),
    "account.emailaddress": ("email_address",),
    "mfa.authenticator": ("authenticator",),
    "django_celery_beat.periodictask": ("periodic_task",),
    "django_celery_beat.clockedschedule": ("clocked_schedule",),
    "django_celery_beat.crontabschedule": ("crontab_schedule",),
    "django_celery_beat.solarschedule": ("solar_schedule",),
    "django_celery_beat.intervalschedule": ("interval_schedule",),
    "audit.auditevent": ("audit_event",),
    "accounts.user": ("learner", "official", "author"),  # every kind of account
    "accounts.unitrole": ("unit_role",),
    "courses.course": ("course",),
    "courses.module": ("module",),
    "courses.lesson": ("reading", "quiz"),
    "courses.question": ("question",),
    "courses.assignment": ("assignment",),
    "courses.enrollment": ("enrollment",),
    "courses.certificate": ("certificate",),
    "reports.unitstat": ("unit_stat",),
    "reports.exportjob": ("export",),
    "reports.statsrun": ("stats_run",),
    "units.unit": ("owner_unit",),  # units are public; the other scope's own unit
}


def _admin_objects(endpoint: Endpoint, scope: Scope) -> list:
    if endpoint.model is None:  # the site's "view on site" shortcut: the other scope's course
        return [scope.objects["course"]]
    label = endpoint.model._meta.label_lower
    if label not in ADMIN_OBJECTS:
        raise LookupError(f"no object of the other scope for the admin of {label}")
    return [scope.objects[key] for key in ADMIN_OBJECTS[label]]


def _admin_catch_all(endpoint: Endpoint, scope: Scope) -> list[str]:
    # A known page without its final slash (the admin redirects), and an unknown one.
    return [f"courses/course/{scope.objects['course'].pk}/change", "no-such-page"]


# (namespace, parameter) -> values of the other scope. Allauth has no namespace ("").
FILLERS: dict[tuple[str, str], Callable[[Endpoint, Scope], list]] = {
    ("", "path"): lambda e, s: [s.media_path, s.private_path],
    ("", "key"): lambda e, s: ["invalid-key-0"],
    ("", "uidb36"): lambda e, s: [int_to_base36(s.objects["learner"].pk)],
    ("units", "code"): lambda e, s: [s.province_code],
    ("courses", "slug"): lambda e, s: [s.objects["course"].slug],
    ("courses", "lesson_id"): lambda e, s: [s.objects["reading"].pk, s.objects["quiz"].pk],
    ("courses", "code"): lambda e, s: [s.objects["certificate"].code],
    ("courses", "course_id"): lambda e, s: [s.objects["course"].pk],
    ("reports", "code"): lambda e, s: [s.owner_unit.code, "VN"],
    ("reports", "pk"): lambda e, s: [s.objects["export"].pk],
    ("admin", "object_id"): lambda e, s: [obj.pk for obj in _admin_objects(e, s)],
    ("admin", "id"): lambda e, s: [obj.pk for obj in _admin_objects(e, s)],
    ("admin", "content_type_id"): lambda e, s: [ContentType.objects.get_for_model(Course).pk],
    ("admin", "app_label"): lambda e, s: sorted(
        {model._meta.app_label for model in admin.site._registry}
    ),
    ("admin", "url"): _admin_catch_all,
}

# Our own value of a parameter that names a container: with it, the other parameters of the
# same URL still name the other scope's objects (a lesson of theirs inside our course).
OURS: dict[tuple[str, str], Callable[[World], object]] = {
    ("courses", "slug"): lambda w: w.our_course.slug,
    ("courses", "course_id"): lambda w: w.our_course.pk,
}


@dataclass(frozen=True)
class Target:
    url: str
    scope: str  # "P" / "C": whose objects fill the parameters
    variant: str  # "theirs", or "ours:<parameter>" when that parameter names our container
    values: tuple[tuple[str, str], ...] = ()

    def value(self, name: str) -> str:
        return dict(self.values)[name]


def _filler(endpoint: Endpoint, param: str):
    filler = FILLERS.get((endpoint.namespace, param))
    if filler is None:
        raise LookupError(f"{endpoint}: no filler for parameter {param!r}")
    return filler


def autocomplete_queries() -> list[tuple[str, str]]:
    """The admin's search-as-you-type views answer for any relation named in their query, not
    only the ones a form uses: one query per relation of a registered model to a registered
    model, with an empty search (the first page of everything the view lets through).
    Returns (remote model label, query string)."""
    registry = admin.site._registry
    seen, queries = set(), []
    for model in registry:
        for field in model._meta.get_fields():
            if not (field.is_relation and field.concrete) or field.related_model not in registry:
                continue
            remote = field.related_model._meta.label_lower
            if (remote, field.name) in seen:
                continue
            seen.add((remote, field.name))
            query = {
                "app_label": model._meta.app_label,
                "model_name": model._meta.model_name,
                "field_name": field.name,
                "term": "",
            }
            queries.append((remote, urlencode(query)))
    return queries


def targets(endpoint: Endpoint, scope: Scope, world: World) -> list[Target]:
    if endpoint.namespace == "admin" and endpoint.name.endswith("autocomplete"):
        base = url_build(endpoint, {})
        bare = Target(base, scope.key, "theirs")
        return [bare] + [
            Target(f"{base}?{query}", scope.key, "query", (("remote", remote),))
            for remote, query in autocomplete_queries()
        ]
    names = endpoint.param_names

    def target(combo, variant: str) -> Target:
        values = dict(zip(names, combo, strict=True))
        return Target(url_build(endpoint, values), scope.key, variant, tuple(values.items()))

    choices = [[str(v) for v in _filler(endpoint, name)(endpoint, scope)] for name in names]
    found = [target(combo, "theirs") for combo in itertools.product(*choices)]
    if len(names) > 1:
        for index, name in enumerate(names):
            ours = OURS.get((endpoint.namespace, name))
            if ours is not None:
                mixed = [*choices[:index], [str(ours(world))], *choices[index + 1 :]]
                found += [target(combo, f"ours:{name}") for combo in itertools.product(*mixed)]
    return found
