"""Database models: the staff permissions, the audit log and saved views (clients live at Gcore)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse


class StaffAccess(models.Model):
    """Holds the dashboard's permissions; it has no table, because clients live at Gcore, not here."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [
            ("view_clients", "Can browse clients and their users"),
            ("change_clients", "Can edit client details"),
            ("change_client_users", "Can edit client users"),
            ("reassign_clients", "Can move a client to another reseller or seller"),
            ("export_clients", "Can export the client list"),
            ("view_activity", "Can view the activity log"),
            ("view_billing", "Can see clients' SPP billing records and the drift list"),
            ("change_billing", "Can edit SPP contact fields, link, unlink and sync"),
            ("change_billing_account", "Can change an SPP client's balance, status, Stripe ID and employees"),
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
            ("email_client_users", "Can have Gcore send a user an invitation again or a password reset"),
            ("view_client_tokens", "Can see a client's API tokens"),
            ("revoke_client_tokens", "Can revoke a client's API tokens"),
            ("view_attention", "Can see the Needs attention queue"),
            ("change_attention", "Can assign, snooze and resolve findings of the Needs attention queue"),
            ("scan_attention", "Can start the Needs attention scans now"),
            ("view_gcore_activity", "Can read Gcore's account-wide activity log"),
            ("refresh_gcore_activity", "Can have Gcore's activity log indexed now"),
            ("manage_sellers", "Can see, create, edit and delete the reseller's sellers"),
            ("change_product_defaults", "Can change the reseller's default products and reset every client"),
            ("manage_notifications", "Can change the e-mails Gcore notifies about the reseller's account"),
            ("change_branding", "Can change the reseller's branding, mail server, logo and favicon"),
        ]

    def __str__(self) -> str:
        return "Staff access to the dashboard"


