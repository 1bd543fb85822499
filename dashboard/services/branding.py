"""The reseller's branding at Gcore (GET/PUT /iam/reselling/settings): what its clients' control
panel shows and the mail server Gcore sends their e-mails through; and its logo and favicon
(POST /iam/reselling/settings/upload). Every write through the save pipeline, audited.

The mail server's password is write-only here: it is never a form value, never shown, never in
the audit log (which says only that a new one was set), and the one Gcore holds is kept unless a
new one is typed (docs/gcore-api-notes.md §12: a PUT replaces the whole settings, so the client
sends back the password it read).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User
from django.views.decorators.debug import sensitive_variables
from pydantic import SecretStr

from dashboard.gcore import get_gcore_client
from dashboard.gcore.models import BrandingColors, BrandingSettings, MailServer
from dashboard.models import AuditEntry
from dashboard.services.audit import Action, FieldChange, Outcome
from dashboard.services.saves import Act, Save, SaveResult, Step, run_act, run_save

PASSWORD_FIELD = "mail_password"  # noqa: S105 - the form field's name, not a password
# The form's fields -> (where in BrandingSettings, Gcore's name for the audit, label), grouped as
# the portal groups them.
PUBLIC_FIELDS: dict[str, tuple[str, str]] = {
    "brand_name": ("publicSettings.brandName", "Brand name"),
    "from_email": ("publicSettings.fromEmail", "Sender address"),
    "website_link": ("publicSettings.websiteLink", "Website"),
    "support_email": ("publicSettings.supportEmail", "Support e-mail"),
    "support_phone": ("publicSettings.supportPhone", "Support phone"),
    "agreement_link": ("publicSettings.agreementLink", "Agreement link"),
}
COLOR_FIELDS: dict[str, tuple[str, str]] = {
    "color_header": ("publicSettings.colors.header", "Header colour"),
    "color_primary": ("publicSettings.colors.primary", "Primary colour"),
}
PORTAL_FIELDS: dict[str, tuple[str, str]] = {
    "show_api_doc": ("publicSettings.showApiDoc", "API documentation"),
    "show_knowledge_base": ("publicSettings.showKnowledgeBase", "Knowledge base"),
    "show_status_page": ("publicSettings.showStatusPage", "Status page"),
    "show_tickets": ("publicSettings.showTickets", "Support tickets"),
}
MAIL_FIELDS: dict[str, tuple[str, str]] = {
    "mail_host": ("privateSettings.mailServer.host", "Mail server"),
    "mail_port": ("privateSettings.mailServer.port", "Port"),
    "mail_tls": ("privateSettings.mailServer.tls", "TLS"),
    "mail_login": ("privateSettings.mailServer.login", "Login"),
    PASSWORD_FIELD: ("privateSettings.mailServer.password", "Password"),
}
FIELDS = {**PUBLIC_FIELDS, **COLOR_FIELDS, **PORTAL_FIELDS, **MAIL_FIELDS}
LABELS = {name: label for name, (_, label) in FIELDS.items()}


def branding_get() -> BrandingSettings:
    """The settings as Gcore has them now (not cached: only administrators read them, rarely)."""
    return get_gcore_client().get_branding()


def branding_values(settings: BrandingSettings) -> dict[str, Any]:
    """The editable values under the form's names; never the password."""
    public, colors = settings.public, settings.public.colors or BrandingColors()
    mail = settings.private.mail_server or MailServer()
    return {
        "brand_name": public.brand_name,
        "from_email": public.from_email,
        "website_link": public.website_link,
        "support_email": public.support_email,
        "support_phone": public.support_phone,
        "agreement_link": public.agreement_link,
        "color_header": colors.header,
        "color_primary": colors.primary,
        "show_api_doc": public.show_api_doc,
        "show_knowledge_base": public.show_knowledge_base,
        "show_status_page": public.show_status_page,
        "show_tickets": public.show_tickets,
        "mail_host": mail.host,
        "mail_port": mail.port,
        "mail_tls": mail.tls,
        "mail_login": mail.login,
    }


def has_mail_password(settings: BrandingSettings) -> bool:
    mail = settings.private.mail_server
    return mail is not None and mail.password is not None and bool(mail.password.get_secret_value())


@sensitive_variables()
def with_changes(settings: BrandingSettings, changes: Mapping[str, Any]) -> BrandingSettings:
    """The whole settings to PUT: what Gcore holds now with the person's changes (a PUT replaces it
    all, so nothing the form does not hold may be lost, the mail password included)."""
    pick = dict(changes)
    public_update: dict[str, Any] = {
        name: pick[name] for name in (*PUBLIC_FIELDS, *PORTAL_FIELDS) if name in pick
    }
    colour_update = {key: pick[f"color_{key}"] for key in ("header", "primary") if f"color_{key}" in pick}
    if colour_update:
        public_update["colors"] = (settings.public.colors or BrandingColors()).model_copy(
            update=colour_update
        )
    public = settings.public.model_copy(update=public_update)
    mail_update: dict[str, Any] = {
        name.removeprefix("mail_"): pick[name]
        for name in MAIL_FIELDS
        if name in pick and name != PASSWORD_FIELD
    }
    if pick.get(PASSWORD_FIELD):
        mail_update["password"] = SecretStr(pick[PASSWORD_FIELD])
    mail = (settings.private.mail_server or MailServer()).model_copy(update=mail_update)
    private = settings.private.model_copy(update={"mail_server": mail})
    return settings.model_copy(update={"public": public, "private": private})


