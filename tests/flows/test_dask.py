"""The same flow on a local Dask cluster (prefect-dask) produces exactly the dataset a thread run does.

The Dask workers are separate processes: they reach the session's Prefect test server through
PREFECT_API_URL, which the `prefect_server` fixture exports (without it each worker would start
a temporary server of its own). A local cluster costs 6-7 s per flow and ~300 ms per task here,
so the sample is cut into a few batches only.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow.dataset as ds
import pytest

from flows.ingest import ingest
from flows.options import RunOptions
from flows.tasks import task_runner_for

BATCH_SIZE = 20  # the sample's 78 captures in 4 tasks, spread over both workers

# Differ between any two runs by design: which run wrote the row, when, and how long it took.
PER_RUN_COLUMNS = {"run_id", "recorded_at", "duration_ms", "load_id", "loaded_at"}


def _table_rows(data_dir: Path, table: str, key: str) -> list[dict]:
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as con:
        cursor = con.execute(f"SELECT * FROM {table} ORDER BY {key}")  # noqa: S608 -- fixed names
        names = [d[0] for d in cursor.description]
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    return [{k: v for k, v in row.items() if k not in PER_RUN_COLUMNS} for row in rows]


def _parquet_rows(data_dir: Path, dataset: str, key: str) -> list[dict]:
    table = ds.dataset(data_dir / "parquet" / dataset, format="parquet", partitioning="hive").to_table()
    rows = sorted(table.to_pylist(), key=lambda row: row[key])
    return [{k: v for k, v in row.items() if k not in PER_RUN_COLUMNS} for row in rows]


@pytest.fixture(scope="module")
def thread_run(prefect_server, tmp_path_factory):
    """The reference: the default thread task runner (and the flow's process pool)."""
    data_dir = tmp_path_factory.mktemp("threads")
    return data_dir, ingest(RunOptions.build(data_dir=str(data_dir), batch_size=BATCH_SIZE))


def _dask_run(data_dir: Path, dask_workers: int, **parameters):
    return ingest.with_options(task_runner=task_runner_for(dask_workers=dask_workers))(
        RunOptions.build(data_dir=str(data_dir), batch_size=BATCH_SIZE, **parameters)
    )


def _assert_same_dataset(dask_dir: Path, on_dask, thread_dir: Path, on_threads) -> None:
    assert on_dask.task_count == on_threads.task_count == 4
    assert (on_dask.capture_count, on_dask.article_count, on_dask.duplicate_count, on_dask.rejections) == (
        on_threads.capture_count,
        on_threads.article_count,
        on_threads.duplicate_count,
        on_threads.rejections,
    )
    assert on_dask.article_count > 0 and not on_dask.errors

    articles = _table_rows(dask_dir, "articles", "article_id")
    assert len(articles) == on_threads.article_count
    assert articles == _table_rows(thread_dir, "articles", "article_id")
    assert _table_rows(dask_dir, "captures", "capture_id") == _table_rows(thread_dir, "captures", "capture_id")
    # The Parquet dataset (the shareable artifact) too, not only what DuckDB made of it.
    assert _parquet_rows(dask_dir, "articles", "article_id") == _parquet_rows(thread_dir, "articles", "article_id")
    assert _parquet_rows(dask_dir, "captures", "capture_id") == _parquet_rows(thread_dir, "captures", "capture_id")


def test_a_dask_run_produces_the_same_dataset_as_a_thread_run(thread_run, tmp_path, dask_workers):
    thread_dir, on_threads = thread_run
    # processes=1: on Dask each worker process extracts, so the flow's own pool would sit idle.
    on_dask = _dask_run(tmp_path, dask_workers, processes=1)
    _assert_same_dataset(tmp_path, on_dask, thread_dir, on_threads)


def test_a_dask_run_with_the_default_processes_as_the_cli_runs_it(thread_run, tmp_path, dask_workers):
    """`processes` left to its default: the flow's pool exists, yet the tasks still pickle."""
    thread_dir, on_threads = thread_run
    on_dask = _dask_run(tmp_path, dask_workers)
    _assert_same_dataset(tmp_path, on_dask, thread_dir, on_threads)


def test_a_fetch_run_on_two_dask_workers_keeps_one_rate_limit(prefect_server, tmp_path, dask_workers):
    """Both workers fetch from the same host; the per-host limit holds for the two together
    (booked on the Dask scheduler, flows/acquire/shared_limits.py), where each worker's own limiter would let
    the host see twice the rate."""
    from tests.support.servers import FaultServer

    rate = 10
    with FaultServer() as server:
        url_file = tmp_path / "urls.txt"
        url_file.write_text("".join(f"{server.base_url}/ok/story-{n}\n" for n in range(60)))
        options = RunOptions.build(
            url_files=[str(url_file)],
            data_dir=str(tmp_path / "data"),
            rates=[f"127.0.0.1={rate}"],
            allow_private_hosts=True,  # the server listens on 127.0.0.1
            batch_size=10,
            fetch_workers=4,
            processes=1,
        )
        summary = ingest.with_options(task_runner=task_runner_for(dask_workers=dask_workers))(options)
        busiest_second = server.max_requests_in_window(1.0)
        arrivals = sorted(server.arrivals)
    assert summary.capture_count == 60 and summary.article_count + summary.rejection_count == 60
    assert summary.task_count == 6
    # Per-worker limiters would let the host see about 2 x rate, in the run as a whole and in its
    # busiest second. The server stamps each arrival in its own thread of this (busy) process, so
    # a stamp can be late by a scheduling delay: over the run that moves only the two ends, but it
    # can carry a request or two across a one-second boundary next to on-time ones. So the run's
    # mean rate is held to the limit, and its busiest second to the limit plus that jitter.
    assert (len(arrivals) - 1) / (arrivals[-1] - arrivals[0]) <= rate
    assert busiest_second <= rate + 2, f"{busiest_second} requests in one second at a limit of {rate}"
