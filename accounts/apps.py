from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Users and roles")

    def ready(self):
        # Connects the receiver that verifies an invited learner's email when they set a password.
        from django.db.models.signals import post_delete, post_save

        from . import services
        from .models import UnitRole

        for signal in (post_save, post_delete):
            signal.connect(
                services.roles_changed, sender=UnitRole, dispatch_uid=f"accounts.roles.{signal}"
            )
