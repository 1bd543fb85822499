"""The demo data: deterministic, realistic, tied to the Gcore sandbox's data, fast, and private to each
sandbox."""

from __future__ import annotations

import itertools
import re
import time
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from dashboard.sandbox import Sandbox
from dashboard.spp_sandbox import SandboxTransport, SppSandbox

NOW = datetime(2025, 6, 1, tzinfo=UTC)
DATE_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00")


def everyone(sandbox: SppSandbox) -> list[dict[str, Any]]:
    return [sandbox.client_json(client_id) for client_id in sandbox.client_ids()]


def split(name: str | None) -> tuple[str, str]:
    first, _, last = (name or "").partition(" ")
    return first, last


@pytest.fixture(scope="module")
def gcore() -> list[dict[str, Any]]:
    """The Gcore sandbox's clients the shared SPP sandbox is made from."""
    sandbox = Sandbox(seed=42, clients=600, now=NOW)
    return [sandbox.client_json(client_id) for client_id in sandbox.client_ids()]


@pytest.fixture(scope="module")
def matches(shared_sb: SppSandbox, gcore: list[dict[str, Any]]) -> dict[int, list[dict[str, Any]]]:
    """Each Gcore client's SPP clients (same e-mail, any letter case), by Gcore id."""
    return {
        client["id"]: [shared_sb.client_json(i) for i in shared_sb.ids_with_email(client["email"])]
        for client in gcore
    }


def singles(gcore: list[dict[str, Any]], matches: dict[int, list[dict[str, Any]]]) -> list[tuple[dict, dict]]:
    return [(client, matches[client["id"]][0]) for client in gcore if len(matches[client["id"]]) == 1]


# -- ties to the Gcore data ----------------------------------------------------------------------


def test_shares_of_gcore_clients_with_one_none_or_two(
    gcore: list[dict[str, Any]], matches: dict[int, list[dict[str, Any]]]
) -> None:
    counts = Counter(len(found) for found in matches.values())
    assert counts == {1: 513, 0: 72, 2: 15}
    assert 0.78 <= counts[1] / len(gcore) <= 0.9
    assert 0.1 <= counts[0] / len(gcore) <= 0.14
    assert counts[2] >= 5


def test_duplicates_are_two_clients_with_one_email(matches: dict[int, list[dict[str, Any]]]) -> None:
    for found in (found for found in matches.values() if len(found) == 2):
        first, second = found
        assert first["id"] != second["id"]
        assert first["email"].lower() == second["email"].lower()


def test_a_few_emails_differ_in_letter_case(gcore, matches) -> None:
    recased = [(g, s) for g, s in singles(gcore, matches) if s["email"] != g["email"]]
    assert 10 <= len(recased) <= 30
    for gcore_client, spp_client in recased:
        assert spp_client["email"].lower() == gcore_client["email"].lower()
        assert spp_client["email"] != spp_client["email"].lower()


def test_fields_copied_from_gcore_with_visible_drift(gcore, matches) -> None:
    pairs = singles(gcore, matches)
    phone = [s for g, s in pairs if s["phone"] != (g["phone"] or "")]
    company = [s for g, s in pairs if s["company"] != g["companyName"]]
    name = [s for g, s in pairs if (s["name_f"], s["name_l"]) != split(g["name"])]
    assert 0.07 <= len(phone) / len(pairs) <= 0.13
    assert 0.04 <= len(company) / len(pairs) <= 0.09
    assert 0.04 <= len(name) / len(pairs) <= 0.09
    # Realistic kinds of drift: the same number written without spaces, a legal suffix dropped.
    assert any(s["phone"] == (g["phone"] or "").replace(" ", "") != g["phone"] for g, s in pairs)
    assert any(g["companyName"].startswith(s["company"] + " ") for g, s in pairs)
    assert any((s["name_f"], s["name_l"]) == split(g["name"])[::-1] for g, s in pairs)


