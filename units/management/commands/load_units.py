import time

from django.core.management.base import BaseCommand

from units.loader import units_load
from units.models import COMMUNE_KINDS, PROVINCE_KINDS, Unit


class Command(BaseCommand):
    help = "Load Vietnam's 2025 administrative units (34 provinces, 3,321 communes). Idempotent."

    def handle(self, *args, **options):
        started = time.monotonic()
        result = units_load()
        provinces = Unit.objects.filter(kind__in=PROVINCE_KINDS).count()
        communes = Unit.objects.filter(kind__in=COMMUNE_KINDS).count()
        self.stdout.write(
            f"units: {result.created} created, {result.updated} updated, "
            f"{result.unchanged} unchanged; {provinces} provinces, {communes} communes "
            f"in {time.monotonic() - started:.1f} s"
        )
