"""A course as learners will see it, for its authors, before it is published.

Staff only and scoped like the admin: anyone else gets "not found", so the pages reveal
nothing about drafts. Nothing is recorded: no enrolment, no progress, no attempts.
"""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from ..models import Course
from ..permissions import content_courses
from ..selectors import course_outline, lesson_with_content, quiz_questions
from .lesson_page import lesson_page_context


def _previewable_course(request, course_id: int) -> Course:
    user = request.user
    if not (user.is_staff and user.has_perm("courses.view_course")):
        raise Http404
    course = content_courses(user=user).select_related("owner_unit").filter(pk=course_id).first()
    if course is None:
        raise Http404
    return course


@never_cache
@login_required
@require_safe
def course_preview(request, course_id):
    course = _previewable_course(request, course_id)
    outline = course_outline(course=course, user=None)
    return render(request, "courses/preview_course.html", {"course": course, "outline": outline})


@never_cache
@login_required
@require_safe
def lesson_preview(request, course_id, lesson_id):
    course = _previewable_course(request, course_id)
    outline = course_outline(course=course, user=None)
    state = outline.state_of(lesson_id)
    if state is None:
        raise Http404
    lesson = lesson_with_content(course=course, lesson_id=lesson_id)
    context = lesson_page_context(course=course, outline=outline, lesson=lesson, state=state)
    context["questions"] = quiz_questions(lesson=lesson) if lesson.is_quiz else []
    return render(request, "courses/preview_lesson.html", context)
