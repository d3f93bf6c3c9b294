from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoursesConfig(AppConfig):
    name = "courses"
    verbose_name = _("Courses")

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from .models import Choice, Course, Lesson, Module, Question

        # Importing the services also connects the receiver that anonymises an erased
        # learner's certificates (services.certificates).
        from .services import content_cache

        # Any change of content forgets the cached pages' content (courses.selectors).
        for model in (Course, Module, Lesson, Question, Choice):
            for signal in (post_save, post_delete):
                signal.connect(
                    content_cache.content_signal_received,
                    sender=model,
                    dispatch_uid=f"courses.content_changed.{model.__name__}.{signal}",
                )
