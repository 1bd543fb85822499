"""A thin, typed client for the parts of Gcore's IAM reseller API the dashboard uses.

It owns URLs, auth and parsing; timeouts, retries and the error mapping are the shared plumbing's
(dashboard/upstream/client.py). It knows nothing of Django requests or HTML. One instance (one
`httpx.Client`, one keep-alive pool) serves a whole process.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any, Generic, TypeVar, overload

import httpx
from pydantic import BaseModel, ConfigDict

from dashboard.upstream.client import UpstreamClient

from .errors import ERROR_CLASSES, REQUEST_ID_HEADER, GcoreResponseError, GcoreUnavailable
from .models import (
    AccountStatusChange,
    ActivatedFeature,
    ActivityRequest,
    ApiToken,
    BrandingSettings,
    CatalogFeature,
    Client,
    ClientUpdate,
    Group,
    Invitation,
    NewClient,
    NotificationSetting,
    NotificationSettingWrite,
    Page,
    ProductAvailability,
    Seller,
    SellerCreate,
    SellerUpdate,
    Service,
    ServiceUpdate,
    User,
    UserUpdate,
)

log = logging.getLogger("dashboard.gcore")

M = TypeVar("M", bound=BaseModel)
# One file of a multipart upload: (file name, content, content type).
Upload = tuple[str, bytes, str]

# Every filter of GET /iam/clients, by its wire name (docs/gcore-api-notes.md §3).
CLIENT_FILTERS: frozenset[str] = frozenset(
    {
        "email", "companyName", "name", "deleted", "reseller_id", "seller_id", "custom_id",
        "cdn", "storage", "ddos", "dns", "cloud", "infrastructure_protection", "connect",
        "min_traffic", "max_traffic", "secondaryhostnames", "activated", "id__in__exclude",
        "bill_type", "users_name", "users_email", "created_at_gte", "created_at_lte",
        "feature_id_in", "is_test", "client_type", "personal_product_availability",
        "promocode", "country_code",
    }
)  # fmt: skip
ORDERING_FIELDS: frozenset[str] = frozenset({"id", "email", "name", "status", "companyName", "created_at"})


class _Envelope(BaseModel, Generic[M]):
    """A page of GET /iam/clients with `limit`: `results`, or `result` in some endpoints and older docs
    (docs/gcore-api-notes.md §6)."""

    model_config = ConfigDict(extra="ignore")

    count: int | None = None
    results: list[M] | None = None
    result: list[M] | None = None


def _wire_value(value: object) -> str:
    """A query value as Gcore expects it: lowercase booleans, ISO dates, comma-separated lists
    (docs/gcore-api-notes.md §3)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple | set | frozenset):
        return ",".join(_wire_value(item) for item in value)
    return str(value)


