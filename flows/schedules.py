"""Scheduled ingestion: one Prefect deployment per configured source that has a `schedule`.

`newsarchive serve` builds the deployments here and serves them in-process (Prefect `serve`);
`prefect.yaml` declares the same deployments for `prefect deploy` to a work pool. Either way a
scheduled run is the ordinary `ingest` flow with the source's options, built as `run --config
--source` builds them (flows/options.py). Prefect's temporary server never runs its scheduler,
so serving checks for a real one (PREFECT_API_URL) and says so in one line if there is none.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import requests

from flows.acquire.archive import WAYBACK_PREFIX
from flows.config import Config, SourceConfig
from flows.options import RunOptions, build_run_options

START_SERVER_HINT = (
    "start one with `prefect server start` in another terminal, then "
    "`export PREFECT_API_URL=http://127.0.0.1:4200/api` (or add --start-server)"
)
HEALTH_TIMEOUT_S = 5.0


class ServeError(Exception):
    """Scheduled ingestion cannot start (no server, nothing scheduled); the message says why."""


@dataclass(frozen=True, slots=True)
class PlannedDeployment:
    """What `serve` registers for one source: shown by `serve --list`, built by `runner_deployment`."""

    name: str
    cron: str
    options: RunOptions
    description: str
    tags: tuple[str, ...]

    @property
    def parameters(self) -> dict[str, Any]:
        """The `ingest` flow's parameters: the options the configuration sets (the rest default)."""
        return {"options": self.options.model_dump(mode="json", exclude_unset=True)}


def scheduled_sources(config: Config, names: tuple[str, ...] | list[str] = ()) -> list[SourceConfig]:
    """The sources to serve: those named (each must exist and have a schedule), or every
    scheduled source. Raises ServeError when there is nothing to schedule."""
    if names:
        chosen = [config.source(name) for name in names]  # ConfigError names an unknown source
        unscheduled = [source.name for source in chosen if not source.schedule]
        if unscheduled:
            raise ServeError(
                f"source(s) {', '.join(unscheduled)} have no `schedule` (a cron line such as "
                f'schedule = "0 3 * * *"); only scheduled sources can be served'
            )
        return chosen
    chosen = [source for source in config.sources if source.schedule]
    if not chosen:
        known = ", ".join(source.name for source in config.sources) or "none"
        raise ServeError(
            f"no source in the configuration has a `schedule` (sources: {known}); add "
            f'schedule = "0 3 * * *" (cron, UTC) to a [[sources]] entry'
        )
    return chosen


def _describe(source: SourceConfig) -> str:
    target = ", ".join(source.target) or "the bundled sample archive"
    what = {
        "sample": "the bundled sample archive",
        "warc": f"WARC {target}",
        "urls": f"URL list {target}",
        "cdx": f"CDX {target} at {source.archive or WAYBACK_PREFIX}",
        "sitemap": f"sitemap {target}",
    }[source.kind]
    if source.kind == "cdx" and source.incremental:
        what += " (incremental: each run continues after the last capture ingested)"
    return f"newsarchive source {source.name!r}: {what}"


def plan_deployments(
    config: Config,
    names: tuple[str, ...] | list[str] = (),
    *,
    data_dir: str | Path | None = None,
    parquet_uri: str | None = None,
    absolute: bool = True,
) -> list[PlannedDeployment]:
    """One deployment per scheduled source; `data_dir` and `parquet_uri` override the
    configuration's. With `absolute`, a relative data directory is made absolute here, so runs
    write where `serve` was started whatever directory Prefect runs them in; prefect.yaml keeps
    it relative to the directory `prefect deploy` runs in."""
    root = Path(data_dir if data_dir is not None else config.data_dir)
    if absolute:
        root = root.absolute()
    flags = {"data_dir": str(root), "parquet_uri": parquet_uri}
    return [
        PlannedDeployment(
            name=source.name,
            cron=source.schedule or "",
            options=build_run_options(config, source, flags),
            description=_describe(source),
            tags=("newsarchive", source.kind),
        )
        for source in scheduled_sources(config, names)
    ]


def runner_deployment(planned: PlannedDeployment):
    """The Prefect deployment of the `ingest` flow for one planned source.

    The entrypoint is the module path (`flows.ingest.ingest`), so runs find the flow whatever
    their working directory.
    """
    from prefect.types.entrypoint import EntrypointType

    from flows.ingest import ingest

    return ingest.to_deployment(
        name=planned.name,
        cron=planned.cron,
        parameters=planned.parameters,
        description=planned.description,
        tags=list(planned.tags),
        entrypoint_type=EntrypointType.MODULE_PATH,
    )


def configured_api_url() -> str | None:
    """PREFECT_API_URL from the environment or the active Prefect profile, if any."""
    from prefect.settings import PREFECT_API_URL

    return PREFECT_API_URL.value() or None


