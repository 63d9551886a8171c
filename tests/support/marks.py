"""Which fixtures set which mark: a test that uses one of these fixtures, directly or through
another fixture, needs the server the mark names (tests/conftest.py sets the marks at
collection; `make test-fast` deselects them all)."""

from __future__ import annotations

from collections.abc import Iterable

# mark -> the fixtures that start what the mark stands for (where they are defined).
SERVER_FIXTURES: dict[str, frozenset[str]] = {
    "prefect": frozenset(
        {
            "prefect_server",  # tests/conftest.py: the session's Prefect test server
            "prefect_api",  # tests/flows/test_serve.py: `prefect server start`
            "prefect_home",  # tests/flows/conftest.py: for a server a test's subprocess starts
        }
    ),
    "pywb": frozenset(
        {
            "pywb_archive",  # tests/flows/conftest.py
            "tide_archive",  # tests/flows/test_serve.py
        }
    ),
    "dask": frozenset(
        {
            "cluster",  # tests/flows/test_global_limits.py
            "dask_workers",  # tests/flows/conftest.py: for a flow's DaskTaskRunner
        }
    ),
    "s3": frozenset({"s3_server"}),  # tests/conftest.py
}


def server_marks(fixture_names: Iterable[str]) -> list[str]:
    """The marks of a test that uses `fixture_names` (its whole fixture closure)."""
    used = set(fixture_names)
    return [mark for mark, fixtures in SERVER_FIXTURES.items() if used & fixtures]
