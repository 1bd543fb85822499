"""The reseller's own settings (sellers, default products, notification e-mails, branding) are for
administrators only: the permissions are made now, so they can be given in the admin at once, and
no role's group holds them (a group that was given one by hand loses it)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ADMINISTRATORS_ONLY = (
    "manage_sellers",
    "change_product_defaults",
    "manage_notifications",
    "change_branding",
)
ROLES = ("Managers", "Support agents")


def make_and_withhold(apps, schema_editor):
    # Permissions are normally made after all migrations (post_migrate); make them now.
    app_config = apps.get_app_config("dashboard")
    app_config.models_module = True
    create_permissions(app_config, verbosity=0, apps=apps)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    withheld = Permission.objects.filter(
        content_type__app_label="dashboard", codename__in=ADMINISTRATORS_ONLY
    )
    for group in Group.objects.filter(name__in=ROLES):
        group.permissions.remove(*withheld)


class Migration(migrations.Migration):
    dependencies = [("dashboard", "0016_reseller_settings")]

    operations = [migrations.RunPython(make_and_withhold, migrations.RunPython.noop)]
