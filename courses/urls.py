from django.urls import path

from .views import catalogue, certificates, learning

app_name = "courses"
urlpatterns = [
    path("courses/", catalogue.course_list, name="catalogue"),
    path("courses/<slug:slug>/", catalogue.course_detail, name="course"),
    path("courses/<slug:slug>/enrol/", learning.enroll, name="enroll"),
    path("courses/<slug:slug>/leave/", learning.leave, name="leave"),
    path("courses/<slug:slug>/continue/", learning.resume, name="resume"),
    path("courses/<slug:slug>/lessons/<int:lesson_id>/", learning.lesson_detail, name="lesson"),
    path(
        "courses/<slug:slug>/lessons/<int:lesson_id>/complete/",
        learning.lesson_complete,
        name="lesson_complete",
    ),
    path("courses/<slug:slug>/lessons/<int:lesson_id>/quiz/", learning.quiz_submit, name="quiz"),
    path("my-learning/", learning.my_learning, name="my_learning"),
    path("certificates/<str:code>.pdf", certificates.certificate_pdf, name="certificate_pdf"),
    path("verify/<str:code>", certificates.certificate_verify, name="verify"),
]

# Authors' preview of a course before it is published (staff only, scoped).
from .views import preview  # noqa: E402

urlpatterns += [
    path("preview/courses/<int:course_id>/", preview.course_preview, name="preview_course"),
    path(
        "preview/courses/<int:course_id>/lessons/<int:lesson_id>/",
        preview.lesson_preview,
        name="preview_lesson",
    ),
]
