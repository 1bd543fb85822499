"""Deterministic, realistic sandbox data: the same seed, count and `now` always give the same clients.

The generator draws every value from one `random.Random(seed)` in a fixed order. Company names
deliberately include accents, quotes, ampersands and markup, because real upstream text is
untrusted and the dashboard must escape it.

What came later draws from other generators, so that every value the first one gave stays exactly
as it was: personal availability values from `random.Random(f"extra:{seed}")`, each client's
service records from its own `random.Random(f"services:{seed}:{client_id}")`, and each client's API
tokens from its own `random.Random(f"tokens:{seed}:{client_id}")`. Service records and tokens are
built on first use (`services_of`, `tokens_of`), not up front: they would multiply what copying a
store costs. For the attention queue, trials that overran 30 days draw from
`random.Random(f"overrun:{seed}:{client_id}")` and tokens that expire within two weeks from
`random.Random(f"expiring:{seed}:{client_id}")`; the activity log's history
(`activity_history`, built on its first read) from `random.Random(f"activity:{seed}")`.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import json
import pickle
import random
import threading
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, TypeVar

from .catalog import (
    ADMIN_GROUP_ID,
    CLIENT_STATUSES,
    DEFAULT_AVAILABILITY,
    FEATURES,
    HIDDEN_SERVICES,
    LANGUAGES,
    LOCKING_SERVICE_STATUSES,
    PRODUCTS,
    RESELLER_ACCOUNT_ID,
    RESELLER_ADMIN_EMAIL,
    RESELLER_ADMIN_ID,
    RESELLER_DOMAIN,
    RESELLER_IDS,
    RESELLER_NAME,
    RESELLER_TOKEN_ID,
    SELLER_IDS,
    SELLERS,
    SERVICE_OPTIONS,
    SERVICE_STATUSES,
    SERVICES,
    SIGNUP_PROCESSES,
    TRIAL_LENGTH_OPTION,
    Feature,
    OptionTemplate,
)
from .store import ClientRecord, ServiceRecord, Store, TokenRecord, UserRecord, activation_item, api_datetime

T = TypeVar("T")

FIRST_CLIENT_ID = 200_001
FIRST_USER_ID = 700_001
FIRST_ACTIVATION_ID = 90_001
HISTORY_DAYS = 4 * 365


class Weighted(Generic[T]):
    """A weighted table with precomputed cumulative weights, so drawing 10,000 clients stays fast."""

    def __init__(self, table: Sequence[tuple[T, float]]) -> None:
        self.values = [value for value, _ in table]
        self.cum_weights = list(itertools.accumulate(weight for _, weight in table))
        self.total = self.cum_weights[-1]

    def pick(self, rng: random.Random) -> T:
        # What random.choices does for k=1, without its per-call overhead.
        return self.values[bisect.bisect(self.cum_weights, rng.random() * self.total)]


# Compact tables read better than one value a line.
# fmt: off
CLIENT_STATUS = Weighted([
    ("active", 40), ("new", 10), ("trial", 12), ("trialend", 6),
    ("integration", 6), ("paused", 10), ("preparation", 8), ("ready", 8),
])
SERVICE_STATUS = Weighted([
    ("active", 35), ("new", 15), ("trial", 12), ("trialend", 8),
    ("paused", 10), ("activating", 8), ("deleted", 12),
])
CLIENT_TYPE = Weighted([("common", 85), ("reseller", 7), ("sales", 8)])
# Gcore: user_type is common | reseller | seller (docs/gcore-api-notes.md §4);
# a sales client's users are sellers.
USER_TYPE_BY_CLIENT_TYPE = {"common": "common", "reseller": "reseller", "sales": "seller"}
RESELLER = Weighted([(RESELLER_IDS[0], 85), (RESELLER_IDS[1], 15)])
SIGNUP = Weighted(list(zip(SIGNUP_PROCESSES, (55, 30, 15), strict=True)))
BILL_TYPE = Weighted([("postpaid", 70), ("prepaid", 30)])
USER_COUNT = Weighted([(1, 40), (2, 25), (3, 15), (4, 10), (5, 10)])
GROUP = Weighted([(2, 40), (5, 25), (ADMIN_GROUP_ID, 15), (3009, 10), (3022, 10)])
LANGUAGE = Weighted([("en", 55), ("de", 12), ("ru", 12), ("zh", 8), ("az", 5)])
AUTH_TYPE_SETS = Weighted([
    (("password",), 55), (("password", "github"), 10), (("password", "google-oauth2"), 12),
    (("sso",), 8), (("sso", "password"), 5), (("google-oauth2",), 5), (("github",), 5),
])
COUNTRY = Weighted([
    ("US", 15), ("DE", 10), ("GB", 8), ("NL", 5), ("FR", 5), ("LU", 3), ("CY", 3), ("PL", 4),
    ("ES", 3), ("IT", 3), ("SE", 2), ("FI", 2), ("AE", 2), ("IN", 4), ("JP", 3), ("SG", 3),
    ("BR", 3), ("CA", 3), ("AU", 2), ("KR", 2), ("AZ", 2), (None, 9),
])
CALLING_CODES = {
    "US": "1", "DE": "49", "GB": "44", "NL": "31", "FR": "33", "LU": "352", "CY": "357", "PL": "48",
    "ES": "34", "IT": "39", "SE": "46", "FI": "358", "AE": "971", "IN": "91", "JP": "81", "SG": "65",
    "BR": "55", "CA": "1", "AU": "61", "KR": "82", "AZ": "994",
}
TLDS = {"DE": "de", "GB": "co.uk", "NL": "nl", "FR": "fr", "PL": "pl", "JP": "jp", "AZ": "az", "IT": "it"}

COMPANY_PREFIXES = (
    "Acme", "Nordic", "Blue River", "Helios", "Quantum", "Atlas", "Müller", "Zürich", "Ångström",
    "O'Brien", "Crème Brûlée", "Łódź", "Sørensen", "Café del Mar", "Pixel", "Evergreen", "Polar",
    "Vortex", "Red Fox", "Silverline", "Oak & Ash", "Bright", "Stellar", "Ivy", "Granite", "Kōbe",
)
COMPANY_CORES = (
    "Media", "Hosting", "Networks", "Games", "Labs", "Streaming", "Retail", "Cloud", "Digital",
    "Logistics", "Studios", "Software", "Telecom", "Analytics", "Security",
)
COMPANY_SUFFIXES = (
    "Ltd", "GmbH", "Inc.", "S.A.", "LLC", "B.V.", "Oy", "AB", "S.r.l.", "SAS", "Group", "Sp. z o.o.", "", "",
)
# Untrusted text the dashboard must render escaped: markup, quotes, ampersands, apostrophes, length.
SPECIAL_COMPANIES = (
    '<script>alert("x")</script> Hosting',
    "<b>Bold</b> Media",
    "Smith & Sons",
    "Société Générale d'Études",
    '"Quoted" Networks Ltd',
    "Ben & Jerry's Streaming",
    "Ünïcødé Straße 株式会社",
    (
        "The Extraordinarily Long-Named International Content Delivery and Edge Computing Consortium of "
        "Northern and Southern Hemispheres Ltd"
    ),
)
FIRST_NAMES = (
    "Anna", "Ben", "Chloé", "Dmitri", "Elif", "François", "Greta", "Hiro", "Inès", "Jakub", "Karin",
    "Liam", "María", "Nikolai", "Olga", "Paweł", "Quentin", "Rania", "Søren", "Tomás", "Uma", "Viktor",
    "Wei", "Xenia", "Yusuf", "Zoë", "Aylin", "José", "Łukasz", "Mei",
)
LAST_NAMES = (
    "Schmidt", "Müller", "O'Connor", "García", "Kowalski", "Ivanov", "Smith", "Nakamura", "Rossi",
    "Dubois", "Jensen", "Novák",
    "Yılmaz",  # noqa: RUF001 - Turkish dotless i (U+0131) on purpose: real names are not ASCII
    "Chen", "Fernández", "van der Berg", "Petrov", "Lindqvist", "Aliyev", "Kim",
)
# A seeded service's plausible previous status, given its status (one that is not `new`).
PREVIOUS_STATUSES = {
    "trial": ("new",),
    "trialend": ("trial",),
    "active": ("trial", "trial", "activating", "paused", "new"),
    "paused": ("active", "trialend"),
    "activating": ("new", "trial", "trialend"),
    "deleted": ("trialend", "paused"),
}
PROMOCODES = ("WELCOME10", "SPRING2024", "PARTNER50", "BLACKFRIDAY", "STARTUP100")
ENTRY_DOMAINS = ("cp.edge-reseller.example", "portal.cdn-partner.example")
HOST_LABELS = ("cdn", "static", "media", "img", "video", "assets")
# Seeded API tokens: what people call them (one with markup: names are untrusted text too).
TOKEN_NAMES = (
    "CI deploy", "Terraform", "Cache purge", "Monitoring", "Backup job", "Grafana", "Ansible",
    "Log export", "Billing sync", "Staging", "Prefetch cron", 'Purge "prod" <b>now</b>',
)
TOKEN_DESCRIPTIONS = (
    "Used by the deploy pipeline.", "Purges the CDN cache after each release.",
    "Read-only metrics for dashboards.", "Nightly backup to object storage.", "Ask Ops before deleting.",
)
TOKEN_ROLE = Weighted([(ADMIN_GROUP_ID, 35), (5, 20), (2, 20), (3022, 15), (3009, 10)])
TOKEN_LIFETIME_DAYS = (90, 180, 365, 730, 1095)
# fmt: on
# The share of live clients seeded with API tokens, and how many each gets.
TOKEN_CLIENT_SHARE = 0.35
TOKEN_COUNTS = (1, 1, 2, 2, 3, 4)
# For the attention queue's scans: the share of seeded tokens with an expiry date that expire
# within 14 days of `now`, and of seeded trials that overran 30 days.
EXPIRING_TOKEN_SHARE = 0.12
OVERRUN_TRIAL_SHARE = 0.15


class FastRandom(random.Random):
    """random.Random with lean choice/randint/sample: the stdlib versions validate their arguments
    on every call, which dominates when 10,000 clients are drawn. Only `random()` is consumed."""

    def choice(self, seq: Sequence[T]) -> T:  # type: ignore[override]  # sequences only, as seeding passes
        return seq[int(self.random() * len(seq))]

    def randint(self, a: int, b: int) -> int:
        return a + int(self.random() * (b - a + 1))

    def sample(self, population: Sequence[T], k: int, *, counts: None = None) -> list[T]:  # type: ignore[override]  # no counts
        """A partial Fisher-Yates shuffle of a copy."""
        pool = list(population)
        for i in range(k):
            j = i + int(self.random() * (len(pool) - i))
            pool[i], pool[j] = pool[j], pool[i]
        return pool[:k]


@dataclass(frozen=True)
class Person:
    name: str
    email_local: str


@functools.lru_cache(maxsize=4096)  # names come from small pools: fold each once
def ascii_slug(text: str, *, separator: str = "") -> str:
    """Lower-case ASCII letters and digits only, for plausible e-mail addresses and domains."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    words = ["".join(ch for ch in word if ch.isalnum()) for word in folded.split()]
    return separator.join(word for word in words if word)


