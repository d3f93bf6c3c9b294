"""Driving the admin as a content administrator's browser does: the forms it posts, what a
page shows, and a course's outline to compare copies with."""

import datetime

from django.db.models.fields.files import FieldFile
from django.urls import reverse
from django.utils import timezone

from courses.models import Course, CourseStatus, LessonKind


def page(response) -> str:
    return response.content.decode()


def shown_messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def _encode(name: str, value) -> dict:
    if value is None or isinstance(value, FieldFile) or value is False:
        return {}
    if value is True:
        return {name: "on"}
    if isinstance(value, list | tuple):
        return {name: [str(v) for v in value]}
    if isinstance(value, datetime.date):
        return {name: value.isoformat()}
    return {name: str(value)}


def changeform_data(response) -> dict:
    """What the browser would post back from an admin change form, unchanged."""
    data = {}
    form = response.context["adminform"].form
    for name in form.fields:
        data.update(_encode(form.add_prefix(name), form[name].value()))
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        for name in management.fields:
            data[management.add_prefix(name)] = str(management[name].value())
        for inline_form in formset.forms:
            for name in inline_form.fields:
                data.update(_encode(inline_form.add_prefix(name), inline_form[name].value()))
    return data


def changelist_ids(client, model: str) -> set[int]:
    response = client.get(reverse(f"admin:courses_{model}_changelist"))
    assert response.status_code == 200
    return {obj.pk for obj in response.context["cl"].result_list}


def course_add_data(unit, **changes) -> dict:
    data = {
        "title": "Kỹ năng số cho cán bộ",
        "slug": "ky-nang-so-can-bo",
        "summary": "Tóm tắt",
        "description": "",
        "owner_unit": unit.pk,
        "audiences": ["official"],
        "competency_area": "safety",
        "level": "basic",
        "estimated_minutes": 30,
        "sequential": "on",
        "cover_alt": "",
        "status": CourseStatus.DRAFT,
        "modules-TOTAL_FORMS": 1,
        "modules-INITIAL_FORMS": 0,
        "modules-MIN_NUM_FORMS": 0,
        "modules-MAX_NUM_FORMS": 1000,
        "modules-0-title": "Chương mở đầu",
        "modules-0-position": 0,
    }
    data.update(changes)
    return data


def lesson_data(module, **changes) -> dict:
    data = {
        "module": module.pk,
        "title": "Bài mới",
        "kind": LessonKind.READING,
        "position": 0,
        "estimated_minutes": 5,
        "body": "<p>Nội dung</p>",
        "video_url": "",
        "transcript": "",
        "pass_mark": 80,
        "max_attempts": 3,
    }
    data.update(changes)
    return data


def question_data(lesson, *, kind="single", choices=(("Đúng", True), ("Sai", False))) -> dict:
    data = {
        "lesson": lesson.pk,
        "text": "Câu hỏi mới?",
        "kind": kind,
        "explanation": "",
        "position": 0,
        "choices-TOTAL_FORMS": len(choices),
        "choices-INITIAL_FORMS": 0,
        "choices-MIN_NUM_FORMS": 0,
        "choices-MAX_NUM_FORMS": 1000,
    }
    for index, (text, correct) in enumerate(choices):
        data[f"choices-{index}-text"] = text
        data[f"choices-{index}-position"] = 0
        if correct:
            data[f"choices-{index}-is_correct"] = "on"
    return data


def assignment_data(courses, unit, **changes) -> dict:
    data = {
        "courses": [c.pk for c in courses],
        "unit": unit.pk,
        "audience_group": "",
        "due_date": (timezone.localdate() + datetime.timedelta(days=30)).isoformat(),
    }
    data.update(changes)
    return data


def structure(course: Course) -> list:
    return [
        (
            module.title,
            module.position,
            [
                (
                    lesson.title,
                    lesson.kind,
                    lesson.body,
                    lesson.video_file.name.rsplit("/", 1)[-1],  # stored in a random folder
                    [
                        (q.text, q.kind, [(c.text, c.is_correct) for c in q.choices.all()])
                        for q in lesson.questions.all()
                    ],
                )
                for lesson in module.lessons.order_by("position")
            ],
        )
        for module in course.modules.order_by("position")
    ]
