"""Enumerations and fixed catalogues of the Gcore IAM reseller API, as Gcore documents them.

See docs/gcore-api-notes.md §4.
"""

from __future__ import annotations

from dataclasses import dataclass

# Gcore: ClientStatus enum (docs/gcore-api-notes.md §4).
CLIENT_STATUSES: tuple[str, ...] = (
    "new",
    "trial",
    "trialend",
    "active",
    "integration",
    "paused",
    "preparation",
    "ready",
)
# Gcore: ServiceStatus enum (docs/gcore-api-notes.md §4).
SERVICE_STATUSES: tuple[str, ...] = ("new", "trial", "trialend", "active", "paused", "activating", "deleted")
# Gcore: ServiceName enum; these are the only documented keys of serviceStatuses / paidFeatures /
# freeFeatures (docs/gcore-api-notes.md §4).
SERVICES: tuple[str, ...] = ("CDN", "STORAGE", "STREAMING", "DNS", "DDOS", "CLOUD")
# Gcore: the list filters infrastructure_protection and connect name services that have no
# serviceStatuses key (docs/gcore-api-notes.md §4), so their status is kept per client but never emitted.
HIDDEN_SERVICES: tuple[str, ...] = ("infrastructure_protection", "connect")
# Gcore: ClientType enum and the client_type filter's choices (docs/gcore-api-notes.md §3, §4).
CLIENT_TYPES: tuple[str, ...] = ("common", "reseller", "sales")
# Gcore: Language-2 enum (docs/gcore-api-notes.md §4).
LANGUAGES: tuple[str, ...] = ("de", "en", "ru", "zh", "az")
# Gcore: AuthType enum (docs/gcore-api-notes.md §4).
AUTH_TYPES: tuple[str, ...] = ("password", "sso", "github", "google-oauth2")
# Gcore: SignupProcess enum, nullable (docs/gcore-api-notes.md §4).
SIGNUP_PROCESSES: tuple[str | None, ...] = ("sign_up_full", "sign_up_simple", None)
# Gcore: the five IAM groups and their ids (docs/gcore-api-notes.md §4).
GROUPS: dict[int, str] = {
    1: "Administrators",
    2: "Users",
    5: "Engineers",
    3009: "Purge and Prefetch only (API+Web)",
    3022: "Purge and Prefetch only (API)",
}
ADMIN_GROUP_ID = 1

# The sandbox's own reseller and seller accounts: PATCH `reseller` / `seller` must name one of them.
RESELLER_IDS: tuple[int, ...] = (1001, 1002)
SELLER_IDS: tuple[int, ...] = (51, 52, 53, 54, 55, 56)

# Products a reseller can make personally available to a client (`personal_product_availability`).
PRODUCTS: tuple[str, ...] = ("CDN", "STORAGE", "STREAMING", "DNS", "DDOS", "CLOUD", "WAAP", "FASTEDGE")


@dataclass(frozen=True)
class Feature:
    """An entry of the reseller's feature catalogue (GET /iam/admin/feature)."""

    feature_id: int
    service: str
    name: str
    is_free: bool


FEATURES: tuple[Feature, ...] = (
    Feature(101, "CDN", "Image Stack", False),
    Feature(102, "CDN", "Origin Shielding", False),
    Feature(103, "CDN", "Raw Logs", False),
    Feature(104, "CDN", "Basic Analytics", True),
    Feature(105, "CDN", "Let's Encrypt certificates", True),
    Feature(201, "STREAMING", "4K Transcoding", False),
    Feature(202, "STREAMING", "Player", True),
    Feature(301, "DNS", "DNSSEC", True),
    Feature(302, "DNS", "Failover & Health Checks", False),
    Feature(401, "CLOUD", "Dedicated Support", False),
    Feature(402, "CLOUD", "Free Egress 1 TB", True),
    Feature(501, "DDOS", "Advanced L7 Protection", False),
    Feature(601, "STORAGE", "S3 Versioning", True),
    Feature(602, "STORAGE", "Geo Replication", False),
)
