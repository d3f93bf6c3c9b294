from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from .. import errors, services
from ..forms import QuizAnswersForm
from ..models import QuizAttempt
from ..rules import quiz_question_order
from ..selectors import (
    course_lesson_ids,
    course_outline,
    learner_dashboard,
    lesson_with_content,
    published_course,
    quiz_questions,
)
from .lesson_page import lesson_page_context


def _course_or_404(slug):
    course = published_course(slug=slug)
    if course is None:
        raise Http404
    return course


def _refusal(request, error: errors.LearningError, course=None):
    return render(
        request,
        "courses/refusal.html",
        {"message": error.message, "course": course},
        status=error.status,
    )


def _lesson_url(course, lesson_id):
    return reverse("courses:lesson", args=[course.slug, lesson_id])


@login_required
@require_POST
def enroll(request, slug):
    course = _course_or_404(slug)
    try:
        services.enrollment_create(user=request.user, course=course)
    except errors.LearningError as error:
        return _refusal(request, error, course)
    return redirect("courses:resume", slug=course.slug)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def leave(request, slug):
    course = _course_or_404(slug)
    outline = course_outline(course=course, user=request.user)
    if outline.enrollment is None or not outline.enrollment.is_active:
        return _refusal(request, errors.NotEnrolled(), course)
    if request.method == "POST":
        services.enrollment_leave(enrollment=outline.enrollment)
        messages.success(
            request, _("You have left the course. Your progress is kept if you return.")
        )
        return redirect("courses:course", slug=course.slug)
    return render(request, "courses/leave_confirm.html", {"course": course, "outline": outline})


@login_required
@require_safe
def resume(request, slug):
    course = _course_or_404(slug)
    outline = course_outline(course=course, user=request.user)
    if outline.enrollment is None or not outline.enrollment.is_active:
        return redirect("courses:course", slug=slug)
    target = outline.next_lesson or (outline.lessons[0] if outline.lessons else None)
    if target is None:
        return redirect("courses:course", slug=slug)
    return redirect(_lesson_url(course, target.lesson.pk))


@login_required
@require_safe
def lesson_detail(request, slug, lesson_id):
    course = _course_or_404(slug)
    outline = course_outline(course=course, user=request.user)
    state = outline.state_of(lesson_id)
    if state is None:
        raise Http404
    if outline.enrollment is None or not outline.enrollment.is_active:
        return _refusal(request, errors.NotEnrolled(), course)
    if state.locked:
        return _refusal(request, errors.LessonLocked(), course)
    lesson = lesson_with_content(course=course, lesson_id=lesson_id)
    context = lesson_page_context(course=course, outline=outline, lesson=lesson, state=state)
    if lesson.is_quiz:
        context.update(_quiz_context(outline.enrollment, lesson, state))
    return render(request, "courses/lesson_detail.html", context)


def _quiz_context(enrollment, lesson, state, form=None):
    attempts = list(QuizAttempt.objects.filter(enrollment=enrollment, lesson=lesson))
    questions = quiz_questions(lesson=lesson)
    exhausted = bool(lesson.max_attempts) and len(attempts) >= lesson.max_attempts
    review = state.completed or exhausted
    next_number = len(attempts) + 1
    if not review:
        questions = quiz_question_order(
            lesson=lesson, questions=questions, seed=f"{enrollment.pk}:{lesson.pk}:{next_number}"
        )
        form = form or QuizAnswersForm(questions=questions, initial={"attempt": next_number})
    last = attempts[-1] if attempts else None
    chosen = {int(k): set(v) for k, v in (last.answers if last else {}).items()}
    return {
        "attempts": attempts,
        "last_attempt": last,
        "questions": questions,
        "quiz_form": form,
        "review": review,
        "exhausted": exhausted,
        "chosen": chosen,
        "attempts_left": (lesson.max_attempts - len(attempts)) if lesson.max_attempts else None,
    }


@login_required
@require_POST
def lesson_complete(request, slug, lesson_id):
    course = _course_or_404(slug)
    lesson = lesson_with_content(course=course, lesson_id=lesson_id)
    if lesson is None:
        raise Http404
    try:
        enrollment = services.lesson_complete(user=request.user, lesson=lesson)
    except errors.LearningError as error:
        return _refusal(request, error, course)
    return _after_completion(request, course, enrollment, lesson)


def _after_completion(request, course, enrollment, lesson):
    if enrollment.completed_at is not None:
        messages.success(request, _("Congratulations! You have completed the course."))
        return redirect("courses:course", slug=course.slug)
    ordered_ids = course_lesson_ids(course_id=course.pk)
    index = ordered_ids.index(lesson.pk)
    if index + 1 < len(ordered_ids):
        return redirect(_lesson_url(course, ordered_ids[index + 1]))
    return redirect("courses:resume", slug=course.slug)


@login_required
@require_POST
def quiz_submit(request, slug, lesson_id):
    course = _course_or_404(slug)
    lesson = lesson_with_content(course=course, lesson_id=lesson_id)
    if lesson is None or not lesson.is_quiz:
        raise Http404
    form = QuizAnswersForm(request.POST, questions=quiz_questions(lesson=lesson))
    if not form.is_valid():
        outline = course_outline(course=course, user=request.user)
        state = outline.state_of(lesson.pk)
        if outline.enrollment is None or not outline.enrollment.is_active:
            return _refusal(request, errors.NotEnrolled(), course)
        context = lesson_page_context(course=course, outline=outline, lesson=lesson, state=state)
        context.update(_quiz_context(outline.enrollment, lesson, state, form=form))
        return render(request, "courses/lesson_detail.html", context, status=400)
    try:
        result = services.quiz_submit(
            user=request.user,
            lesson=lesson,
            answers=form.answers(),
            attempt_number=form.cleaned_data["attempt"],
        )
    except errors.LearningError as error:
        return _refusal(request, error, course)
    attempt = result.attempt
    if attempt.passed:
        messages.success(
            request, _("You passed with %(score)s%%.") % {"score": attempt.score_percent}
        )
        if result.enrollment.completed_at is not None:
            return _after_completion(request, course, result.enrollment, lesson)
    else:
        messages.error(
            request,
            _("You scored %(score)s%%; the pass mark is %(pass)s%%.")
            % {"score": attempt.score_percent, "pass": lesson.pass_mark},
        )
    return redirect(_lesson_url(course, lesson.pk) + "#quiz-result")


@login_required
@require_safe
def my_learning(request):
    dashboard = learner_dashboard(user=request.user)
    return render(request, "courses/my_learning.html", {"dashboard": dashboard})