def _audit_value(name: str, value: Any) -> Any:
    if name == PASSWORD_FIELD:  # never the password itself, old or new
        return "(a new one)" if value else None
    return value


@sensitive_variables()
def branding_update(
    *,
    original: Mapping[str, Any],
    desired: Mapping[str, Any],
    actor: User,
    overwrite: bool = False,
    ip_address: str | None = None,
) -> SaveResult:
    """One PUT of the whole settings with the person's changes applied to what Gcore holds now.

    `desired` holds `mail_password` only when a new one was typed: it is never compared with
    anything (the form never had the old one), so it is always sent then, and only then.
    """
    gcore = get_gcore_client()
    latest: dict[str, BrandingSettings] = {}

    def read() -> BrandingSettings:
        latest["settings"] = gcore.get_branding()
        return latest["settings"]

    def send(changes: dict[str, Any], current: Mapping[str, Any]) -> BrandingSettings:
        return gcore.replace_branding(settings=with_changes(latest["settings"], changes))

    save = Save(
        action=Action.BRANDING_UPDATE,
        labels=LABELS,
        read=read,
        values=branding_values,
        steps=[Step(tuple(FIELDS), send)],
        invalidate=lambda: None,  # nothing of the branding is cached
        audit_name=lambda name: FIELDS[name][0],
        audit_value=_audit_value,
    )
    return run_save(
        save, original=original, desired=desired, actor=actor, overwrite=overwrite, ip_address=ip_address
    )


# -- the logo and favicon ----------------------------------------------------------------------------

ASSETS = {"logo": "Logo", "favicon": "Favicon"}
# What the dashboard sends: images a browser shows and an image library opens (no SVG: it can
# carry scripts); the first bytes say which, whatever the file's name or the browser claims.
IMAGE_SIGNATURES: tuple[tuple[bytes, int, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", 0, "image/png"),
    (b"\xff\xd8\xff", 0, "image/jpeg"),
    (b"GIF87a", 0, "image/gif"),
    (b"GIF89a", 0, "image/gif"),
    (b"WEBP", 8, "image/webp"),
    (b"\x00\x00\x01\x00", 0, "image/x-icon"),
    (b"BM", 0, "image/bmp"),
)
IMAGE_TYPES = "PNG, JPEG, GIF, WebP, ICO or BMP"
MAX_ASSET_BYTES = 1024 * 1024  # 1 MB: the dashboard's limit (Gcore publishes none)


def image_type(content: bytes) -> str | None:
    """The image's content type read from its first bytes, or None if it is none of IMAGE_TYPES."""
    for signature, offset, kind in IMAGE_SIGNATURES:
        if content[offset : offset + len(signature)] == signature:
            return kind
    return None


@dataclass(frozen=True)
class Asset:
    """A checked file to upload: its field (`logo`/`favicon`), name, content type and bytes."""

    field: str
    filename: str
    content_type: str
    content: bytes = b""

    @property
    def kilobytes(self) -> int:
        return max(1, round(len(self.content) / 1024))


def branding_upload(*, assets: list[Asset], actor: User, ip_address: str | None = None) -> BrandingSettings:
    """POST /iam/reselling/settings/upload with the logo, the favicon or both; audited with each file's
    name, type and size (never its bytes)."""
    files = {asset.field: (asset.filename, asset.content, asset.content_type) for asset in assets}
    described = {
        asset.field: {"filename": asset.filename, "content_type": asset.content_type, "kb": asset.kilobytes}
        for asset in assets
    }
    act = Act(
        action=Action.BRANDING_UPLOAD,
        send=lambda: get_gcore_client().upload_branding_assets(
            logo=files.get("logo"), favicon=files.get("favicon")
        ),
        invalidate=lambda: None,
        done="Gcore accepted " + " and ".join(f"the {n} {d['filename']}" for n, d in described.items()) + ".",
        changes=[FieldChange(name, None, d["filename"]) for name, d in described.items()],
        details={"assets": described},
    )
    return run_act(act, actor=actor, ip_address=ip_address)


@dataclass(frozen=True)
class Accepted:
    """The last logo or favicon Gcore accepted through the dashboard: what it was, when, by whom."""

    field: str
    filename: str
    content_type: str
    kb: int
    entry: AuditEntry


def branding_last_uploads() -> dict[str, Accepted]:
    """Per asset, the last upload Gcore accepted through the dashboard (the audit log's record).

    Gcore: BrandingSettings has no address of the images (docs/gcore-api-notes.md §12), so this is
    all the dashboard can say of what is live; an upload made in Gcore's portal is not known here.
    """
    found: dict[str, Accepted] = {}
    entries = AuditEntry.objects.filter(action=Action.BRANDING_UPLOAD, outcome=Outcome.SAVED)
    for entry in entries.select_related("actor")[:20]:
        assets = entry.details.get("assets") if isinstance(entry.details, dict) else None
        for name, described in (assets or {}).items():
            if name in ASSETS and name not in found and isinstance(described, dict):
                found[name] = Accepted(
                    name,
                    str(described.get("filename", "")),
                    str(described.get("content_type", "")),
                    int(described.get("kb", 0)),
                    entry,
                )
    return found
