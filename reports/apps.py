from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("Reports")

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from courses.models import Course

        from .models import StatsRun
        from .report_cache import report_meta_forget

        for model in (StatsRun, Course):
            for signal in (post_save, post_delete):
                signal.connect(report_meta_forget, sender=model)
