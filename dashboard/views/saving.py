"""What every change view shows after a save or a failure: the upstream's refusal on the form, the
words for a failed or partial write, and the status to answer with (used by dashboard/changes.py)."""

from __future__ import annotations

from typing import Any

from dashboard.forms.saving import RecordEditForm
from dashboard.http import HtmxHttpRequest, refusal_text, upstream_failure
from dashboard.services.audit import Outcome
from dashboard.services.saves import SaveResult
from dashboard.upstream.errors import (
    UpstreamError,
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


def refusal_on_form(form: Any, exc: UpstreamError, *, input_kept: bool = True) -> int:
    """A change's form (an UpstreamErrorsForm) after the upstream refused or failed it: its field
    errors on their fields, anything else above the form as `change_failed` says it; the status."""
    if isinstance(exc, UpstreamValidationError):
        form.add_upstream_errors(exc)
        return 422
    return refusal_above_form(form, exc, input_kept=input_kept)


def refusal_above_form(form: Any, exc: UpstreamError, *, input_kept: bool = True) -> int:
    """A confirmation's form (nothing on it that the upstream could name) after the upstream
    refused or failed the action: said above the form as `change_failed` says it; the status."""
    text, status = change_failed(exc, input_kept=input_kept)
    form.add_error(None, text)
    return status


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
