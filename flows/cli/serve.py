"""`newsarchive serve` and `deploy`: scheduled ingestion of the sources in newsarchive.toml.

A thin layer over flows/schedules.py. flows/cli/__init__.py registers every command in COMMANDS.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import click
from click.core import ParameterSource

from flows.cli.common import LAYOUT_OPTIONS
from warehouse.layout import DataLayout


def _overrides(layout: DataLayout) -> dict[str, Any]:
    """--data-dir and --parquet-uri when given (on the command line or in the environment):
    they override the configuration's `data_dir` and `parquet_uri`."""
    source = click.get_current_context().get_parameter_source("layout_data_dir")
    given = source not in (None, ParameterSource.DEFAULT, ParameterSource.DEFAULT_MAP)
    return {"data_dir": layout.data_dir if given else None, "parquet_uri": layout.parquet_uri}


CONFIG_OPTION = click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default="newsarchive.toml",
    show_default=True,
    envvar="NEWSARCHIVE_CONFIG",
    help="The configuration naming the sources and their schedules.",
)


@click.command()
@CONFIG_OPTION
@click.option(
    "--source",
    "source_names",
    multiple=True,
    metavar="NAME",
    help="Serve only this source (repeatable; default: every source with a schedule).",
)
@LAYOUT_OPTIONS
@click.option(
    "--limit",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Runs at the same time (the DuckDB warehouse has one writer: keep 1 unless sources use separate data dirs).",
)
@click.option(
    "--list",
    "list_only",
    is_flag=True,
    help="Print the deployments that would be served, then exit (no server needed).",
)
@click.option(
    "--start-server",
    is_flag=True,
    help="Start `prefect server start` on 127.0.0.1 for the time serve runs (when PREFECT_API_URL is not set).",
)
@click.option(
    "--server-port", type=click.IntRange(1, 65535), default=4200, show_default=True, help="Port for --start-server."
)
def serve(
    config_path: Path,
    source_names: tuple[str, ...],
    layout: DataLayout,
    limit: int,
    list_only: bool,
    start_server: bool,
    server_port: int,
) -> None:
    """Run the configured sources on their cron schedules (one Prefect deployment per source).

    Schedules need a Prefect server (its scheduler creates the runs; the temporary
    server Prefect starts on its own never does). Runs can also be started by hand
    from the Prefect UI or with `prefect deployment run 'ingest-archive/NAME'`.
    A CDX source with `incremental = true` (the default) continues after the
    latest capture its earlier runs ingested, so nightly runs fetch only new captures.
    --data-dir and --parquet-uri override the configuration's; the data directory is
    made absolute, so runs write there whatever their working directory.
    Stop with Ctrl-C (the schedules are paused until served again).

    \b
    Example: a scheduled ingestion on this machine (two terminals):
        prefect server start                                  # terminal 1; UI at http://127.0.0.1:4200
        export PREFECT_API_URL=http://127.0.0.1:4200/api      # terminal 2
        newsarchive serve --config newsarchive.toml

    \b
    Or in one terminal, with a server for as long as serve runs:
        newsarchive serve --config newsarchive.toml --start-server

    \b
    More examples:
        newsarchive serve --config newsarchive.toml --source gazette --source post
        newsarchive serve --config newsarchive.toml --list

    To run on a work pool's workers instead of this process, see `newsarchive deploy`.
    """
    from flows.config import ConfigError, load_config
    from flows.schedules import ServeError, check_server, plan_deployments, serve_deployments

    try:
        planned = plan_deployments(load_config(config_path), source_names, **_overrides(layout))
        if list_only:
            for deployment in planned:
                click.echo(
                    f"ingest-archive/{deployment.name}  cron '{deployment.cron}' (UTC)  "
                    f"data_dir {deployment.options.data_dir}"
                )
                click.echo(f"    {deployment.description}")
            return
        if start_server:
            _serve_with_own_server(planned, limit=limit, port=server_port)
            return
        api_url = check_server()
    except (ConfigError, ServeError, ValueError) as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Serving {len(planned)} deployment(s) on the Prefect server at {api_url}; Ctrl-C to stop.", err=True)
    _until_interrupted(serve_deployments, planned, limit=limit)


