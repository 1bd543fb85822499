"""A client's people and keys (invitations, removals, the two e-mails, API tokens) against answers the
spec allows or leaves open but the sandbox does not give: each test replaces, at the edge only (the
sandbox's transport), the one answer under test, and shows what staff see and what reaches Gcore.

The dashboard must work unchanged against an independent implementation of Gcore's API; where the
contract (iam_api.yaml, iam_reseller_api.yaml, docs/gcore-api-notes.md §11) leaves room for more than
one answer, it reads both.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlencode

import pytest

from dashboard.models import AuditEntry
from tests.helpers import at_the_edge, first_live_client, gcore_call, reply, text, user_ids, writes

pytestmark = pytest.mark.django_db

# Gcore: RevokeUserAccessForbiddenError's first shape (iam_api.yaml).
NO_PERMISSION = "You do not have permission to perform this action."


def audited(action: str) -> AuditEntry:
    return AuditEntry.objects.get(action=action)


# -- finding data in the sandbox -------------------------------------------------------------------------


def tokens_path(client_id: int) -> str:
    return f"/iam/v2/clients/{client_id}/tokens"


def every_token(sandbox, client_id: int) -> list[dict[str, Any]]:
    """Every token of the client, live and deleted (the sandbox's `deleted` filter both ways), by id."""
    found: dict[int, dict[str, Any]] = {}
    for value in ("false", "true"):
        status, items = gcore_call(sandbox, "GET", f"{tokens_path(client_id)}?deleted={value}")
        assert status == 200
        found.update({token["id"]: token for token in items})
    return [found[token_id] for token_id in sorted(found)]


def live_token_ids(tokens: list[dict[str, Any]], owner: int | None = None) -> set[int]:
    """The ids of the live tokens among `tokens` (of `owner` alone, if given)."""
    return {t["id"] for t in tokens if not t["deleted"] and owner in (None, t["client_user"]["user_id"])}


def client_with_tokens(sandbox, *, deleted: bool = False, owners: int = 1) -> tuple[int, list[dict]]:
    """A live client whose users hold live tokens (`owners` users at least), with deleted ones too if
    `deleted`, and all its tokens."""
    for client_id in sandbox.client_ids():
        client = sandbox.client_json(client_id)
        if client["deleted"]:
            continue
        tokens = every_token(sandbox, client_id)
        users = {user["id"] for user in client["users"]}
        holders = {t["client_user"]["user_id"] for t in tokens if not t["deleted"]} & users
        if len(holders) >= owners and (not deleted or any(t["deleted"] for t in tokens)):
            return client_id, tokens
    raise AssertionError(f"no client has live tokens of {owners} users (deleted ones too: {deleted})")


def holder_and_token(sandbox) -> tuple[int, int, dict[str, Any]]:
    """A live client, one of its users who holds a live token, and that token."""
    client_id, tokens = client_with_tokens(sandbox)
    users = {user["id"] for user in sandbox.client_json(client_id)["users"]}
    token = next(t for t in tokens if not t["deleted"] and t["client_user"]["user_id"] in users)
    return client_id, token["client_user"]["user_id"], token


def user_without_tokens(sandbox, *, activated: bool = True) -> tuple[int, dict[str, Any]]:
    """A live client with two users or more, and one (activated or not) who holds no live token."""
    for client_id in sandbox.client_ids():
        client = sandbox.client_json(client_id)
        if client["deleted"] or len(client["users"]) < 2:
            continue
        holders = {t["client_user"]["user_id"] for t in every_token(sandbox, client_id) if not t["deleted"]}
        for user in client["users"]:
            if user["id"] not in holders and user["activated"] is activated and not user["deleted"]:
                return client_id, user
    raise AssertionError(f"no client has a user without tokens (activated: {activated})")


# -- reading the pages ---------------------------------------------------------------------------------


def token_rows(body: str) -> dict[int, list[str]]:
    """The tokens list's rows by token id: each cell's text (name, owner, role, created, expires, last
    used, state, action)."""
    rows = {}
    for token_id, row in re.findall(r'<tr id="token-(\d+)">(.*?)</tr>', body, re.S):
        cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        rows[int(token_id)] = [" ".join(re.sub(r"<[^>]+>", " ", cell).split()) for cell in cells]
    return rows


def shown_tokens(http, client_id: int, **query: Any) -> dict[int, list[str]]:
    response = http.get(f"/clients/{client_id}/tokens/" + (f"?{urlencode(query)}" if query else ""))
    assert response.status_code == 200
    body = text(response)
    assert "The tokens could not be read" not in body
    rows = token_rows(body)
    assert set(rows) == {token.id for token in response.context["tokens"]}
    return rows


def revoke_links(body: str, client_id: int) -> set[int]:
    return {int(i) for i in re.findall(rf"/clients/{client_id}/tokens/(\d+)/revoke/", body)}


def flashed(response) -> list[tuple[str, str]]:
    """The messages shown above the page: (level, text)."""
    found = re.findall(r'<p class="alert alert-(\w+)" role="status">(.*?)</p>', text(response), re.S)
    return [(level, " ".join(message.split())) for level, message in found]


def action_error(response) -> str:
    """The error shown on an e-mail action's page."""
    found = re.search(r'<div class="form-errors" role="alert"><p>(.*?)</p>', text(response), re.S)
    assert found, "no error on the page"
    return found.group(1)


# -- the token list: the `deleted` filter, its shape, its items -------------------------------------------


def token_listing(
    tokens: list[dict[str, Any]], params: dict[str, str], *, deleted_means: str, plain: str, issued_by=True
) -> list[dict[str, Any]]:
    """What an implementation lists for these query parameters. `deleted_means`: "name" (`deleted=true`
    lists the deleted tokens, as the sandbox reads it) or "description" ("True - API token was not
    deleted"); `plain`: "live" or "all" without the parameter; `issued_by`: whether that filter is
    honoured."""
    deleted = params.get("deleted")
    if deleted is None:
        kept = [t for t in tokens if plain == "all" or not t["deleted"]]
    else:
        wanted_deleted = (deleted == "true") is (deleted_means == "name")
        kept = [t for t in tokens if t["deleted"] is wanted_deleted]
    if issued_by and "issued_by" in params:
        kept = [t for t in kept if t["client_user"]["user_id"] == int(params["issued_by"])]
    return kept


def listing_edge(sandbox, client_id: int, queries: list | None = None, **implementation: Any):
    """An edge answering the client's token list as `token_listing` does (recording each query)."""
    path = tokens_path(client_id)

    def answer(request, real):
        if request.method == "GET" and request.url.path == path:
            params = dict(request.url.params)
            if queries is not None:
                queries.append(params)
            return reply(
                request, 200, token_listing(every_token(sandbox, client_id), params, **implementation)
            )
        return real()

    return answer


IMPLEMENTATIONS = {
    "deleted-as-described": {"deleted_means": "description", "plain": "live"},
    "deleted-as-described-plain-lists-all": {"deleted_means": "description", "plain": "all"},
    "plain-lists-deleted-too": {"deleted_means": "name", "plain": "all"},
}


@pytest.mark.parametrize("implementation", IMPLEMENTATIONS.values(), ids=IMPLEMENTATIONS.keys())
def test_live_tokens_by_default_and_all_on_request_whatever_the_deleted_filter_means(
    support_client, sandbox, monkeypatch, implementation
):
    client_id, tokens = client_with_tokens(sandbox, deleted=True)
    queries: list[dict[str, str]] = []
    at_the_edge(monkeypatch, listing_edge(sandbox, client_id, queries, **implementation))
    live = shown_tokens(support_client, client_id)
    assert set(live) == live_token_ids(tokens)
    assert all(cells[6] in ("active", "expired") for cells in live.values())
    everything = shown_tokens(support_client, client_id, deleted=1)
    assert set(everything) == {t["id"] for t in tokens}
    for token in tokens:
        assert (everything[token["id"]][6] == "deleted") is token["deleted"]
        assert (everything[token["id"]][7] == "Revoke") is (not token["deleted"])
    assert {"deleted": "true"} in queries and {"deleted": "false"} in queries
    # The revocation form finds a live token, never a deleted one, whichever list it is in.
    gone = next(t for t in tokens if t["deleted"])
    kept = next(t for t in tokens if not t["deleted"])
    assert support_client.get(f"/clients/{client_id}/tokens/{gone['id']}/revoke/").status_code == 404
    form = support_client.get(f"/clients/{client_id}/tokens/{kept['id']}/revoke/")
    assert form.status_code == 200 and kept["name"] in text(form)


@pytest.mark.parametrize("implementation", IMPLEMENTATIONS.values(), ids=IMPLEMENTATIONS.keys())
def test_a_holders_removal_page_offers_only_live_tokens_whatever_the_deleted_filter_means(
    support_client, sandbox, monkeypatch, implementation
):
    client_id, tokens = client_with_tokens(sandbox, deleted=True)
    users = set(user_ids(sandbox, client_id))
    holder = next(
        t["client_user"]["user_id"]
        for t in tokens
        if not t["deleted"] and t["client_user"]["user_id"] in users
    )
    at_the_edge(monkeypatch, listing_edge(sandbox, client_id, **implementation))
    page = support_client.get(f"/clients/{client_id}/users/{holder}/remove/")
    assert page.status_code == 200
    assert revoke_links(text(page), client_id) == live_token_ids(tokens, holder)


@pytest.mark.parametrize("key", ["results", "result"])
def test_tokens_listed_as_a_page_are_shown_filtered_and_revocable(
    support_client, sandbox, monkeypatch, wire, key
):
    client_id, tokens = client_with_tokens(sandbox, deleted=True)
    owner, token = next(
        (t["client_user"]["user_id"], t)
        for t in tokens
        if not t["deleted"] and t["client_user"]["user_id"] in set(user_ids(sandbox, client_id))
    )
    path = tokens_path(client_id)

    def paged(request, real):
        response = real()
        if request.method == "GET" and request.url.path == path and response.status_code == 200:
            items = response.json()
            return reply(request, 200, {"count": len(items), "next": None, "previous": None, key: items})
        return response

    at_the_edge(monkeypatch, paged)
    assert set(shown_tokens(support_client, client_id)) == live_token_ids(tokens)
    assert set(shown_tokens(support_client, client_id, deleted=1)) == {t["id"] for t in tokens}
    assert set(shown_tokens(support_client, client_id, owner=owner)) == live_token_ids(tokens, owner)
    removal = support_client.get(f"/clients/{client_id}/users/{owner}/remove/")
    assert revoke_links(text(removal), client_id) == live_token_ids(tokens, owner)
    url = f"/clients/{client_id}/tokens/{token['id']}/revoke/"
    assert token["name"] in text(support_client.get(url))
    done = support_client.post(url, {"reason": "Rotated", "confirm": "on"})
    assert done.status_code == 302
    assert writes(wire) == [("DELETE", f"{path}/{token['id']}", None)]
    assert token["id"] not in shown_tokens(support_client, client_id)


def test_a_token_without_its_optional_values_shows_never_and_dashes(support_client, sandbox, monkeypatch):
    client_id, holder, token = holder_and_token(sandbox)
    assert token["last_usage"] or token["exp_date"] or token["description"] or token["client_user"]["role"]
    path = tokens_path(client_id)

    def bare(item: dict[str, Any]) -> dict[str, Any]:
        if item["id"] != token["id"]:
            return item
        item = {k: v for k, v in item.items() if k != "description"}
        issuer = {k: v for k, v in item["client_user"].items() if k != "role"}
        unknown = {"an_unknown_key": {"nested": [1, 2]}}
        return (
            item | {"last_usage": None, "exp_date": None, "expired": False, "client_user": issuer} | unknown
        )

    def answer(request, real):
        response = real()
        if request.method == "GET" and request.url.path.startswith(path) and response.status_code == 200:
            data = response.json()  # the list, or one token (the revocation's GET .../tokens/{tokenId})
            return reply(
                request, 200, [bare(item) for item in data] if isinstance(data, list) else bare(data)
            )
        return response

    at_the_edge(monkeypatch, answer)
    cells = shown_tokens(support_client, client_id)[token["id"]]
    assert cells[0] == token["name"]  # no description under the name
    assert cells[2:3] == ["—"] and cells[4:7] == ["never", "never", "active"]
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", cells[3])  # created, still shown
    revoke = text(support_client.get(f"/clients/{client_id}/tokens/{token['id']}/revoke/"))
    assert "role unknown" in revoke and "last used never" in revoke
    removal = text(support_client.get(f"/clients/{client_id}/users/{holder}/remove/"))
    assert f"Revoke {token['name']}" in removal


def test_an_implementation_ignoring_issued_by_still_shows_only_the_owners_tokens(
    support_client, sandbox, monkeypatch
):
    client_id, tokens = client_with_tokens(sandbox, owners=2)
    users = set(user_ids(sandbox, client_id))
    owner = next(t["client_user"]["user_id"] for t in tokens if t["client_user"]["user_id"] in users)
    assert live_token_ids(tokens, owner) < live_token_ids(
        tokens
    )  # others hold tokens too: the filter matters
    queries: list[dict[str, str]] = []
    edge = listing_edge(sandbox, client_id, queries, deleted_means="name", plain="live", issued_by=False)
    at_the_edge(monkeypatch, edge)
    assert set(shown_tokens(support_client, client_id, owner=owner)) == live_token_ids(tokens, owner)
    mine = {t["id"] for t in tokens if t["client_user"]["user_id"] == owner}
    assert set(shown_tokens(support_client, client_id, owner=owner, deleted=1)) == mine
    removal = support_client.get(f"/clients/{client_id}/users/{owner}/remove/")
    assert revoke_links(text(removal), client_id) == live_token_ids(tokens, owner)
    assert queries and all(q.get("issued_by") == str(owner) for q in queries)  # asked all the same


# -- removing access, the two e-mails: any success is a success -------------------------------------------


@pytest.mark.parametrize(
    ("status", "body"),
    [(204, None), (200, {}), (200, {"status": "ok", "detail": "Access revoked."}), (200, b"OK")],
    ids=["204", "200-empty-object", "200-json", "200-text"],
)
def test_a_removal_answered_with_any_success_is_done(
    support_client, sandbox, monkeypatch, wire, status, body
):
    client_id, user = user_without_tokens(sandbox)
    path = f"/iam/clients/{client_id}/client-users/{user['id']}"

    def answer(request, real):
        response = real()
        if request.method == "DELETE" and request.url.path == path and response.status_code == 200:
            return reply(request, status, body)
        return response

    at_the_edge(monkeypatch, answer, wire)
    url = f"/clients/{client_id}/users/{user['id']}/remove/"
    response = support_client.post(url, {"reason": "Left the company", "confirm": "on"}, follow=True)
    assert response.redirect_chain == [(f"/clients/{client_id}/#client-users", 302)]
    body_text = text(response)
    assert f"Removed {user['email']}'s access to" in body_text
    assert f'id="user-{user["id"]}"' not in body_text
    assert writes(wire) == [("DELETE", path, None)]
    assert audited(AuditEntry.Action.USER_REMOVE).outcome == "saved"


EMAIL_ACTIONS = {
    "resend-invitation": ("/iam/auth/renew_invitation", False, "Gcore sent the invitation to {} again."),
    "reset-password": (
        "/iam/auth/reset_password",
        True,
        "Gcore e-mailed {} a link to choose a new password.",
    ),
}


@pytest.mark.parametrize(
    "body", [{}, {"detail": "Email sent.", "status": "ok"}, None], ids=["{}", "json", "empty"]
)
@pytest.mark.parametrize("action", EMAIL_ACTIONS)
def test_an_email_answered_with_any_200_is_sent(support_client, sandbox, monkeypatch, wire, action, body):
    path, activated, done = EMAIL_ACTIONS[action]
    client_id, user = user_without_tokens(sandbox, activated=activated)

    def answer(request, real):
        response = real()
        if request.url.path == path and response.status_code == 200:
            return reply(request, 200, body)
        return response

    at_the_edge(monkeypatch, answer, wire)
    response = support_client.post(f"/clients/{client_id}/users/{user['id']}/{action}/", follow=True)
    assert response.redirect_chain == [(f"/clients/{client_id}/#client-users", 302)]
    assert done.format(user["email"]) in text(response)
    assert writes(wire) == [("POST", path, {"email": user["email"]})]
    assert AuditEntry.objects.get(client_id=client_id).outcome == "saved"


# -- refusals ------------------------------------------------------------------------------------------


def test_a_removal_refused_for_want_of_permission_shows_gcores_message_and_no_tokens(
    support_client, sandbox, monkeypatch, wire
):
    client_id, user = user_without_tokens(sandbox)
    path = f"/iam/clients/{client_id}/client-users/{user['id']}"

    def forbidden(request, real):
        if request.method == "DELETE" and request.url.path == path:
            return reply(request, 403, {"message": NO_PERMISSION})
        return real()

    at_the_edge(monkeypatch, forbidden, wire)
    url = f"/clients/{client_id}/users/{user['id']}/remove/"
    response = support_client.post(url, {"reason": "Offboarding", "confirm": "on"})
    assert response.status_code == 422
    body = text(response)
    assert f"Gcore refused: {NO_PERMISSION}" in body
    assert response.context["tokens"] == []
    assert "API token" not in body and not revoke_links(body, client_id)
    assert response.context["form"]["reason"].value() == "Offboarding"
    assert writes(wire) == [("DELETE", path, None)]
    assert user["id"] in set(user_ids(sandbox, client_id))
    entry = audited(AuditEntry.Action.USER_REMOVE)
    assert entry.outcome == "upstream_error" and entry.upstream_status == 403


def _removed_meanwhile(monkeypatch, sandbox, wire, client_id: int, user_id: int) -> str:
    """Someone else removes the user just before the dashboard's DELETE, which Gcore answers 404 ("User
    is not found in the specified account", no body)."""
    path = f"/iam/clients/{client_id}/client-users/{user_id}"

    def raced(request, real):
        if request.method == "DELETE" and request.url.path == path:
            assert gcore_call(sandbox, "DELETE", path)[0] == 200
            return reply(request, 404)
        return real()

    at_the_edge(monkeypatch, raced, wire)
    return path


def test_a_user_removed_meanwhile_is_said_to_be_gone(support_client, sandbox, monkeypatch, wire):
    client_id, user = user_without_tokens(sandbox)
    path = _removed_meanwhile(monkeypatch, sandbox, wire, client_id, user["id"])
    response = support_client.post(
        f"/clients/{client_id}/users/{user['id']}/remove/", {"reason": "Offboarding", "confirm": "on"}
    )
    assert response.status_code == 422
    [error] = response.context["form"].non_field_errors()
    assert user["email"] in error and "unexpected" not in error and "Try again" not in error
    assert "API token" not in text(response)
    assert writes(wire) == [("DELETE", path, None)]
    assert user["id"] not in set(user_ids(sandbox, client_id))


INVITE_REFUSALS = {
    "field-errors": ({"errors": {"email": ["Enter a valid email address."]}}, "email"),
    "already-invited": (["User 701999 has already been invited to client 201051"], None),
    "cannot-be-added": (["This user cannot be added to this client."], None),
}


@pytest.mark.parametrize(("refusal", "field"), INVITE_REFUSALS.values(), ids=INVITE_REFUSALS.keys())
def test_each_invitation_refusal_lands_on_the_form_with_the_input_kept(
    support_client, sandbox, monkeypatch, wire, refusal, field
):
    client_id = first_live_client(sandbox)
    message = refusal["errors"]["email"][0] if field else refusal[0]

    def refused(request, real):
        if request.url.path == "/iam/clients/invite_user":
            return reply(request, 400, refusal)
        return real()

    at_the_edge(monkeypatch, refused, wire)
    typed = {"email": "nadia.okafor@example.org", "name": "Nadia Okafor", "role": "5", "lang": "de"}
    response = support_client.post(f"/clients/{client_id}/users/invite/", typed)
    assert response.status_code == 422
    form = response.context["form"]
    if field:
        assert form.errors == {"email": [message]}
        group = re.search(r'<div class="field has-error">(.*?)</div>', text(response), re.S)
        assert group and "Email" in group.group(1) and message in group.group(1)
    else:
        assert form.non_field_errors() == [message]
    assert message in text(response)
    assert {name: form[name].value() for name in typed} == typed
    assert [call[0:2] for call in writes(wire)] == [("POST", "/iam/clients/invite_user")]
    assert "nadia.okafor@example.org" not in {u["email"] for u in sandbox.client_json(client_id)["users"]}
    assert audited(AuditEntry.Action.USER_INVITE).outcome == "rejected"


def _answer_email_call(monkeypatch, wire, path: str, status: int, body: object) -> None:
    def answer(request, real):
        if request.url.path == path:
            return reply(request, status, body)
        return real()

    at_the_edge(monkeypatch, answer, wire)


@pytest.mark.parametrize(
    "body", [None, {"detail": "User with given email not found."}], ids=["bare", "detail"]
)
@pytest.mark.parametrize("action", EMAIL_ACTIONS)
def test_an_email_to_an_address_gcore_does_not_know_says_so(
    support_client, sandbox, monkeypatch, wire, action, body
):
    path, activated, _ = EMAIL_ACTIONS[action]
    client_id, user = user_without_tokens(sandbox, activated=activated)
    _answer_email_call(monkeypatch, wire, path, 404, body)
    response = support_client.post(f"/clients/{client_id}/users/{user['id']}/{action}/")
    assert response.status_code == 422  # the action's page with the error: no 404 or 500 page
    error = action_error(response)
    assert user["email"] in error and re.search(r"not found|no (such )?user", error, re.I)
    assert "unexpected" not in error and "Try again" not in error
    assert writes(wire) == [("POST", path, {"email": user["email"]})]
    entry = AuditEntry.objects.get(client_id=client_id)
    assert entry.outcome == "upstream_error" and entry.upstream_status == 404


@pytest.mark.parametrize(
    "refusal",
    [{"message": "This user already activated."}, {"message": "JSON parse error - Expecting value: line 1"}],
    ids=["already-activated", "json-parse-error"],
)
@pytest.mark.parametrize("action", EMAIL_ACTIONS)
def test_an_email_refused_with_a_message_shows_it(
    support_client, sandbox, monkeypatch, wire, action, refusal
):
    path, activated, _ = EMAIL_ACTIONS[action]
    client_id, user = user_without_tokens(sandbox, activated=activated)
    _answer_email_call(monkeypatch, wire, path, 400, refusal)
    response = support_client.post(f"/clients/{client_id}/users/{user['id']}/{action}/")
    assert response.status_code == 422
    assert action_error(response) == f"Gcore refused: {refusal['message']}"


@pytest.mark.parametrize("action", EMAIL_ACTIONS)
def test_an_email_refused_with_field_errors_shows_them(support_client, sandbox, monkeypatch, wire, action):
    path, activated, _ = EMAIL_ACTIONS[action]
    client_id, user = user_without_tokens(sandbox, activated=activated)
    _answer_email_call(monkeypatch, wire, path, 400, {"errors": {"email": ["Enter a valid email address."]}})
    response = support_client.post(f"/clients/{client_id}/users/{user['id']}/{action}/")
    assert response.status_code == 422
    assert "Enter a valid email address." in action_error(response)


# -- revoking a token ----------------------------------------------------------------------------------


def test_a_token_revoked_meanwhile_is_said_to_be_gone_and_is_listed_no_more(
    support_client, sandbox, monkeypatch, wire
):
    client_id, _, token = holder_and_token(sandbox)
    path = f"{tokens_path(client_id)}/{token['id']}"

    def raced(request, real):
        if request.method == "DELETE" and request.url.path == path:
            assert gcore_call(sandbox, "DELETE", path)[0] == 204  # someone else, a moment earlier
            return reply(request, 404, {"detail": "Not found."})
        return real()

    at_the_edge(monkeypatch, raced, wire)
    url = f"/clients/{client_id}/tokens/{token['id']}/revoke/"
    response = support_client.post(url, {"reason": "Leaked", "confirm": "on"}, follow=True)
    assert response.redirect_chain == [(f"/clients/{client_id}/tokens/", 302)]
    [(level, message)] = flashed(response)
    assert level == "info" and "already" in message and "unexpected" not in message
    assert token["id"] not in token_rows(text(response))
    assert writes(wire) == [("DELETE", path, None)]


@pytest.mark.parametrize("answer", ["deleted-flag", "404"])
def test_a_token_revoked_before_the_confirmation_is_sent_is_not_deleted_again(
    support_client, sandbox, monkeypatch, wire, answer
):
    """GET .../tokens/{tokenId} of a revoked token answers the token, `deleted: true` (the sandbox), or
    404 (an implementation that forgets it): either way it is gone, and nothing is sent."""
    client_id, _, token = holder_and_token(sandbox)
    path = f"{tokens_path(client_id)}/{token['id']}"
    url = f"/clients/{client_id}/tokens/{token['id']}/revoke/"
    assert support_client.get(url).status_code == 200
    assert gcore_call(sandbox, "DELETE", path)[0] == 204  # someone else, after the form opened

    def forgotten(request, real):
        if answer == "404" and request.method == "GET" and request.url.path == path:
            return reply(request, 404, {"detail": "Not found."})
        return real()

    at_the_edge(monkeypatch, forgotten, wire)
    response = support_client.post(url, {"reason": "Leaked", "confirm": "on"}, follow=True)
    assert response.redirect_chain == [(f"/clients/{client_id}/tokens/", 302)]
    [(level, message)] = flashed(response)
    assert level == "info" and "already" in message
    assert token["id"] not in token_rows(text(response))
    assert writes(wire) == []
    assert support_client.get(url).status_code == 404


@pytest.mark.parametrize(
    ("status", "body"), [(200, {}), (200, {"deleted": True}), (200, None)], ids=["200-{}", "200-json", "200"]
)
def test_a_revocation_answered_with_another_success_is_done(
    support_client, sandbox, monkeypatch, wire, status, body
):
    client_id, _, token = holder_and_token(sandbox)
    path = f"{tokens_path(client_id)}/{token['id']}"

    def answer(request, real):
        response = real()
        if request.method == "DELETE" and request.url.path == path and response.status_code == 204:
            return reply(request, status, body)
        return response

    at_the_edge(monkeypatch, answer, wire)
    url = f"/clients/{client_id}/tokens/{token['id']}/revoke/"
    response = support_client.post(url, {"reason": "Rotated", "confirm": "on"}, follow=True)
    assert response.redirect_chain == [(f"/clients/{client_id}/tokens/", 302)]
    assert f"Revoked the API token '{token['name']}'." in text(response)
    assert token["id"] not in token_rows(text(response))
    assert audited(AuditEntry.Action.TOKEN_REVOKE).outcome == "saved"


# -- inviting: an answer without the user's id ------------------------------------------------------------


@pytest.mark.parametrize(
    "answer_body",
    [{"status": "sent"}, {"status": "sent", "user_id": None}, None],
    ids=["status-only", "null-id", "empty-body"],
)
def test_an_invitation_answered_without_a_user_id_succeeds_and_the_users_refresh(
    support_client, sandbox, monkeypatch, wire, answer_body
):
    client_id = first_live_client(sandbox)
    support_client.get(f"/clients/{client_id}/")  # the users are read (and cached) before

    def answer(request, real):
        response = real()
        if request.url.path == "/iam/clients/invite_user" and response.status_code == 200:
            return reply(request, 200, answer_body)
        return response

    at_the_edge(monkeypatch, answer, wire)
    url = f"/clients/{client_id}/users/invite/"
    data = {"email": "late.joiner@example.org", "role": "2", "lang": "en"}
    response = support_client.post(url, data, follow=True)
    assert response.redirect_chain == [(f"/clients/{client_id}/#client-users", 302)]
    body = text(response)
    assert "Invited late.joiner@example.org: Gcore e-mails them a link to join." in body
    invited = {u["email"]: u["id"] for u in sandbox.client_json(client_id)["users"]}[
        "late.joiner@example.org"
    ]
    row = re.search(rf'<tr id="user-{invited}">(.*?)</tr>', body, re.S)
    assert row and "invited" in row.group(1)
    assert audited(AuditEntry.Action.USER_INVITE).outcome == "saved"
    # With htmx: the editor closes and the users section is told to refresh.
    again = support_client.post(url, data | {"email": "early.bird@example.org"}, HTTP_HX_REQUEST="true")
    assert again.status_code == 200
    assert "users-updated" in json.loads(again["HX-Trigger"])
    assert "early.bird@example.org" in text(support_client.get(f"/clients/{client_id}/"))
