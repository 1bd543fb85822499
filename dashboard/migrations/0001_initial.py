from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = []

    operations = [
        migrations.CreateModel(
            name="StaffAccess",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                )
            ],
            options={
                "managed": False,
                "default_permissions": (),
                "permissions": [
                    ("view_clients", "Can browse clients and their users"),
                    ("change_clients", "Can edit client details"),
                    ("change_client_users", "Can edit client users"),
                    ("reassign_clients", "Can move a client to another reseller or seller"),
                    ("export_clients", "Can export the client list"),
                    ("view_activity", "Can view the activity log"),
                ],
            },
        ),
    ]
