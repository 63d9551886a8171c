"""The `newsarchive` command: a thin layer over flows/ and warehouse/, one module per group.

    run.py        run                     build RunOptions, call the ingest flow (report.py: summary, exit status)
    reprocess.py  reprocess               extract the stored captures again
    history.py    runs, rejections        what the runs did, in the `sql` output formats
    serve.py      serve, deploy           scheduled ingestion (flows/schedules.py)
    warehouse.py  sql, search, load, ...  the warehouse commands
    common.py     --data-dir/--parquet-uri (LAYOUT_OPTIONS), quiet Prefect defaults
    server.py     prefect-server          a local Prefect server kept for quick runs
    prefect_api.py  the run's Prefect API: the configured one, the kept one, or a temporary one
                  (flows/keptserver.py is the server process); flows/datalock.py: one writer per data dir

Every command has --help with an example. Known errors become one line, `Error: ...`, and
exit status 1; tracebacks are for bugs only.
"""

from __future__ import annotations

# Only what the signal handlers below need comes first (os and sys are loaded by the
# interpreter's start already, flows.stopping imports signal and threading): a Ctrl-C in the
# first milliseconds of flows.cli is one line too (typing alone took 3 ms here).
import os
import sys

from flows import stopping


def _started_as_the_command() -> bool:
    """True in a process started as `newsarchive` or `python -m flows.cli`; not in a test process
    that imports the package, nor in an extraction process (spawned with `python -c ...`, it
    imports the command's main module again with the command's sys.argv)."""
    argv = sys.orig_argv  # the interpreter's own command line
    return (len(argv) > 1 and os.path.basename(argv[1]) == "newsarchive") or argv[1:3] == ["-m", "flows.cli"]


# First of all: a Ctrl-C or SIGTERM during the seconds of imports below is one line and exit
# status 130/143, not a traceback (a run installs its own handlers once it starts).
if _started_as_the_command():
    stopping.exit_at_once()

# Imports make ~200,000 long-lived objects and next to no garbage: without the cyclic collector
# while they run, then with them frozen (gc.freeze: the permanent generation), the collections
# a command triggers walk only its own objects (import_frozen does the same for the flow's
# modules, imported by `run` later). Not in a process that only imports the package (tests).
import gc  # noqa: E402 -- after the signal handlers above

if _started_as_the_command():
    gc.disable()

import functools  # noqa: E402 -- after the signal handlers above
import importlib  # noqa: E402 -- after the signal handlers above
from pathlib import Path  # noqa: E402 -- after the signal handlers above
from typing import Any  # noqa: E402 -- after the signal handlers above

import click  # noqa: E402 -- after the signal handlers above

from flows.cli.common import apply_prefect_defaults  # noqa: E402 -- after the signal handlers above

apply_prefect_defaults()  # before any command module imports prefect
# Prefect's client telemetry, like the server's analytics (off in apply_prefect_defaults): on a
# terminal it printed a notice in the middle of the first run's progress display and, at exit,
# waited up to 2 s for its thread's check of the server. DO_NOT_TRACK=0 turns it back on.
os.environ.setdefault("DO_NOT_TRACK", "1")

from flows.cli import history, reprocess, run, serve, server, warehouse  # noqa: E402 -- after the Prefect defaults above
from warehouse.layout import DataLayout  # noqa: E402 -- after the Prefect defaults above

if _started_as_the_command():
    gc.freeze()
    gc.enable()


def import_frozen(module_name: str) -> None:
    """Import a heavy module (flows.ingest: Prefect, ~1 s) as the command's own imports above:
    without the cyclic collector, then frozen, so the run's collections skip its objects."""
    if module_name in sys.modules or not gc.isenabled():
        return
    gc.disable()
    try:
        importlib.import_module(module_name)
    finally:
        gc.freeze()
        gc.enable()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="newsarchive")
def main() -> None:
    """Turn archived news pages into a clean Parquet dataset and a DuckDB warehouse.

    \b
    Quick start:
        newsarchive run                      # ingest the bundled sample archive into ./data
        newsarchive sql "SELECT publication, count(*) FROM articles GROUP BY 1"
    """
    if _started_as_the_command() and click.get_current_context().invoked_subcommand not in ("run", "reprocess"):
        stopping.restore_defaults()  # `run` keeps exiting at once until its own handlers are in


def _holding_the_data_dir(command: click.Command) -> None:
    """`load` and `compact` write the dataset: they hold the data directory's lock
    (flows/datalock.py), as `run` and `reprocess` do. `load` waits for it as long as its --wait
    says; `compact` stops at once. A dry run takes no lock."""
    callback = command.callback
    assert callback is not None

    @functools.wraps(callback)
    def locked(*args: Any, **kwargs: Any) -> Any:
        from flows import datalock

        data_dir: Path = kwargs["layout_data_dir"]
        if kwargs.get("dry_run") or not data_dir.is_dir():
            return callback(*args, **kwargs)
        parquet_root = DataLayout(data_dir, kwargs["layout_parquet_uri"]).parquet_root
        try:
            datalock.acquire(data_dir, command.name or "", parquet_root=parquet_root, wait_s=kwargs.get("wait", 0))
        except datalock.DataDirBusy as error:
            raise click.ClickException(f"{error}; wait for it to end, or stop it") from error
        try:
            return callback(*args, **kwargs)
        finally:
            datalock.release(data_dir)

    command.callback = locked


for _module in (run, reprocess, history, serve, server, warehouse):
    for _command in _module.COMMANDS:
        if _command.name in ("load", "compact"):
            _holding_the_data_dir(_command)
        main.add_command(_command)


if __name__ == "__main__":
    main()
