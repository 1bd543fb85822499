"""Joins the client timeline's migrations and the reseller settings' (made side by side), and gives
StaffAccess the permissions of both."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("dashboard", "0017_reseller_settings_roles"),
        ("dashboard", "0018_gcore_activity_roles"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="staffaccess",
            options={
                "default_permissions": (),
                "managed": False,
                "permissions": [
                    ("view_clients", "Can browse clients and their users"),
                    ("change_clients", "Can edit client details"),
                    ("change_client_users", "Can edit client users"),
                    ("reassign_clients", "Can move a client to another reseller or seller"),
                    ("export_clients", "Can export the client list"),
                    ("view_activity", "Can view the activity log"),
                    ("view_billing", "Can see clients' SPP billing records and the drift list"),
                    ("change_billing", "Can edit SPP contact fields, link, unlink and sync"),
                    (
                        "change_billing_account",
                        "Can change an SPP client's balance, status, Stripe ID and employees",
                    ),
                    ("rebuild_billing_drift", "Can rebuild the drift list"),
                    ("create_clients", "Can create clients"),
                    ("change_services", "Can change a client's service statuses, except to deleted"),
                    ("delete_services", "Can set a service's status to deleted"),
                    ("change_availability", "Can change which products a client sees"),
                    ("manage_free_features", "Can enable and disable free features"),
                    ("manage_paid_features", "Can enable and disable paid features"),
                    ("bulk_change_services", "Can change a service's status across many clients at once"),
                    ("invite_client_users", "Can invite users into a client"),
                    ("remove_client_users", "Can remove a user's access to a client"),
                    (
                        "email_client_users",
                        "Can have Gcore send a user an invitation again or a password reset",
                    ),
                    ("view_client_tokens", "Can see a client's API tokens"),
                    ("revoke_client_tokens", "Can revoke a client's API tokens"),
                    ("view_gcore_activity", "Can read Gcore's account-wide activity log"),
                    ("refresh_gcore_activity", "Can have Gcore's activity log indexed now"),
                    ("manage_sellers", "Can see, create, edit and delete the reseller's sellers"),
                    (
                        "change_product_defaults",
                        "Can change the reseller's default products and reset every client",
                    ),
                    (
                        "manage_notifications",
                        "Can change the e-mails Gcore notifies about the reseller's account",
                    ),
                    ("change_branding", "Can change the reseller's branding, mail server, logo and favicon"),
                ],
            },
        ),
    ]
