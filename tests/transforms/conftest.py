"""Shared fixtures for the transforms tests (the `--update-golden` flag is in tests/conftest.py).

`pytest tests/transforms --update-golden` rewrites the golden files under
tests/transforms/golden/ from the current extractor; review the diff before committing.
"""

from __future__ import annotations

import pytest


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden", default=False))
