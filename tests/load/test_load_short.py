"""The short form of the load test (load/run.py --short): 50 staff at once against gunicorn and the
loopback sandbox, with a fixed request budget; zero server errors and zero lost or duplicated writes.
`make load` runs the full form."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.load

ROOT = Path(__file__).resolve().parents[2]
HARD_LIMIT = 150  # seconds: the run bounds itself (~30 s); this only stops a hung one


def test_fifty_staff_browse_and_edit_without_errors_or_lost_writes() -> None:
    # run.py builds its servers' environment itself; pytest-django's settings module must not leak in.
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    try:
        result = subprocess.run(
            [sys.executable, "load/run.py", "--short"],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=HARD_LIMIT,
        )  # fmt: skip
    except subprocess.TimeoutExpired as exc:
        pytest.fail(
            f"load/run.py --short did not finish within {HARD_LIMIT} s:\n{exc.stdout or ''}", pytrace=False
        )
    print(result.stdout)  # the summary table, shown with -s or on failure
    assert result.returncode == 0, f"load test failed:\n{result.stdout}\n{result.stderr[-3000:]}"
    assert "LOAD TEST PASSED" in result.stdout
