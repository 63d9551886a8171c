"""Session-wide test setup: a private Prefect home and one Prefect test server for all tests."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

# Before prefect is imported anywhere: a private, quiet, offline Prefect.
_PREFECT_HOME = tempfile.mkdtemp(prefix="newsarchive-prefect-")
os.environ["PREFECT_HOME"] = _PREFECT_HOME
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
os.environ["PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"] = "120"
os.environ.pop("PREFECT_API_URL", None)
os.environ.pop("NEWSARCHIVE_DATA_DIR", None)
os.environ.pop("NEWSARCHIVE_PARQUET_URI", None)  # every test writes its dataset under its own data dir


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="rewrite tests/transforms/golden/*.json from the current extractor (review the diff)",
    )


@pytest.fixture(scope="session")
def prefect_server():
    """One temporary Prefect server for the whole session (~8 s to start).

    Its URL is exported as PREFECT_API_URL so CLI subprocesses use it too instead of each
    starting a temporary server of their own.
    """
    from prefect.settings import PREFECT_API_URL
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        url = PREFECT_API_URL.value()
        os.environ["PREFECT_API_URL"] = url
        try:
            yield url
        finally:
            os.environ.pop("PREFECT_API_URL", None)
