"""Deterministic SPP demo data, tied to the Gcore sandbox's demo data.

The same (seed, gcore_clients, now) always gives the same clients. The Gcore sandbox's store for
(seed, gcore_clients, now) is built first; then, drawing from one seeded RNG in a fixed order:

* 12% of the Gcore clients (rounded) have no SPP client, 2.5% have two with the same e-mail (a
  duplicate made later, different ids), all the others exactly one;
* of the Gcore clients with an SPP client, 4% see their e-mail in other letter case there, and the
  (first) SPP client of 10% has another phone, of 6% another company, of 6% another contact name
  (drift the billing link must show; the sets are drawn independently, so some overlap);
* one SPP-only client per 15 Gcore clients (40 for 600), on domains Gcore's data never uses.

Ids follow insertion order, which for most clients is creation order; about 5% were imported later
with an older, day-precision `created_at`, so id order and date order differ, and some dates tie.
"""

from __future__ import annotations

import string
from datetime import UTC, datetime, timedelta
from typing import Any

from dashboard.sandbox.data import (
    COMPANY_CORES,
    COMPANY_PREFIXES,
    FIRST_NAMES,
    LAST_NAMES,
    FastRandom,
    Snapshots,
    ascii_slug,
)
from dashboard.sandbox.data import seeded_store as gcore_seeded_store
from dashboard.sandbox.store import ClientRecord

from .catalog import CLIENT_STATUSES, DEFAULT_CLIENT_ROLE, EMPLOYEES, WORKSPACE_HOST
from .store import SppClient, SppStore

FIRST_CLIENT_ID = 120
FIRST_AFF_ID = 3001
NO_SPP_SHARE = 0.12
TWO_SPP_SHARE = 0.025
CASE_VARIANT_SHARE = 0.04
PHONE_DRIFT, COMPANY_DRIFT, NAME_DRIFT = 0.10, 0.06, 0.06
GCORE_CLIENTS_PER_SPP_ONLY = 15
IMPORTED_SHARE = 0.05
MIGRATION_DAYS_AGO = 900
DEFAULT_COUNTRY = "US"

# fmt: off
# (city, state, postcode pattern: "#" a digit, "A" a capital letter) by country.
PLACES: dict[str, tuple[str, str, str]] = {
    "US": ("Austin", "TX", "787##"), "DE": ("Berlin", "BE", "10###"), "GB": ("Manchester", "", "M# #AA"),
    "NL": ("Utrecht", "UT", "35## AA"), "FR": ("Lyon", "", "690##"), "LU": ("Luxembourg", "", "L-1###"),
    "CY": ("Limassol", "", "30##"), "PL": ("Kraków", "", "3#-###"), "ES": ("Valencia", "", "460##"),
    "IT": ("Milano", "MI", "201##"), "SE": ("Göteborg", "", "41# ##"), "FI": ("Espoo", "", "02###"),
    "AE": ("Dubai", "", ""), "IN": ("Bengaluru", "KA", "560###"), "JP": ("Osaka", "Osaka", "53#-####"),
    "SG": ("Singapore", "", "0#####"), "BR": ("São Paulo", "SP", "0####-###"),
    "CA": ("Toronto", "ON", "M#A #A#"),
    "AU": ("Sydney", "NSW", "2###"), "KR": ("Seoul", "", "0####"), "AZ": ("Baku", "", "AZ10##"),
}
STREETS = (
    "Market Street", "Hauptstraße", "Harbour Road", "Rue de la Paix", "Via Roma", "Oak Avenue", "Kings Road",
)
LINE_2 = ("Suite 100", "Floor 3", "Unit 12", "c/o Accounts Payable")
EU = frozenset({"DE", "NL", "FR", "LU", "CY", "PL", "ES", "IT", "SE", "FI"})
NOTES = (
    "Prefers invoices by e-mail only.", "Pays by bank transfer, net 30.", "Ask for the PO number.",
    "Migrated from the old billing system.", "VIP: call before suspending.", "Annual plan, renews in March.",
)
INDUSTRIES = ("Media", "E-commerce", "Gaming", "SaaS", "Education", "Finance")
SOURCES = ("Referral", "Website", "Partner", "Event")
LEGAL_SUFFIXES = ("GmbH", "Ltd", "Inc.", "LLC", "B.V.", "S.A.", "AB", "Oy", "SAS", "S.r.l.", "Sp. z o.o.")
SPP_ONLY_TLDS = ("io", "net", "agency")  # never used by the Gcore sandbox's data
ALPHANUMERIC = string.ascii_letters + string.digits
# fmt: on


