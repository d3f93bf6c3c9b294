from django.db import migrations

SETTINGS = ("autovacuum_vacuum_scale_factor", "autovacuum_vacuum_insert_scale_factor")


def vacuum_sooner(apps, schema_editor):
    """The statistics read enrolments from an index alone only where the table's pages are
    marked all-visible, which vacuum does: on PostgreSQL, vacuum after 2 % of the rows changed
    (instead of 20 %), so a busy table stays readable from its indexes."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "ALTER TABLE courses_enrollment SET ("
            + ", ".join(f"{name} = 0.02" for name in SETTINGS)
            + ")"
        )


def vacuum_by_default(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE courses_enrollment RESET ({', '.join(SETTINGS)})")


class Migration(migrations.Migration):
    dependencies = [("courses", "0005_enrollment_completed_day_stats_shard_indexes")]

    operations = [migrations.RunPython(vacuum_sooner, vacuum_by_default)]
