"""Fixtures for the acquisition and flow tests: a real pywb archive over WARC files the tests
write, and the fixtures that mark tests starting a Prefect server or a Dask cluster of their own.

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


@pytest.fixture
def prefect_home(tmp_path):
    """A PREFECT_HOME of its own for a Prefect server that a subprocess of the test starts
    (the session's Prefect server is not used); asking for it marks the test `prefect`."""
    home = tmp_path / "prefect-home"
    home.mkdir()
    return home


@pytest.fixture
def dask_workers() -> int:
    """Worker processes for a flow's local Dask cluster (the DaskTaskRunner starts it); asking
    for it marks the test `dask`. Two: enough to show work spread across processes."""
    return 2