def generate(*, seed: int, count: int, now: datetime) -> Store:
    """Build `count` clients (and their users) from `seed`; `now` anchors every creation date."""
    return _Generator(seed, now).build(count)


class Snapshots(Generic[T]):
    """Private copies of what a seeded build makes, by its arguments.

    Least recently used first: the pickled store, or None after a first build (a store built once,
    like the management command's or a one-off 10,000-client test's, costs nothing extra). The
    second build for the same arguments keeps the store pickled; every later call unpickles a
    complete deep copy (for 600 clients, well under half the time a build takes and a fifth of
    `copy.deepcopy`'s). What is kept is immutable bytes: no sandbox (and no `reset`) can change
    another's data, nor the data the next one starts from. A test run keeps a handful.
    """

    def __init__(self, build: Callable[..., T], kept: int = 8) -> None:
        self._build = build
        self._kept = kept
        self._snapshots: dict[tuple[Any, ...], bytes | None] = {}
        self._lock = threading.Lock()

    def get(self, **arguments: Any) -> T:
        key = tuple(sorted(arguments.items()))
        with self._lock:
            built_before = key in self._snapshots
            if built_before:
                self._snapshots[key] = snapshot = self._snapshots.pop(key)  # now the most recently used
            else:
                snapshot = None
        if snapshot is not None:
            return pickle.loads(snapshot)  # noqa: S301 - bytes this process pickled itself, never from outside
        store = self._build(**arguments)
        # Pickled before anyone can change `store`, which its caller then owns.
        kept = pickle.dumps(store, protocol=pickle.HIGHEST_PROTOCOL) if built_before else None
        with self._lock:
            if self._snapshots.get(key) is None:  # another thread may have kept the same store meanwhile
                self._snapshots.pop(key, None)
                while len(self._snapshots) >= self._kept:
                    del self._snapshots[next(iter(self._snapshots))]
                self._snapshots[key] = kept
        return store


