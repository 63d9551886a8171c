"""`newsarchive run`: build the run's options, call the flow, print the summary (report.py).
flows/cli/__init__.py registers every command in COMMANDS; reprocess.py shares the helpers."""

from __future__ import annotations

import functools
import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from click.core import ParameterSource

from flows.acquire.archive import WAYBACK_PREFIX
from flows.cli.common import LAYOUT_OPTIONS
from flows.cli.progress import ProgressDisplay
from flows.cli.report import OUTPUT_FORMATS, announce_stop, finish, nothing_new, print_plan, wall_seconds
from warehouse.layout import DataLayout

if TYPE_CHECKING:
    from flows.options import RunOptions
    from flows.summary import RunSummary

# The run options that say what to ingest: taken from --config's source when --source is given.
INPUT_FLAGS = (
    "warc_paths",
    "url_files",
    "cdx_patterns",
    "archive",
    "date_from",
    "date_to",
    "capture_policy",
    "sitemaps",
)
# A WARC input with at most this many captures to do is extracted in the run's own process.
SMALL_RUN_CAPTURES = 200
DASK_SERVER_HINT = (
    "--dask-address needs a Prefect server the workers can reach: run `prefect server start` "
    "and export PREFECT_API_URL=http://<host>:4200/api"
)


def _input_options(command: Any) -> Any:
    options = [
        click.option(
            "--warc",
            "warc_paths",
            multiple=True,
            metavar="PATH",
            help="Ingest the captures in this WARC file (repeatable). No fetching.",
        ),
        click.option(
            "--urls",
            "url_files",
            multiple=True,
            metavar="FILE",
            help="Fetch the URLs in this file, one per line: archived (.../web/<timestamp>/<url>) or live (repeatable).",
        ),
        click.option(
            "--cdx",
            "cdx_patterns",
            multiple=True,
            metavar="PATTERN",
            help="Query the archive's CDX API for captures matching PATTERN, e.g. 'example.com/news/*' (repeatable).",
        ),
        click.option(
            "--archive",
            default=WAYBACK_PREFIX,
            show_default=True,
            metavar="URL",
            help="Archive prefix for --cdx: web.archive.org or a pywb collection (http://host:port/COLL).",
        ),
        click.option("--from", "date_from", metavar="YYYYMMDD[hhmmss]", help="--cdx: captures from this time on."),
        click.option("--to", "date_to", metavar="YYYYMMDD[hhmmss]", help="--cdx: captures up to this time."),
        click.option(
            "--capture-policy",
            type=click.Choice(["first", "last", "all"]),
            default="first",
            show_default=True,
            help="--cdx: which good capture of each URL to take.",
        ),
        click.option(
            "--sitemap",
            "sitemaps",
            multiple=True,
            metavar="URL",
            help="Fetch the pages a (news) sitemap or sitemap index lists (repeatable).",
        ),
        click.option(
            "--config",
            "config_path",
            type=click.Path(dir_okay=False, path_type=Path),
            help="Read sources and host limits from this newsarchive.toml.",
        ),
        click.option("--source", "source_name", metavar="NAME", help="Run the source of this name from --config."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _fetch_and_tuning_options(command: Any) -> Any:
    options = [
        click.option(
            "--user-agent",
            envvar="NEWSARCHIVE_USER_AGENT",
            help="User-Agent for fetching (default names the project).",
        ),
        click.option(
            "--rate",
            "rates",
            multiple=True,
            metavar="[HOST=]N",
            help="Requests per second: every host (N), one host (HOST=N) or a host's CDX API (HOST#cdx=N); repeatable. Defaults: web.archive.org 4, its CDX 0.4, other hosts 2.",
        ),
        click.option(
            "--allow-private-hosts",
            is_flag=True,
            default=None,
            help="Also fetch from loopback, private, link-local and other non-public addresses (refused by default; the --archive prefix is always allowed).",
        ),
        click.option(
            "--fetch-workers",
            default=8,
            show_default=True,
            type=click.IntRange(1, 256),
            help="Concurrent requests per batch (within the rate limits).",
        ),
        click.option(
            "--processes",
            type=click.IntRange(1, 64),
            help=f"Extraction processes (default: one per core; one, started before the flow, for WARC input with at most {SMALL_RUN_CAPTURES} captures to do).",
        ),
        click.option(
            "--dask-address",
            metavar="tcp://HOST:PORT",
            help="Run the tasks on this existing Dask cluster (prefect-dask).",
        ),
        click.option(
            "--dask-workers",
            type=click.IntRange(1, 256),
            help="Run the tasks on a local Dask cluster of N worker processes.",
        ),
        click.option(
            "--batch-size",
            type=click.IntRange(1, 100_000),
            help="Captures per Prefect task (default: 800 read from WARC files, 200 fetched).",
        ),
        click.option(
            "--refresh", is_flag=True, help="Fetch and process captures again even if the ledger says they are done."
        ),
        click.option("--no-load", is_flag=True, help="Write Parquet only; do not load the DuckDB warehouse."),
        click.option(
            "--format",
            "output_format",
            type=click.Choice(OUTPUT_FORMATS),
            default="text",
            show_default=True,
            help="How to print the run's summary: text, or one JSON object on stdout.",
        ),
        click.option("-q", "--quiet", is_flag=True, help="No progress; only the summary and errors."),
        click.option(
            "--dry-run", is_flag=True, help="Say what would be fetched (or read): no fetching, no writing, no Prefect."
        ),
        click.option(
            "-v",
            "--verbose",
            is_flag=True,
            help="Print progress for every batch, and the extraction libraries' warnings.",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


@click.command()
@_input_options
@_fetch_and_tuning_options
@LAYOUT_OPTIONS
def run(
    layout: DataLayout,
    config_path: Path | None,
    source_name: str | None,
    dask_address: str | None,
    dask_workers: int | None,
    no_load: bool,
    output_format: str,
    quiet: bool,
    dry_run: bool,
    verbose: bool,
    **flags: Any,
) -> None:
    """Ingest archived captures: extract articles, write Parquet, load DuckDB.

    With no source option, ingests the bundled sample archive (offline).
    Running the same input again adds nothing and fetches nothing twice;
    a run that was killed resumes where it stopped. Ctrl-C (or SIGTERM) stops
    it within seconds, keeping every capture finished (exit status 130, 143).

    \b
    Examples:
        newsarchive run
        newsarchive run --warc crawl-001.warc.gz --warc crawl-002.warc.gz
        newsarchive run --urls urls.txt --rate 1
        newsarchive run --cdx 'example.com/news/*' --from 20190101 --to 20191231
        newsarchive run --cdx 'example.com/*' --archive http://localhost:8080/my-coll
        newsarchive run --sitemap https://example.com/news-sitemap.xml
        newsarchive run --config newsarchive.toml --source gazette
        newsarchive run --warc big.warc.gz --dask-address tcp://10.0.0.5:8786
        newsarchive run --warc crawl.warc.gz --format json -q | jq .article_count
        newsarchive run --cdx 'example.com/news/*' --from 20190101 --dry-run
    """
    from flows import stopping

    options: RunOptions = _checked(_run_options, layout, config_path, source_name, {**flags, "load": not no_load})
    if dask_address and not os.environ.get("PREFECT_API_URL"):
        raise click.ClickException(DASK_SERVER_HINT)
    if dry_run:
        from flows.dryrun import plan_run

        print_plan(plan_run(options), output_format, fetching=options.inputs.kind == "fetch")
        return
    _check_data_dir(options.layout().data_dir)
    setup_logging(verbose, quiet)
    if not quiet:
        click.echo(f"Ingesting {options.describe()} into {options.data_dir} ...", err=True)
    from flows.quickcheck import dataset_article_count, done_capture_count

    done_count = done_capture_count(options)
    if done_count is not None:  # answered from the ledger: no Prefect server, no flow
        nothing_new(done_count, dataset_article_count(options), output_format, wall_s=wall_seconds())
        return
    run_flow = _run_flow
    if options.tuning.processes is None and not (dask_address or dask_workers):
        options, run_flow = _small_runs_start_early(options)
    lock_data_dir(options.layout(), "run")
    display = ProgressDisplay(ProgressDisplay.mode_for(quiet=quiet, verbose=verbose))
    if dask_address or dask_workers:
        stopping.restore_defaults()  # Prefect and Dask handle KeyboardInterrupt themselves
    else:

        def on_stop(signum: int) -> None:
            display.close()
            announce_stop(signum)

        stopping.install_handlers(on_stop)
    with display:
        summary = _checked_run(run_flow, options, dask_address, dask_workers)
    if not stopping.requested():  # the run is over: a signal now only ends the process sooner
        stopping.exit_at_once("the run had finished; `newsarchive runs` shows it.")
    finish(summary, output_format, wall_s=wall_seconds())


def _checked_run(run_flow: Any, options: RunOptions, dask_address: str | None, dask_workers: int | None) -> Any:
    """The flow's run; a failure the user can act on (warehouse locked, source gone) is one line.
    The run is recorded as `failed` in `runs` by the flow itself."""
    from flows.acquire.discovery import SourceError
    from warehouse.connection import WarehouseError

    try:
        return run_flow(options, dask_address=dask_address, dask_workers=dask_workers)
    except (WarehouseError, SourceError, OSError) as error:
        raise click.ClickException(f"run failed: {error}".splitlines()[0]) from error


def _checked(build: Any, *args: Any) -> Any:
    """`build(*args)`, with the errors of unusable input as one line (`Error: ...`)."""
    from pydantic import ValidationError

    from flows.acquire.discovery import SourceError
    from flows.acquire.warc import WarcReadError
    from flows.config import ConfigError
    from flows.options import one_line

    try:
        return build(*args)
    except ValidationError as error:
        raise click.ClickException(one_line(error)) from error
    except (ConfigError, WarcReadError, SourceError, ValueError) as error:
        raise click.ClickException(str(error)) from error


def _given(name: str) -> bool:
    """Whether the user set the option (on the command line or in the environment)."""
    source = click.get_current_context().get_parameter_source(name)
    return source not in (None, ParameterSource.DEFAULT, ParameterSource.DEFAULT_MAP)


def _run_options(
    layout: DataLayout, config_path: Path | None, source_name: str | None, flags: dict[str, Any]
) -> RunOptions:
    """RunOptions from the command line (and --config/--source), inputs checked on this machine."""
    from flows.acquire.discovery import SourceError
    from flows.acquire.warc import check_warc_files
    from flows.config import Config, load_config
    from flows.options import build_run_options

    config = load_config(config_path) if config_path else Config()
    if source_name and config_path is None:
        raise click.UsageError("--source needs --config")
    source = config.source(source_name) if source_name else None
    flags = {name: list(value) if isinstance(value, tuple) else value for name, value in flags.items()}
    flags = {name: value for name, value in flags.items() if value != [] and not (source and name in INPUT_FLAGS)}
    if _given("layout_data_dir") or not config_path:
        flags["data_dir"] = str(layout.data_dir)
    flags["parquet_uri"] = layout.parquet_uri
    options = build_run_options(config if config_path else None, source, flags)
    check_warc_files(options.inputs.warc_paths)  # fails when none is usable; the run names the others
    for path in options.inputs.url_files:
        if not Path(path).is_file():
            raise SourceError(f"URL list not found: {path}")
    return options


def _check_data_dir(data_dir: Path) -> None:
    """Fail early, in one line, when the data directory cannot be used."""
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise click.ClickException(f"cannot use data directory {data_dir}: {error.strerror or error}") from error
    if not os.access(data_dir, os.W_OK | os.X_OK):
        raise click.ClickException(f"data directory {data_dir} is not writable")


def _small_runs_start_early(options: RunOptions) -> tuple[RunOptions, Any]:
    """A WARC input with few captures to do: its extraction starts now (flows/earlyextraction.py)
    and its flow, which ends in seconds, runs without a heartbeat thread (one heartbeat at its
    start; Prefect joins the thread at the flow's end, ~0.5 s on average)."""
    from flows import earlyextraction

    small_run = earlyextraction.start_if_small(options, SMALL_RUN_CAPTURES)
    if small_run is None:
        return options, _run_flow
    click.get_current_context().call_on_close(earlyextraction.stop)  # when the flow did not take it
    return small_run, functools.partial(_run_flow, heartbeat=False)


def lock_data_dir(layout: DataLayout, command: str) -> None:
    """Hold the data directory's lock for the rest of this process (the kernel drops it when the
    process ends), or stop at once naming the run that holds it (flows/datalock.py)."""
    from flows import datalock

    try:
        datalock.acquire(layout.data_dir, command, parquet_root=layout.parquet_root)
    except datalock.DataDirBusy as error:
        raise click.ClickException(f"{error}; wait for it to end, or stop it") from error


def setup_logging(verbose: bool, quiet: bool = False) -> None:
    logging.basicConfig(format="%(message)s", stream=sys.stderr)
    level = logging.INFO if verbose else logging.ERROR if quiet else logging.WARNING
    logging.getLogger("newsarchive").setLevel(level)
    logging.getLogger("distributed").setLevel(logging.INFO if verbose else logging.WARNING)
    from flows.extraction import quiet_extractor_logs

    quiet_extractor_logs(verbose)


def _run_flow(
    options: RunOptions, *, dask_address: str | None, dask_workers: int | None, heartbeat: bool = True
) -> RunSummary:
    """Call the ingest flow, on Dask when asked; without Prefect's heartbeat thread if told."""
    from flows.cli import import_frozen

    import_frozen("flows.ingest")
    from prefect.settings import temporary_settings

    from flows.ingest import ingest
    from flows.tasks import task_runner_for

    if not (dask_address or dask_workers):
        from flows.cli.prefect_api import prefect_api

        updates = {} if heartbeat else {"flows.heartbeat_frequency": None}
        with prefect_api(), temporary_settings(updates=updates):
            return ingest(options)
    flow = ingest.with_options(task_runner=task_runner_for(dask_address=dask_address, dask_workers=dask_workers))
    # Dask workers extract in their own processes; a local pool would sit idle.
    tuning = options.tuning.model_copy(update={"processes": options.tuning.processes or 1})
    options = options.model_copy(update={"tuning": tuning})
    if os.environ.get("PREFECT_API_URL"):
        return flow(options)
    # A local cluster: one temporary server for the flow and every worker (otherwise each
    # worker starts its own, measured 57 s instead of 7 s for the sample).
    from prefect.server.api.server import SubprocessASGIServer

    server = SubprocessASGIServer()
    server.start(timeout=120)
    os.environ["PREFECT_API_URL"] = server.api_url
    try:
        return flow(options)
    finally:
        os.environ.pop("PREFECT_API_URL", None)
        server.stop()


COMMANDS = [run]
