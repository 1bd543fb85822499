"""Typed Gcore payloads (pydantic v2): Gcore's names on the wire, Pythonic names inside.

Gcore mixes camelCase (`companyName`, `serviceStatuses`) with snake_case (`custom_id`); aliases keep
the wire names here and nowhere else. Enum-like fields are plain `str` compared with the StrEnums
below, because Gcore adds values and an unknown status must never break a page.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Generic, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, SecretStr


class GcoreModel(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, validate_by_name=True, serialize_by_alias=True)


class ClientStatus(StrEnum):
    NEW = "new"
    TRIAL = "trial"
    TRIALEND = "trialend"
    ACTIVE = "active"
    INTEGRATION = "integration"
    PAUSED = "paused"
    PREPARATION = "preparation"
    READY = "ready"


class ServiceStatus(StrEnum):
    NEW = "new"
    TRIAL = "trial"
    TRIALEND = "trialend"
    ACTIVE = "active"
    PAUSED = "paused"
    ACTIVATING = "activating"
    DELETED = "deleted"


class ServiceName(StrEnum):
    CDN = "CDN"
    CLOUD = "CLOUD"
    DDOS = "DDOS"
    DNS = "DNS"
    STORAGE = "STORAGE"
    STREAMING = "STREAMING"


SERVICE_NAMES: tuple[str, ...] = tuple(name.value for name in ServiceName)


class ClientType(StrEnum):
    COMMON = "common"
    RESELLER = "reseller"
    SALES = "sales"


class Language(StrEnum):
    DE = "de"
    EN = "en"
    RU = "ru"
    ZH = "zh"
    AZ = "az"


class AuthType(StrEnum):
    PASSWORD = "password"  # noqa: S105 - the name of a sign-in method, not a password
    SSO = "sso"
    GITHUB = "github"
    GOOGLE_OAUTH2 = "google-oauth2"


class Group(GcoreModel):
    id: int
    name: str = ""


# Gcore: IAM has exactly these five groups (docs/gcore-api-notes.md §4).
GROUPS: tuple[Group, ...] = (
    Group(id=1, name="Administrators"),
    Group(id=2, name="Users"),
    Group(id=5, name="Engineers"),
    Group(id=3009, name="Purge and Prefetch only (API+Web)"),
    Group(id=3022, name="Purge and Prefetch only (API)"),
)
GROUPS_BY_ID: dict[int, Group] = {group.id: group for group in GROUPS}


class ServiceState(GcoreModel):
    status: str | None = None
    enabled: bool = False


class Feature(GcoreModel):
    feature_id: int | None = None
    service: str | None = None
    name: str = ""
    create_date: str | None = None
    paid_feature_id: int | None = None
    free_feature_id: int | None = None


class ClientUser(GcoreModel):
    """A user as listed in a client's `users[]` (iam_reseller_BaseUser)."""

    id: int
    email: str = ""
    name: str | None = None
    lang: str | None = None
    phone: str | None = None
    company: str | None = None
    reseller: int | None = None
    client: int | float | None = None
    deleted: bool = False
    groups: list[Group] = []
    activated: bool = False
    sso_auth: bool = False
    two_fa: bool = False
    auth_types: list[str] = []

    @property
    def role(self) -> Group | None:
        """The user's group in this client (Gcore sends a list that holds one)."""
        return self.groups[0] if self.groups else None


class ClientRole(GcoreModel):
    client_id: int | None = None
    client_company_name: str | None = None
    user_roles: list[str] = []
    user_id: int | None = None


class User(ClientUser):
    """A user as PATCH/GET /iam/users/{id} returns it."""

    user_type: str | None = None
    is_active: bool | None = None
    client_and_roles: list[ClientRole] = []


class ClientContact(GcoreModel):
    """The contact fields of a client, all that comparing it with its SPP record needs."""

    id: int
    email: str
    name: str | None = None
    phone: str | None = None
    company_name: str = Field(alias="companyName")


class ClientSummary(GcoreModel):
    """The fields a client list row shows: reading only these keeps a page of 50 cheap to parse and cache."""

    id: int
    email: str
    name: str | None = None
    status: str
    company_name: str = Field(alias="companyName")
    service_statuses: dict[str, ServiceState] = Field(default_factory=dict, alias="serviceStatuses")
    deleted: bool = False
    is_test: bool = False
    # Gcore: not in the published schema, but read when an implementation sends it
    # (docs/gcore-api-notes.md §4).
    created_at: datetime | None = None

    def services(self) -> list[tuple[str, ServiceState]]:
        """Service states in Gcore's documented order, then any service Gcore added since."""
        known = [
            (name, self.service_statuses[name]) for name in SERVICE_NAMES if name in self.service_statuses
        ]
        extra = sorted(
            (key, state) for key, state in self.service_statuses.items() if key not in SERVICE_NAMES
        )
        return known + extra


