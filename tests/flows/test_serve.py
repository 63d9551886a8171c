"""Scheduled ingestion as a user runs it: a real `prefect server start` on 127.0.0.1, a real
`newsarchive serve` process registering a deployment from a config file, runs triggered through
the API against a real pywb archive, and the articles in the DuckDB warehouse.

The tests that start a server get the `prefect` and `pywb` marks from their fixtures
(tests/conftest.py). What needs no server (one-line errors, --list, prefect.yaml) is in
test_serve_offline.py.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest
import requests
import yaml

from tests.support.factories import ArchivedPage, archived_article, write_warc
from tests.support.pywb import PYWB_VENV, running_pywb

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent / "newsarchive"
PREFECT = Path(sys.executable).parent / "prefect"
DEPLOYMENT = "ingest-archive/tide-times"
# Daily, twelve hours from now: the schedule is real, but never fires while the test runs.
CRON_HOUR = (datetime.now(UTC).hour + 12) % 24
CRON = f"0 {CRON_HOUR} * * *"


def _at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def _page(slug: str, captured_at: datetime, title: str) -> ArchivedPage:
    return archived_article(f"https://tide-times.example/news/{slug}", captured_at, title)


# What the archive holds before the first run...
FIRST_CAPTURES = [
    _page("new-pier", _at(2022, 3, 1, 6, 0, 0), "New pier opens for the summer"),
    _page("lifeboat", _at(2022, 3, 2, 7, 30, 0), "Lifeboat crew rescues two kayakers"),
    _page("harbour-fees", _at(2022, 3, 3, 9, 45, 0), "Harbour fees rise for visiting yachts"),
]
# ...and what a later crawl adds.
NEW_CAPTURES = [
    _page("regatta", _at(2022, 4, 10, 10, 0, 0), "Regatta draws a record fleet"),
    _page("sea-wall", _at(2022, 4, 11, 11, 0, 0), "Sea wall repairs finish early"),
]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _clean_env(**extra: str) -> dict[str, str]:
    """The test process's environment without any Prefect server of other tests."""
    env = {key: value for key, value in os.environ.items() if key not in {"PREFECT_API_URL", "NEWSARCHIVE_DATA_DIR"}}
    env.update(PREFECT_SERVER_ANALYTICS_ENABLED="false", PREFECT_LOGGING_LEVEL="WARNING", **extra)
    return env


def _stop(process: subprocess.Popen, sig: int = signal.SIGTERM, timeout: float = 20) -> None:
    """Stop a process the test started (and its process group, which it leads)."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, sig)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def _wait_for(probe, process: subprocess.Popen, log_path: Path, *, timeout: float, what: str, interval: float = 0.3):
    """Call `probe` until it returns something other than None (an exception counts as not yet);
    fail with the process's log if the process exits first or `timeout` passes."""
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            pytest.fail(
                f"exited with {process.returncode} before {what}: {log_path.read_text(errors='replace')[-1500:]}"
            )
        try:
            result = probe()
        except Exception as error:  # not up yet (connection refused), not registered yet (ObjectNotFound)
            result, last_error = None, error
        else:
            last_error = None
        if result is not None:
            return result
        if time.monotonic() > deadline:
            pytest.fail(
                f"no {what} in {timeout:.0f} s ({last_error!r}): {log_path.read_text(errors='replace')[-1500:]}"
            )
        time.sleep(interval)