_SNAPSHOTS: Snapshots[Store] = Snapshots(generate)


def seeded_store(*, seed: int, count: int, now: datetime) -> Store:
    """A private copy of what `generate` builds for these arguments (kept as `Snapshots` says)."""
    return _SNAPSHOTS.get(seed=seed, count=count, now=now)


class _Generator:
    """Holds the running id counters; one instance builds one store."""

    def __init__(self, seed: int, now: datetime) -> None:
        self.seed = seed
        self.rng = FastRandom(seed)
        self.extra = FastRandom(f"extra:{seed}")  # for what came later; never mixed with `rng`
        self.now = now
        self.next_user_id = FIRST_USER_ID
        self.next_activation_id = FIRST_ACTIVATION_ID

    def build(self, count: int) -> Store:
        clients: dict[int, ClientRecord] = {}
        users: dict[int, UserRecord] = {}
        client_id = FIRST_CLIENT_ID
        for index in range(count):
            client = self.client(index, client_id, users)
            clients[client.id] = client
            # Gaps between ids, as in a real database where some accounts were never finished.
            client_id += self.rng.randint(1, 3)
        return Store(
            clients=clients,
            users=users,
            seed=self.seed,
            now=self.now,
            default_availability=dict(DEFAULT_AVAILABILITY),
            sellers=self.sellers(),
            notification_settings=reseller_notification_settings(),
            branding=reseller_branding(),
            next_ids={
                "client": client_id,
                "user": self.next_user_id,
                "activation": self.next_activation_id,
                # Above every seeded token's id (token_id below): those of the clients that exist.
                "token": client_id * 10,
                "seller": max(SELLER_IDS) + 1,
                "notification_setting": 301,
            },
        )

    # -- clients ----------------------------------------------------------------------------

    def client(self, index: int, client_id: int, users: dict[int, UserRecord]) -> ClientRecord:
        rng = self.rng
        company = self.company_name()
        country = COUNTRY.pick(rng)
        domain = f"{ascii_slug(company)[:24] or 'example'}.{TLDS.get(country or '', 'com')}"
        owner = self.person()
        created_at = self.created_at()
        client_type = CLIENT_TYPE.pick(rng)
        deleted = rng.random() < 0.08
        service_statuses = {
            service: self.service_status(index, offset) for offset, service in enumerate(SERVICES)
        }
        paid, free = self.features(created_at)
        fields: dict[str, Any] = {
            "email": f"{owner.email_local}@{domain}",
            "phone": self.phone(country),
            "name": owner.name if rng.random() < 0.9 else None,
            # The first clients walk through every status so even a tiny sandbox shows them all.
            "status": CLIENT_STATUSES[index] if index < len(CLIENT_STATUSES) else CLIENT_STATUS.pick(rng),
            "companyName": company,
            "website": f"https://www.{domain}" if rng.random() < 0.85 else "",
            "currentUser": 0,  # set below, once the users exist
            "capabilities": [service for service in SERVICES if service_statuses[service]["enabled"]],
            "serviceStatuses": service_statuses,
            "paidFeatures": paid,
            "freeFeatures": free,
            "entryBaseDomain": rng.choice(ENTRY_DOMAINS) if rng.random() < 0.7 else None,
            "signup_process": SIGNUP.pick(rng),
            "deleted": deleted,
            "bill_type": BILL_TYPE.pick(rng),
            "custom_id": f"CRM-{client_id % 100_000:05d}" if rng.random() < 0.65 else None,
            "is_test": rng.random() < 0.12,
            "seller": rng.choice(SELLER_IDS) if rng.random() < 0.7 else None,
            "resellers": RESELLER.pick(rng),
            "client_type": client_type,
            "owner": 0,  # set below
        }
        user_ids = self.users(client_id, owner, fields, domain, country, users)
        fields["currentUser"] = fields["owner"] = user_ids[0]
        return ClientRecord(
            id=client_id,
            fields=fields,
            user_ids=user_ids,
            created_at=created_at,
            country=country,
            traffic_gb=self.traffic(),
            hidden_service_statuses={name: SERVICE_STATUS.pick(rng) for name in HIDDEN_SERVICES},
            secondary_hostnames=self.hostnames(domain),
            promocode=rng.choice(PROMOCODES) if rng.random() < 0.3 else None,
            product_overrides=self.product_overrides(self.personal_products(), service_statuses),
        )

    def company_name(self) -> str:
        rng = self.rng
        if rng.random() < 0.03:
            return rng.choice(SPECIAL_COMPANIES)
        parts = (rng.choice(COMPANY_PREFIXES), rng.choice(COMPANY_CORES), rng.choice(COMPANY_SUFFIXES))
        return " ".join(part for part in parts if part)

    def person(self) -> Person:
        first, last = self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)
        return Person(name=f"{first} {last}", email_local=f"{ascii_slug(first)}.{ascii_slug(last)}")

    def phone(self, country: str | None) -> str | None:
        rng = self.rng
        if rng.random() < 0.2:
            return None
        code = CALLING_CODES.get(country or "", "1")
        return f"+{code} {rng.randint(20, 999)} {rng.randint(100_000, 9_999_999)}"

    def created_at(self) -> datetime:
        """Spread over ~4 years, with a few clients from the last week and month for "new" views."""
        rng = self.rng
        roll = rng.random()
        max_days = 7 if roll < 0.03 else 30 if roll < 0.10 else HISTORY_DAYS
        return self.now - timedelta(seconds=rng.uniform(60, max_days * 86_400))

    def service_status(self, index: int, offset: int) -> dict[str, Any]:
        rng = self.rng
        # The first clients cycle through every ServiceStatus for every service.
        status = (
            SERVICE_STATUSES[(index + offset) % len(SERVICE_STATUSES)]
            if index < len(SERVICE_STATUSES)
            else SERVICE_STATUS.pick(rng)
        )
        return {"status": status, "enabled": status != "deleted" and rng.random() < 0.9}

    def features(
        self, created_at: datetime
    ) -> tuple[dict[str, list[dict[str, Any]]], dict[str, list[dict[str, Any]]]]:
        rng = self.rng
        chosen: list[Feature] = rng.sample(FEATURES, rng.choice((0, 0, 1, 1, 2, 3, 4)))
        paid: dict[str, list[dict[str, Any]]] = {}
        free: dict[str, list[dict[str, Any]]] = {}
        for feature in sorted(chosen, key=lambda f: f.feature_id):
            activated = created_at + (self.now - created_at) * rng.random()
            (free if feature.is_free else paid).setdefault(feature.service, []).append(
                activation_item(feature, self.next_activation_id, activated, free=feature.is_free)
            )
            self.next_activation_id += 1
        return paid, free

    def traffic(self) -> float:
        rng = self.rng
        return 0.0 if rng.random() < 0.2 else round(min(rng.lognormvariate(4, 2), 250_000.0), 2)

    def hostnames(self, domain: str) -> tuple[str, ...]:
        labels = self.rng.sample(HOST_LABELS, self.rng.choice((0, 0, 1, 2, 3)))
        return tuple(f"{label}.{domain}" for label in labels)

    def personal_products(self) -> list[str]:
        if self.rng.random() < 0.75:
            return []
        return self.rng.sample(PRODUCTS, self.rng.randint(1, 3))

    # -- drawn from `extra` only -------------------------------------------------------------

    def product_overrides(self, products: list[str], statuses: dict[str, dict[str, Any]]) -> dict[str, bool]:
        """A value for each personalised product, in PRODUCTS order (never a set's order, which
        changes between processes). A product whose service is in trial, activating or active
        stays available: Gcore would refuse to turn it off."""
        overrides: dict[str, bool] = {}
        for product in PRODUCTS:
            if product in products:
                locked = product in statuses and statuses[product]["status"] in LOCKING_SERVICE_STATUSES
                overrides[product] = locked or self.extra.random() < 0.6
        return overrides

    def sellers(self) -> list[dict[str, Any]]:
        """The Seller objects of catalog.SELLERS (no draws)."""
        return [
            {
                "id": seller.seller_id,
                "email": seller.email,
                "full_name": seller.full_name,
                "phone": seller.phone or "",
                "reseller_name": RESELLER_NAME,
                "company": RESELLER_NAME,
                "date_joined": api_datetime(self.now - timedelta(days=seller.joined_days_ago)),
                "activated": seller.activated,
                "deleted": False,
            }
            for seller in SELLERS
        ]

    # -- users ------------------------------------------------------------------------------

    def users(
        self,
        client_id: int,
        owner: Person,
        client_fields: dict[str, Any],
        domain: str,
        country: str | None,
        users: dict[int, UserRecord],
    ) -> list[int]:
        """The owner (an administrator, using the client's e-mail) first, then colleagues."""
        ids: list[int] = []
        for position in range(USER_COUNT.pick(self.rng)):
            person = owner if position == 0 else self.person()
            user = self.user(client_id, person, position, client_fields, domain, country)
            users[user.id] = user
            ids.append(user.id)
        return ids

    def user(
        self,
        client_id: int,
        person: Person,
        position: int,
        client_fields: dict[str, Any],
        domain: str,
        country: str | None,
    ) -> UserRecord:
        rng = self.rng
        user_id = self.next_user_id
        self.next_user_id += 1
        # A deleted client's users are deleted with it.
        deleted = client_fields["deleted"] or rng.random() < (0.03 if position == 0 else 0.08)
        auth_types = list(AUTH_TYPE_SETS.pick(rng))
        offset = user_id - FIRST_USER_ID
        fields: dict[str, Any] = {
            "email": f"{person.email_local}@{domain}",
            "name": person.name if rng.random() < 0.85 else None,
            # The first users cycle through every language.
            "lang": LANGUAGES[offset] if offset < len(LANGUAGES) else LANGUAGE.pick(rng),
            "phone": self.phone(country) if rng.random() < 0.6 else None,
            "company": client_fields["companyName"],
            "deleted": deleted,
            "activated": rng.random() < (0.9 if position == 0 else 0.75),
            "sso_auth": "sso" in auth_types,
            "two_fa": rng.random() < 0.3,
            "auth_types": auth_types,
            "user_type": USER_TYPE_BY_CLIENT_TYPE[client_fields["client_type"]],
            "is_active": not deleted,
        }
        group_id = ADMIN_GROUP_ID if position == 0 else GROUP.pick(rng)
        return UserRecord(id=user_id, client_id=client_id, group_id=group_id, fields=fields)


