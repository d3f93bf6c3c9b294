import re
import unicodedata

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponse, QueryDict
from django.shortcuts import render
from django.template.defaultfilters import filesizeformat
from django.urls import Resolver404, resolve
from django.utils import translation
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.translation import gettext as _


class ChosenLanguageMiddleware:
    """Vietnamese unless the visitor chose another language with the switcher.

    Django's LocaleMiddleware would follow the browser's Accept-Language, and many phones in
    Vietnam run an English interface; the platform speaks Vietnamese first.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.available = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in self.available else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        patch_vary_headers(response, ("Cookie",))
        return response


# C0 control characters but tab, line feed and carriage return, and DEL: never typed by a person;
# PostgreSQL refuses NUL in text outright.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
STRIPPED_FROM_TEXT = re.compile(r"[\x01-\x08\x0b\x0c\x0e-\x1f\x7f]")


def request_refused(request, *, status: int, message: str) -> HttpResponse:
    return render(request, "request_refused.html", {"message": message}, status=status)


class RequestGuardMiddleware:
    """Input is checked before any view or query sees it.

    - A body larger than the page allows (upload_limits, else REQUEST_MAX_BYTES) is
      refused from its Content-Length, before it is read.
    - A control character in the path or the query string, or a NUL in a form field or a file
      name, is refused with 400; other control characters are dropped from form text.
    - Form and query text is normalised to Unicode NFC, so "Nguyễn" typed with combining marks
      is stored, searched and compared as one spelling.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        refusal = self._body_too_large(request) or self._invalid_characters(request)
        if refusal is not None:
            return refusal
        return self.get_response(request)

    def _body_too_large(self, request) -> HttpResponse | None:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return request_refused(request, status=400, message=_("The request is malformed."))
        if not length:
            return None
        limit = upload_limit(request)
        if length <= limit:
            return None
        return request_refused(
            request,
            status=413,
            message=_(
                "The file is too large: this page accepts at most %(limit)s. Choose a smaller file."
            )
            % {"limit": filesizeformat(limit)},
        )

    def _invalid_characters(self, request) -> HttpResponse | None:
        bad_address = CONTROL_CHARACTERS.search(request.path) or any(
            CONTROL_CHARACTERS.search(key) or CONTROL_CHARACTERS.search(value)
            for key, values in request.GET.lists()
            for value in values
        )
        if bad_address:
            return request_refused(
                request,
                status=400,
                message=_("The address contains characters that are not allowed."),
            )
        request.GET = _normalised(request.GET)
        if request.method == "POST" and request.content_type in FORM_CONTENT_TYPES:
            try:
                data, files = request.POST, request.FILES
            except RequestDataTooBig:
                return request_refused(
                    request, status=413, message=_("The form sent is too large.")
                )
            has_nul = any(
                "\x00" in key or any("\x00" in value for value in values)
                for key, values in data.lists()
            ) or any("\x00" in (upload.name or "") for upload in files.values())
            if has_nul:
                return request_refused(
                    request,
                    status=400,
                    message=_("The form contains characters that are not allowed (NUL)."),
                )
            request.POST = _normalised(data, strip=True)
        return None


FORM_CONTENT_TYPES = {"application/x-www-form-urlencoded", "multipart/form-data"}


def _normalised(data: QueryDict, *, strip: bool = False) -> QueryDict:
    cleaned = QueryDict(mutable=True)
    for key, values in data.lists():
        for value in values:
            if strip:
                value = STRIPPED_FROM_TEXT.sub("", value)
            cleaned.appendlist(
                unicodedata.normalize("NFC", key), unicodedata.normalize("NFC", value)
            )
    cleaned._mutable = False
    return cleaned


def upload_limits() -> dict[str, int]:
    """The pages that take files, and the largest body each accepts: its files, and the other
    fields of its form (REQUEST_MAX_BYTES)."""
    fields = settings.REQUEST_MAX_BYTES
    lesson = settings.VIDEO_MAX_BYTES + settings.ATTACHMENT_MAX_BYTES + fields
    return {
        "admin:courses_course_import": settings.COURSE_IMPORT_MAX_ARCHIVE_BYTES + fields,
        "admin:accounts_user_import": settings.LEARNER_FILE_MAX_BYTES + fields,
        "admin:courses_course_add": settings.IMAGE_MAX_BYTES + fields,
        "admin:courses_course_change": settings.IMAGE_MAX_BYTES + fields,
        "admin:courses_lesson_add": lesson,
        "admin:courses_lesson_change": lesson,
    }


def upload_limit(request) -> int:
    """The largest body the requested page accepts, in bytes."""
    try:
        view_name = resolve(request.path_info).view_name
    except Resolver404:
        view_name = ""
    return upload_limits().get(view_name, settings.REQUEST_MAX_BYTES)


class SecurityHeadersMiddleware:
    """Headers Django's SecurityMiddleware does not set.

    A page shown to a signed-in person is `Cache-Control: private, no-store`: no shared or
    back-button cache keeps a learner's or a province's personal data. Every response says which
    browser features the site may use (Permissions-Policy).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and "Cache-Control" not in response:
            patch_cache_control(response, private=True, no_store=True)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response
