from django.db import migrations

ROLES = ("Risk officer", "Approver", "Validator", "Auditor", "Model developer",
         "CI service account")


def create_roles(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    # Permissions are normally made after all migrations; the auditor needs one now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name in ROLES:
        Group.objects.get_or_create(name=name)
    view_audit = Permission.objects.get(content_type__app_label="audit",
                                        codename="view_auditevent")
    Group.objects.get(name="Auditor").permissions.add(view_audit)


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [("registry", "0001_initial"), ("audit", "0002_append_only_triggers"),
                    ("auth", "0012_alter_user_first_name_max_length")]
    operations = [migrations.RunPython(create_roles, remove_roles)]
