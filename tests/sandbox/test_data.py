"""The generated data: deterministic, realistic, and covering every enum value."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from dashboard.sandbox import Sandbox
from tests.helpers import all_clients

NOW = datetime(2026, 5, 1, tzinfo=UTC)


def test_same_seed_same_data() -> None:
    assert all_clients(Sandbox(seed=5, clients=50, now=NOW)) == all_clients(
        Sandbox(seed=5, clients=50, now=NOW)
    )


def test_other_seed_other_data() -> None:
    assert all_clients(Sandbox(seed=5, clients=50, now=NOW)) != all_clients(
        Sandbox(seed=6, clients=50, now=NOW)
    )


def test_every_enum_value_is_represented(shared_sb: Sandbox) -> None:
    clients = all_clients(shared_sb)
    users = [u for c in clients for u in c["users"]]
    assert {c["status"] for c in clients} == {
        "new",
        "trial",
        "trialend",
        "active",
        "integration",
        "paused",
        "preparation",
        "ready",
    }
    service_statuses = {"new", "trial", "trialend", "active", "paused", "activating", "deleted"}
    for service in ("CDN", "CLOUD", "DDOS", "DNS", "STORAGE", "STREAMING"):
        assert {c["serviceStatuses"][service]["status"] for c in clients} == service_statuses
        assert {c["serviceStatuses"][service]["enabled"] for c in clients} == {True, False}
    assert {c["client_type"] for c in clients} == {"common", "reseller", "sales"}
    assert {c["signup_process"] for c in clients} == {"sign_up_full", "sign_up_simple", None}
    assert {u["lang"] for u in users} == {"de", "en", "ru", "zh", "az"}
    assert {g["id"] for u in users for g in u["groups"]} == {1, 2, 5, 3009, 3022}
    assert {t for u in users for t in u["auth_types"]} == {"password", "sso", "github", "google-oauth2"}


def test_even_a_tiny_sandbox_shows_every_status() -> None:
    clients = all_clients(Sandbox(seed=1, clients=8, now=NOW))
    assert len({c["status"] for c in clients}) == 8
    assert len({c["serviceStatuses"]["CDN"]["status"] for c in clients}) == 7


def test_proportions_are_realistic(shared_sb: Sandbox) -> None:
    clients = all_clients(shared_sb)

    def share(test) -> float:
        return sum(map(test, clients)) / len(clients)

    assert 0.04 < share(lambda c: c["deleted"]) < 0.13
    assert 0.07 < share(lambda c: c["is_test"]) < 0.18
    assert 0.6 < share(lambda c: c["resellers"] == 1001) < 0.95
    assert 0.75 < share(lambda c: c["client_type"] == "common") < 0.95
    assert share(lambda c: c["name"] is None) > 0.03
    assert share(lambda c: c["phone"] is None) > 0.05
    assert share(lambda c: c["custom_id"] is None) > 0.1
    assert share(lambda c: c["seller"] is None) > 0.1
    assert share(lambda c: c["entryBaseDomain"] is None) > 0.1
    assert share(lambda c: c["has_active_admin"]) > 0.7
    assert share(lambda c: not c["has_active_admin"]) > 0.02
    assert len({c["seller"] for c in clients} - {None}) == 6
    countries = Counter(c["country_code"] for c in clients)
    assert countries[""] > 10
    assert len(countries) - 1 >= 20


def test_company_names_include_untrusted_text(shared_sb: Sandbox) -> None:
    names = {c["companyName"] for c in all_clients(shared_sb)}
    assert any("<script>" in n for n in names)
    assert any("<b>" in n for n in names)
    assert any("&" in n for n in names)
    assert any("'" in n for n in names)
    assert any('"' in n for n in names)
    assert any(not n.isascii() for n in names)


def test_users_belong_to_their_client(shared_sb: Sandbox) -> None:
    seen: set[int] = set()
    for client in all_clients(shared_sb):
        ids = [u["id"] for u in client["users"]]
        assert 1 <= len(ids) <= 5
        assert client["currentUser"] in ids
        assert client["owner"] == ids[0]
        assert client["users"][0]["email"] == client["email"]
        assert not seen & set(ids)
        seen |= set(ids)
        for user in client["users"]:
            assert (user["client"], user["reseller"]) == (client["id"], client["resellers"])
            assert len(user["groups"]) == 1
            if client["deleted"]:
                assert user["deleted"]


def test_features_match_their_service(shared_sb: Sandbox) -> None:
    activation_ids: list[int] = []
    for client in all_clients(shared_sb):
        for key, id_key in (("paidFeatures", "paid_feature_id"), ("freeFeatures", "free_feature_id")):
            for service, features in client[key].items():
                for feature in features:
                    assert feature["service"] == service
                    assert feature["create_date"].endswith("Z")
                    activation_ids.append(feature[id_key])
        assert client["capabilities"] == [s for s, v in client["serviceStatuses"].items() if v["enabled"]]
    assert activation_ids and len(activation_ids) == len(set(activation_ids))


def test_ten_thousand_clients_build() -> None:
    # How fast is for benchmarks to say, not a timed assertion that flakes on a shared machine.
    sandbox = Sandbox(seed=42, clients=10_000)
    assert len(sandbox.client_ids()) == len(set(sandbox.client_ids())) == 10_000
