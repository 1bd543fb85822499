"""The save pipeline: the pure rules first, then `run_save` with a stand-in upstream (plain functions)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from dashboard.gcore import GcoreBadGateway, GcoreTimeout, GcoreValidationError
from dashboard.models import AuditEntry
from dashboard.services.saves import (
    Conflict,
    Save,
    Step,
    find_changes,
    find_conflicts,
    normalise,
    pending_changes,
    run_save,
)
from tests.helpers import make_staff


@pytest.mark.parametrize(
    ("value", "normal"),
    [
        ("  a ", "a"),
        ("", None),
        ("   ", None),
        (None, None),
        (["b", "a"], ["a", "b"]),
        (("x",), ["x"]),
        (0, 0),
    ],
)
def test_normalise_compares_like_with_like(value, normal):
    assert normalise(value) == normal


def test_only_what_the_person_changed_is_a_change():
    original = {"name": "Ann", "phone": None, "tags": ["a", "b"]}
    desired = {"name": "Ann ", "phone": "", "tags": ["b", "a"], "email": "x@y.z"}
    assert find_changes(original, desired) == {"email": "x@y.z"}


def test_a_change_the_upstream_already_has_is_not_sent_again():
    assert pending_changes({"name": "Bo", "phone": "1"}, {"name": "Bo", "phone": "2"}) == {"phone": "1"}


def test_a_conflict_needs_both_sides_to_change_the_same_field_differently():
    original = {"name": "Ann", "phone": "1", "email": "a@x.y"}
    current = {"name": "Anna", "phone": "2", "email": "a@x.y"}
    changes = {"name": "Annie", "phone": "2", "email": "b@x.y"}
    conflicts = find_conflicts(changes, original, current, {"name": "Name"})
    # phone: both made the same change; email: only the person changed it.
    assert conflicts == [Conflict("name", "Name", "Ann", "Anna", "Annie")]


# -- run_save ---------------------------------------------------------------------------------------


class Upstream:
    """A record and a log of the calls made to change it; stands in for Gcore at the edge."""

    def __init__(self, **record):
        self.record = dict(record)
        self.sent: list[dict] = []
        self.invalidated = 0
        self.fail: dict[str, Exception] = {}

    def send(self, step):
        def call(changes, current):
            if step in self.fail:
                raise self.fail[step]
            self.sent.append({step: changes})
            self.record |= changes
            return dict(self.record)

        return call

    def save(self, **overrides):
        def invalidate():
            self.invalidated += 1

        return Save(
            **{
                "action": AuditEntry.Action.USER_UPDATE,
                "client_id": 7,
                "user_id": 70,
                "labels": {"name": "Name", "phone": "Phone", "role": "Role"},
                "read": lambda: dict(self.record),
                "values": dict,
                "steps": [Step(("name", "phone"), self.send("profile")), Step(("role",), self.send("role"))],
                "invalidate": invalidate,
            }
            | overrides
        )


@pytest.fixture
def staff(db):
    return make_staff("sam.support")


def entries():
    return list(AuditEntry.objects.order_by("id"))


def test_a_save_sends_only_the_changes_per_step_and_audits_once(staff):
    upstream = Upstream(name="Ann", phone="1", role=2)
    original = dict(upstream.record)
    result = run_save(
        upstream.save(), original=original, desired=original | {"phone": "2", "role": 1}, actor=staff
    )
    assert result.outcome == AuditEntry.Outcome.SAVED and result.saved == ["Phone", "Role"]
    assert upstream.sent == [{"profile": {"phone": "2"}}, {"role": {"role": 1}}]
    assert upstream.invalidated == 1
    [entry] = entries()
    assert entry.outcome == "saved" and entry.client_id == 7 and entry.user_id == 70
    assert entry.changes == [
        {"field": "phone", "old": "1", "new": "2"},
        {"field": "role", "old": 2, "new": 1},
    ]


def test_nothing_changed_reads_and_sends_nothing(staff):
    upstream = Upstream(name="Ann")
    reads = []
    save = upstream.save(read=lambda: reads.append(1) or dict(upstream.record))
    result = run_save(save, original={"name": "Ann"}, desired={"name": " Ann"}, actor=staff)
    assert result.outcome == AuditEntry.Outcome.UNCHANGED
    assert reads == [] and upstream.sent == [] and entries() == []


def test_a_conflict_sends_nothing_until_the_person_chooses_to_overwrite(staff):
    upstream = Upstream(name="Anna", phone="1", role=2)  # someone renamed Ann meanwhile
    original = {"name": "Ann", "phone": "1", "role": 2}
    desired = original | {"name": "Annie"}
    refused = run_save(upstream.save(), original=original, desired=desired, actor=staff)
    assert refused.outcome == AuditEntry.Outcome.CONFLICT and upstream.sent == []
    assert [c.current for c in refused.conflicts] == ["Anna"]
    overwritten = run_save(upstream.save(), original=original, desired=desired, actor=staff, overwrite=True)
    assert overwritten.outcome == AuditEntry.Outcome.SAVED and upstream.record["name"] == "Annie"
    assert [e.outcome for e in entries()] == ["conflict", "saved"]
    assert entries()[1].message == "Overwrote a concurrent change."


def test_a_later_step_failing_is_a_partial_save_that_says_what_reached_the_upstream(staff):
    upstream = Upstream(name="Ann", phone="1", role=2)
    upstream.fail["role"] = GcoreBadGateway(status_code=502, request_id="req-42")
    original = dict(upstream.record)
    result = run_save(
        upstream.save(), original=original, desired=original | {"name": "Bo", "role": 1}, actor=staff
    )
    assert result.outcome == AuditEntry.Outcome.PARTIAL
    assert (result.saved, result.failed) == (["Name"], ["Role"])
    assert upstream.record["name"] == "Bo" and upstream.invalidated == 1
    [entry] = entries()
    assert (
        entry.outcome == "partial" and entry.upstream_status == 502 and entry.upstream_request_id == "req-42"
    )
    assert entry.message.startswith("Saved: Name. Not saved: Role (GcoreBadGateway:")


@pytest.mark.parametrize(
    ("error", "outcome"),
    [
        (GcoreValidationError(body={"errors": {"phone": ["Too long."]}}, request_id="r-1"), "rejected"),
        (GcoreTimeout(request_id=None), "upstream_error"),
    ],
)
def test_a_first_step_failing_is_audited_and_raised_and_the_cache_dropped(staff, error, outcome):
    upstream = Upstream(name="Ann", phone="1", role=2)
    upstream.fail["profile"] = error
    original = dict(upstream.record)
    with pytest.raises(type(error)):
        run_save(upstream.save(), original=original, desired=original | {"phone": "2"}, actor=staff)
    # A timeout may still have reached the upstream: whatever was cached is stale now.
    assert upstream.invalidated == 1
    [entry] = entries()
    assert entry.outcome == outcome and entry.upstream_request_id == (error.request_id or "")


def test_a_failed_read_is_audited_with_what_was_asked_and_nothing_is_sent(staff):
    upstream = Upstream(name="Ann")

    def read():
        raise GcoreBadGateway(status_code=503, request_id="gone-1")

    with pytest.raises(GcoreBadGateway):
        run_save(upstream.save(read=read), original={"name": "Ann"}, desired={"name": "Bo"}, actor=staff)
    assert upstream.sent == [] and upstream.invalidated == 0
    [entry] = entries()
    assert entry.changes == [{"field": "name", "old": "Ann", "new": "Bo"}]
    assert entry.upstream_request_id == "gone-1"


def test_authorize_refuses_before_anything_is_read(staff):
    def authorize(changes):
        if "role" in changes:
            raise PermissionDenied("no")

    upstream = Upstream(role=2)
    reads = []
    save = upstream.save(authorize=authorize, read=lambda: reads.append(1) or dict(upstream.record))
    with pytest.raises(PermissionDenied):
        run_save(save, original={"role": 2}, desired={"role": 1}, actor=staff)
    assert reads == [] and entries() == []


def test_audit_names_and_values_are_the_upstreams(staff):
    upstream = Upstream(role=2)
    save = upstream.save(audit_name=lambda name: f"wire_{name}", audit_value=lambda name, v: f"group {v}")
    run_save(save, original={"role": 2}, desired={"role": 5}, actor=staff)
    assert entries()[0].changes == [{"field": "wire_role", "old": "group 2", "new": "group 5"}]
