from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_safe

from ..forms import CatalogueFilterForm
from ..selectors import catalogue_courses, course_outline, published_course


@require_safe
def course_list(request):
    form = CatalogueFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    courses = catalogue_courses(
        query=filters.get("q", ""),
        audience=filters.get("audience", ""),
        area=filters.get("area", ""),
        level=filters.get("level", ""),
    )
    status = 400 if request.GET and not form.is_valid() else 200
    return render(
        request, "courses/catalogue.html", {"form": form, "courses": courses}, status=status
    )


@require_safe
def course_detail(request, slug):
    course = published_course(slug=slug)
    if course is None:
        raise Http404
    outline = course_outline(course=course, user=request.user)
    return render(request, "courses/course_detail.html", {"outline": outline, "course": course})
