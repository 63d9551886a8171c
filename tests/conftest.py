"""Session-wide test setup: a private Prefect home, one Prefect test server for all tests, and
marks set from the fixtures a test uses.

A test that needs a server gets its mark from the fixture that starts it, directly or through
another fixture (`item.fixturenames` is the whole closure), so the marks cannot drift from what
the tests do (the table is tests/support/marks.py). `make test-fast` deselects every marked test:

    prefect  the session's Prefect test server (`prefect_server`; calling a flow or running
             `newsarchive run` needs it), a `prefect server start` of its own (`prefect_api`,
             `prefect_home`)
    pywb     a real pywb archive (`pywb_archive`, `tide_archive`)
    dask     a local Dask cluster of worker processes (`cluster`, `dask_workers`)
    s3       a moto S3 server (`s3_server`, and `s3`, a fresh bucket on it)

Ephemeral Prefect servers are switched off for the whole session: a test that starts Prefect
without asking for `prefect_server` fails with "No Prefect API URL provided" instead of quietly
starting a server of its own, unmarked.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

import pytest

from tests.support.marks import server_marks

REPO = Path(__file__).resolve().parents[1]

# Before prefect is imported anywhere: a private, quiet, offline Prefect.
_PREFECT_HOME = tempfile.mkdtemp(prefix="newsarchive-prefect-")
os.environ["PREFECT_HOME"] = _PREFECT_HOME
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
os.environ["PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"] = "120"
os.environ["PREFECT_SERVER_EPHEMERAL_ENABLED"] = "false"  # see the module docstring
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


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark each test with the servers its fixtures start (tests/support/marks.py)."""
    for item in items:
        for mark in server_marks(getattr(item, "fixturenames", ())):
            item.add_marker(mark)


@pytest.fixture(scope="session")
def prefect_server():
    """One temporary Prefect server for the whole session (~8 s to start).

    Its URL is exported as PREFECT_API_URL so CLI subprocesses and Dask workers use it too.
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


@pytest.fixture(scope="session")
def s3_server():
    """A moto S3 API server for the session; yields its endpoint URL."""
    from tests.support.servers import running_moto

    with running_moto() as endpoint:
        yield endpoint


@pytest.fixture
def s3(s3_server, monkeypatch):
    """A fresh bucket (S3_BUCKET); the AWS environment points pyarrow and DuckDB at the local
    server. Returns the pyarrow filesystem."""
    from pyarrow import fs as pafs

    from tests.support.servers import S3_BUCKET
    from warehouse import storage

    for name, value in {
        "AWS_ENDPOINT_URL": s3_server,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    filesystem, _ = pafs.FileSystem.from_uri("s3://probe?allow_bucket_creation=true&allow_bucket_deletion=true")
    with contextlib.suppress(OSError):
        filesystem.delete_dir(S3_BUCKET)
    filesystem.create_dir(S3_BUCKET)
    return storage.resolve(f"s3://{S3_BUCKET}")[0]