# -- the reseller's own settings (no draws) ------------------------------------------------------------


def reseller_notification_settings() -> list[dict[str, Any]]:
    """NotificationSettingsRead objects: who hears of deletion requests and failed logins."""
    seeded = (
        ("deletion_request", "ops@edge-reseller.example", True),
        ("deletion_request", "billing@edge-reseller.example", True),
        ("failed_login", "security@edge-reseller.example", True),
        ("failed_login", "greta.lindqvist@edge-reseller.example", False),
    )
    return [
        {
            "id": 201 + n,
            "reseller": RESELLER_ACCOUNT_ID,
            "notification_type": kind,
            "email": email,
            "enabled": on,
        }
        for n, (kind, email, on) in enumerate(seeded)
    ]


def reseller_branding() -> dict[str, Any]:
    """BrandingSettings: the reseller's brand in its clients' control panel, and its mail server."""
    return {
        "domain": RESELLER_DOMAIN,
        "publicSettings": {
            "brandName": "Edge CDN",
            "fromEmail": "noreply@edge-reseller.example",
            "showApiDoc": True,
            "websiteLink": "https://www.edge-reseller.example",
            "supportEmail": "support@edge-reseller.example",
            "supportPhone": "+44 20 5550 1000",
            "agreementLink": "https://www.edge-reseller.example/terms",
            # Gcore: typed as a string, though described like the other `show*` flags
            # (docs/gcore-api-notes.md §12).
            "showStatusPage": "true",
            "entryBaseDomain": RESELLER_DOMAIN,
            "showKnowledgeBase": True,
            "showTickets": False,
            "colors": {"header": "#0b3d91", "primary": "#ff6a00"},
        },
        "privateSettings": {
            "mailServer": {
                "tls": True,
                "host": "smtp.edge-reseller.example",
                "port": "587",  # Gcore: typed as a string (PrivateBrandingSettings)
                "login": "mailer@edge-reseller.example",
                "password": "sandbox-smtp-password",
            }
        },
        "reseller": RESELLER_ACCOUNT_ID,
        "deleted": False,
    }


