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
FEATURES_BY_ID: dict[int, Feature] = {feature.feature_id: feature for feature in FEATURES}

# The reseller's default product availability (GET /iam/products/availability/defaults), over the
# ServiceName products only, since ProductAvailability names a ServiceName (iam_reseller_api.yaml).
# The sandbox's choice: the four core products on, the two that usually need a contract off.
DEFAULT_AVAILABILITY: dict[str, bool] = {
    "CDN": True,
    "STORAGE": True,
    "STREAMING": False,
    "DNS": True,
    "DDOS": False,
    "CLOUD": True,
}
# Gcore: a product cannot be made unavailable while a service of it is in one of these statuses
# (ProductAvailabilityEditingForbiddenSchema, iam_reseller_api.yaml; docs/gcore-api-notes.md §10).
LOCKING_SERVICE_STATUSES: tuple[str, ...] = ("trial", "activating", "active")

# The sandbox's own name for the reseller it plays, shown as a seller's `reseller_name`.
RESELLER_NAME = "Edge Reseller Ltd"


@dataclass(frozen=True)
class Seller:
    """One of the sandbox's sellers (GET /iam/admin/sellers); `SELLER_IDS` lists the same ids."""

    seller_id: int
    email: str
    full_name: str
    phone: str | None
    joined_days_ago: int  # date_joined is this many days before the sandbox's `now`
    activated: bool


# Gcore: Seller.phone must match `^[a-z0-9+\-()#, *]*$` (iam_reseller_api.yaml).
SELLERS: tuple[Seller, ...] = (
    Seller(51, "greta.lindqvist@edge-reseller.example", "Greta Lindqvist", "+46 8 5551 2031", 1390, True),
    Seller(52, "tomas.garcia@edge-reseller.example", "Tomás García", "+34 91 555 0142", 1212, True),
    Seller(53, "mei.chen@edge-reseller.example", "Mei Chen", None, 980, True),
    Seller(54, "liam.oconnor@edge-reseller.example", "Liam O'Connor", "+44 20 5550 1198", 731, True),
    Seller(55, "elif.yilmaz@edge-reseller.example", "Elif Yılmaz", "+90 212 555 0177", 402, True),  # noqa: RUF001
    Seller(56, "viktor.novak@edge-reseller.example", "Viktor Novák", "+420 2 5550 1234", 12, False),
)


@dataclass(frozen=True)
class OptionTemplate:
    """A ServiceOption the seeded services may carry; `values` are the sandbox's plausible choices."""

    name: str
    value_type: str  # Gcore: ServiceOption.value_type enum (iam_reseller_api.yaml)
    category: str
    title: str
    description: str
    values: tuple[str, ...]


# The sandbox's own plausible service options: Gcore publishes the ServiceOption shape, not a list.
SERVICE_OPTIONS: dict[str, tuple[OptionTemplate, ...]] = {
    "CDN": (
        OptionTemplate(
            "max_resources",
            "int",
            "limits",
            "Maximum CDN resources",
            "The largest number of CDN resources the client can create.",
            ("50", "100", "200"),
        ),
        OptionTemplate(
            "origin_shielding",
            "bool",
            "features",
            "Origin shielding",
            "Whether CDN resources may use an origin shield.",
            ("true", "false"),
        ),
    ),
    "STORAGE": (
        OptionTemplate(
            "max_storages",
            "int",
            "limits",
            "Maximum storages",
            "The largest number of storages the client can create.",
            ("5", "10", "25"),
        ),
    ),
    "STREAMING": (
        OptionTemplate(
            "max_live_streams",
            "int",
            "limits",
            "Maximum live streams",
            "The largest number of simultaneous live streams.",
            ("2", "5", "10"),
        ),
    ),
    "DNS": (
        OptionTemplate(
            "max_zones",
            "int",
            "limits",
            "Maximum DNS zones",
            "The largest number of DNS zones the client can create.",
            ("10", "50", "100"),
        ),
    ),
    "DDOS": (),
    "CLOUD": (
        OptionTemplate(
            "regions",
            "json",
            "limits",
            "Allowed regions",
            "The cloud regions the client can create resources in.",
            ('["Luxembourg", "Frankfurt"]', '["Amsterdam"]', '["Luxembourg", "Singapore", "Ashburn"]'),
        ),
    ),
}
# A trial's length as a status transition option (UpdateServiceRequest.status_transition_options):
# the sandbox's choice for seeded services in trial.
TRIAL_LENGTH_OPTION = OptionTemplate(
    "trial_days",
    "int",
    "trial",
    "Trial length (days)",
    "How many days the trial lasts before the service turns to trialend.",
    ("14", "30"),
)

# The account the sandbox's API key belongs to: the reseller's own (GET /iam/clients/me answers it,
# and its id is the `resellerId` of the notification settings and `reseller` of the branding
# settings). The sandbox's choice: the first of RESELLER_IDS, with one administrator.
RESELLER_ACCOUNT_ID = RESELLER_IDS[0]
RESELLER_ADMIN_ID = 600_001
RESELLER_ADMIN_EMAIL = "admin@edge-reseller.example"
RESELLER_ADMIN_NAME = "Hanna Berg"
# The id the activity log gives the sandbox's own API key when the key does not start with one
# (Gcore's permanent tokens read `<id>$<secret>` or `<id>_<secret>`).
RESELLER_TOKEN_ID = 9_001
# The reseller's control-panel domain (BrandingSettings.domain; a client's `entryBaseDomain`).
RESELLER_DOMAIN = "cp.edge-reseller.example"
