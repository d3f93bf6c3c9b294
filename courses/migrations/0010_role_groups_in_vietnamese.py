from django.db import migrations

RENAMES = {"Content administrators": "Quản trị nội dung", "Officials": "Cán bộ theo dõi"}


def groups_rename(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for old, new in RENAMES.items():
        if not Group.objects.filter(name=new).exists():
            Group.objects.filter(name=old).update(name=new)


def groups_rename_back(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for old, new in RENAMES.items():
        if not Group.objects.filter(name=old).exists():
            Group.objects.filter(name=new).update(name=old)


class Migration(migrations.Migration):
    dependencies = [("courses", "0009_verbose_names"), ("auth", "0012_alter_user_first_name_max_length")]

    operations = [migrations.RunPython(groups_rename, groups_rename_back)]
