from django.core.management.base import BaseCommand

from courses.services.roles import roles_setup


class Command(BaseCommand):
    help = (
        "Create or refresh the groups 'Content administrators' and 'Officials' and put every "
        "holder of those unit roles in them. Idempotent."
    )

    def handle(self, *args, **options):
        for name, group in roles_setup().items():
            self.stdout.write(
                f"{name}: {group.permissions.count()} permissions, {group.user_set.count()} members"
            )
