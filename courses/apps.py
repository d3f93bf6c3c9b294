from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoursesConfig(AppConfig):
    name = "courses"
    verbose_name = _("Courses")

    def ready(self):
        # Connects the receiver that anonymises an erased learner's certificates.
        from . import services  # noqa: F401
