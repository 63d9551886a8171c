"""Shared fixtures for the transforms tests, and the `--update-golden` flag.

`pytest tests/transforms --update-golden` rewrites the golden files under
tests/transforms/golden/ from the current extractor; review the diff before committing.
"""

from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="rewrite tests/transforms/golden/*.json from the current extractor (review the diff)",
    )


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden", default=False))
