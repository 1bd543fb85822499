"""Fixtures for the sandbox's own tests: they need no Django, only the sandbox and httpx."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

import httpx
import jsonschema
import pydantic
import pytest
import yaml
from gcore import Gcore

from dashboard.sandbox import Sandbox, SandboxTransport, make_server
from tests.helpers import AUTH, BASE_URL, TOKEN, make_api, serving

ModelT = TypeVar("ModelT", bound=pydantic.BaseModel)


@pytest.fixture(scope="session")
def shared_sb() -> Sandbox:
    """One 600-client sandbox for tests that only read; never PATCH through it."""
    return Sandbox(seed=42, clients=600, token=TOKEN)


class Clock:
    """A sandbox clock that stands still until a test moves it."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC).replace(microsecond=250_000)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def sb(clock: Clock) -> Sandbox:
    """A fresh, smaller sandbox for tests that change data, faults or the log; its writes are
    stamped by `clock`."""
    return Sandbox(seed=7, clients=120, token=TOKEN, clock=clock)


@pytest.fixture
def api(sb: Sandbox) -> Iterator[httpx.Client]:
    with make_api(sb) as client:
        yield client


@pytest.fixture(scope="session")
def shared_api(shared_sb: Sandbox) -> Iterator[httpx.Client]:
    with make_api(shared_sb) as client:
        yield client


# -- Gcore's published schemas ---------------------------------------------------------------------

# Copies kept in the repository (a clone stands alone; seeds/README.md says where they come from).
SEEDS = Path(__file__).resolve().parent / "seeds"
YAML_BLOCK = re.compile(r"^````yaml[^\n]*\n(.*?)^````", re.MULTILINE | re.DOTALL)


class Schemas:
    """Check sandbox answers against Gcore's schemas: a seed page's, or the full reseller spec's."""

    GET_CLIENTS = "gcore-iam-get-clients.openapi.md"
    PATCH_CLIENT = "gcore-iam-patch-client.openapi.md"
    SPEC = "iam_reseller_api.yaml"
    IAM = "iam_api.yaml"  # users, invitations, API tokens

    def document(self, source: str = SPEC) -> dict[str, Any]:
        """The OpenAPI document: the YAML block of a seed page, or the spec file itself."""
        return _openapi(source)

    def schema(self, name: str, source: str = SPEC) -> dict[str, Any]:
        schema: dict[str, Any] = _openapi(source)["components"]["schemas"][name]
        return schema

    def required(self, name: str, source: str = SPEC) -> set[str]:
        return set(self.schema(name, source).get("required", []))

    def assert_valid(self, instance: Any, name: str, source: str = SPEC) -> None:
        errors = sorted(_validator(source, name).iter_errors(instance), key=lambda e: list(e.path))
        assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:10])


@pytest.fixture(scope="session")
def schemas() -> Schemas:
    return Schemas()


@cache
def _openapi(source: str) -> dict[str, Any]:
    text = (SEEDS / source).read_text(encoding="utf-8")
    if source.endswith(".md"):
        match = YAML_BLOCK.search(text)
        assert match, f"no yaml block in {source}"
        text = match.group(1)
    document: dict[str, Any] = yaml.safe_load(text)
    return document


def _to_json_schema(node: Any) -> Any:
    """OpenAPI 3.0 `nullable: true` becomes "or null"; everything else is already JSON Schema."""
    if isinstance(node, list):
        return [_to_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {key: _to_json_schema(value) for key, value in node.items() if key != "nullable"}
    if node.get("nullable") is True:
        return {"anyOf": [converted, {"type": "null"}]}
    return converted


@cache
def _validator(source: str, name: str) -> jsonschema.Draft202012Validator:
    components = _to_json_schema(_openapi(source)["components"])
    schemas = components["schemas"]
    # docs/gcore-api-notes.md §6: the published page schemas type next/previous as strings, but DRF
    # sends null at the ends.
    pages = (
        "PaginatedItemsArray",
        "NotificationSettingsPaginatedArray",
        "AccountRequestsSchema",
        "AccountStatusChangesSchema",
    )
    for page in (name for name in pages if name in schemas):
        for link in ("next", "previous"):
            schemas[page]["properties"][link] = {"type": ["string", "null"]}
    if "TokenResponse" in schemas:
        # Gcore: TokenResponse types last_usage as a non-nullable string (and so does the SDK's
        # APIToken), but a token never used has no such date: the sandbox sends null
        # (dashboard/sandbox/store.py, token_json).
        schemas["TokenResponse"]["allOf"][1]["properties"]["last_usage"] = {"type": ["string", "null"]}
    if "AccountRequestsItem" in schemas:
        # Gcore: AccountRequestsItem types `token` as a non-nullable integer, but a request made in
        # the portal (a JWT session) has no API token: the sandbox sends null
        # (docs/gcore-api-notes.md §13).
        schemas["AccountRequestsItem"]["properties"]["token"] = {"type": ["integer", "null"]}
    root = {"$ref": f"#/components/schemas/{name}", "components": components}
    return jsonschema.Draft202012Validator(
        root, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


# -- Gcore's official Python SDK (PyPI `gcore`) --------------------------------------------------------


class Sdk:
    """Gcore's SDK as an independent reader of the sandbox: its pydantic models (gcore.types.iam) and
    its client, talking to a sandbox in-process."""

    def validate(self, model: type[ModelT], body: dict[str, Any]) -> ModelT:
        """`model.model_validate(body)`. For a token never used, the SDK (like the spec) wants a
        string in `last_usage` where the sandbox sends null: check that this is the only field the
        SDK refuses, then validate the rest."""
        if "last_usage" in body and body["last_usage"] is None:
            with pytest.raises(pydantic.ValidationError) as refused:
                model.model_validate(body)
            assert [error["loc"] for error in refused.value.errors()] == [("last_usage",)]
            body = {**body, "last_usage": body["created"]}
        return model.model_validate(body)

    def client(self, sandbox: Sandbox) -> Gcore:
        """The SDK's client on the sandbox; no retries, so every call is one request."""
        transport = httpx.Client(transport=SandboxTransport(sandbox), base_url=BASE_URL)
        return Gcore(api_key=TOKEN, base_url=BASE_URL, http_client=transport, max_retries=0)


@pytest.fixture(scope="session")
def sdk() -> Sdk:
    return Sdk()


@pytest.fixture
def gcore_sdk(sdk: Sdk, sb: Sandbox) -> Iterator[Gcore]:
    """The SDK's client on `sb`."""
    client = sdk.client(sb)
    try:
        yield client
    finally:
        client.close()


@pytest.fixture
def loopback(sb: Sandbox) -> Iterator[httpx.Client]:
    """`sb` served on a loopback socket, and an httpx client with the key that talks to it."""
    with (
        serving(make_server(sb, host="127.0.0.1", port=0)) as url,
        httpx.Client(base_url=url, headers=AUTH, timeout=5) as client,
    ):
        yield client