class GcoreClient(UpstreamClient):
    system = "Gcore"
    request_id_header = REQUEST_ID_HEADER
    error_classes = ERROR_CLASSES
    log = log

    def __init__(self, *, token: str, **options: Any) -> None:
        super().__init__(headers={"Authorization": f"APIKey {token}"}, **options)

    # -- endpoints ---------------------------------------------------------------------------

    # Without `model`, the page is of `Client`s; with it, of that model.
    @overload
    def list_clients(
        self,
        *,
        filters: Mapping[str, object] | None = ...,
        ordering: str | None = ...,
        limit: int = ...,
        offset: int = ...,
    ) -> Page[Client]: ...

    @overload
    def list_clients(
        self,
        *,
        filters: Mapping[str, object] | None = ...,
        ordering: str | None = ...,
        limit: int = ...,
        offset: int = ...,
        model: type[M],
    ) -> Page[M]: ...

    def list_clients(
        self,
        *,
        filters: Mapping[str, object] | None = None,
        ordering: str | None = None,
        limit: int = 25,
        offset: int = 0,
        model: type[BaseModel] = Client,
    ) -> Page[Any]:
        """GET /iam/clients: one page of clients matching `filters` (wire names).

        `model` picks what is read of each client: `Client` (everything) or `ClientSummary`.
        """
        unknown = set(filters or {}) - CLIENT_FILTERS
        if unknown:
            raise ValueError(f"Not a GET /iam/clients filter: {', '.join(sorted(unknown))}")
        # Gcore: without `limit` the API returns a bare array of every client (docs/gcore-api-notes.md §6).
        params: dict[str, str] = {"limit": str(limit), "offset": str(offset)}
        if ordering:
            params["ordering"] = ordering
        for name, value in (filters or {}).items():
            if value is not None and value != "":
                params[name] = _wire_value(value)
        response = self._request("GET", "/iam/clients", params=params)
        # Gcore: without `limit` the body is a bare array (docs/gcore-api-notes.md §6): either is read.
        count, items = self._counted_items(model, response)
        # Already checked: build the page as it is. (`Page[model]` would make a new generic class each time.)
        return Page.model_construct(count=count, results=items, offset=offset, limit=limit)

    def get_client(self, client_id: int) -> Client:
        """GET /iam/clients/{id}, users included."""
        return self._read(Client, self._request("GET", f"/iam/clients/{int(client_id)}"))

    def update_client(self, client_id: int, changes: ClientUpdate) -> Client:
        """PATCH /iam/clients/{id} with only the fields set on `changes`."""
        body = changes.model_dump(exclude_unset=True)
        return self._read(Client, self._request("PATCH", f"/iam/clients/{int(client_id)}", json=body))

    def get_user(self, user_id: int) -> User:
        """GET /iam/users/{id}."""
        return self._read(User, self._request("GET", f"/iam/users/{int(user_id)}"))

    def update_user(self, user_id: int, changes: UserUpdate) -> User:
        """PATCH /iam/users/{id} with only the fields set on `changes`."""
        body = changes.model_dump(exclude_unset=True)
        return self._read(User, self._request("PATCH", f"/iam/users/{int(user_id)}", json=body))

    def set_user_role(self, client_id: int, user_id: int, role: Group) -> None:
        """PUT /iam/clients/{cid}/client-users/{uid}: the user's group in that client."""
        # Gcore: answers 204 with no body (docs/gcore-api-notes.md §2).
        self._request(
            "PUT",
            f"/iam/clients/{int(client_id)}/client-users/{int(user_id)}",
            json={"user_role": {"id": role.id, "name": role.name}},
        )

    # -- creating a client -------------------------------------------------------------------------

    def create_client(self, new: NewClient) -> User:
        """POST /iam/users: a client and its first user, both active at once; 201 with the User.

        The User's `client` is the new client's id. Only the fields set on `new` are sent.
        """
        body = new.model_dump(exclude_unset=True)
        return self._read(User, self._request("POST", "/iam/users", json=body))

    def list_sellers(self) -> list[Seller]:
        """GET /iam/admin/sellers, every seller (without `limit` the API sends them all)."""
        return self._items(Seller, self._request("GET", "/iam/admin/sellers"))

    # -- the reseller's own account and settings ---------------------------------------------------

    def get_account(self) -> Client:
        """GET /iam/clients/me: the reseller's own account; its `id` is the reseller id that the
        notification settings' paths take."""
        return self._read(Client, self._request("GET", "/iam/clients/me"))

    def get_seller(self, *, seller_id: int) -> Seller:
        """GET /iam/admin/sellers/{sellerId}."""
        return self._read(Seller, self._request("GET", f"/iam/admin/sellers/{int(seller_id)}"))

    def create_seller(self, *, new: SellerCreate) -> Seller:
        """POST /iam/admin/sellers: Gcore e-mails the seller an activation link. 200 with the Seller."""
        body = new.model_dump(exclude_unset=True)
        return self._read(Seller, self._request("POST", "/iam/admin/sellers", json=body))

    def update_seller(self, *, seller_id: int, changes: SellerUpdate) -> Seller:
        """PATCH /iam/admin/sellers/{sellerId} with only the fields set on `changes`."""
        body = changes.model_dump(exclude_unset=True)
        path = f"/iam/admin/sellers/{int(seller_id)}"
        return self._read(Seller, self._request("PATCH", path, json=body))

    def delete_seller(self, *, seller_id: int) -> None:
        """DELETE /iam/admin/sellers/{sellerId} (204): the seller is taken off every client."""
        self._request("DELETE", f"/iam/admin/sellers/{int(seller_id)}")

    def set_default_availability(self, *, product: str, available: bool) -> None:
        """PATCH /iam/products/availability/defaults with one `{product_name, available}`: what every
        client that follows the defaults sees. The answer is not read (as for a client's, §10)."""
        self._request(
            "PATCH",
            "/iam/products/availability/defaults",
            json={"product_name": product, "available": available},
        )

    def reset_all_clients_availability(self, *, products: list[str]) -> None:
        """DELETE /iam/products/availability/clients `{"product_names": [...]}`: every client follows
        the defaults again for those products (204)."""
        self._request("DELETE", "/iam/products/availability/clients", json={"product_names": list(products)})

    def list_notification_settings(
        self, *, reseller_id: int, limit: int = 100, offset: int = 0
    ) -> Page[NotificationSetting]:
        """GET /iam/reselling/resellers/{resellerId}/notification_settings: one page, by id."""
        params = {"limit": str(limit), "offset": str(offset), "ordering": "id"}
        response = self._request("GET", _notifications_path(reseller_id), params=params)
        # Gcore: documented as a page; a plain array is read too (docs/gcore-api-notes.md §12).
        count, items = self._counted_items(NotificationSetting, response)
        return Page.model_construct(count=count, results=items, offset=offset, limit=limit)

    def get_notification_setting(self, *, reseller_id: int, setting_id: int) -> NotificationSetting:
        """GET .../notification_settings/{notificationSettingsId}."""
        path = f"{_notifications_path(reseller_id)}/{int(setting_id)}"
        return self._read(NotificationSetting, self._request("GET", path))

    def create_notification_setting(
        self, *, reseller_id: int, new: NotificationSettingWrite
    ) -> NotificationSetting:
        """POST .../notification_settings (`notification_type` and `email` required): 201."""
        body = new.model_dump(exclude_none=True)
        path = _notifications_path(reseller_id)
        return self._read(NotificationSetting, self._request("POST", path, json=body))

    def replace_notification_setting(
        self, *, reseller_id: int, setting_id: int, setting: NotificationSettingWrite
    ) -> NotificationSetting:
        """PUT .../notification_settings/{id}: `notification_type` and `email` required."""
        body = setting.model_dump(exclude_none=True)
        path = f"{_notifications_path(reseller_id)}/{int(setting_id)}"
        return self._read(NotificationSetting, self._request("PUT", path, json=body))

    def update_notification_setting(
        self, *, reseller_id: int, setting_id: int, changes: NotificationSettingWrite
    ) -> NotificationSetting:
        """PATCH .../notification_settings/{id} with only the fields set on `changes`."""
        body = changes.model_dump(exclude_unset=True)
        path = f"{_notifications_path(reseller_id)}/{int(setting_id)}"
        return self._read(NotificationSetting, self._request("PATCH", path, json=body))

    def delete_notification_setting(self, *, reseller_id: int, setting_id: int) -> None:
        """DELETE .../notification_settings/{id} (204)."""
        self._request("DELETE", f"{_notifications_path(reseller_id)}/{int(setting_id)}")

    def get_branding(self) -> BrandingSettings:
        """GET /iam/reselling/settings: the public branding and the private mail server."""
        return self._read(BrandingSettings, self._request("GET", "/iam/reselling/settings"))

    def replace_branding(self, *, settings: BrandingSettings) -> BrandingSettings:
        """PUT /iam/reselling/settings: the whole settings, as `settings` holds them (a PUT replaces:
        a mail server password left out is gone). `reseller` and `deleted` are read-only, not sent."""
        body = settings.model_dump(mode="json", exclude={"reseller", "deleted"}, exclude_none=True)
        # Gcore: `showStatusPage` is typed as a string, the other flags as booleans; "true" and
        # "false" are read as booleans by DRF too, so the text suits either reading (§12).
        body["publicSettings"]["showStatusPage"] = "true" if settings.public.show_status_page else "false"
        mail = settings.private.mail_server
        if mail is not None and mail.password is not None:
            body["privateSettings"]["mailServer"]["password"] = mail.password.get_secret_value()
        return self._read(BrandingSettings, self._request("PUT", "/iam/reselling/settings", json=body))

    def upload_branding_assets(
        self, *, logo: Upload | None = None, favicon: Upload | None = None
    ) -> BrandingSettings:
        """POST /iam/reselling/settings/upload, multipart: `logo`, `favicon` or both, each
        (file name, bytes, content type)."""
        files = {
            name: upload for name, upload in (("logo", logo), ("favicon", favicon)) if upload is not None
        }
        if not files:
            raise ValueError("Upload a logo, a favicon or both.")
        response = self._request("POST", "/iam/reselling/settings/upload", files=files)
        return self._read(BrandingSettings, response)

    # -- services ----------------------------------------------------------------------------------

    def list_services(self, client_id: int) -> list[Service]:
        """GET /iam/clients/{id}/services: each product's service record."""
        return self._items(Service, self._request("GET", f"/iam/clients/{int(client_id)}/services"))

    def get_service(self, client_id: int, service_id: int) -> Service:
        """GET /iam/clients/{id}/services/{serviceId}."""
        path = f"/iam/clients/{int(client_id)}/services/{int(service_id)}"
        return self._read(Service, self._request("GET", path))

    def update_service(self, client_id: int, service_id: int, changes: ServiceUpdate) -> Service:
        """PUT /iam/clients/{id}/services/{serviceId} (never the deprecated PATCH): `status` always
        goes, `enabled` only when set."""
        path = f"/iam/clients/{int(client_id)}/services/{int(service_id)}"
        body = changes.model_dump(exclude_none=True)
        return self._read(Service, self._request("PUT", path, json=body))

    # -- product availability ----------------------------------------------------------------------

    def default_availability(self) -> list[ProductAvailability]:
        """GET /iam/products/availability/defaults: what a client sees unless personalised."""
        response = self._request("GET", "/iam/products/availability/defaults")
        return self._items(ProductAvailability, response)

    def client_availability(self, client_id: int) -> list[ProductAvailability]:
        """GET /iam/products/availability/clients/{id}: what this client sees."""
        response = self._request("GET", f"/iam/products/availability/clients/{int(client_id)}")
        return self._items(ProductAvailability, response)

    def set_client_availability(self, client_id: int, product: str, available: bool) -> None:
        """PATCH /iam/products/availability/clients/{id} with one `{product_name, available}`.

        The answer is not read: the caller reads the client's availability again.
        """
        # Gcore: the spec's body and answer are ONE ProductAvailability, while GET lists them all
        # (docs/gcore-api-notes.md §10); one product is sent per call, so either reading of the
        # answer (an object or a list) is fine, and it is not parsed.
        self._request(
            "PATCH",
            f"/iam/products/availability/clients/{int(client_id)}",
            json={"product_name": product, "available": available},
        )

    def reset_client_availability(self, client_id: int, products: list[str]) -> None:
        """DELETE /iam/products/availability/clients/{id} `{"product_names": [...]}`: those products
        follow the reseller's defaults again (204)."""
        self._request(
            "DELETE",
            f"/iam/products/availability/clients/{int(client_id)}",
            json={"product_names": list(products)},
        )

    # -- features ----------------------------------------------------------------------------------

    def feature_catalogue(self) -> list[CatalogFeature]:
        """GET /iam/admin/feature: every feature the reseller can switch on, free or paid."""
        return self._items(CatalogFeature, self._request("GET", "/iam/admin/feature"))

    def activated_features(self, *, paid: bool) -> list[ActivatedFeature]:
        """GET /iam/admin/{free,paid}_features: the activations of every client (no filter exists)."""
        return self._items(ActivatedFeature, self._request("GET", _features_path(paid)))

    def enable_feature(self, client_id: int, feature_id: int, *, paid: bool) -> ActivatedFeature:
        """POST /iam/admin/{free,paid}_features `{client_id, feature_id}`: 201 with the activation."""
        body = {"client_id": int(client_id), "feature_id": int(feature_id)}
        return self._read(ActivatedFeature, self._request("POST", _features_path(paid), json=body))

    def disable_feature(self, activation_id: int, *, paid: bool) -> None:
        """DELETE /iam/admin/{free,paid}_features/{activatedFeatureId} (204)."""
        self._request("DELETE", f"{_features_path(paid)}/{int(activation_id)}")

    # -- a client's people and keys ---------------------------------------------------------------

    def invite_user(
        self, client_id: int, *, email: str, role: Group, lang: str | None = None, name: str | None = None
    ) -> Invitation:
        """POST /iam/clients/invite_user: a new user gets an e-mail to set a password; an existing
        one is added to this client too."""
        body: dict[str, Any] = {
            "email": email,
            "user_role": {"id": role.id, "name": role.name},
            "client_id": int(client_id),
        }
        if lang:
            body["lang"] = lang
        if name:
            body["name"] = name
        response = self._request("POST", "/iam/clients/invite_user", json=body)
        try:
            return self._read(Invitation, response)
        except GcoreResponseError:
            # Gcore: a 2xx means the invitation went out; a body that is not the documented one
            # (docs/gcore-api-notes.md §11) does not make it a failure.
            return Invitation()

    def revoke_access(self, client_id: int, user_id: int) -> None:
        """DELETE /iam/clients/{cid}/client-users/{uid}: the user loses this client; a user left
        with no account is deleted by Gcore. 200 with no documented body."""
        self._request("DELETE", f"/iam/clients/{int(client_id)}/client-users/{int(user_id)}")

    def renew_invitation(self, email: str) -> None:
        """POST /iam/auth/renew_invitation: the activation e-mail again (400 once activated)."""
        self._request("POST", "/iam/auth/renew_invitation", json={"email": email})

    def reset_password(self, email: str) -> None:
        """POST /iam/auth/reset_password: Gcore e-mails the user a link; nobody else sees the password."""
        self._request("POST", "/iam/auth/reset_password", json={"email": email})

    def list_tokens(
        self, client_id: int, *, deleted: bool | None = None, issued_by: int | None = None
    ) -> list[ApiToken]:
        """GET /iam/v2/clients/{id}/tokens (the v1 path without /v2 is gone since 2026-07-17).

        `deleted` is passed through as the spec names it; the caller reads each token's own
        `deleted` flag rather than trust the filter's meaning (docs/gcore-api-notes.md §11).
        """
        params: dict[str, str] = {}
        if deleted is not None:
            params["deleted"] = _wire_value(deleted)
        if issued_by is not None:
            params["issued_by"] = str(int(issued_by))
        response = self._request("GET", f"/iam/v2/clients/{int(client_id)}/tokens", params=params)
        return self._items(ApiToken, response)

    def get_token(self, client_id: int, token_id: int) -> ApiToken:
        """GET /iam/v2/clients/{id}/tokens/{tokenId}."""
        path = f"/iam/v2/clients/{int(client_id)}/tokens/{int(token_id)}"
        return self._read(ApiToken, self._request("GET", path))

    def revoke_token(self, client_id: int, token_id: int) -> None:
        """DELETE /iam/v2/clients/{id}/tokens/{tokenId} (204): every application using it is cut off."""
        self._request("DELETE", f"/iam/v2/clients/{int(client_id)}/tokens/{int(token_id)}")

    # -- the account's activity log ---------------------------------------------------------------

    def list_activity_requests(self, *, limit: int = 100, offset: int = 0) -> Page[ActivityRequest]:
        """GET /iam/activity_log/requests: one page, newest first (`limit` and `offset` are the only
        documented parameters)."""
        return self._activity_page(ActivityRequest, "/iam/activity_log/requests", limit=limit, offset=offset)

    def get_activity_request(self, *, request_id: int) -> ActivityRequest:
        """GET /iam/activity_log/requests/{id}."""
        path = f"/iam/activity_log/requests/{int(request_id)}"
        return self._read(ActivityRequest, self._request("GET", path))

    def list_account_status_changes(self, *, limit: int = 100, offset: int = 0) -> Page[AccountStatusChange]:
        """GET /iam/activity_log/account_status_changes: one page, newest first."""
        path = "/iam/activity_log/account_status_changes"
        return self._activity_page(AccountStatusChange, path, limit=limit, offset=offset)

    def _activity_page(self, model: type[M], path: str, *, limit: int, offset: int) -> Page[M]:
        # Gcore: the page's list is documented as `result`, not `results` (§6, §13); either is read,
        # and a bare array too.
        response = self._request("GET", path, params={"limit": str(limit), "offset": str(offset)})
        count, items = self._counted_items(model, response)
        return Page.model_construct(count=count, results=items, offset=offset, limit=limit)

    # -- reading lists -----------------------------------------------------------------------------

    def _items(self, model: type[M], response: httpx.Response) -> list[M]:
        """A list endpoint's items: the spec's plain array, or a page envelope (`results`/`result`)
        as GET /iam/clients answers with `limit`, in case an implementation pages it."""
        return self._counted_items(model, response)[1]

    def _counted_items(self, model: type[M], response: httpx.Response) -> tuple[int, list[M]]:
        """A bare array or a page envelope (`results`, or `result`), and the count (the envelope's,
        or the items'). The first character tells which: a union would have pydantic read twice."""
        if response.content.lstrip()[:1] == b"[":
            bare: list[M] = self._read(list[model], response)  # type: ignore[valid-type]  # the caller's model, known at run time
            return len(bare), bare
        page: _Envelope[M] = self._read(_Envelope[model], response)  # type: ignore[valid-type]  # as above
        items = page.results if page.results is not None else page.result
        if items is None:
            log.warning("gcore response did not match a list of %s", model.__name__)
            raise GcoreResponseError(status_code=response.status_code)
        return (page.count if page.count is not None else len(items)), items


def _notifications_path(reseller_id: int) -> str:
    return f"/iam/reselling/resellers/{int(reseller_id)}/notification_settings"


def _features_path(paid: bool) -> str:
    return "/iam/admin/paid_features" if paid else "/iam/admin/free_features"


__all__ = ["CLIENT_FILTERS", "ORDERING_FIELDS", "GcoreClient", "GcoreUnavailable"]