def _until_interrupted(serve_deployments, planned, *, limit: int) -> None:
    """Serve until Ctrl-C (or SIGTERM), wherever it lands: while Prefect's runner is still
    registering the deployments it is not yet handling the signal itself. Stopping is the
    normal end of `serve`, so it exits 0."""
    with contextlib.suppress(KeyboardInterrupt):
        serve_deployments(planned, limit=limit)
    click.echo("Stopped serving.", err=True)


def _serve_with_own_server(planned, *, limit: int, port: int) -> None:
    import os
    import signal

    from prefect.settings import PREFECT_API_URL, PREFECT_HOME, temporary_settings

    from flows.schedules import LocalServer, ServeError, configured_api_url, serve_deployments

    existing = configured_api_url()
    if existing:
        raise ServeError(
            f"--start-server: PREFECT_API_URL is already set ({existing}); "
            f"serve on that server without --start-server, or unset it"
        )
    log_path = Path(PREFECT_HOME.value()) / "newsarchive-server.log"
    click.echo(f"Starting a Prefect server on 127.0.0.1:{port} (log: {log_path}) ...", err=True)

    def stop(signum, frame):  # SIGTERM (a service manager) stops serve like Ctrl-C, so the server stops too
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    with LocalServer(port=port, log_path=log_path) as server:
        os.environ["PREFECT_API_URL"] = server.api_url  # for the flow runs serve starts
        with temporary_settings({PREFECT_API_URL: server.api_url}):
            click.echo(
                f"Serving {len(planned)} deployment(s); UI at http://127.0.0.1:{port}; Ctrl-C stops both.", err=True
            )
            _until_interrupted(serve_deployments, planned, limit=limit)


@click.command()
@CONFIG_OPTION
@click.option(
    "--source",
    "source_names",
    multiple=True,
    metavar="NAME",
    help="Only this source (repeatable; default: every source with a schedule).",
)
@click.option(
    "--pool",
    "work_pool",
    default="newsarchive",
    show_default=True,
    help="The Prefect work pool the deployments run on.",
)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default="prefect.yaml",
    show_default=True,
    help="Where to write the deployment file ('-' prints it).",
)
@LAYOUT_OPTIONS
def deploy(config_path: Path, source_names: tuple[str, ...], work_pool: str, output: Path, layout: DataLayout) -> None:
    """Write prefect.yaml: the scheduled sources as deployments for a Prefect work pool.

    The alternative to `newsarchive serve` when runs should happen on workers
    (other machines, containers) instead of the serving process. Deploy and run
    from the project directory, with PREFECT_API_URL pointing at your server.
    --data-dir overrides the configuration's data_dir (relative to the directory
    `prefect deploy` runs in).

    
    Example:
        newsarchive deploy --config newsarchive.toml --pool newsarchive
        prefect work-pool create newsarchive --type process
        prefect deploy --all
        prefect worker start --pool newsarchive
    """
    from flows.config import ConfigError, load_config
    from flows.schedules import ServeError, prefect_yaml

    try:
        text = prefect_yaml(
            load_config(config_path),
            source_names,
            work_pool=work_pool,
            config_label=str(config_path),
            **_overrides(layout),
        )
    except (ConfigError, ServeError, ValueError) as error:
        raise click.ClickException(str(error)) from error
    if str(output) == "-":
        click.echo(text, nl=False)
        return
    output.write_text(text, encoding="utf-8")
    click.echo(
        f"Wrote {output}. Next: `prefect work-pool create {work_pool} --type process` (once), "
        f"`prefect deploy --all --prefect-file {output}`, `prefect worker start --pool {work_pool}`."
    )


COMMANDS = [serve, deploy]