@pytest.fixture(scope="module")
def prefect_api(tmp_path_factory):
    """A real `prefect server start` (scheduler on) on a free port of 127.0.0.1; yields its API URL."""
    home = tmp_path_factory.mktemp("prefect-server")
    port = _free_port()
    with open(home / "server.log", "wb") as log:
        process = subprocess.Popen(
            [str(PREFECT), "server", "start", "--host", "127.0.0.1", "--port", str(port), "--no-ui"],
            # The scheduler service every second (default 60 s), so the test sees the runs it plans.
            env=_clean_env(PREFECT_HOME=str(home), PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS="1"),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        url = f"http://127.0.0.1:{port}/api"
        try:
            _wait_for(
                lambda: True if requests.get(f"{url}/health", timeout=1).status_code == 200 else None,
                process,
                home / "server.log",
                timeout=90,
                what="answer on /api/health",
                interval=0.2,
            )
            yield url
        finally:
            _stop(process)


@pytest.fixture(scope="module")
def tide_archive(tmp_path_factory):
    """A pywb archive of its own (the session one is shared and must not change): it starts with
    FIRST_CAPTURES; `add_new_captures()` adds NEW_CAPTURES while it runs."""
    root = tmp_path_factory.mktemp("tide-pywb")
    first = write_warc(root / "first.warc.gz", FIRST_CAPTURES)
    with running_pywb(root, [first]) as server:

        def add_new_captures() -> None:
            later = write_warc(root / "later.warc.gz", NEW_CAPTURES)
            subprocess.run(
                [str(PYWB_VENV / "bin" / "wb-manager"), "add", server.collection, str(later)],
                cwd=server.root,
                check=True,
                capture_output=True,
                timeout=120,
            )

        server.add_new_captures = add_new_captures
        yield server


def _write_config(path: Path, archive_url: str, data_dir: Path) -> Path:
    path.write_text(
        f"""\
data_dir = "{data_dir}"
batch_size = 50

[hosts]
"127.0.0.1" = 50
"127.0.0.1#cdx" = 50

[[sources]]
name = "tide-times"
kind = "cdx"
pattern = "tide-times.example/news/*"
archive = "{archive_url}"
from = "20220101"
schedule = "{CRON}"

[[sources]]
name = "unscheduled"
kind = "sample"
""",
        encoding="utf-8",
    )
    return path


def _prefect(api_url: str):
    """Prefect settings pointing this process's client at the test server."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    return temporary_settings({PREFECT_API_URL: api_url})


def _read_deployment(api_url: str, name: str):
    from prefect import get_client

    with _prefect(api_url), get_client(sync_client=True) as client:
        return client.read_deployment_by_name(name)


@pytest.fixture(scope="module")
def serving(prefect_api, tide_archive, tmp_path_factory):
    """`newsarchive serve --config ...` running against the test server; yields the data dir."""

    root = tmp_path_factory.mktemp("serve")
    data_dir = root / "data"
    config = _write_config(root / "newsarchive.toml", tide_archive.base_url, data_dir)
    with open(root / "serve.log", "wb") as log:
        # Poll for runs every second (default 10 s) so triggered runs start at once.
        env = _clean_env(
            PREFECT_HOME=str(root / "home"), PREFECT_API_URL=prefect_api, PREFECT_RUNNER_POLL_FREQUENCY="1"
        )
        process = subprocess.Popen(
            [str(BIN), "serve", "--config", str(config)],
            cwd=root,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            _wait_for(
                lambda: _read_deployment(prefect_api, DEPLOYMENT),
                process,
                root / "serve.log",
                timeout=60,
                what="deployment registered by serve",
            )
            yield data_dir
        finally:
            _stop(process, signal.SIGINT)  # Ctrl-C, as a user stops it


def _run_deployment(api_url: str, name: str):
    from prefect.deployments import run_deployment

    with _prefect(api_url):
        return run_deployment(name, timeout=120, poll_interval=0.5)


def _query(data_dir: Path, sql: str, parameters: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True)
    try:
        return con.execute(sql, parameters or []).fetchall()
    finally:
        con.close()


def test_serve_registers_the_scheduled_source_only(prefect_api, serving):
    deployment = _read_deployment(prefect_api, DEPLOYMENT)
    assert [s.schedule.cron for s in deployment.schedules] == [CRON]
    assert all(s.active for s in deployment.schedules)
    options = deployment.parameters["options"]
    assert options["inputs"]["source_name"] == "tide-times"
    assert options["inputs"]["cdx_patterns"] == ["tide-times.example/news/*"]
    assert options["inputs"]["incremental"] is True
    assert options["data_dir"] == str(serving)
    assert deployment.entrypoint == "flows.ingest.ingest"
    from prefect.exceptions import ObjectNotFound

    with pytest.raises(ObjectNotFound):  # no schedule, no deployment
        _read_deployment(prefect_api, "ingest-archive/unscheduled")

    # The server's scheduler has put the next runs on the calendar, at the cron's hour (UTC).
    from prefect import get_client
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId, FlowRunFilter, FlowRunFilterState

    deadline = time.monotonic() + 30  # the scheduler loop runs every second on the test server
    while True:
        with _prefect(prefect_api), get_client(sync_client=True) as client:
            scheduled = client.read_flow_runs(
                deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment.id])),
                flow_run_filter=FlowRunFilter(state=FlowRunFilterState(type={"any_": ["SCHEDULED"]})),
            )
        if scheduled or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert scheduled, "the server's scheduler put no runs of the deployment on the calendar"
    for run in scheduled:
        assert run.expected_start_time > datetime.now(UTC)
        assert (run.expected_start_time.hour, run.expected_start_time.minute) == (CRON_HOUR, 0)


def test_triggered_runs_ingest_then_fetch_only_new_captures(prefect_api, serving, tide_archive):
    first = _run_deployment(prefect_api, DEPLOYMENT)
    assert first.state.is_completed(), first.state
    titles = [row[0] for row in _query(serving, "SELECT title FROM articles ORDER BY title")]
    assert titles == [
        "Harbour fees rise for visiting yachts",
        "Lifeboat crew rescues two kayakers",
        "New pier opens for the summer",
    ]

    # A later crawl adds captures to the archive; the next run of the source picks up after
    # the last capture the first one ingested.
    tide_archive.add_new_captures()
    second = _run_deployment(prefect_api, DEPLOYMENT)
    assert second.state.is_completed(), second.state

    runs = _query(
        serving,
        "SELECT capture_count, article_count, cursor_captured_at FROM runs "
        "WHERE source_name = 'tide-times' ORDER BY started_at",
    )
    assert [(captures, articles) for captures, articles, _ in runs] == [(3, 3), (2, 2)]
    assert [cursor.astimezone(UTC) for _, _, cursor in runs] == [
        _at(2022, 3, 3, 9, 45, 0),
        _at(2022, 4, 11, 11, 0, 0),
    ]
    # Nothing the first run fetched was fetched again: the second run's ledger rows are exactly
    # the new captures.
    second_run_id = _query(
        serving, "SELECT run_id FROM runs WHERE source_name = 'tide-times' ORDER BY started_at DESC LIMIT 1"
    )[0][0]
    fetched = _query(
        serving, "SELECT url, captured_at FROM captures WHERE run_id = ? ORDER BY captured_at", [second_run_id]
    )
    assert [(url, at.astimezone(UTC)) for url, at in fetched] == [(p.url, p.captured_at) for p in NEW_CAPTURES]
    titles = [row[0] for row in _query(serving, "SELECT title FROM articles ORDER BY title")]
    assert titles == [
        "Harbour fees rise for visiting yachts",
        "Lifeboat crew rescues two kayakers",
        "New pier opens for the summer",
        "Regatta draws a record fleet",
        "Sea wall repairs finish early",
    ]


def prefect_cli(args: list[str], home: Path, env: dict, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(PREFECT), *args],
        capture_output=True,
        text=True,
        cwd=cwd or home,
        timeout=120,
        env=_clean_env(PREFECT_HOME=str(home / "prefect-home"), **env),
    )


def test_prefect_deploy_registers_the_yaml_deployments_on_a_work_pool(prefect_api, tmp_path):
    """`prefect deploy --all` accepts the committed prefect.yaml: its deployments land on the
    server with their cron schedules and parameters."""
    env = {"PREFECT_API_URL": prefect_api}
    made = prefect_cli(["work-pool", "create", "newsarchive", "--type", "process"], tmp_path, env)
    assert made.returncode == 0, made.stdout + made.stderr
    deployed = prefect_cli(
        ["--no-prompt", "deploy", "--all", "--prefect-file", str(REPO / "prefect.yaml")], tmp_path, env, cwd=REPO
    )
    assert deployed.returncode == 0, deployed.stdout + deployed.stderr
    expected = yaml.safe_load((REPO / "prefect.yaml").read_text())["deployments"]
    for spec in expected:
        deployment = _read_deployment(prefect_api, f"ingest-archive/{spec['name']}")
        assert deployment.work_pool_name == "newsarchive"
        assert [s.schedule.cron for s in deployment.schedules] == [spec["schedules"][0]["cron"]]
        assert deployment.parameters == spec["parameters"]


def test_start_server_serves_on_its_own_server_and_stops_it(tmp_path, prefect_home):
    """`serve --start-server` without PREFECT_API_URL: a server on 127.0.0.1 for as long as serve
    runs; the deployment is registered there; Ctrl-C stops serve and the server."""
    port = _free_port()
    api_url = f"http://127.0.0.1:{port}/api"
    config = _write_config(tmp_path / "newsarchive.toml", "http://127.0.0.1:9/news", tmp_path / "data")
    with open(tmp_path / "serve.log", "wb") as log:
        process = subprocess.Popen(
            [str(BIN), "serve", "--config", str(config), "--start-server", "--server-port", str(port)],
            cwd=tmp_path,
            env=_clean_env(PREFECT_HOME=str(prefect_home)),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            deployment = _wait_for(
                lambda: _read_deployment(api_url, DEPLOYMENT),
                process,
                tmp_path / "serve.log",
                timeout=120,
                what=f"deployment at {api_url}",
                interval=0.5,
            )
            assert [s.schedule.cron for s in deployment.schedules] == [CRON]
        finally:
            _stop(process, signal.SIGINT)
    assert process.returncode == 0, (tmp_path / "serve.log").read_text()[-1500:]
    with pytest.raises(requests.ConnectionError):  # the server went with it
        requests.get(f"{api_url}/health", timeout=2)
    assert (prefect_home / "newsarchive-server.log").exists()
