from django.core.management import call_command
from django.core.management.base import BaseCommand

from accounts.demo import demo_accounts_create
from courses.demo import demo_curriculum_load
from courses.services.roles import roles_setup


class Command(BaseCommand):
    help = "Load the demo curriculum and demo accounts. Idempotent: a second run changes nothing."

    def handle(self, *args, **options):
        call_command("load_units", stdout=self.stdout)
        courses = demo_curriculum_load()
        created = sum(1 for _course, was_created in courses if was_created)
        self.stdout.write(f"courses: {created} created, {len(courses) - created} already present")
        accounts = demo_accounts_create()
        roles_setup()
        self.stdout.write("Demo accounts / Tài khoản dùng thử:")
        for account in accounts:
            self.stdout.write(f"  {account.role:<45} {account.email:<24} {account.password}")
