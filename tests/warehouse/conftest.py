"""Fixtures for the warehouse tests; the records they write come from tests/support/factories.py."""

from __future__ import annotations

import pytest


@pytest.fixture
def data_dir(tmp_path):
    return tmp_path / "data"