def generate(*, seed: int, gcore_clients: int, now: datetime) -> SppStore:
    gcore = gcore_seeded_store(seed=seed, count=gcore_clients, now=now)
    return _Generator(FastRandom(f"spp:{seed}"), now).build([gcore.clients[i] for i in sorted(gcore.clients)])


_SNAPSHOTS: Snapshots[SppStore] = Snapshots(generate)


def seeded_store(*, seed: int, gcore_clients: int, now: datetime) -> SppStore:
    """A private copy of what `generate` builds for these arguments (kept as `Snapshots` says)."""
    return _SNAPSHOTS.get(seed=seed, gcore_clients=gcore_clients, now=now)


class _Generator:
    def __init__(self, rng: FastRandom, now: datetime) -> None:
        self.rng = rng
        self.now = now.astimezone(UTC).replace(microsecond=0)
        self.used_emails: set[str] = set()
        self.case_variants: set[int] = set()
        self.phone_drift: set[int] = set()
        self.company_drift: set[int] = set()
        self.name_drift: set[int] = set()

    def build(self, gcore: list[ClientRecord]) -> SppStore:
        rng = self.rng
        self.used_emails = {client.fields["email"].lower() for client in gcore}
        count = len(gcore)
        n_none, n_two = round(count * NO_SPP_SHARE), round(count * TWO_SPP_SHARE)
        picked = rng.sample(range(count), n_none + n_two)
        without, twice = set(picked[:n_none]), set(picked[n_none:])
        # Exact shares of the Gcore clients that have an SPP client, so every seed shows each kind.
        linked = [index for index in range(count) if index not in without]
        self.case_variants, self.phone_drift, self.company_drift, self.name_drift = (
            set(rng.sample(linked, round(len(linked) * share)))
            for share in (CASE_VARIANT_SHARE, PHONE_DRIFT, COMPANY_DRIFT, NAME_DRIFT)
        )
        # (inserted_at, fields, employee_ids): ids follow insertion order.
        drafts: list[tuple[datetime, dict[str, Any], list[int]]] = []
        for index, client in enumerate(gcore):
            if index in without:
                continue
            drafts.append(self.from_gcore(index, client))
            if index in twice:
                drafts.append(self.duplicate(client, drafts[-1][1]))
        for _ in range(round(count / GCORE_CLIENTS_PER_SPP_ONLY)):
            drafts.append(self.spp_only())
        drafts.sort(key=lambda draft: draft[0])  # stable: equal times keep their drawing order
        clients: dict[int, SppClient] = {}
        client_id = FIRST_CLIENT_ID
        for position, (_, fields, employee_ids) in enumerate(drafts):
            fields["aff_id"] = FIRST_AFF_ID + position
            clients[client_id] = SppClient(id=client_id, fields=fields, employee_ids=employee_ids)
            client_id += 1 if rng.random() < 0.8 else rng.randint(2, 4)  # deleted users leave gaps
        self.teams(list(clients.values()))
        return SppStore(clients=clients)

    # -- the three kinds of client ------------------------------------------------------------

    def from_gcore(self, index: int, gcore: ClientRecord) -> tuple[datetime, dict[str, Any], list[int]]:
        rng = self.rng
        f = gcore.fields
        email = recased(f["email"]) if index in self.case_variants else f["email"]
        name_f, name_l = split_name(f["name"])
        company, phone = f["companyName"], f["phone"] or ""
        if index in self.phone_drift:
            phone = self.drifted_phone(f["phone"], gcore.country)
        if index in self.company_drift:
            company = self.drifted_company(company)
        if index in self.name_drift:
            name_f, name_l = self.drifted_name(name_f, name_l)
        # Billing starts within three weeks of the Gcore sign-up (never after `now`).
        delay = rng.uniform(0, min(21 * 86_400, (self.now - gcore.created_at).total_seconds()))
        created = gcore.created_at + timedelta(seconds=delay)
        return self.client(email, name_f, name_l, company, phone, gcore.country or DEFAULT_COUNTRY, created)

    def duplicate(
        self, gcore: ClientRecord, first: dict[str, Any]
    ) -> tuple[datetime, dict[str, Any], list[int]]:
        """A second account with the same address, made later (a repeated sign-up or a second
        checkout), often with less filled in."""
        rng = self.rng
        email = first["email"] if rng.random() < 0.6 else recased(gcore.fields["email"])
        keep_details = rng.random() < 0.5
        room = (self.now - first["created_at"]).total_seconds()
        created = first["created_at"] + timedelta(
            seconds=rng.uniform(min(3_600, room), min(200 * 86_400, room))
        )
        return self.client(
            email,
            first["name_f"],
            first["name_l"] if keep_details else "",
            first["company"] if keep_details else "",
            first["phone"] if keep_details else "",
            first["address"]["country"],
            created,
        )

    def spp_only(self) -> tuple[datetime, dict[str, Any], list[int]]:
        """A customer that buys from the reseller but has no Gcore account."""
        rng = self.rng
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        company = f"{rng.choice(COMPANY_PREFIXES)} {rng.choice(COMPANY_CORES)}"
        while True:
            domain = (
                f"{ascii_slug(company)[:20] or 'example'}{rng.randint(1, 99)}.{rng.choice(SPP_ONLY_TLDS)}"
            )
            local = f"{ascii_slug(first)}.{ascii_slug(last)}" if rng.random() < 0.7 else "billing"
            email = f"{local}@{domain}"
            if email.lower() not in self.used_emails:
                break
        self.used_emails.add(email.lower())
        country = rng.choice(tuple(PLACES))
        created = self.now - timedelta(seconds=rng.uniform(3_600, 3 * 365 * 86_400))
        return self.client(email, first, last, company, self.phone(country), country, created)

    # -- one client's fields ------------------------------------------------------------------

    def client(
        self,
        email: str,
        name_f: str,
        name_l: str,
        company: str,
        phone: str,
        country: str,
        created: datetime,
    ) -> tuple[datetime, dict[str, Any], list[int]]:
        rng = self.rng
        created = created.replace(microsecond=0)
        inserted = created
        if rng.random() < IMPORTED_SHARE:
            # Imported from an older system: inserted recently, dated by the old record to the day,
            # or, where the old record had no date, all with the same day (ties in the date order).
            inserted = self.now - timedelta(days=rng.randint(30, 60), seconds=rng.randint(0, 86_399))
            if rng.random() < 0.4:
                created = self.now - timedelta(days=MIGRATION_DAYS_AGO)
            else:
                created = created.replace(hour=0, minute=0, second=0) - timedelta(days=rng.randint(0, 400))
        tax_id = self.tax_id(country)
        fields: dict[str, Any] = {
            "aff_id": 0,  # set once the order of insertion is known
            "aff_link": f"https://{WORKSPACE_HOST}/r/{self.code(6, string.ascii_uppercase + string.digits)}",
            "created_at": created,
            "name_f": name_f,
            "name_l": name_l,
            "email": email,
            "company": company,
            "tax_id": tax_id,
            "phone": phone,
            "address": self.address(country, name_f, name_l, company, tax_id),
            "note": rng.choice(NOTES) if rng.random() < 0.2 else "",
            "balance": self.balance(),
            "optin": "Yes" if rng.random() < 0.55 else "No",
            "stripe_id": f"cus_{self.code(14, ALPHANUMERIC)}" if rng.random() < 0.6 else "",
            "custom_fields": self.custom_fields(),
            "status": self.status(),
            "role_id": DEFAULT_CLIENT_ROLE if rng.random() < 0.9 else 5,
            "spent": None
            if rng.random() < 0.25
            else f"{rng.choice((0, 1, 1, 1)) * rng.uniform(5, 25_000):.2f}",
            "ga_cid": (
                f"{rng.randint(100_000_000, 999_999_999)}.{rng.randint(1_500_000_000, 1_760_000_000)}"
                if rng.random() < 0.5
                else ""
            ),
            "team_owner_ids": [],
            "team_member_ids": [],
        }
        roll = rng.random()
        managers = 0 if roll < 0.25 else 1 if roll < 0.85 else 2
        return inserted, fields, rng.sample(tuple(EMPLOYEES), managers)

    def address(self, country: str, name_f: str, name_l: str, company: str, tax_id: str) -> dict[str, str]:
        rng = self.rng
        city, state, pattern = PLACES.get(country, PLACES[DEFAULT_COUNTRY])
        return {
            "line_1": f"{rng.randint(1, 240)} {rng.choice(STREETS)}",
            "line_2": rng.choice(LINE_2) if rng.random() < 0.25 else "",
            "city": city,
            "country": country,
            "state": state,
            "postcode": self.postcode(pattern),
            "name_f": name_f,
            "name_l": name_l,
            "tax_id": tax_id,
            "company_name": company,
            "company_vat": tax_id if country in EU else "",
        }

    def postcode(self, pattern: str) -> str:
        alphabets = {"#": string.digits, "A": string.ascii_uppercase}
        return "".join(self.code(1, alphabets[ch]) if ch in alphabets else ch for ch in pattern)

    def tax_id(self, country: str) -> str:
        rng = self.rng
        if country in EU and rng.random() < 0.7:
            return f"{country}{self.code(9, string.digits)}"
        return self.code(9, string.digits) if rng.random() < 0.25 else ""

    def balance(self) -> float:
        rng = self.rng
        roll = rng.random()
        if roll < 0.7:
            return 0.0
        if roll < 0.88:
            return round(rng.uniform(5, 800), 2)
        return -round(rng.uniform(5, 400), 2)

    def status(self) -> int:
        roll = self.rng.random()
        return CLIENT_STATUSES[0] if roll < 0.12 else CLIENT_STATUSES[1] if roll < 0.3 else CLIENT_STATUSES[2]

    def custom_fields(self) -> dict[str, str]:
        rng = self.rng
        if rng.random() < 0.55:
            return {}
        fields = {"Industry": rng.choice(INDUSTRIES)}
        if rng.random() < 0.5:
            fields["Lead source"] = rng.choice(SOURCES)
        return fields

    def phone(self, country: str) -> str:
        rng = self.rng
        code = {"US": "1", "CA": "1", "DE": "49", "GB": "44", "FR": "33", "NL": "31"}.get(country, "1")
        return f"+{code} {rng.randint(20, 999)} {rng.randint(100_000, 9_999_999)}"

    def code(self, length: int, alphabet: str) -> str:
        return "".join(self.rng.choice(alphabet) for _ in range(length))

    # -- drift --------------------------------------------------------------------------------

    def drifted_phone(self, phone: str | None, country: str | None) -> str:
        """Another number, or the same one written differently (spaces dropped)."""
        if phone and self.rng.random() < 0.3:
            return phone.replace(" ", "")
        changed = self.phone(country or DEFAULT_COUNTRY)
        return changed if changed != phone else changed + "0"

    def drifted_company(self, company: str) -> str:
        """The legal suffix dropped or added, or a typo."""
        rng = self.rng
        if rng.random() < 0.6:
            suffix = next((s for s in LEGAL_SUFFIXES if company.endswith(f" {s}")), None)
            if suffix:
                return company.removesuffix(f" {suffix}")
            return f"{company} {rng.choice(LEGAL_SUFFIXES)}"
        letters = [i for i in range(1, len(company) - 1) if company[i].isalpha() and company[i + 1].isalpha()]
        letters = [i for i in letters if company[i] != company[i + 1]]
        if not letters:
            return f"{company} GmbH"
        i = rng.choice(letters)
        return company[:i] + company[i + 1] + company[i] + company[i + 2 :]

    def drifted_name(self, name_f: str, name_l: str) -> tuple[str, str]:
        """Another first name, another last name, or the two swapped."""
        rng = self.rng
        roll = rng.random()
        if not name_f and not name_l:
            return rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        if roll < 0.3 and name_l and name_f != name_l:
            return name_l, name_f
        if roll < 0.65:
            others = [name for name in FIRST_NAMES if name != name_f]
            return rng.choice(others), name_l
        others = [name for name in LAST_NAMES if name != name_l]
        return name_f, rng.choice(others)

    # -- teams ----------------------------------------------------------------------------------

    def teams(self, clients: list[SppClient]) -> None:
        """A few clients are members of another client's team (SPP's team accounts)."""
        rng = self.rng
        pairs = rng.sample(range(len(clients)), 2 * (len(clients) // 40))
        for owner_index, member_index in zip(pairs[::2], pairs[1::2], strict=True):
            owner, member = clients[owner_index], clients[member_index]
            owner.fields["team_member_ids"].append(member.id)
            member.fields["team_owner_ids"].append(owner.id)


def split_name(name: str | None) -> tuple[str, str]:
    """Gcore's one `name` as SPP's name_f / name_l: split at the first space."""
    first, _, last = (name or "").strip().partition(" ")
    return first, last.strip()


def recased(email: str) -> str:
    """`ann.lee@example.com` → `Ann.Lee@Example.com`: each dotted part of the local part and the
    domain's first label capitalised."""
    local, _, domain = email.partition("@")
    label, dot, rest = domain.partition(".")
    return (
        ".".join(part[:1].upper() + part[1:] for part in local.split("."))
        + "@"
        + label.capitalize()
        + dot
        + rest
    )
