"""Fixtures for the acquisition and flow tests: a real pywb archive over WARC files the tests write.

`pywb_archive` is session-scoped: the pywb environment is built once (`.venv-pywb/`, reused
across runs) and one `wayback` process serves every test that asks for it. When pywb cannot be
installed or started here, the tests that need it are skipped with the reason.
"""

from __future__ import annotations

import pytest

from tests.support.factories import write_warc
from tests.support.pywb import PYWB_PAGES, running_pywb


@pytest.fixture(scope="session")
def pywb_archive(tmp_path_factory):
    """A running pywb serving PYWB_PAGES; yields the PywbServer (`base_url` is the archive prefix)."""
    root = tmp_path_factory.mktemp("pywb")
    warc = write_warc(root / "harbour.warc.gz", PYWB_PAGES)
    with running_pywb(root, [warc]) as server:
        yield server