# -- service records, built on first use ---------------------------------------------------------


def services_of(store: Store, client: ClientRecord) -> dict[str, ServiceRecord]:
    """The client's service records, built the first time anything asks (every handler that changes
    a service asks first, so they are built from the statuses the client was seeded or created with)."""
    if not client.services:
        client.services = _seeded_services(store, client)
    return client.services


def service_id(client_id: int, name: str) -> int:
    """The sandbox's choice: a service's id is a function of its client's id, so that ids stay
    unique across the sandbox whichever client's services are built first."""
    return client_id * 10 + SERVICES.index(name) + 1


def _seeded_services(store: Store, client: ClientRecord) -> dict[str, ServiceRecord]:
    """Six records whose history is plausible for the status each service has now."""
    rng = FastRandom(f"services:{store.seed}:{client.id}")
    # What came later (trials that overran) draws from its own generator, so `rng` gives the rest
    # exactly as before.
    overrun = FastRandom(f"overrun:{store.seed}:{client.id}")
    created_at = client.created_at
    now = max(store.now or created_at, created_at)
    records: dict[str, ServiceRecord] = {}
    for name in SERVICES:
        status = client.service_state(name)["status"]
        start = changed = created_at
        previous = "new"
        if status == "trial":  # a trial of at most 30 days, still running
            start = changed = max(created_at, now - timedelta(seconds=rng.uniform(3_600, 30 * 86_400)))
            if overrun.random() < OVERRUN_TRIAL_SHARE:  # a trial nobody ended: 31 to 90 days old
                start = changed = max(
                    created_at, now - timedelta(seconds=overrun.uniform(31 * 86_400, 90 * 86_400))
                )
        elif status != "new":
            start = created_at + (now - created_at) * (rng.random() * 0.5)
            changed = start + (now - start) * rng.random()
            if status in ("trialend", "paused"):  # recent enough that deleted_date is still ahead
                changed = max(start, now - timedelta(seconds=rng.uniform(3_600, 29 * 86_400)))
            previous = rng.choice(PREVIOUS_STATUSES.get(status, ("new",)))
        sid = service_id(client.id, name)
        options = _options(rng, sid, name, status)
        transition = [_option(rng, sid * 10 + 9, TRIAL_LENGTH_OPTION)] if status == "trial" else []
        records[name] = ServiceRecord(
            id=sid,
            name=name,
            previous_status=previous,
            status_changed_at=changed,
            start=start,
            options=options,
            status_transition_options=transition,
        )
    return records


