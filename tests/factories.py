"""Upstream-shaped payloads (Gcore's wire names), each with one key Gcore might add later."""

from __future__ import annotations

from typing import Any


def user_payload(**overrides: Any) -> dict[str, Any]:
    data = {
        "id": 9,
        "email": "jane@example.com",
        "name": "Jane Doe",
        "lang": "en",
        "phone": None,
        "company": "Acme & Sons",
        "reseller": 77,
        "client": 5,
        "deleted": False,
        "groups": [{"id": 1, "name": "Administrators"}],
        "activated": True,
        "sso_auth": False,
        "two_fa": True,
        "auth_types": ["password"],
        "an_unknown_key": "ignored",
    }
    return data | overrides


def client_payload(**overrides: Any) -> dict[str, Any]:
    data = {
        "id": 5,
        "users": [user_payload()],
        "email": "billing@acme.example",
        "phone": "+44 20 7946 0000",
        "name": "Jane Doe",
        "status": "active",
        "companyName": "Acme & Sons",
        "website": "https://acme.example",
        "currentUser": 9,
        "capabilities": ["CDN", "DNS"],
        "serviceStatuses": {
            "CDN": {"status": "active", "enabled": True},
            "DNS": {"status": "trial", "enabled": True},
        },
        "paidFeatures": {
            "CDN": [{"feature_id": 1, "name": "Image stack", "service": "CDN", "paid_feature_id": 11}]
        },
        "freeFeatures": {},
        "entryBaseDomain": None,
        "signup_process": "sign_up_full",
        "deleted": False,
        "bill_type": "postpaid",
        "custom_id": None,
        "country_code": "GB",
        "is_test": False,
        "has_active_admin": True,
        "seller": None,
        "resellers": 77,
        "client_type": "common",
        "owner": 9,
        "an_unknown_key": {"nested": True},
    }
    return data | overrides


def page_payload(results: list[dict[str, Any]], count: int | None = None) -> dict[str, Any]:
    return {
        "count": len(results) if count is None else count,
        "next": None,
        "previous": None,
        "results": results,
    }