class Client(ClientSummary):
    """Every field of a client (docs/gcore-api-notes.md §4), users included."""

    phone: str | None = None
    website: str | None = None
    current_user: int | None = Field(default=None, alias="currentUser")
    capabilities: list[str] = []
    paid_features: dict[str, list[Feature]] = Field(default_factory=dict, alias="paidFeatures")
    free_features: dict[str, list[Feature]] = Field(default_factory=dict, alias="freeFeatures")
    entry_base_domain: str | None = Field(default=None, alias="entryBaseDomain")
    signup_process: str | None = None
    bill_type: str | None = None
    custom_id: str | None = None
    country_code: str | None = None
    has_active_admin: bool = False
    seller: int | None = None
    # Gcore: the response says `resellers` (an int), the update body `reseller`, the filter
    # `reseller_id` (docs/gcore-api-notes.md §4).
    reseller: int | None = Field(default=None, alias="resellers")
    client_type: str | None = None
    owner: int | float | None = None
    users: list[ClientUser] = []

    def user(self, user_id: int) -> ClientUser | None:
        return next((user for user in self.users if user.id == user_id), None)


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """One page of a list: `count` is the total across all pages."""

    model_config = ConfigDict(frozen=True)

    count: int
    results: list[T]
    offset: int = 0
    limit: int = 0


class ClientUpdate(GcoreModel):
    """PATCH /iam/clients/{id} body; only the fields set are sent (`exclude_unset`)."""

    email: str | None = None
    company_name: str | None = Field(default=None, alias="companyName")
    custom_id: str | None = None
    name: str | None = None
    phone: str | None = None
    reseller: int | None = None
    seller: int | None = None
    is_test: bool | None = None


class ServiceOption(GcoreModel):
    """One option of a service (ServiceOption): the value is a string typed by `value_type`."""

    id: int | None = None
    value: str | None = None
    value_type: str | None = None
    name: str = ""
    category: str | None = None
    description: str | None = None
    title: str | None = None


class Service(GcoreModel):
    """One product of a client as GET /iam/clients/{id}/services lists it (iam_reseller_Service)."""

    id: int
    name: str
    client: int | None = None
    status: str | None = None
    previous_status: str | None = None
    status_changed_at: datetime | None = None
    start: datetime | None = None  # the trial's start
    deleted_date: datetime | None = None  # when a paused or ended trial becomes `deleted`
    enabled: bool = False
    options: list[ServiceOption] = []
    status_transition_options: list[ServiceOption] = []


class ServiceUpdate(GcoreModel):
    """PUT /iam/clients/{id}/services/{serviceId} body (UpdateServiceRequest): `status` is required."""

    status: str
    enabled: bool | None = None


class ProductAvailability(GcoreModel):
    """Whether a product is offered to a client in its control panel (not whether it is active)."""

    product_name: str
    available: bool | None = None


class CatalogFeature(GcoreModel):
    """An entry of the reseller's feature catalogue (GET /iam/admin/feature)."""

    id: int
    name: str = ""
    service: str | None = None
    is_free: bool = False


class ActivatedFeature(GcoreModel):
    """A feature switched on for a client (GET/POST /iam/admin/{free,paid}_features)."""

    id: int
    client_id: int | None = None
    feature_id: int | None = None
    feature: CatalogFeature | None = None
    created_date: datetime | None = None


class Seller(GcoreModel):
    """One of the reseller's sellers (GET /iam/admin/sellers[/{sellerId}])."""

    id: int
    email: str = ""
    full_name: str = ""
    phone: str | None = None
    reseller_name: str | None = None
    company: str | None = None
    # Gcore: typed as a plain string ("Registration date"); read as a date-time when it is one.
    date_joined: datetime | str | None = Field(default=None, union_mode="left_to_right")
    activated: bool = False  # False until the seller sets a password from the activation e-mail
    deleted: bool = False


class SellerCreate(GcoreModel):
    """POST /iam/admin/sellers body: Gcore e-mails the new seller an activation link."""

    email: str
    full_name: str
    phone: str | None = None


class SellerUpdate(GcoreModel):
    """PATCH /iam/admin/sellers/{sellerId} body; only the fields set are sent."""

    email: str | None = None
    full_name: str | None = None
    phone: str | None = None


class NewClient(GcoreModel):
    """POST /iam/users body (CreateUserRequest): a client and its first user. Unset fields are not sent."""

    email: str
    password: str = Field(repr=False)
    company: str
    user_type: str | None = None
    name: str | None = None
    phone: str | None = None
    seller: int | None = None
    services: list[ProductAvailability] | None = None
    lang: str | None = None
    custom_id: str | None = None
    country_code: str | None = None
    is_test: bool | None = None


class TokenIssuer(GcoreModel):
    """An API token's `client_user`: the user who issued it and the token's role (ClientUser)."""

    user_id: int | None = None
    user_name: str | None = None
    user_email: str | None = None
    client_id: int | None = None
    deleted: bool = False
    role: Group | None = None


