"""The `newsarchive` command: a thin layer over flows/ and warehouse/, one module per group.

    run.py        run, reprocess          build RunOptions, call the ingest flow (report.py: summary, exit status)
    history.py    runs, rejections        what the runs did, in the `sql` output formats
    serve.py      serve, deploy           scheduled ingestion (flows/schedules.py)
    warehouse.py  sql, search, load, ...  the warehouse commands
    common.py     --data-dir/--parquet-uri (LAYOUT_OPTIONS), quiet Prefect defaults
    server.py     prefect-server          a local Prefect server kept for quick runs
    prefect_api.py  the run's Prefect API: the configured one, the kept one, or a temporary one

Every command has --help with an example. Known errors become one line, `Error: ...`, and
exit status 1; tracebacks are for bugs only.
"""

from __future__ import annotations

import click

from flows.cli.common import apply_prefect_defaults

apply_prefect_defaults()  # before any command module imports prefect

from flows.cli import history, run, serve, server, warehouse  # noqa: E402 -- after the Prefect defaults above


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="newsarchive")
def main() -> None:
    """Turn archived news pages into a clean Parquet dataset and a DuckDB warehouse.

    \b
    Quick start:
        newsarchive run                      # ingest the bundled sample archive into ./data
        newsarchive sql "SELECT publication, count(*) FROM articles GROUP BY 1"
    """


for _module in (run, history, serve, server, warehouse):
    for _command in _module.COMMANDS:
        main.add_command(_command)


if __name__ == "__main__":
    main()
