"""`newsarchive prefect-server start|status|stop`: a local Prefect server that every later
`run` reuses (flows/cli/prefect_api.py), instead of starting a temporary one each time."""

from __future__ import annotations

import click


@click.group("prefect-server")
def prefect_server() -> None:
    """Keep a local Prefect server for quick runs: `run` reuses it (unless
    PREFECT_API_URL names another) and skips starting a temporary one.

    \b
    Example:
        newsarchive prefect-server start
        newsarchive run --warc crawl.warc.gz
        newsarchive prefect-server stop
    """


@prefect_server.command("start")
@click.option(
    "--idle-minutes",
    type=click.FloatRange(0),
    default=30,
    show_default=True,
    envvar="NEWSARCHIVE_PREFECT_SERVER_IDLE_MINUTES",
    help="Stop the server by itself after this many minutes with no run (no client calling it); 0: never.",
)
def start(idle_minutes: float) -> None:
    """Start the server (in the background, its log in PREFECT_HOME), or say where it runs.

    It stops by itself after --idle-minutes without a run, or with
    `newsarchive prefect-server stop`; a run that finds none starts a
    temporary server of its own again.

    \b
    Examples:
        newsarchive prefect-server start
        newsarchive prefect-server start --idle-minutes 240    # a working day
        newsarchive prefect-server start --idle-minutes 0      # until stopped
    """
    from flows.cli.prefect_api import start_kept_server

    try:
        state = start_kept_server(idle_minutes)
    except RuntimeError as error:
        raise click.ClickException(str(error)) from error
    click.echo(
        f"Prefect server running at {state['api_url']} (pid {state['pid']}){_idle_note(state)};"
        " stop it with `newsarchive prefect-server stop`."
    )


def _idle_note(state: dict) -> str:
    minutes = state.get("idle_minutes")
    return f", stopping after {minutes:g} minutes without a run" if minutes else ""


@prefect_server.command("status")
def status() -> None:
    """Say whether the kept server runs, and where.

    \b
    Example:
        newsarchive prefect-server status
    """
    from flows.cli.prefect_api import kept_server

    state = kept_server()
    if state is None:
        click.echo("No kept Prefect server: runs start a temporary one.")
    else:
        click.echo(f"Prefect server running at {state['api_url']} (pid {state['pid']}){_idle_note(state)}.")


@prefect_server.command("stop")
def stop() -> None:
    """Stop the kept server.

    \b
    Example:
        newsarchive prefect-server stop
    """
    from flows.cli.prefect_api import stop_kept_server

    pid = stop_kept_server()
    click.echo("No kept Prefect server was running." if pid is None else f"Stopped the Prefect server (pid {pid}).")


COMMANDS = [prefect_server]
