"""The steps every edit form's view shares: validate, save through the pipeline, show what happened."""

from __future__ import annotations

from collections.abc import Callable

from dashboard.forms import RecordEditForm
from dashboard.http import HtmxHttpRequest, client_ip, refusal_text, upstream_failure
from dashboard.services.audit import Outcome, audit_refused_input
from dashboard.services.saves import SaveResult
from dashboard.upstream.errors import (
    UpstreamError,
    UpstreamNotFound,
    UpstreamPermissionDenied,
    UpstreamValidationError,
)


def form_error_from(form: RecordEditForm, exc: UpstreamError) -> int:
    """Show an upstream failure on the form, keeping every typed value; the HTTP status to answer."""
    if isinstance(exc, UpstreamValidationError):
        form.add_upstream_errors(exc)
        return 422
    if isinstance(exc, UpstreamPermissionDenied):
        form.add_error(None, f"{exc.system} refused this change: {exc.message}")
        return 422
    failure = upstream_failure(exc)
    form.add_error(None, failed_write_text(exc))
    return failure.status


def change_failed(exc: UpstreamError, *, input_kept: bool = True) -> tuple[str, int]:
    """What a person is told when a change did not go through, and the status to answer: a refusal
    (validation or permission) in the upstream's own words, 422; a failure as `failed_write_text`
    says it, with the status `upstream_failure` decides."""
    if isinstance(exc, UpstreamValidationError | UpstreamPermissionDenied):
        return f"{exc.system} refused: {refusal_text(exc)}", 422
    return failed_write_text(exc, input_kept=input_kept), upstream_failure(exc).status


def failed_write_text(exc: UpstreamError, *, input_kept: bool = True) -> str:
    """What a person is told when a change did not go through, or may not have; `input_kept` when
    the page shows what they typed again."""
    failure = upstream_failure(exc)
    if exc.maybe_applied:
        kept = "; what you typed is kept below." if input_kept else "."
        return (
            f"{failure.headline} The change may or may not have been applied in {exc.system}: it was not "
            f"sent again. Reload to see what it holds now before you try again{kept}"
        )
    return f"Nothing was saved. {failure.headline} {failure.advice}"


def save_form(
    request: HtmxHttpRequest,
    form: RecordEditForm,
    *,
    action: str,
    client_id: int | None,
    save: Callable[..., SaveResult],
    user_id: int | None = None,
    reread: Callable[[], str] | None = None,
) -> tuple[SaveResult | None, int]:
    """Validate the form (a refusal is audited), then `save` what it holds.

    Returns the save's result, or None when the form shows errors, and the HTTP status to answer
    with. An upstream failure lands on the form with every typed value kept; a 404 is left to the
    caller or the middleware (the record is gone). `reread`, after a write that may or may not have
    been applied, reads the record again and says what it holds now (never sending it again).
    """
    if not form.is_valid():
        audit_refused_input(
            action=action, client_id=client_id, user_id=user_id, actor=request.user,
            errors=form.errors, ip_address=client_ip(request),
        )  # fmt: skip
        return None, 422
    try:
        result = save(
            original=form.cleaned_data["original"],
            desired=form.desired(),
            actor=request.user,
            overwrite=form.cleaned_data["overwrite"],
            ip_address=client_ip(request),
        )
    except UpstreamNotFound:
        raise
    except UpstreamError as exc:
        status = form_error_from(form, exc)
        if exc.maybe_applied and reread is not None:
            form.add_error(None, reread())
        return None, status
    return result, 422 if result.outcome == Outcome.CONFLICT else 200


def form_status(request: HtmxHttpRequest, status: int) -> int:
    # htmx swaps only 2xx and 422 (htmx-config in base.html): a failed save must still show its form.
    return 422 if request.htmx and status >= 400 else status


def saved_message(result: SaveResult, what: str, system: str = "Gcore") -> str:
    if result.outcome == Outcome.UNCHANGED:
        return f"Nothing changed, so nothing was sent to {system}."
    return f"{what} saved: {', '.join(result.saved)}."


def partly_saved(result: SaveResult) -> str:
    """What reached Gcore and what did not, when a later call failed after an earlier one saved."""
    reason = refusal_text(result.error) if result.error is not None else "no answer"
    return (
        f"Saved: {', '.join(result.saved)}. Not saved: {', '.join(result.failed)} ({reason}). "
        "The saved values stay saved; try the others again."
    )
