"""The role groups (client admin, supervisor, technician) with their model permissions.

The table is ``apps.core.access.roles.ROLE_PERMISSIONS``; ``sync_role_groups`` also runs after
every ``migrate``, so later changes of the table reach existing databases without a migration.
"""

from django.db import migrations

from apps.core.access.roles import Role, sync_role_groups


def create_role_groups(apps, schema_editor):
    sync_role_groups(apps, using=schema_editor.connection.alias)


def remove_role_groups(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.using(schema_editor.connection.alias).filter(name__in=Role.values).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("peoples", "0002_people_code_unique_per_client"),
        ("onboarding", "0003_business_unit_code_unique_per_client"),
        ("activity", "0001_initial"),
        ("attendance", "0001_initial"),
        ("work_order_management", "0003_one_role_per_person_permit_name_per_client"),
    ]

    operations = [migrations.RunPython(create_role_groups, remove_role_groups)]