class ApiToken(GcoreModel):
    """A client's permanent API token as GET /iam/v2/clients/{id}/tokens lists it (TokenResponse).

    Gcore never sends a token's secret here (only once, when it is created, which the dashboard
    never does), and nothing here could hold one.
    """

    id: int
    name: str = ""
    description: str | None = None
    exp_date: datetime | None = None
    created: datetime | None = None
    last_usage: datetime | None = None
    deleted: bool = False
    expired: bool = False
    client_user: TokenIssuer = Field(default_factory=TokenIssuer)


class Invitation(GcoreModel):
    """POST /iam/clients/invite_user's answer (InviteUserResponseSchema)."""

    status: str = ""
    user_id: int | None = None


class UserUpdate(GcoreModel):
    """PATCH /iam/users/{id} body; only the fields set are sent."""

    email: str | None = None
    name: str | None = None
    lang: str | None = None
    phone: str | None = None
    company: str | None = None
    auth_types: list[str] | None = None


# -- the reseller's own settings ---------------------------------------------------------------------


class NotificationType(StrEnum):
    DELETION_REQUEST = "deletion_request"
    FAILED_LOGIN = "failed_login"


class NotificationSetting(GcoreModel):
    """One e-mail address told of one kind of event (NotificationSettingsRead)."""

    id: int
    reseller: int | None = None
    notification_type: str  # compare with NotificationType
    email: str = ""
    enabled: bool = True


class NotificationSettingWrite(GcoreModel):
    """POST/PUT/PATCH body (NotificationSettingsWrite); only the fields set are sent. A POST and a
    PUT need `notification_type` and `email`."""

    notification_type: str | None = None
    email: str | None = None
    enabled: bool | None = None


def _flag(value: Any) -> Any:
    """Gcore: `showStatusPage` is typed as a string beside boolean `show*` flags
    (docs/gcore-api-notes.md §12): a boolean or its text both read as a boolean."""
    if isinstance(value, str):
        return value.strip().lower() in {"true", "1", "yes", "on"}
    return value


def _text(value: Any) -> Any:
    """A number where the spec types a string (the mail server's `port`) is read as its text."""
    return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value


Flag = Annotated[bool, BeforeValidator(_flag)]
Text = Annotated[str | None, BeforeValidator(_text)]


class BrandingColors(GcoreModel):
    header: str | None = None
    primary: str | None = None


class PublicBranding(GcoreModel):
    """What the reseller's clients see in their control panel (PublicBrandingSettings)."""

    brand_name: str | None = Field(default=None, alias="brandName")
    from_email: str | None = Field(default=None, alias="fromEmail")
    show_api_doc: Flag = Field(default=False, alias="showApiDoc")
    website_link: str | None = Field(default=None, alias="websiteLink")
    support_email: str | None = Field(default=None, alias="supportEmail")
    support_phone: str | None = Field(default=None, alias="supportPhone")
    agreement_link: str | None = Field(default=None, alias="agreementLink")
    show_status_page: Flag = Field(default=False, alias="showStatusPage")
    entry_base_domain: str | None = Field(default=None, alias="entryBaseDomain")
    show_knowledge_base: Flag = Field(default=False, alias="showKnowledgeBase")
    show_tickets: Flag = Field(default=False, alias="showTickets")
    colors: BrandingColors | None = None


class MailServer(GcoreModel):
    """The SMTP server Gcore sends the reseller's clients' e-mails through. The password, if Gcore
    sends it back at all (nothing marks it write-only), is a SecretStr: never printed or logged."""

    tls: bool | None = None
    host: str | None = None
    port: Text = None
    login: str | None = None
    password: SecretStr | None = Field(default=None, repr=False)


class PrivateBranding(GcoreModel):
    mail_server: MailServer | None = Field(default=None, alias="mailServer")


class BrandingSettings(GcoreModel):
    """GET/PUT /iam/reselling/settings (BrandingSettings). A PUT replaces the whole of it."""

    domain: str | None = None
    public: PublicBranding = Field(default_factory=PublicBranding, alias="publicSettings")
    private: PrivateBranding = Field(default_factory=PrivateBranding, alias="privateSettings")
    reseller: int | None = None
    deleted: bool = False


# -- the account's activity log ------------------------------------------------------------------------


class ActivityRequest(GcoreModel):
    """One request made in the account (AccountRequestsItem). `data` is the request body as sent,
    secrets and all (nothing says Gcore masks it): mask it before showing it, and it never appears
    in a repr."""

    id: int
    actions: str | None = None  # Gcore: "Actions type", with a date-time as its example (§13)
    data: str | None = Field(default=None, repr=False)
    user_email: str | None = None
    client: int | None = None
    token: int | None = None  # None for a request made in the portal (no API token)
    requested_at: datetime | None = None
    path: str = ""
    remote_ip_address: str | None = None
    host: str | None = None
    method: str = ""
    query_params: str | None = None
    status_code: int | None = None
    reverted: bool = False
    user: int | None = None


class AccountStatusChange(GcoreModel):
    """A change of an account's status (AccountStatusChangesItem)."""

    id: int
    status_change_at: datetime | None = None
    old_status: str | None = None
    new_status: str | None = None
    federation_id: str | None = None
    client: int | None = None