# -- API tokens, built on first use ----------------------------------------------------------------


def tokens_of(store: Store, client: ClientRecord) -> dict[int, TokenRecord]:
    """The client's API tokens by id, the seeded ones built the first time anything asks. Every
    handler that changes a client's users or their roles asks first, so they are built from the
    users the client was seeded with (a client made by POST /iam/users starts with none)."""
    if client.tokens is None:
        client.tokens = _seeded_tokens(store, client)
    return client.tokens


def token_id(client_id: int, n: int) -> int:
    """The sandbox's choice: a seeded token's id is a function of its client's id (n = 1..9), so ids
    stay unique whichever client's tokens are built first; created tokens take ids above them."""
    return client_id * 10 + n


def _seeded_tokens(store: Store, client: ClientRecord) -> dict[int, TokenRecord]:
    """A third or so of the live clients have 1-4 tokens, issued by their activated users; some
    expire, some have expired, some were deleted, some were never used."""
    rng = FastRandom(f"tokens:{store.seed}:{client.id}")
    if client.fields["deleted"] or rng.random() >= TOKEN_CLIENT_SHARE:
        return {}
    issuers = [u for u in store.users_of(client) if u.fields["activated"] and not u.fields["deleted"]]
    if not issuers:
        return {}
    now = max(store.now or client.created_at, client.created_at)
    expiring = FastRandom(f"expiring:{store.seed}:{client.id}")  # came later: its own generator
    tokens: dict[int, TokenRecord] = {}
    for n in range(1, rng.choice(TOKEN_COUNTS) + 1):
        issuer = rng.choice(issuers)
        group_id = issuer.roles()[client.id]
        # Gcore: no token with a role above its issuer's (CreateTokenError, iam_api.yaml); the
        # sandbox lets an administrator give any role and anyone else only their own.
        role_id = TOKEN_ROLE.pick(rng) if group_id == ADMIN_GROUP_ID else group_id
        created = client.created_at + (now - client.created_at) * rng.random()
        exp_date = None if rng.random() < 0.35 else created + timedelta(days=rng.choice(TOKEN_LIFETIME_DAYS))
        used_until = min(now, exp_date) if exp_date is not None else now
        last_usage = None if rng.random() < 0.25 else created + (used_until - created) * rng.random()
        if exp_date is not None and expiring.random() < EXPIRING_TOKEN_SHARE:  # due within two weeks
            exp_date = now + timedelta(seconds=expiring.uniform(3_600, 14 * 86_400))
        tokens[token_id(client.id, n)] = TokenRecord(
            id=token_id(client.id, n),
            client_id=client.id,
            user_id=issuer.id,
            role_id=role_id,
            name=rng.choice(TOKEN_NAMES),
            description=rng.choice(TOKEN_DESCRIPTIONS) if rng.random() < 0.5 else "",
            exp_date=exp_date,
            created=created,
            last_usage=last_usage,
            deleted=rng.random() < 0.2,
        )
    return tokens


def _options(rng: random.Random, sid: int, service: str, status: str) -> list[dict[str, Any]]:
    """A service in use carries its first option, and half the time its second."""
    templates = SERVICE_OPTIONS[service]
    if status in ("new", "deleted") or not templates:
        return []
    chosen = [templates[0], *(t for t in templates[1:] if rng.random() < 0.5)]
    # Option ids follow their service's id, as service ids follow their client's.
    return [_option(rng, sid * 10 + n, template) for n, template in enumerate(chosen, start=1)]


def _option(rng: random.Random, option_id: int, template: OptionTemplate) -> dict[str, Any]:
    """ServiceOption, its properties in the spec's order."""
    return {
        "id": option_id,
        "value": rng.choice(template.values),
        "value_type": template.value_type,
        "name": template.name,
        "category": template.category,
        "description": template.description,
        "title": template.title,
    }


# -- the activity log's history, built on first read ---------------------------------------------------

# Seeded requests span this many days before `now`; their ids start here, below every recorded one.
ACTIVITY_DAYS = 21
ACTIVITY_REQUESTS = 1_200
FIRST_SEEDED_REQUEST_ID = 3_000_001
FIRST_STATUS_CHANGE_ID = 51_001
# Plausible previous ClientStatus values (for seeded account status changes).
PREVIOUS_CLIENT_STATUSES = {
    "trial": ("new", "preparation"),
    "trialend": ("trial",),
    "active": ("trial", "integration", "ready", "paused"),
    "paused": ("active", "trialend"),
    "integration": ("ready", "new"),
    "preparation": ("new",),
    "ready": ("preparation",),
}
# Made-up secrets in seeded request bodies, so the dashboard's masking has something to mask.
SEEDED_PASSWORDS = ("Winter2026!", "hunter2-Edge", "S3cure#Pass", "correct-horse-42")
SEEDED_JWT = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ0b2tlbl90eXBlIjoicmVmcmVzaCJ9.c2lnbmF0dXJl"