def test_names_come_from_the_gcore_name(gcore, matches) -> None:
    pairs = singles(gcore, matches)
    same = [(g, s) for g, s in pairs if (s["name_f"], s["name_l"]) == split(g["name"])]
    assert any(g["name"] is None and s["name_f"] == s["name_l"] == s["name"] == "" for g, s in same)
    assert all(s["name"] == (g["name"] or "") for g, s in same)


def test_address_country_follows_gcore(gcore, matches) -> None:
    for gcore_client, spp_client in singles(gcore, matches):
        assert spp_client["address"]["country"] == (gcore_client["country_code"] or "US")


def test_spp_only_clients(shared_sb: SppSandbox, gcore: list[dict[str, Any]]) -> None:
    gcore_emails = {client["email"].lower() for client in gcore}
    only = [c for c in everyone(shared_sb) if c["email"].lower() not in gcore_emails]
    assert len(only) == 40
    assert len({c["email"].lower() for c in only}) == 40


def test_emails_line_up_with_a_default_gcore_sandbox() -> None:
    """Both default to today, midnight UTC, so the dashboard's two sandboxes match up."""
    gcore = Sandbox()
    spp = SppSandbox()
    assert spp.now == gcore.now
    gcore_emails = {gcore.client_json(i)["email"].lower() for i in gcore.client_ids()}
    spp_emails = {spp.client_json(i)["email"].lower() for i in spp.client_ids()}
    shared = gcore_emails & spp_emails
    assert len(shared) == 600 - 72
    assert len(spp_emails - gcore_emails) == 40


# -- realism ------------------------------------------------------------------------------------


def test_every_field_is_plausible(shared_sb: SppSandbox) -> None:
    clients = everyone(shared_sb)
    employee_ids = {employee["id"] for employee in shared_sb.employees()}
    all_ids = set(shared_sb.client_ids())
    for c in clients:
        assert DATE_TIME.fullmatch(c["created_at"])
        assert c["created_at"] <= NOW.isoformat()
        assert isinstance(c["balance"], float) and round(c["balance"], 2) == c["balance"]
        assert c["spent"] is None or re.fullmatch(r"\d+\.\d\d", c["spent"])
        assert c["optin"] in ("Yes", "No")
        assert c["stripe_id"] == "" or re.fullmatch(r"cus_[A-Za-z0-9]{14}", c["stripe_id"])
        assert c["status"] in (1, 2, 3)
        assert c["role"]["id"] == c["role_id"]
        assert isinstance(c["custom_fields"], dict)
        assert all(
            isinstance(c[key], str) for key in ("name_f", "name_l", "company", "tax_id", "phone", "note")
        )
        assert all(isinstance(value, str) for value in c["address"].values())
        assert {manager["id"] for manager in c["managers"]} <= employee_ids
        assert c["aff_link"].startswith("https://") and isinstance(c["aff_id"], int)
        assert c["ga_cid"] == "" or re.fullmatch(r"\d{9}\.\d{10}", c["ga_cid"])
        assert set(c["team_owner_ids"]) <= all_ids and set(c["team_member_ids"]) <= all_ids
        for owner in c["team_owner_ids"]:
            assert c["id"] in shared_sb.client_json(owner)["team_member_ids"]
    assert len({c["aff_id"] for c in clients}) == len(clients)
    signs = Counter((c["balance"] > 0) - (c["balance"] < 0) for c in clients)
    assert signs[0] > signs[1] > 0 and signs[-1] > 0
    assert Counter(c["status"] for c in clients).keys() == {1, 2, 3}
    assert any(c["spent"] is None for c in clients) and any(c["spent"] for c in clients)
    assert any(c["custom_fields"] for c in clients) and any(not c["custom_fields"] for c in clients)
    assert any(c["team_owner_ids"] for c in clients)
    assert Counter(len(c["managers"]) for c in clients).keys() == {0, 1, 2}
    assert any(c["tax_id"] for c in clients) and any(c["note"] for c in clients)


def test_ids_and_dates(shared_sb: SppSandbox) -> None:
    ids = shared_sb.client_ids()
    assert ids[0] > max(employee["id"] for employee in shared_sb.employees())
    dates = [shared_sb.client_json(i)["created_at"] for i in ids]
    assert any(later < earlier for earlier, later in itertools.pairwise(dates)), "imports"
    assert max(Counter(dates).values()) >= 3, "a day of migrated clients"


