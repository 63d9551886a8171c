"""Test helpers are imported one way, from tests.support: a conftest only holds fixtures, and a
test module is never imported by another (its fixtures would be defined twice)."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def _imported_modules(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
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
        for path in sorted(TESTS.rglob("*.py"))
        for module in _imported_modules(path)
        if module.split(".")[-1] == "conftest" or module.split(".")[-1].startswith("test_")
    ]
    assert not offenders, "import helpers from tests.support, not from a conftest or a test module: " + ", ".join(
        offenders
    )