@dataclass(frozen=True)
class _Actor:
    user: int
    email: str
    client: int
    token: int | None  # None: the portal (a JWT session), not an API token
    ip: str


def activity_history(store: Store) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(requests, account status changes) of the last ACTIVITY_DAYS, oldest first, in Gcore's shapes
    (AccountRequestsItem, AccountStatusChangesItem). Requests come from the clients' users (in the
    portal and with their API tokens), the sellers and the reseller itself; some bodies hold
    passwords and refresh tokens, as a request log would."""
    rng = FastRandom(f"activity:{store.seed}")
    now = store.now or datetime.now(UTC)
    live = [c for c in store.clients.values() if not c.fields["deleted"]]
    moments = sorted(
        now - timedelta(seconds=rng.uniform(60, ACTIVITY_DAYS * 86_400)) for _ in range(ACTIVITY_REQUESTS)
    )
    requests = []
    for n, moment in enumerate(moments):
        roll = rng.random()
        if roll < 0.6 and live:
            actor, method, path, query, body, status = _customer_request(rng, store, rng.choice(live))
        elif roll < 0.85:
            actor, method, path, query, body, status = _seller_request(rng, store, live)
        else:
            actor, method, path, query, body, status = _reseller_request(rng, store, live)
        requests.append(
            activity_entry(
                FIRST_SEEDED_REQUEST_ID + n, actor.user, actor.email, actor.client, actor.token, moment,
                method=method, path=path, query=query, data=body, status=status, ip=actor.ip,
                host="api.gcore.com", reverted=method in ("PATCH", "PUT") and rng.random() < 0.03,
            )
        )  # fmt: skip
    return requests, _status_changes(rng, live, now)


def activity_entry(
    entry_id: int,
    user: int,
    email: str,
    client: int,
    token: int | None,
    moment: datetime,
    *,
    method: str,
    path: str,
    query: str,
    data: str,
    status: int,
    ip: str,
    host: str,
    reverted: bool = False,
) -> dict[str, Any]:
    """AccountRequestsItem, its properties in the spec's order."""
    return {
        "id": entry_id,
        "actions": ACTIONS.get(method, "read"),
        "data": data,
        "user_email": email,
        "client": client,
        "token": token,
        "requested_at": moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "path": path,
        "remote_ip_address": ip,
        "host": host,
        "method": method,
        "query_params": query,
        "status_code": status,
        "reverted": reverted,
        "user": user,
    }


# Gcore: `actions` is described as "Actions type" with a date-time as its example
# (AccountRequestsItem); the sandbox's guess is the kind of change the method makes.
ACTIONS = {
    "GET": "read",
    "HEAD": "read",
    "POST": "create",
    "PUT": "update",
    "PATCH": "update",
    "DELETE": "delete",
}


def _ip(seed: str) -> str:
    rng = FastRandom(f"ip:{seed}")
    return f"{rng.randint(11, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"


def _json(payload: object) -> str:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))


def _customer_request(
    rng: FastRandom, store: Store, client: ClientRecord
) -> tuple[_Actor, str, str, str, str, int]:
    users = [u for u in store.users_of(client) if u.fields["activated"] and not u.fields["deleted"]]
    user = rng.choice(users) if users else store.users[client.user_ids[0]]
    tokens = [t for t in tokens_of(store, client).values() if t.user_id == user.id]
    token = rng.choice(tokens).id if tokens and rng.random() < 0.5 else None
    actor = _Actor(user.id, user.fields["email"], client.id, token, _ip(f"{store.seed}:{user.id}"))
    uid, cid = user.id, client.id
    kind = rng.random()
    if token is not None:  # an application with an API token: CDN work mostly
        if kind < 0.5:
            return actor, "GET", "/cdn/resources", "limit=25&offset=0", "", 200
        if kind < 0.85:
            body = _json({"paths": [rng.choice(("/img/*", "/static/app.js", "/index.html", "/video/*"))]})
            return actor, "POST", f"/cdn/resources/{rng.randint(100_000, 999_999)}/purge", "", body, 201
        return actor, "GET", "/dns/v2/zones", "limit=100", "", rng.choice((200, 200, 200, 429))
    if kind < 0.25:
        password = rng.choice(SEEDED_PASSWORDS)
        body = _json({"username": user.fields["email"], "password": password, "one_time_password": None})
        return actor, "POST", "/iam/auth/jwt/login", "", body, rng.choice((200, 200, 200, 401))
    if kind < 0.35:
        return actor, "POST", "/iam/auth/jwt/refresh", "", _json({"refresh": SEEDED_JWT}), 200
    if kind < 0.55:
        return actor, "GET", "/iam/clients/me", "", "", 200
    if kind < 0.65:
        body = _json({"name": user.fields["name"] or "", "lang": rng.choice(LANGUAGES)})
        return actor, "PATCH", f"/iam/users/{uid}", "", body, 200
    if kind < 0.72:
        old, new = rng.sample(SEEDED_PASSWORDS, 2)
        body = _json({"old": old, "new": new, "double": new})
        return actor, "PUT", f"/iam/users/{uid}/password", "", body, rng.choice((204, 204, 400))
    if kind < 0.8:
        body = _json(
            {
                "name": rng.choice(TOKEN_NAMES),
                "exp_date": None,
                "client_user": {"role": {"id": 2, "name": "Users"}},
            }
        )
        return actor, "POST", f"/iam/v2/clients/{cid}/tokens", "", body, 200
    if kind < 0.88:
        colleague = f"{ascii_slug(rng.choice(FIRST_NAMES))}@{user.fields['email'].rpartition('@')[2]}"
        body = _json(
            {"email": colleague, "user_role": {"id": 2, "name": "Users"}, "client_id": cid, "lang": "en"}
        )
        return actor, "POST", "/iam/clients/invite_user", "", body, rng.choice((200, 200, 400))
    return actor, "GET", "/cdn/resources", "limit=10&offset=0&deleted=false", "", 200


