from django.core.management import call_command
from django.db import migrations


def cache_table_create(apps, schema_editor):
    # The database cache Redis falls back to (settings.DATABASE_CACHE); idempotent.
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = []

    operations = [migrations.RunPython(cache_table_create, migrations.RunPython.noop)]
