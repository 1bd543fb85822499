"""Gives the roles the Needs attention queue: Managers read it; Support agents also assign, snooze and
resolve findings. Scanning now and the thresholds stay with administrators (superusers)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

NEW_PERMISSIONS = {
    "Managers": ("view_attention",),
    "Support agents": ("view_attention", "change_attention"),
}


def grant(apps, schema_editor):
    # Permissions are normally made after all migrations (post_migrate); make them now.
    app_config = apps.get_app_config("dashboard")
    app_config.models_module = True
    create_permissions(app_config, verbosity=0, apps=apps)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in NEW_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label="dashboard", codename__in=codenames)
        )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in NEW_PERMISSIONS.items():
        for group in Group.objects.filter(name=name):
            group.permissions.remove(
                *Permission.objects.filter(content_type__app_label="dashboard", codename__in=codenames)
            )


class Migration(migrations.Migration):
    dependencies = [("dashboard", "0021_attention")]

    operations = [migrations.RunPython(grant, revoke)]
