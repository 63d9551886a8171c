"""The `newsarchive` command: a thin layer over flows/ and warehouse/.

Every command has --help with an example. Known errors become one line, `Error: ...`, and
exit status 1; tracebacks are for bugs only.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

import click

from flows.cli.common import DATA_DIR_OPTION, apply_prefect_defaults, use_parquet_uri

apply_prefect_defaults()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="newsarchive")
def main() -> None:
    """Turn archived news pages into a clean Parquet dataset and a DuckDB warehouse.

    \b
    Quick start:
        newsarchive run                      # ingest the bundled sample archive into ./data
        newsarchive sql "SELECT publication, count(*) FROM articles GROUP BY 1"
    """


def _check_data_dir(data_dir: Path) -> None:
    """Fail early, in one line, when the data directory cannot be used."""
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise click.ClickException(f"cannot use data directory {data_dir}: {error.strerror or error}") from error
    if not os.access(data_dir, os.W_OK | os.X_OK):
        raise click.ClickException(f"data directory {data_dir} is not writable")


def _setup_logging(verbose: bool) -> None:
    logging.basicConfig(format="%(message)s", stream=sys.stderr)
    logging.getLogger("newsarchive").setLevel(logging.INFO if verbose else logging.WARNING)
    logging.getLogger("distributed").setLevel(logging.INFO if verbose else logging.WARNING)


def _run_flow(task_runner_options: dict, **parameters):
    """Call the ingest flow, on Dask when asked."""
    from flows.ingest import ingest, task_runner_for

    on_dask = task_runner_options.get("dask_address") or task_runner_options.get("dask_workers")
    if not on_dask:
        return ingest(**parameters)
    flow = ingest.with_options(task_runner=task_runner_for(**task_runner_options))
    # Dask workers extract in their own processes; a local pool would sit idle.
    parameters["processes"] = parameters.get("processes") or 1
    if os.environ.get("PREFECT_API_URL"):
        return flow(**parameters)
    # A local cluster: one temporary server for the flow and every worker (otherwise each
    # worker starts its own, measured 57 s instead of 7 s for the sample).
    from prefect.server.api.server import SubprocessASGIServer

    server = SubprocessASGIServer()
    server.start(timeout=120)
    os.environ["PREFECT_API_URL"] = server.api_url
    try:
        return flow(**parameters)
    finally:
        os.environ.pop("PREFECT_API_URL", None)
        server.stop()


@main.command()
@click.option(
    "--warc",
    "warc_paths",
    multiple=True,
    metavar="PATH",
    help="Ingest the captures in this WARC file (repeatable). No fetching.",
)
@click.option(
    "--urls",
    "url_files",
    multiple=True,
    metavar="FILE",
    help="Fetch the URLs in this file, one per line: archived (.../web/<timestamp>/<url>) or live (repeatable).",
)
@click.option(
    "--cdx",
    "cdx_patterns",
    multiple=True,
    metavar="PATTERN",
    help="Query the archive's CDX API for captures matching PATTERN, e.g. 'example.com/news/*' (repeatable).",
)
@click.option(
    "--archive",
    default="https://web.archive.org/web",
    show_default=True,
    metavar="URL",
    help="Archive prefix for --cdx: web.archive.org or a pywb collection (http://host:port/COLL).",
)
@click.option("--from", "date_from", metavar="YYYYMMDD[hhmmss]", help="--cdx: captures from this time on.")
@click.option("--to", "date_to", metavar="YYYYMMDD[hhmmss]", help="--cdx: captures up to this time.")
@click.option(
    "--capture-policy",
    type=click.Choice(["first", "last", "all"]),
    default="first",
    show_default=True,
    help="--cdx: which good capture of each URL to take.",
)
@click.option(
    "--sitemap",
    "sitemaps",
    multiple=True,
    metavar="URL",
    help="Fetch the pages a (news) sitemap or sitemap index lists (repeatable).",
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Read sources and host limits from this newsarchive.toml.",
)
@click.option("--source", "source_name", metavar="NAME", help="Run the source of this name from --config.")
@click.option(
    "--user-agent", envvar="NEWSARCHIVE_USER_AGENT", help="User-Agent for fetching (default names the project)."
)
@click.option(
    "--rate",
    "rates",
    multiple=True,
    metavar="[HOST=]N",
    help="Requests per second: every host (N), one host (HOST=N) or a host's CDX API (HOST#cdx=N); repeatable. Defaults: web.archive.org 4, its CDX 0.4, other hosts 2.",
)
@click.option(
    "--fetch-workers",
    default=8,
    show_default=True,
    type=click.IntRange(1, 256),
    help="Concurrent requests per batch (within the rate limits).",
)
@click.option("--processes", type=click.IntRange(1, 64), help="Extraction processes (default: one per core).")
@click.option(
    "--dask-address", metavar="tcp://HOST:PORT", help="Run the tasks on this existing Dask cluster (prefect-dask)."
)
@click.option(
    "--dask-workers", type=click.IntRange(1, 256), help="Run the tasks on a local Dask cluster of N worker processes."
)
@click.option(
    "--batch-size",
    type=click.IntRange(1, 100_000),
    help="Captures per Prefect task (default: 800 read from WARC files, 200 fetched).",
)
@click.option("--refresh", is_flag=True, help="Fetch and process captures again even if the ledger says they are done.")
@click.option("--no-load", is_flag=True, help="Write Parquet only; do not load the DuckDB warehouse.")
@click.option("-v", "--verbose", is_flag=True, help="Print progress for every batch.")
@DATA_DIR_OPTION
def run(
    warc_paths,
    url_files,
    cdx_patterns,
    archive,
    date_from,
    date_to,
    capture_policy,
    sitemaps,
    config_path,
    source_name,
    user_agent,
    rates,
    fetch_workers,
    processes,
    dask_address,
    dask_workers,
    batch_size,
    refresh,
    no_load,
    verbose,
    data_dir: Path,
) -> None:
    """Ingest archived captures: extract articles, write Parquet, load DuckDB.

    With no source option, ingests the bundled sample archive (offline).
    Running the same input again adds nothing and fetches nothing twice;
    a run that was killed resumes where it stopped.

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
    """
    from flows.acquire.discovery import SourceError, cdx_endpoint, check_timestamp_option
    from flows.acquire.http import parse_rates
    from flows.acquire.warc import WarcReadError, check_warc_file
    from flows.config import ConfigError, load_config

    parameters: dict = {}
    try:
        config = load_config(config_path)
        use_parquet_uri(config.parquet_uri)  # the file's parquet_uri, unless --parquet-uri / the environment set one
        parse_rates(rates)  # fail early, in one line, on a bad --rate
        if source_name:
            if config_path is None:
                raise click.UsageError("--source needs --config")
            configured = config.source(source_name)
            parameters.update(_source_parameters(configured))
            if config.data_dir and data_dir == Path("data"):
                data_dir = Path(config.data_dir)
        else:
            parameters.update(
                _option_parameters(
                    warc_paths, url_files, cdx_patterns, sitemaps, archive, date_from, date_to, capture_policy
                )
            )
        for path in parameters.get("warc_paths") or []:
            check_warc_file(path)
        for path in parameters.get("url_files") or []:
            if not Path(path).is_file():
                raise SourceError(f"URL list not found: {path}")
        check_timestamp_option(parameters.get("date_from"), "--from")
        check_timestamp_option(parameters.get("date_to"), "--to")
        if parameters.get("cdx_patterns"):
            cdx_endpoint(parameters.get("archive", archive))
    except (ConfigError, WarcReadError, SourceError, ValueError) as error:
        raise click.ClickException(str(error)) from error
    if dask_address and not os.environ.get("PREFECT_API_URL"):
        raise click.ClickException(
            "--dask-address needs a Prefect server the workers can reach: run `prefect server start` "
            "and export PREFECT_API_URL=http://<host>:4200/api"
        )
    _check_data_dir(data_dir)
    _setup_logging(verbose)
    click.echo(f"Ingesting {_describe(parameters)} into {data_dir} ...", err=True)
    summary = _run_flow(
        {"dask_address": dask_address, "dask_workers": dask_workers},
        data_dir=str(data_dir),
        batch_size=batch_size or config.batch_size,
        refresh=refresh,
        load=not no_load,
        user_agent=user_agent or config.user_agent,
        host_rates=config.host_rates,
        rates=list(rates),
        fetch_workers=fetch_workers,
        processes=processes,
        **parameters,
    )
    _print_summary(summary)
    if summary.errors:
        # What was readable is kept; the damaged input is reported and the exit status says so.
        raise click.ClickException("; ".join(summary.errors))


def _option_parameters(
    warc_paths, url_files, cdx_patterns, sitemaps, archive, date_from, date_to, capture_policy
) -> dict:
    if warc_paths and (url_files or cdx_patterns or sitemaps):
        raise click.UsageError("--warc reads captures from disk; run it separately from --urls/--cdx/--sitemap")
    if warc_paths:
        return {"source": "warc", "warc_paths": list(warc_paths)}
    if url_files or cdx_patterns or sitemaps:
        return {
            "source": "fetch",
            "url_files": list(url_files),
            "cdx_patterns": list(cdx_patterns),
            "sitemaps": list(sitemaps),
            "archive": archive,
            "date_from": date_from,
            "date_to": date_to,
            "capture_policy": capture_policy,
        }
    return {"source": "sample"}


def _source_parameters(configured) -> dict:
    """Flow parameters for a source configured in newsarchive.toml."""
    base = {"source_name": configured.name, "incremental": configured.incremental}
    if configured.kind in ("sample", "warc"):
        return {**base, "source": configured.kind, "warc_paths": list(configured.target)}
    keys = {"urls": "url_files", "cdx": "cdx_patterns", "sitemap": "sitemaps"}
    return {
        **base,
        "source": "fetch",
        keys[configured.kind]: list(configured.target),
        "archive": configured.archive or "https://web.archive.org/web",
        "date_from": configured.date_from,
        "date_to": configured.date_to,
        "capture_policy": configured.capture_policy,
    }


def _describe(parameters: dict) -> str:
    if parameters.get("source_name"):
        return f"source {parameters['source_name']!r}"
    if parameters["source"] == "sample":
        return "the bundled sample archive"
    if parameters["source"] == "warc":
        return ", ".join(parameters["warc_paths"])
    parts = [
        *parameters.get("url_files", []),
        *[f"CDX {p}" for p in parameters.get("cdx_patterns", [])],
        *parameters.get("sitemaps", []),
    ]
    return ", ".join(parts)


@main.command()
@click.option("--processes", type=click.IntRange(1, 64), help="Extraction processes (default: one per core).")
@click.option("-v", "--verbose", is_flag=True, help="Print progress for every batch.")
@DATA_DIR_OPTION
def reprocess(processes, verbose, data_dir: Path) -> None:
    """Extract every capture again from the WARC files the ledger names, without any network.

    Use it after upgrading the extractor: the warehouse keeps, for each article,
    the row of the newest extractor version.

    \b
    Example:
        newsarchive reprocess --data-dir /srv/news
    """
    from flows.ingest import reprocess_captures

    _setup_logging(verbose)
    click.echo(f"Reprocessing the stored captures under {data_dir} ...", err=True)
    try:
        summary = reprocess_captures(data_dir=str(data_dir), processes=processes)
    except FileNotFoundError as error:
        raise click.ClickException(str(error)) from error
    _print_summary(summary)
    if summary.errors:
        raise click.ClickException("; ".join(summary.errors))


def _print_summary(summary) -> None:
    echo = click.echo
    if summary.capture_count == 0:
        echo(f"Nothing new: all {summary.skipped_count} captures were already ingested.")
    else:
        echo(f"Run {summary.run_id}: {summary.capture_count} captures in {summary.duration_s:.1f} s")
        echo(f"  new articles:        {summary.article_count}")
        if summary.duplicate_count:
            echo(f"  duplicate captures:  {summary.duplicate_count} (same canonical URL as an article already kept)")
        echo(f"  rejections:          {summary.rejection_count}")
        for reason, count in sorted(summary.rejections.items(), key=lambda item: (-item[1], item[0])):
            echo(f"    {reason:<20} {count}")
        if summary.skipped_count:
            echo(f"  skipped (done before): {summary.skipped_count}")
    echo(f"Articles in the warehouse: {summary.total_article_count}")


# Commands defined beside the code they drive; each module lists its commands in COMMANDS.
_COMMAND_MODULES = ("flows.cli.warehouse", "flows.cli.serve")


def _register_commands() -> None:
    import importlib

    for name in _COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as error:
            if error.name != name:
                raise
            continue
        for command in module.COMMANDS:
            main.add_command(command)


_register_commands()


if __name__ == "__main__":
    main()