def _seller_request(
    rng: FastRandom, store: Store, live: list[ClientRecord]
) -> tuple[_Actor, str, str, str, str, int]:
    seller = rng.choice([s for s in SELLERS if s.activated])  # one not activated cannot sign in
    actor = _Actor(
        seller.seller_id,
        seller.email,
        RESELLER_ACCOUNT_ID,
        None,
        _ip(f"{store.seed}:seller:{seller.seller_id}"),
    )
    kind = rng.random()
    client = rng.choice(live) if live else None
    if client is None or kind < 0.35:
        query = f"limit=25&offset=0&ordering=-id&seller_id={seller.seller_id}"
        return actor, "GET", "/iam/clients", query, "", 200
    cid = client.id
    if kind < 0.55:
        return actor, "GET", f"/iam/clients/{cid}", "", "", 200
    if kind < 0.7:
        body = _json(
            rng.choice(
                ({"phone": client.fields["phone"] or ""}, {"seller": seller.seller_id}, {"is_test": False})
            )
        )
        return actor, "PATCH", f"/iam/clients/{cid}", "", body, rng.choice((200, 200, 200, 400))
    if kind < 0.82:
        service = rng.choice(SERVICES)
        body = _json({"status": rng.choice(("active", "trial", "paused")), "enabled": True})
        return actor, "PUT", f"/iam/clients/{cid}/services/{service_id(cid, service)}", "", body, 200
    if kind < 0.92:
        person = f"{ascii_slug(rng.choice(FIRST_NAMES))}.{ascii_slug(rng.choice(LAST_NAMES))}"
        body = _json(
            {
                "email": f"{person}@newco.example",
                "password": rng.choice(SEEDED_PASSWORDS),
                "company": f"{rng.choice(COMPANY_PREFIXES)} {rng.choice(COMPANY_CORES)}",
                "seller": seller.seller_id,
            }
        )
        return actor, "POST", "/iam/users", "", body, rng.choice((201, 201, 400))
    body = _json({"product_name": rng.choice(SERVICES), "available": rng.random() < 0.7})
    return actor, "PATCH", f"/iam/products/availability/clients/{cid}", "", body, rng.choice((200, 200, 403))


def _reseller_request(
    rng: FastRandom, store: Store, live: list[ClientRecord]
) -> tuple[_Actor, str, str, str, str, int]:
    via_token = rng.random() < 0.7
    actor = _Actor(
        RESELLER_ADMIN_ID,
        RESELLER_ADMIN_EMAIL,
        RESELLER_ACCOUNT_ID,
        RESELLER_TOKEN_ID if via_token else None,
        _ip(f"{store.seed}:reseller:{via_token}"),
    )
    kind = rng.random()
    if via_token:  # a script of the reseller's: reads everything, page by page
        if kind < 0.7 or not live:
            return actor, "GET", "/iam/clients", f"limit=100&offset={100 * rng.randint(0, 5)}", "", 200
        return actor, "GET", f"/iam/clients/{rng.choice(live).id}/services", "", "", 200
    if kind < 0.4:
        return actor, "GET", "/iam/reselling/settings", "", "", 200
    if kind < 0.6:
        body = _json(reseller_branding() | {"reseller": RESELLER_ACCOUNT_ID})
        return actor, "PUT", "/iam/reselling/settings", "", body, 200
    if kind < 0.8:
        body = _json({"notification_type": "failed_login", "email": "security@edge-reseller.example"})
        path = f"/iam/reselling/resellers/{RESELLER_ACCOUNT_ID}/notification_settings"
        return actor, "POST", path, "", body, rng.choice((201, 400))
    body = _json({"email": "new.seller@edge-reseller.example", "full_name": "New Seller"})
    return actor, "POST", "/iam/admin/sellers", "", body, 200


def _status_changes(rng: FastRandom, live: list[ClientRecord], now: datetime) -> list[dict[str, Any]]:
    """A chain of one to three changes for some clients, ending in the status the client has now."""
    changes: list[tuple[datetime, int, str, str]] = []
    for client in live:
        if rng.random() >= 0.15:
            continue
        status = client.fields["status"]
        chain: list[tuple[str, str]] = []
        for _ in range(rng.randint(1, 3)):
            previous = PREVIOUS_CLIENT_STATUSES.get(status)
            if not previous:
                break
            old = rng.choice(previous)
            chain.append((old, status))
            status = old
        earliest = max(client.created_at, now - timedelta(days=ACTIVITY_DAYS))
        moments = sorted(earliest + (now - earliest) * rng.random() for _ in chain)
        changes.extend(
            (moment, client.id, old, new) for moment, (old, new) in zip(moments, reversed(chain), strict=True)
        )
    changes.sort()
    return [
        {
            "id": FIRST_STATUS_CHANGE_ID + n,
            "status_change_at": moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "old_status": old,
            "new_status": new,
            # Gcore: "Account federation", example "GCL"; the sandbox's accounts are all in it.
            "federation_id": "GCL",
            "client": client_id,
        }
        for n, (moment, client_id, old, new) in enumerate(changes)
    ]