def check_server(api_url: str | None = None) -> str:
    """The URL of a running Prefect server whose scheduler will fire the schedules.

    Raises ServeError when none is configured (the temporary server never schedules) or the
    configured one does not answer its health check.
    """
    api_url = api_url if api_url is not None else configured_api_url()
    if not api_url:
        raise ServeError(
            "schedules need a running Prefect server, and PREFECT_API_URL is not set "
            f"(Prefect's temporary server never runs its scheduler): {START_SERVER_HINT}"
        )
    from prefect import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    # Prefect's own client: it sends the API key a Prefect Cloud URL needs.
    with (
        temporary_settings({PREFECT_API_URL: api_url}),
        get_client(sync_client=True, httpx_settings={"timeout": HEALTH_TIMEOUT_S}) as client,
    ):
        failure = client.api_healthcheck()
    if failure is not None:
        raise ServeError(
            f"no Prefect server answers at PREFECT_API_URL={api_url} ({type(failure).__name__}); {START_SERVER_HINT}"
        )
    return api_url


class LocalServer:
    """`prefect server start` on 127.0.0.1 as a child process, for `serve --start-server`.

    Same server and database as running the command yourself (PREFECT_HOME, default
    ~/.prefect); stopped when the context exits. Its log goes to `log_path`.
    """

    def __init__(self, *, port: int = 4200, log_path: str | Path, startup_timeout_s: float = 120.0) -> None:
        self.port = port
        self.log_path = Path(log_path)
        self.startup_timeout_s = startup_timeout_s
        self.process: subprocess.Popen[bytes] | None = None
        self._log: BinaryIO | None = None

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    def __enter__(self) -> LocalServer:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "wb")
        env = {key: value for key, value in os.environ.items() if key != "PREFECT_API_URL"}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(self.port)],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
        deadline = time.monotonic() + self.startup_timeout_s
        while True:
            if self.process.poll() is not None:
                tail = self.log_path.read_text(errors="replace").strip().splitlines()[-1:] or ["no output"]
                self.__exit__()
                raise ServeError(
                    f"`prefect server start --port {self.port}` exited ({tail[0].strip()}); see {self.log_path}"
                )
            try:
                if requests.get(f"{self.api_url}/health", timeout=1).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                self.__exit__()
                raise ServeError(
                    f"the Prefect server did not answer within {self.startup_timeout_s:.0f} s; see {self.log_path}"
                )
            time.sleep(0.25)

    def __exit__(self, *exc) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)  # the server and the workers it started
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self.process = None
        if self._log is not None:
            self._log.close()
            self._log = None


def serve_deployments(planned: list[PlannedDeployment], *, limit: int | None = 1) -> None:
    """Register the deployments and run their scheduled (and manually triggered) runs here
    until interrupted. `limit` bounds concurrent runs: the warehouse has one writer."""
    from prefect import serve

    serve(*(runner_deployment(p) for p in planned), limit=limit, print_starting_message=True)


PREFECT_YAML_HEADER = """\
# Deployments of the `ingest-archive` flow for `prefect deploy`, one per scheduled source.
# Generated by `newsarchive deploy --config {config}`; regenerate rather than edit.
# Needs a Prefect server (PREFECT_API_URL), like `newsarchive serve`. From this directory:
#   prefect work-pool create {pool} --type process   (once)
#   prefect deploy --all
#   prefect worker start --pool {pool}
# Workers load the flow from the directory `prefect deploy` ran in; data_dir is relative to it.
"""


def prefect_yaml(
    config: Config,
    names: tuple[str, ...] | list[str] = (),
    *,
    work_pool: str = "newsarchive",
    config_label: str = "newsarchive.toml",
    data_dir: str | Path | None = None,
    parquet_uri: str | None = None,
) -> str:
    """prefect.yaml text declaring the same deployments `serve` would register, for a work pool.

    Each deployment has a concurrency limit of 1: two runs of one source must not overlap (the
    second would start from the same incremental cursor).
    """
    import yaml

    deployments = []
    for planned in plan_deployments(config, names, data_dir=data_dir, parquet_uri=parquet_uri, absolute=False):
        deployments.append(
            {
                "name": planned.name,
                "description": planned.description,
                "entrypoint": "flows/ingest.py:ingest",
                "tags": list(planned.tags),
                "parameters": planned.parameters,
                "schedules": [{"cron": planned.cron, "timezone": "UTC"}],
                "concurrency_limit": 1,
                "work_pool": {"name": work_pool},
            }
        )
    from importlib.metadata import version

    document = {"name": "newsarchive", "prefect-version": version("prefect"), "deployments": deployments}
    header = PREFECT_YAML_HEADER.format(config=config_label, pool=work_pool)
    return header + "\n" + yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)
