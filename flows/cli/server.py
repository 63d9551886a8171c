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
def start() -> None:
    """Start the server (in the background, its log in PREFECT_HOME), or say where it runs.

    \b
    Example:
        newsarchive prefect-server start
    """
    from flows.cli.prefect_api import start_kept_server

    try:
        state = start_kept_server()
    except RuntimeError as error:
        raise click.ClickException(str(error)) from error
    click.echo(
        f"Prefect server running at {state['api_url']} (pid {state['pid']}); stop it with `newsarchive prefect-server stop`."
    )


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
        click.echo(f"Prefect server running at {state['api_url']} (pid {state['pid']}).")


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
