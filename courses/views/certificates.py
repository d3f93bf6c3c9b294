"""The learner's certificate as a PDF, and the public page where anyone checks a code."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from ..certificate_pdf import certificate_pdf_render
from ..models import Certificate

# What the public page may show: exactly what is printed on the certificate, nothing more.
PUBLIC_FIELDS = ["code", "full_name", "course_title", "issued_at", "revoked_at"]


@never_cache
@login_required
@require_safe
def certificate_pdf(request, code):
    # Someone else's code is "not found", so codes cannot be probed through this address.
    certificate = get_object_or_404(Certificate, code=code, enrollment__user=request.user)
    if not certificate.is_valid:  # a fresh print of a revoked certificate would look valid
        message = _("This certificate has been revoked and can no longer be downloaded.")
        return render(request, "courses/refusal.html", {"message": message}, status=410)
    verify_url = request.build_absolute_uri(reverse("courses:verify", args=[certificate.code]))
    pdf = certificate_pdf_render(certificate=certificate, verify_url=verify_url)
    return HttpResponse(
        pdf,
        content_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="chung-nhan-{certificate.code}.pdf"'
        },
    )


@never_cache
@require_safe
def certificate_verify(request, code):
    code = code.strip().upper()
    certificate = Certificate.objects.filter(code=code).only(*PUBLIC_FIELDS).first()
    return render(
        request,
        "courses/verify.html",
        {"certificate": certificate, "code": code},
        status=200 if certificate else 404,
    )
