"""Officials' report pages. Every view starts from the user's report root (their unit's subtree):
a unit or export outside it is "not found", never shown, and that is checked before the method."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from accounts.selectors import scoped_to
from audit.models import AuditAction
from audit.services import audit_record

from .exports import export_filename, export_job_create
from .formatting import filters_label, waited_text
from .forms import ExportForm, ReportFilterForm
from .models import ExportJob
from .replica import report_reads
from .report_cache import BODY_FRESHNESS_SLOT, report_body_cached, report_meta
from .selectors import (
    DEFAULT_SORT,
    UnitReport,
    export_waited,
    recent_exports,
    report_courses,
    report_root,
    report_unit,
    unit_report,
)

SAFE_METHODS = ["GET", "HEAD"]


def official_required(view):
    """Anonymous users log in; users without a reports scope get 403. Passes `root` on."""

    @never_cache
    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        root = report_root(user=request.user)
        request.report_root = root  # the nav's `reports_allowed` reuses it
        if root is None:
            raise PermissionDenied
        return view(request, *args, root=root, **kwargs)

    return wrapped


def _unit_or_404(root, code):
    unit = report_unit(root=root, code=code)
    if unit is None:
        raise Http404
    return unit


def _job_or_404(request, root, pk):
    jobs = ExportJob.objects.select_related("unit").filter(pk=pk, requester=request.user)
    job = scoped_to(jobs, root=root, unit_path="unit__path").first()
    if job is None:
        raise Http404
    return job


def _report_body(report: UnitReport) -> SafeString:
    """The report (everything but the exports), from the cache when this run's rendering is
    there, with the time the figures were last checked, which changes without a new run.
    Only called once the unit is known to be in the official's scope."""
    freshness = render_to_string("reports/_report_freshness.html", {"report": report})
    fragment = report_body_cached(report=report, render=_report_fragment)
    # Both parts were rendered, and escaped, by their templates.
    return mark_safe(fragment.replace(BODY_FRESHNESS_SLOT, freshness, 1))


def _report_fragment(report: UnitReport) -> str:
    """The report's rendering shared by every official of the root, cached per run.

    Rendered without the request, so nothing of the reader (CSRF token, name, exports) can
    enter the shared fragment, and from the validated filters rather than the raw query
    string, so one key always holds the same HTML."""
    filters = report.filters
    form = ReportFilterForm(
        initial={
            "course": filters.course_id,
            "group": filters.group,
            "sort": "" if filters.sort == DEFAULT_SORT else filters.sort,
        },
        courses=report.courses,
    )
    return render_to_string(
        "reports/_report_body.html",
        {"report": report, "form": form, "freshness_slot": BODY_FRESHNESS_SLOT},
    )


def _bad_request(request, unit, form):
    context = {"unit": unit, "errors": form.error_texts()}
    return render(request, "reports/bad_request.html", context, status=400)


@official_required
@require_safe
def report_index(request, root):
    return redirect("reports:unit", code=root.code)


@official_required
def unit_page(request, code, root):
    unit = _unit_or_404(root, code)  # scope first: an outside unit is 404 whatever the method
    if request.method not in SAFE_METHODS:
        return HttpResponseNotAllowed(SAFE_METHODS)
    with report_reads():  # the figures from the read replica when there is one
        return _unit_page(request, unit, root)


def _unit_page(request, unit, root):
    meta = report_meta()
    courses = meta.courses
    form = ReportFilterForm(request.GET, courses=courses)
    if not form.is_valid():
        return _bad_request(request, unit, form)
    filters = form.filters()
    report = unit_report(root=root, unit=unit, filters=filters, meta=meta)
    body = _report_body(report)
    export_form = ExportForm(
        initial={"course": filters.course_id, "group": filters.group, "sort": filters.sort},
        courses=courses,
    )
    context = {
        "report": report,
        "body": body,
        "form": form,
        "export_form": export_form,
        "exports": recent_exports(user=request.user, unit=unit, courses=courses),
        "root": root,
    }
    return render(request, "reports/unit_report.html", context)


@official_required
def export_create(request, code, root):
    unit = _unit_or_404(root, code)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = ExportForm(request.POST, courses=report_courses())
    if not form.is_valid():
        return _bad_request(request, unit, form)
    job = export_job_create(
        user=request.user,
        unit=unit,
        filters=form.filters(),
        file_format=form.cleaned_data["file_format"],
    )
    return redirect("reports:export", pk=job.pk)


@official_required
def export_status(request, pk, root):
    job = _job_or_404(request, root, pk)
    if request.method not in SAFE_METHODS:
        return HttpResponseNotAllowed(SAFE_METHODS)
    label = filters_label(params=job.params, courses=report_courses())
    busy = job.status in (ExportJob.Status.PENDING, ExportJob.Status.RUNNING)
    waited = export_waited(job=job)
    context = {
        "job": job,
        "label": label,
        "busy": busy,
        "waited": waited_text(waited) if waited else "",
    }
    return render(request, "reports/export_status.html", context)


@official_required
def export_download(request, pk, root):
    job = _job_or_404(request, root, pk)
    if request.method not in SAFE_METHODS:
        return HttpResponseNotAllowed(SAFE_METHODS)
    if job.status != ExportJob.Status.DONE or not job.file:
        raise Http404
    try:
        handle = job.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    audit_record(
        actor=request.user,
        action=AuditAction.EXPORT_DOWNLOADED,
        target=job,
        target_repr=export_filename(job),
        details={"kind": "report", "unit": job.unit.code, "format": job.file_format},
        request=request,
    )
    return FileResponse(handle, as_attachment=True, filename=export_filename(job))
