"""The admin's own form pages (import a course, assign courses), which extend
admin/courses/form_page.html: one way to render them."""

from django.template.response import TemplateResponse


def form_page(
    model_admin, request, form, *, template: str, title: str, submit_label: str, **context
) -> TemplateResponse:
    """The page with the form; 400 when the form was posted with errors."""
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "title": title,
        "form": form,
        "media": model_admin.media + form.media,
        "submit_label": submit_label,
        **context,
    }
    return TemplateResponse(request, template, context, status=400 if form.errors else 200)
