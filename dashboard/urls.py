from allauth.account import views as allauth_views
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from dashboard.views import (
    account,
    activity,
    billing,
    bulk,
    clients,
    core,
    edits,
    export,
    overview,
    password,
    people,
    reseller_settings,
    saved_views,
    sellers,
    tasks,
    timeline,
)

urlpatterns = [
    path("", overview.overview_view, name="home"),
    path("healthz", core.healthz, name="healthz"),
    path("readyz", core.readyz, name="readyz"),
    path("clients/", clients.client_list_view, name="client-list"),
    path("clients/export.csv", export.client_export_view, name="client-export"),
    path("clients/new/", account.client_create_view, name="client-create"),
    path("clients/bulk/", bulk.bulk_view, name="client-bulk"),
    path("clients/<int:client_id>/", clients.client_detail_view, name="client-detail"),
    path("clients/<int:client_id>/edit/", edits.client_edit_view, name="client-edit"),
    path("clients/<int:client_id>/timeline/", timeline.client_timeline_view, name="client-timeline"),
    path("clients/<int:client_id>/users/<int:user_id>/edit/", edits.user_edit_view, name="user-edit"),
    path(
        "clients/<int:client_id>/services/<int:service_id>/edit/",
        account.service_edit_view,
        name="service-edit",
    ),
    path("clients/<int:client_id>/users/invite/", people.invite_view, name="user-invite"),
    path("clients/<int:client_id>/users/<int:user_id>/remove/", people.user_remove_view, name="user-remove"),
    path(
        "clients/<int:client_id>/users/<int:user_id>/resend-invitation/",
        people.user_resend_view,
        name="user-resend-invitation",
    ),
    path(
        "clients/<int:client_id>/users/<int:user_id>/reset-password/",
        people.user_reset_view,
        name="user-reset-password",
    ),
    path("clients/<int:client_id>/tokens/", people.tokens_view, name="client-tokens"),
    path(
        "clients/<int:client_id>/tokens/<int:token_id>/revoke/", people.token_revoke_view, name="token-revoke"
    ),
    path("clients/<int:client_id>/availability/", account.availability_view, name="client-availability"),
    path("clients/<int:client_id>/features/", account.features_view, name="client-features"),
    path("clients/<int:client_id>/billing/", billing.billing_view, name="client-billing"),
    path("clients/<int:client_id>/billing/edit/", billing.billing_edit_view, name="billing-edit"),
    path("clients/<int:client_id>/billing/sync/", billing.billing_sync_view, name="billing-sync"),
    path("billing/drift/", billing.drift_view, name="billing-drift"),
    path("activity/", activity.activity_view, name="activity"),
    path("activity/gcore/", timeline.gcore_activity_view, name="gcore-activity"),
    path("sellers/", sellers.sellers_view, name="seller-list"),
    path("sellers/new/", sellers.SellerCreateView.as_view(), name="seller-create"),
    path("sellers/<int:seller_id>/edit/", sellers.SellerEditView.as_view(), name="seller-edit"),
    path("sellers/<int:seller_id>/delete/", sellers.SellerDeleteView.as_view(), name="seller-delete"),
    path("settings/products/", reseller_settings.ProductDefaultsView.as_view(), name="settings-products"),
    path(
        "settings/products/reset/",
        reseller_settings.ProductDefaultsResetView.as_view(),
        name="settings-products-reset",
    ),
    path(
        "settings/notifications/",
        reseller_settings.NotificationsView.as_view(),
        name="settings-notifications",
    ),
    path("settings/branding/", reseller_settings.BrandingView.as_view(), name="settings-branding"),
    path(
        "settings/branding/upload/",
        reseller_settings.BrandingUploadView.as_view(),
        name="settings-branding-upload",
    ),
    path(
        "settings/notifications/<int:setting_id>/edit/",
        reseller_settings.NotificationEditView.as_view(),
        name="settings-notification-edit",
    ),
    path(
        "settings/notifications/<int:setting_id>/toggle/",
        reseller_settings.NotificationToggleView.as_view(),
        name="settings-notification-toggle",
    ),
    path(
        "settings/notifications/<int:setting_id>/delete/",
        reseller_settings.NotificationDeleteView.as_view(),
        name="settings-notification-delete",
    ),
    path("tasks/", tasks.tasks_view, name="background-work"),
    path("views/", saved_views.saved_view_list_view, name="saved-view-list"),
    path("views/sidebar/", saved_views.saved_view_sidebar_view, name="saved-view-sidebar"),
    path("views/new/", saved_views.saved_view_create_view, name="saved-view-create"),
    path("views/<int:view_id>/", saved_views.saved_view_update_view, name="saved-view-update"),
    path("views/<int:view_id>/delete/", saved_views.saved_view_delete_view, name="saved-view-delete"),
    # Sign-in is allauth's (a second factor when the person has one); the old names still reverse.
    path("accounts/login/", allauth_views.login, name="login"),
    path("accounts/login/", allauth_views.login, name="account_login"),
    path("accounts/logout/", allauth_views.logout, name="logout"),
    path("accounts/logout/", allauth_views.logout, name="account_logout"),
    path("accounts/reauthenticate/", allauth_views.reauthenticate, name="account_reauthenticate"),
    path("accounts/2fa/", include("allauth.mfa.urls")),
    # The old password is checked as a sign-in checks one (counted, refused while locked out).
    path("accounts/password_change/", password.password_change_view, name="password_change"),
    path(
        "accounts/password_change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("admin/", admin.site.urls),
]