def test_employees() -> None:
    employees = SppSandbox.employees()
    assert 4 <= len(employees) <= 6
    assert [e["id"] for e in employees] == list(range(25, 25 + len(employees)))
    for employee in employees:
        assert list(employee) == ["id", "name", "name_f", "name_l", "email", "role_id"]
        assert employee["name"] == f"{employee['name_f']} {employee['name_l']}"
    employees[0]["name"] = "changed"
    assert SppSandbox.employees()[0]["name"] != "changed"


def test_ids_with_email_ignores_case(shared_sb: SppSandbox) -> None:
    client = shared_sb.client_json(shared_sb.client_ids()[0])
    assert client["id"] in shared_sb.ids_with_email(client["email"].swapcase())
    assert shared_sb.ids_with_email("nobody@nowhere.example") == []


def test_client_json_is_a_copy_and_unknown_ids_raise(sb: SppSandbox) -> None:
    client_id = sb.client_ids()[0]
    sb.client_json(client_id)["address"]["city"] = "Elsewhere"
    sb.client_json(client_id)["managers"].clear()
    assert sb.client_json(client_id)["address"]["city"] != "Elsewhere"
    with pytest.raises(KeyError):
        sb.client_json(1)


# -- determinism, speed and private copies --------------------------------------------------------


def test_the_same_arguments_give_the_same_data(shared_sb: SppSandbox) -> None:
    again = SppSandbox(seed=42, gcore_clients=600, now=NOW)
    assert everyone(again) == everyone(shared_sb)
    other_seed = SppSandbox(seed=43, gcore_clients=600, now=NOW)
    assert everyone(other_seed) != everyone(shared_sb)


def test_small_sandboxes(token: str) -> None:
    tiny = SppSandbox(seed=1, gcore_clients=30, token=token, now=NOW)
    assert len(tiny.client_ids()) == 29  # 4 without, 1 with two, 25 with one; 2 SPP-only
    empty = SppSandbox(seed=1, gcore_clients=0, token=token, now=NOW)
    assert empty.client_ids() == []
    with httpx.Client(
        transport=SandboxTransport(empty), base_url="http://x", headers={"Authorization": f"Bearer {token}"}
    ) as client:
        assert client.get("/api/clients").json()["meta"]["last_page"] == 1


def test_building_is_fast() -> None:
    now = datetime(2024, 2, 29, 12, tzinfo=UTC)  # arguments no other test uses: nothing cached
    started = time.perf_counter()
    SppSandbox(seed=99, gcore_clients=600, now=now)
    cold = time.perf_counter() - started
    SppSandbox(seed=99, gcore_clients=600, now=now)  # the second build keeps a pickled copy
    started = time.perf_counter()
    SppSandbox(seed=99, gcore_clients=600, now=now)
    warm = time.perf_counter() - started
    assert cold < 1.0, cold  # a few tens of ms on a laptop; generous for slow CI machines
    assert warm < 0.2, warm


def test_a_change_in_one_sandbox_shows_in_no_other(token: str) -> None:
    def new() -> SppSandbox:
        return SppSandbox(seed=5, gcore_clients=60, token=token, now=NOW)

    first, second = new(), new()
    seeded = everyone(second)
    client_id = first.client_ids()[0]
    with httpx.Client(
        transport=SandboxTransport(first), base_url="http://x", headers={"Authorization": f"Bearer {token}"}
    ) as client:
        body = {
            "company": "Changed",
            "address": {"city": "Oslo"},
            "custom_fields": {"k": "v"},
            "employee_id": [29],
        }
        assert client.put(f"/api/clients/{client_id}", json=body).status_code == 200
    assert first.client_json(client_id)["address"]["city"] == "Oslo"
    third = new()
    assert everyone(second) == seeded
    assert everyone(third) == seeded
    first.reset()
    assert everyone(first) == seeded
