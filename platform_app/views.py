import json
import logging
from pathlib import PurePosixPath

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils._os import safe_join
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST, require_safe

from courses.selectors import featured_courses, learner_dashboard

from . import health


@require_safe
def home(request):
    in_progress = []
    if request.user.is_authenticated:
        in_progress = learner_dashboard(user=request.user).in_progress[:3]
    return render(
        request,
        "platform_app/home.html",
        {"featured": featured_courses(), "in_progress": in_progress},
    )


@never_cache
@require_safe
def healthz(request):
    """For the load balancer: 200 while this node can serve pages (the database answers), with
    each part's state; jobs wait in the database while the broker is away."""
    database = health.database_ok()
    cache_state = health.cache_state()
    broker = health.broker_ok()
    if not database:
        status = "unavailable"
    elif broker and cache_state == "ok":
        status = "ok"
    else:
        status = "degraded"
    return JsonResponse(
        {
            "status": status,
            "database": "ok" if database else "unavailable",
            "cache": cache_state,
            "broker": "ok" if broker else "unavailable",
        },
        status=503 if status == "unavailable" else 200,
    )


csp_logger = logging.getLogger("platform_app.csp")
CSP_REPORT_MAX_BYTES = 16 * 1024
CSP_REPORT_TYPES = {"application/csp-report", "application/json", "application/reports+json"}


@csrf_exempt
@require_POST
def csp_report(request):
    """Browsers post here what the Content-Security-Policy blocked; it goes to the log."""
    if int(request.META.get("CONTENT_LENGTH") or 0) > CSP_REPORT_MAX_BYTES:
        return HttpResponse(status=413)
    if request.content_type not in CSP_REPORT_TYPES:  # a form is not a report
        return HttpResponse(status=400)
    try:
        report = json.loads(request.body or b"{}").get("csp-report", {})
    except (ValueError, AttributeError):
        return HttpResponse(status=400)
    csp_logger.warning(
        "CSP violation: %s blocked %s on %s",
        str(report.get("violated-directive") or report.get("effective-directive"))[:200],
        str(report.get("blocked-uri"))[:500],
        str(report.get("document-uri"))[:500],
    )
    return HttpResponse(status=204)


# The types the site names for uploaded files; anything else is application/octet-stream.
MEDIA_TYPES = {
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".mp4": "video/mp4",
    ".m4v": "video/mp4",
    ".webm": "video/webm",
    ".ogv": "video/ogg",
    ".vtt": "text/vtt; charset=utf-8",
    ".pdf": "application/pdf",
}
# Shown in place by the browser; anything else is only ever downloaded, so an uploaded page or
# script never runs from the site's own origin.
MEDIA_SHOWN_INLINE = MEDIA_TYPES.keys() - {".pdf"}


@require_safe
def media_file(request, path: str):
    """Course pictures, videos and documents, with a content type the site chose."""
    try:
        full_path = safe_join(settings.MEDIA_ROOT, path)
    except (ValueError, SuspiciousFileOperation) as error:  # outside MEDIA_ROOT
        raise Http404 from error
    try:
        handle = open(full_path, "rb")  # noqa: SIM115 - FileResponse closes it
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as error:
        raise Http404 from error
    name = PurePosixPath(path).name
    suffix = PurePosixPath(name).suffix.lower()
    inline = suffix in MEDIA_SHOWN_INLINE
    content_type = MEDIA_TYPES.get(suffix, "application/octet-stream")
    response = FileResponse(
        handle, as_attachment=not inline, filename=name, content_type=content_type
    )
    # Even if a browser were to render it, it runs nothing and reaches nothing.
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "public, max-age=86400"
    return response
