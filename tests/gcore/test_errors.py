from __future__ import annotations

import pytest

from dashboard.upstream.errors import parse_retry_after, split_errors


@pytest.mark.parametrize(
    ("body", "fields", "general"),
    [
        # docs/gcore-api-notes.md §5, one case per documented shape
        (
            {"errors": {"email": ["Enter a valid email address."]}},
            {"email": ["Enter a valid email address."]},
            [],
        ),
        (
            {"errors": {"groups": "Group matching query does not exist."}},
            {"groups": ["Group matching query does not exist."]},
            [],
        ),
        (
            {"errors": {"client_user": {"role": ["Invalid role: X"]}}},
            {"client_user.role": ["Invalid role: X"]},
            [],
        ),
        (
            {"errors": {"errors": ["No active account found with the given credentials."]}},
            {},
            ["No active account found with the given credentials."],
        ),
        (
            ["User 12 has already been invited to client 34"],
            {},
            ["User 12 has already been invited to client 34"],
        ),
        (
            [{"new_email": ["This email is taken."]}, {"password": ["Wrong password."]}],
            {"new_email": ["This email is taken."], "password": ["Wrong password."]},
            [],
        ),
        (
            {"message": "JSON parse error - Expecting ',' delimiter"},
            {},
            ["JSON parse error - Expecting ',' delimiter"],
        ),
        ({"detail": "Not found.", "code": "not_found"}, {}, ["Not found."]),
        ({"errors": {"non_field_errors": ["Invalid data."]}}, {}, ["Invalid data."]),
        (
            {"errors": {"email": ["a", "b"], "companyName": ["c"]}},
            {"email": ["a", "b"], "companyName": ["c"]},
            [],
        ),
        (None, {}, []),
        ("plain text error", {}, ["plain text error"]),
    ],
)
def test_split_errors_reads_every_documented_shape(body, fields, general):
    assert split_errors(body) == (fields, general)


def test_retry_after_accepts_seconds_and_dates():
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past: retry now
