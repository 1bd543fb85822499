"""The seeded data holds what the attention queue's scans look for (issue 22), as the API shows it:
services due for deletion within days, trials that overran 30 days, live clients without an active
administrator, users who never activated, and API tokens that expire within two weeks."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx

from dashboard.sandbox import Sandbox, SandboxTransport


def parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def test_every_finding_is_seeded(sb: Sandbox, api: httpx.Client) -> None:
    now = sb.now
    clients = api.get("/iam/clients", params={"deleted": "false"}).json()
    due_soon, overrun_trials, expiring = [], [], []
    for client in clients:
        for service in api.get(f"/iam/clients/{client['id']}/services").json():
            if service["status"] in ("paused", "trialend"):
                assert service["deleted_date"] is not None
                if parse(service["deleted_date"]) - now <= timedelta(days=3):
                    due_soon.append(service)
            if service["status"] == "trial" and now - parse(service["start"]) > timedelta(days=30):
                overrun_trials.append(service)
        for token in api.get(f"/iam/v2/clients/{client['id']}/tokens").json():
            if token["exp_date"] and now < parse(token["exp_date"]) <= now + timedelta(days=14):
                expiring.append(token)
                assert token["expired"] is False
    without_admin = [c for c in clients if not c["has_active_admin"]]
    unactivated = [u for c in clients for u in c["users"] if not u["activated"] and not u["deleted"]]
    assert len(due_soon) >= 3
    assert all(parse(s["deleted_date"]) > now for s in due_soon)  # still ahead, but only just
    assert len(overrun_trials) >= 3
    assert len(without_admin) >= 3
    assert len(unactivated) >= 3
    assert len(expiring) >= 3


def test_the_findings_are_the_same_for_the_same_seed() -> None:
    first, second = Sandbox(seed=11, clients=40), Sandbox(seed=11, clients=40)
    for sandbox in (first, second):
        sandbox.token = None
    with (
        httpx.Client(transport=_transport(first), base_url="https://api.gcore.com", headers=_key()) as one,
        httpx.Client(transport=_transport(second), base_url="https://api.gcore.com", headers=_key()) as two,
    ):
        for client_id in first.client_ids()[:15]:
            for path in (f"/iam/clients/{client_id}/services", f"/iam/v2/clients/{client_id}/tokens"):
                assert one.get(path).json() == two.get(path).json()


def _transport(sandbox: Sandbox) -> httpx.BaseTransport:
    return SandboxTransport(sandbox)


def _key() -> dict[str, str]:
    return {"Authorization": "APIKey any"}
