"""The suite's own layout: shared helpers live in tests/helpers.py, fixtures in the conftest.py files.

No test module (and no conftest) imports from a test module or from a conftest: a helper kept in a
test module is found only by those who know where to look, and importing a test module's test
functions makes pytest collect them twice.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
# What a test module may import from the tests package: the shared helpers, and the security
# checks' infrastructure (the middleware and log handler that tests/settings.py installs, and the
# permission matrix that the role walk and the accessibility walk both read).
ALLOWED = ("tests.helpers", "tests.security.evidence", "tests.security.matrix")


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts)


def imported_modules(path: Path, node: ast.Import | ast.ImportFrom) -> list[str]:
    """The dotted names an import statement reads, relative imports resolved against `path`."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if node.level:
        package = module_name(path).split(".")[: -node.level]
        base = ".".join([*package, *([node.module] if node.module else [])])
    else:
        base = node.module or ""
    if (ROOT / base.replace(".", "/")).is_dir():  # `from tests.sandbox import conftest`: names are modules
        return [base, *(f"{base}.{alias.name}" for alias in node.names)]
    return [base]


def is_test_module_or_conftest(module: str) -> bool:
    first, *rest = module.split(".")
    return first == "tests" and any(part == "conftest" or part.startswith("test_") for part in rest)


def is_other_tests_module(module: str) -> bool:
    """A module of the tests package other than the helpers and evidence.py."""
    return (module == "tests" or module.startswith("tests.")) and not module.startswith(ALLOWED)


def problems(path: Path, source: str, rule) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source, filename=str(path))):
        if isinstance(node, ast.Import | ast.ImportFrom):
            for module in imported_modules(path, node):
                if rule(module):
                    where = path.relative_to(ROOT)
                    found.append(f"{where}:{node.lineno}: `{ast.unparse(node)}` imports from {module}")
                    break
    return found


def suite_files() -> list[Path]:
    """Every test module and conftest of the suite."""
    return sorted([*TESTS.rglob("test_*.py"), *TESTS.rglob("conftest.py")])


def test_no_test_module_imports_from_a_test_module_or_a_conftest():
    files = suite_files()
    assert TESTS / "test_layout.py" in files and TESTS / "conftest.py" in files
    found = [p for path in files for p in problems(path, path.read_text(), is_test_module_or_conftest)]
    assert not found, (
        "Move shared helpers to tests/helpers.py (fixtures to a conftest.py) and import them from there:\n"
        + "\n".join(found)
    )


def test_test_modules_take_their_helpers_from_tests_helpers_only():
    found = [p for path in suite_files() for p in problems(path, path.read_text(), is_other_tests_module)]
    assert not found, (
        "Test modules and conftests import from tests.helpers (or tests.security.evidence) only:\n"
        + "\n".join(found)
    )


@pytest.mark.parametrize(
    ("source", "flagged"),
    [
        ("from tests.test_client_edit import form_data", True),
        ("from tests.browser.test_roles import visit", True),
        ("from tests.conftest import PASSWORD", True),
        ("from tests.browser.conftest import log_in", True),
        ("from .conftest import TOKEN", True),
        ("from .test_data import NOW", True),
        ("from ..test_settings import run_manage", True),
        ("from . import conftest", True),
        ("from tests import test_settings", True),
        ("import tests.test_user_edit", True),
        ("def f():\n    from tests.test_user_edit import client_and_user", True),
        ("from tests.helpers import logged_in", False),
        ("from tests.security.evidence import check_response", False),
        ("from dashboard.sandbox import Sandbox", False),
        ("import pytest", False),
    ],
)
def test_the_layout_check_sees_every_spelling(source, flagged):
    path = TESTS / "sandbox" / "test_example.py"
    found = problems(path, source, is_test_module_or_conftest)
    assert bool(found) is flagged, found
    if flagged:
        assert found[0].startswith("tests/sandbox/test_example.py:")
