"""Rules of the test suite itself: helpers are imported one way, from tests.support (a conftest
only holds fixtures, and a test module is never imported by another: its fixtures would be
defined twice), and every fixture that sets a mark (tests/support/marks.py) exists."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.support.marks import SERVER_FIXTURES

TESTS = Path(__file__).resolve().parent


def _trees() -> list[tuple[Path, ast.Module]]:
    return [
        (path, ast.parse(path.read_text(encoding="utf-8"), filename=str(path))) for path in sorted(TESTS.rglob("*.py"))
    ]


def _imported_modules(tree: ast.Module) -> list[str]:
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
        elif isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
    return names


def test_nothing_is_imported_from_a_conftest_or_a_test_module():
    offenders = [
        f"{path.relative_to(TESTS)}: {module}"
        for path, tree in _trees()
        for module in _imported_modules(tree)
        if module.split(".")[-1] == "conftest" or module.split(".")[-1].startswith("test_")
    ]
    assert not offenders, "import helpers from tests.support, not from a conftest or a test module: " + ", ".join(
        offenders
    )


def test_every_fixture_that_sets_a_mark_exists():
    defined = {
        node.name
        for _, tree in _trees()
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    }
    missing = sorted(name for names in SERVER_FIXTURES.values() for name in names if name not in defined)
    assert not missing, f"SERVER_FIXTURES in tests/support/marks.py names fixtures nobody defines: {missing}"