class AuditEntry(models.Model):
    """One change attempt made through the dashboard, whatever its outcome. Never edited or deleted."""

    class Action(models.TextChoices):
        CLIENT_UPDATE = "client.update", "Client edited"
        USER_UPDATE = "user.update", "User edited"
        CLIENTS_EXPORT = "clients.export", "Clients exported"
        BILLING_LINK = "billing.link", "SPP client linked"
        BILLING_UNLINK = "billing.unlink", "SPP client unlinked"
        BILLING_UPDATE = "billing.update", "SPP client edited"
        BILLING_SYNC = "billing.sync", "Gcore and SPP synced"
        BILLING_DRIFT = "billing.drift", "Drift list rebuilt"
        CLIENT_CREATE = "client.create", "Client created"
        SERVICE_UPDATE = "service.update", "Service changed"
        AVAILABILITY_UPDATE = "availability.update", "Product availability changed"
        FEATURE_ENABLE = "feature.enable", "Feature enabled"
        FEATURE_DISABLE = "feature.disable", "Feature disabled"
        BULK_SERVICE = "bulk.service", "Bulk service change"
        BULK_STOP = "bulk.stop", "Bulk service change stopped"
        USER_INVITE = "user.invite", "User invited"
        USER_REMOVE = "user.remove", "User's access removed"
        USER_INVITATION_RESENT = "user.invitation", "Invitation sent again"
        USER_PASSWORD_RESET = "user.password_reset", "Password reset sent"
        TOKEN_REVOKE = "token.revoke", "API token revoked"
        STAFF_MFA_RESET = "staff.mfa_reset", "Staff member's second factors reset"
        STAFF_PASSWORD_CHANGE = "staff.password_change", "Staff member's password changed"
        STAFF_PASSWORD_SET = "staff.password_set", "Staff member's password set by an administrator"
        FINDING_FOUND = "finding.found", "Finding found"
        FINDING_ASSIGN = "finding.assign", "Finding assigned"
        FINDING_SNOOZE = "finding.snooze", "Finding snoozed"
        FINDING_RESOLVE = "finding.resolve", "Finding resolved"
        FINDING_GONE = "finding.gone", "Finding gone at Gcore"
        FINDING_REOPEN = "finding.reopen", "Finding reopened"
        ATTENTION_SCAN = "attention.scan", "Needs attention scan started"
        SELLER_CREATE = "seller.create", "Seller created"
        SELLER_UPDATE = "seller.update", "Seller edited"
        SELLER_DELETE = "seller.delete", "Seller deleted"
        DEFAULTS_UPDATE = "defaults.update", "Default products changed"
        DEFAULTS_RESET = "defaults.reset", "Every client reset to the default products"
        NOTIFICATION_CREATE = "notification.create", "Notification e-mail added"
        NOTIFICATION_UPDATE = "notification.update", "Notification e-mail changed"
        NOTIFICATION_DELETE = "notification.delete", "Notification e-mail deleted"
        BRANDING_UPDATE = "branding.update", "Branding changed"
        BRANDING_UPLOAD = "branding.upload", "Logo or favicon uploaded"

    class Outcome(models.TextChoices):
        SAVED = "saved", "Saved"
        PARTIAL = "partial", "Partly saved"
        UNCHANGED = "unchanged", "Nothing to change"
        REJECTED = "rejected", "Rejected by validation"
        CONFLICT = "conflict", "Conflict"
        UPSTREAM_ERROR = "upstream_error", "Gcore error"
        STARTED = "started", "Started"

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="audit_entries",
    )
    # Kept as text too, so the record survives the staff account's deletion.
    actor_username = models.CharField(max_length=150)
    action = models.CharField(max_length=32, choices=Action.choices)
    client_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    user_id = models.BigIntegerField("Gcore user ID", null=True, blank=True)
    # [{"field": "companyName", "old": "...", "new": "..."}], Gcore's field names.
    changes = models.JSONField(default=list, blank=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, db_index=True)
    upstream_status = models.PositiveSmallIntegerField(null=True, blank=True)
    # Gcore's id of the failed request, when it sent one: what Gcore's support asks for.
    upstream_request_id = models.CharField("Gcore request ID", max_length=100, blank=True)
    message = models.TextField(blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "audit entry"
        verbose_name_plural = "audit log"
        indexes = [models.Index(fields=["client_id", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_username} {self.action} {self.outcome}"


class SavedViewQuerySet(models.QuerySet["SavedView"]):
    def visible_to(self, user: models.Model) -> SavedViewQuerySet:
        """The views a staff member sees: their own, private or shared, and everyone's shared ones."""
        return self.filter(models.Q(owner=user) | models.Q(shared=True)).select_related("owner")


class SavedView(models.Model):
    """A named client-list query (filters and ordering) that a staff member can open in one click."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_views")
    name = models.CharField(max_length=80)
    # The list's query string without `page`, in the API's own names: "cdn=active&ordering=-companyName".
    query = models.CharField(max_length=2000, blank=True)
    shared = models.BooleanField(default=False, help_text="Shown to every staff member in the client list.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SavedViewQuerySet.as_manager()

    class Meta:
        ordering = [Lower("name"), "id"]
        constraints = [
            models.UniqueConstraint(Lower("name"), "owner", name="saved_view_unique_name_per_owner"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        """The client list showing this view."""
        return f"{reverse('client-list')}?{self.query}" if self.query else reverse("client-list")


class BillingLink(models.Model):
    """Which SPP client is a Gcore client's: at most one each way (both systems are the truth for
    their own records; the link is the dashboard's own knowledge, so it lives here)."""

    class Method(models.TextChoices):
        EMAIL = "email", "Matched by email"
        ID = "id", "Linked by SPP client ID"
        PICKED = "picked", "Picked among the email matches"

    gcore_client_id = models.BigIntegerField(unique=True)
    spp_client_id = models.BigIntegerField(unique=True)
    method = models.CharField(max_length=16, choices=Method.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = "billing link"

    def __str__(self) -> str:
        return f"Gcore {self.gcore_client_id} = SPP {self.spp_client_id} ({self.get_method_display()})"


class DriftRun(models.Model):
    """One build of the drift list: when, by whom, how far it got, and how it ended."""

    class State(models.TextChoices):
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    started_at = models.DateTimeField(auto_now_add=True)
    # Touched with each step of progress: a run that stopped moving long ago died with its process.
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    state = models.CharField(max_length=8, choices=State.choices, default=State.RUNNING)
    # Progress, as the build goes: pages read of each system, clients compared, drift found.
    spp_pages = models.PositiveIntegerField(default=0)
    spp_pages_total = models.PositiveIntegerField(null=True, blank=True)
    gcore_pages = models.PositiveIntegerField(default=0)
    gcore_pages_total = models.PositiveIntegerField(null=True, blank=True)
    compared = models.PositiveIntegerField(default=0)
    drifted = models.PositiveIntegerField(default=0)
    linked = models.PositiveIntegerField(default=0)
    message = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"Drift run {self.pk} ({self.state})"


class DriftEntry(models.Model):
    """A linked client whose shared fields differ between Gcore and SPP, as one run found it."""

    run = models.ForeignKey(DriftRun, on_delete=models.CASCADE, related_name="entries")
    gcore_client_id = models.BigIntegerField()
    spp_client_id = models.BigIntegerField()
    company_name = models.CharField(max_length=255, blank=True)
    # [{"field": "phone", "label": "Phone", "gcore": "...", "spp": "..."}]
    differences = models.JSONField(default=list)

    class Meta:
        ordering = ["company_name", "gcore_client_id"]
        indexes = [models.Index(fields=["run", "company_name"])]
        verbose_name_plural = "drift entries"

    def __str__(self) -> str:
        return f"{self.company_name or self.gcore_client_id}: {len(self.differences)} difference(s)"


class BulkChange(models.Model):
    """One service-status change across many clients: its preview, its run and its result."""

    class State(models.TextChoices):
        DRAFT = "draft", "Previewed, not started"
        RUNNING = "running", "Running"
        STOPPING = "stopping", "Stopping"
        STOPPED = "stopped", "Stopped"
        DONE = "done", "Finished"
        INTERRUPTED = "interrupted", "Interrupted"

    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by_username = models.CharField(max_length=150)
    # Who started it (the creator, or an administrator): the clients' audit entries are theirs.
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The workers' heartbeat while it runs: a change no worker has touched for BULK_STALE_SECONDS
    # has lost its workers, and the scheduled sweep hands it to new ones.
    updated_at = models.DateTimeField(auto_now=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    state = models.CharField(max_length=12, choices=State.choices, default=State.DRAFT)
    service = models.CharField(max_length=32)  # Gcore's product name: CDN, STORAGE, ...
    status = models.CharField(max_length=32)  # the status every selected client's service is set to
    reason = models.TextField(blank=True)
    # What was selected: the client list's query string ("all matching"), or the ticked ids.
    query = models.CharField(max_length=2000, blank=True)
    selection = models.CharField(max_length=8, default="ids")  # "ids" or "query"

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Bulk change {self.pk}: {self.service} to {self.status} ({self.state})"


class BulkItem(models.Model):
    """One client of a bulk change, and what happened to it."""

    class State(models.TextChoices):
        PENDING = "pending", "Waiting"
        EXCLUDED = "excluded", "Excluded"
        SENDING = "sending", "Sending"
        CHANGED = "changed", "Changed"
        UNCHANGED = "unchanged", "Already so"
        FAILED = "failed", "Failed"
        UNKNOWN = "unknown", "May or may not have changed"
        SKIPPED = "skipped", "Not sent (stopped)"

    bulk = models.ForeignKey(BulkChange, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveIntegerField()
    client_id = models.BigIntegerField()
    company_name = models.CharField(max_length=255, blank=True)
    state = models.CharField(max_length=12, choices=State.choices, default=State.PENDING)
    # The service's status in the preview, then as Gcore had it just before the change.
    old_status = models.CharField(max_length=32, blank=True)
    message = models.TextField(blank=True)  # why excluded, or Gcore's message on failure
    upstream_status = models.PositiveSmallIntegerField(null=True, blank=True)
    upstream_request_id = models.CharField(max_length=100, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    # The run that claimed it (a worker's task, or a person's Retry): while the client is "sending",
    # that run touches updated_at; a claim nobody touches any more belongs to a dead worker.
    runner = models.CharField(max_length=40, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["bulk", "position"]
        constraints = [models.UniqueConstraint("bulk", "client_id", name="bulk_item_unique_client")]

    def __str__(self) -> str:
        return f"{self.company_name or self.client_id}: {self.get_state_display()}"


class Finding(models.Model):
    """Something about a client that needs a person (issue 22): one row per (rule, client, subject),
    kept through its states so a finding that comes back reopens with its history."""

    class Rule(models.TextChoices):
        DELETION_DUE = "deletion_due", "Service will be deleted soon"
        LONG_TRIAL = "long_trial", "Trial has run long"
        NO_ADMIN = "no_admin", "No active administrator"
        UNACTIVATED_USER = "unactivated_user", "Invited user never activated"
        TOKEN_EXPIRING = "token_expiring", "API token expires soon"
        BILLING_DRIFT = "billing_drift", "Billing drift"
        BULK_FAILED = "bulk_failed", "Bulk change failed or in doubt"

    class State(models.TextChoices):
        OPEN = "open", "Open"
        SNOOZED = "snoozed", "Snoozed"
        RESOLVED = "resolved", "Resolved"

    rule = models.CharField(max_length=20, choices=Rule.choices)
    client_id = models.BigIntegerField(db_index=True)
    # What in the client: "service:123", "user:45", "token:6", "bulk-item:7"; "" for the client itself.
    subject = models.CharField(max_length=64, blank=True)
    company_name = models.CharField(max_length=255, blank=True)
    # What the scan saw, for the plain-words line: {"service": "CDN", "status": "paused", ...}.
    details = models.JSONField(default=dict, blank=True)
    # The date that makes it urgent (a deletion, an expiry): the queue is sorted by it, soonest first.
    due_at = models.DateTimeField(null=True, blank=True)
    first_seen_at = models.DateTimeField()  # since when it has been found (this time round)
    last_seen_at = models.DateTimeField()
    state = models.CharField(max_length=8, choices=State.choices, default=State.OPEN, db_index=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="findings"
    )
    snoozed_until = models.DateField(null=True, blank=True)
    note = models.TextField(blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # True when the scan no longer saw it ("gone at Gcore"), rather than a person resolving it.
    resolved_by_scan = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint("rule", "client_id", "subject", name="finding_unique_subject"),
        ]
        indexes = [models.Index(fields=["state", "rule"]), models.Index(fields=["assignee", "state"])]

    def __str__(self) -> str:
        return f"{self.get_rule_display()}: client {self.client_id} {self.subject}".strip()


class AttentionScan(models.Model):
    """Where each rule's scan stands: its cursor through the client base, and how fresh it is."""

    rule = models.CharField(max_length=20, choices=Finding.Rule.choices, unique=True)
    # The offset in the client list the next slice starts at (rules read one client at a time).
    cursor = models.PositiveIntegerField(default=0)
    clients = models.PositiveIntegerField(null=True, blank=True)  # live clients, as the list last said
    pass_started_at = models.DateTimeField(null=True, blank=True)
    last_complete_at = models.DateTimeField(null=True, blank=True)  # the end of the last full pass
    last_run_at = models.DateTimeField(null=True, blank=True)
    message = models.TextField(blank=True)  # why the last run stopped early, if it did

    def __str__(self) -> str:
        return f"Scan of {self.get_rule_display()}"


class RequestBudget(models.Model):
    """Upstream requests spent by the scans in one minute, shared by every worker and server: taken
    with one conditional UPDATE, so two workers never both take the last one."""

    minute = models.DateTimeField(unique=True)
    used = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.minute:%Y-%m-%d %H:%M}: {self.used}"


class Schedule(models.Model):
    """One kind of recurring work (dashboard/tasks.py declares them): when it runs next, the
    occurrence queued or running now (at most one: claimed on this row), and how the last one went."""

    class Outcome(models.TextChoices):
        OK = "ok", "Succeeded"
        FAILED = "failed", "Failed"
        LOST = "lost", "Worker stopped"

    kind = models.CharField(max_length=40, unique=True)
    next_run = models.DateTimeField()
    # The occurrence queued or running now ("" when none): a token the task gets as its argument.
    occurrence = models.CharField(max_length=40, blank=True)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    # Touched by the running occurrence: one that stops touching it died with its worker.
    beat_at = models.DateTimeField(null=True, blank=True)
    # A person's Run now: the occurrence is theirs (its audit entries name them).
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_started_at = models.DateTimeField(null=True, blank=True)
    last_finished_at = models.DateTimeField(null=True, blank=True)
    last_outcome = models.CharField(max_length=8, choices=Outcome.choices, blank=True)
    last_message = models.TextField(blank=True)

    class Meta:
        ordering = ["kind"]

    def __str__(self) -> str:
        return f"{self.kind}: next {self.next_run:%Y-%m-%d %H:%M}"

    @property
    def last_duration(self) -> float | None:
        """Seconds the last occurrence took."""
        if self.last_started_at and self.last_finished_at and self.last_finished_at >= self.last_started_at:
            return (self.last_finished_at - self.last_started_at).total_seconds()
        return None


class GcoreRequest(models.Model):
    """One request of Gcore's activity log (AccountRequestsItem), as indexed: every field the spec
    gives, under Gcore's id, its body and query with every secret masked before it was stored."""

    id = models.BigIntegerField(primary_key=True)  # Gcore's
    actions = models.CharField(max_length=64, blank=True)
    data = models.TextField(blank=True)  # the body as sent, masked (services/activity_index.mask_body)
    user_email = models.CharField(max_length=254, blank=True)
    client = models.BigIntegerField(null=True, blank=True)  # the account the request was made in
    token = models.BigIntegerField(null=True, blank=True)  # the API token's id; None in the portal
    requested_at = models.DateTimeField(db_index=True)
    path = models.CharField(max_length=2000)
    remote_ip_address = models.CharField(max_length=64, blank=True)
    host = models.CharField(max_length=255, blank=True)
    method = models.CharField(max_length=16)
    query_params = models.TextField(blank=True)  # masked like the body
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    reverted = models.BooleanField(default=False)
    user = models.BigIntegerField(null=True, blank=True)
    # Made with the dashboard's own API token; the rest were made outside the dashboard.
    by_dashboard = models.BooleanField(default=False)
    indexed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        indexes = [models.Index(fields=["-requested_at", "-id"], name="gcore_request_newest")]

    def __str__(self) -> str:
        return f"{self.requested_at:%Y-%m-%d %H:%M} {self.method} {self.path} {self.status_code}"


class GcoreRequestClient(models.Model):
    """A client a request of Gcore's log concerns: its account, or a client its path, query or body
    names. The request's time and origin are repeated here so a timeline reads one index."""

    request = models.ForeignKey(GcoreRequest, on_delete=models.CASCADE, related_name="clients")
    client_id = models.BigIntegerField()
    requested_at = models.DateTimeField()
    by_dashboard = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint("request", "client_id", name="gcore_request_client_unique"),
        ]
        indexes = [models.Index(fields=["client_id", "-requested_at"], name="gcore_request_client_time")]

    def __str__(self) -> str:
        return f"request {self.request_id} concerns client {self.client_id}"


class GcoreStatusChange(models.Model):
    """One account status change of Gcore's log (AccountStatusChangesItem), as indexed."""

    id = models.BigIntegerField(primary_key=True)  # Gcore's
    status_change_at = models.DateTimeField()
    old_status = models.CharField(max_length=32, blank=True)
    new_status = models.CharField(max_length=32, blank=True)
    federation_id = models.CharField(max_length=64, blank=True)
    client = models.BigIntegerField(null=True, blank=True)
    indexed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-status_change_at", "-id"]
        indexes = [models.Index(fields=["client", "-status_change_at"], name="gcore_status_client_time")]

    def __str__(self) -> str:
        moment = f"{self.status_change_at:%Y-%m-%d %H:%M}"
        return f"{moment} client {self.client}: {self.old_status} -> {self.new_status}"


class ActivityIndexState(models.Model):
    """Where the indexing of one of Gcore's two logs stands: what a timeline's "as of" says."""

    class Log(models.TextChoices):
        REQUESTS = "requests", "Requests"
        STATUS_CHANGES = "status_changes", "Account status changes"

    log = models.CharField(max_length=16, choices=Log.choices, unique=True)
    # Everything from the log's start (or the first run's horizon) up to this moment is stored: a
    # pass reads newest first until it reaches an entry it has at or before it.
    complete_through = models.DateTimeField(null=True, blank=True)
    last_run_at = models.DateTimeField(null=True, blank=True)
    # The last pass that reached what was stored (or the log's end): the "as of" of the timelines.
    last_complete_at = models.DateTimeField(null=True, blank=True)
    last_message = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"{self.get_log_display()}: indexed as of {self.last_complete_at}"
