"""Warehouse commands of `newsarchive`: sql (and, registered the same way, the rest; export and
verify are written in flows/cli/share.py, report in flows/cli/report_page.py, and listed here).

A thin layer over warehouse/: each command parses options, calls one function and prints.
Known errors (warehouse.db.WarehouseError, warehouse.storage.StorageError) become one line
`Error: ...` with exit status 1. --data-dir and --parquet-uri arrive as one `layout`.
flows/cli/__init__.py registers every command in COMMANDS on the main group.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import click

from flows.cli.common import FORMATS, LAYOUT_OPTIONS, date_option, format_rows, plain_value, size_text
from flows.cli.report_page import report_command
from flows.cli.share import export_command, verify_command
from warehouse import db, storage
from warehouse.layout import DataLayout

# Errors the user can act on: one line, no traceback.
KNOWN_ERRORS = (db.WarehouseError, storage.StorageError)


def _fail(error: Exception) -> click.ClickException:
    return click.ClickException(str(error))


@click.command("sql")
@click.argument("sql", required=False, metavar="SQL")
@click.option(
    "--file",
    "-f",
    "sql_file",
    type=click.File("r", encoding="utf-8"),
    help="Read the SQL from this file ('-' for stdin).",
)
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True, help="Output format.")
@click.option(
    "--param", "-p", "params", multiple=True, metavar="VALUE", help="Value for a ? placeholder (repeatable, in order)."
)
@LAYOUT_OPTIONS
def sql_command(sql: str | None, sql_file, fmt: str, params: tuple[str, ...], layout: DataLayout) -> None:
    """Run read-only SQL on the warehouse and print the result.

    The warehouse is opened read-only: INSERT, DROP, COPY, ATTACH and other writes are
    refused. SQL comes from the argument, from --file, or from stdin when SQL is '-'.
    While a load holds the warehouse, the query is answered from the Parquet dataset.

    \b
    Tables: articles, captures, runs, loads.
    Examples:
        newsarchive sql "SELECT publication, count(*) AS n FROM articles GROUP BY 1 ORDER BY n DESC"
        newsarchive sql --format csv "SELECT url, title, published_at FROM articles" > articles.csv
        newsarchive sql "SELECT title FROM articles WHERE domain = ?" -p example.com
        newsarchive sql --file report.sql --format markdown
        echo "SELECT count(*) FROM captures" | newsarchive sql -
    """
    if sql_file is not None and sql is not None:
        raise click.UsageError("give the SQL either as an argument or with --file, not both")
    if sql_file is not None:
        text = sql_file.read()
    elif sql == "-":
        text = sys.stdin.read()
    elif sql is not None:
        text = sql
    else:
        raise click.UsageError("no SQL given: pass it as an argument, with --file FILE, or '-' for stdin")
    try:
        result = db.run_query(layout, text, params)
    except KNOWN_ERRORS as error:
        raise _fail(error) from error
    if result.source == "parquet":
        click.echo("Note: the warehouse is busy (a load is running); answered from the Parquet dataset.", err=True)
    click.echo(format_rows(result.columns, result.rows, fmt))


@click.command("search")
@click.argument("words")
@click.option(
    "--limit", "-n", default=10, show_default=True, type=click.IntRange(1, 10_000), help="Most results to show."
)
@click.option(
    "--publication", default=None, metavar="NAME", help="Only articles of this publication (name, any letter case)."
)
@date_option("--from", "Only articles published on or after this day (UTC).")
@date_option("--to", "Only articles published on or before this day (UTC).")
@click.option(
    "--language",
    default=None,
    metavar="CODE",
    help="Only articles in this language (ISO 639-1: en, de, ru, ...); the words are stemmed for it.  [default: all]",
)
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True, help="Output format.")
@LAYOUT_OPTIONS
def search_command(
    words: str, limit: int, publication: str | None, language: str | None, fmt: str, layout: DataLayout, **dates
) -> None:
    """Full-text search over article titles and texts, best match first (BM25).

    Words are matched after lowercasing, accent stripping and stemming in the article's own
    language (Snowball stemmers for en, de, fr, es, it, pt, nl, ru and more; other languages
    unstemmed), so "elections" finds "election" and "Москве" finds "Москва"; digits and
    non-Latin words ("2010") work too. Without --language each word is stemmed for every
    language. Each hit shows a snippet around the first matching word.

    \b
    Examples:
        newsarchive search "harbour flood"
        newsarchive search "Москве" --language ru --limit 5
        newsarchive search "budget" --publication "the harbour gazette" --from 2010-01-01 --to 2010-12-31
        newsarchive search "bridge" --format json
    """
    from warehouse import search

    try:
        result = search.search(
            layout,
            words,
            limit=limit,
            publication=publication,
            published_from=dates["from"],
            published_to=dates["to"],
            language=language,
        )
    except KNOWN_ERRORS as error:
        raise _fail(error) from error
    if result.hint:
        click.echo(f"Note: {result.hint}.", err=True)
    if result.ranking != "bm25":
        click.echo(
            "Note: the warehouse is busy (a load is running); ranked by term counts over the Parquet dataset.", err=True
        )
    if fmt != "table":
        columns = ["score", "title", "publication", "published_at", "url", "snippet", "article_id"]
        rows = [(h.score, h.title, h.publication, h.published_at, h.url, h.snippet, h.article_id) for h in result.hits]
        click.echo(format_rows(columns, rows, fmt))
        return
    if not result.hits:
        click.echo(f"No articles match {words!r}.")
        return
    for number, hit in enumerate(result.hits, 1):
        when = hit.published_at.strftime("%Y-%m-%d") if hit.published_at else "undated"
        click.echo(click.style(f"{number}. {hit.title}", bold=True) + f"  [{hit.score:.3f}]")
        click.echo(f"   {hit.publication or '(unknown publication)'} · {when} · {hit.url}")
        click.echo(f"   {hit.snippet}")
        click.echo()
    click.echo(f"({len(result.hits)} result{'s' if len(result.hits) != 1 else ''})")


@click.command("stats")
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True, help="Output format."
)
@LAYOUT_OPTIONS
def stats_command(fmt: str, layout: DataLayout) -> None:
    """Counts, date range, rejections and field coverage of the warehouse.

    \b
    Examples:
        newsarchive stats
        newsarchive stats --format json
        newsarchive stats --data-dir /srv/news
    """
    from dataclasses import asdict

    from warehouse import stats

    try:
        with _unreadable_files_told_here():
            facts = stats.collect(layout)
    except KNOWN_ERRORS as error:
        raise _fail(error) from error
    if fmt == "json":
        click.echo(json.dumps(plain_value(asdict(facts)), ensure_ascii=False, indent=2))
        return
    echo = click.echo
    if facts.source != "warehouse":
        echo("Note: answered from the Parquet dataset (the warehouse is busy or not loaded yet).", err=True)
    span = (
        f"{facts.earliest_published_at:%Y-%m-%d} to {facts.latest_published_at:%Y-%m-%d}"
        if facts.earliest_published_at
        else "no dated articles"
    )
    echo(
        f"Articles:      {facts.article_count}  ({facts.publication_count} publications, {facts.author_count} authors)"
    )
    echo(f"Published:     {span}; undated: {facts.undated_count}")
    echo(f"Captures:      {facts.capture_count}  (rejected: {facts.rejection_count})")
    echo(
        f"Runs:          {facts.run_count}"
        + (f"  (last: {facts.last_run[0]}, {facts.last_run[1]})" if facts.last_run else "")
    )
    sizes = ", ".join(
        f"{name} {info.file_count} files / {size_text(info.byte_count)}" for name, info in facts.files.items()
    )
    echo(f"Parquet:       {sizes}")
    if facts.warehouse_byte_count is not None:
        echo(f"Warehouse:     {size_text(facts.warehouse_byte_count)}")
    if facts.search_pending_count:
        echo(f"Search index:  {facts.search_pending_count} articles not indexed yet (run `newsarchive load`)")
    if facts.unreadable_files:
        _echo_unreadable(
            facts.unreadable_files, "loads skip them, and a warehouse rebuilt from Parquet lacks their rows"
        )
    echo("")
    echo(
        format_rows(
            ["publication", "articles", "earliest", "latest"],
            [(p, n, _day(a), _day(b)) for p, n, a, b in facts.publications],
            "table",
        )
    )
    if facts.rejections:
        echo("")
        echo(format_rows(["rejection reason", "captures", "%"], facts.rejections, "table"))
    echo("")
    echo(format_rows(["field", "filled", "of", "%"], facts.field_coverage, "table"))


def _day(value) -> str:
    return value.strftime("%Y-%m-%d") if value else ""


@click.command("load")
@click.option("--rebuild-index", is_flag=True, help="Rebuild the full-text index from scratch instead of updating it.")
@click.option(
    "--defer-index",
    is_flag=True,
    help="Load the rows only; the next load without it adds them to the full-text index (until then search does not find them).",
)
@click.option(
    "--wait",
    default=60,
    show_default=True,
    type=click.FloatRange(0),
    metavar="SECONDS",
    help="How long to wait for another process to release the data directory (a run writing it) and the warehouse.",
)
@LAYOUT_OPTIONS
def load_command(rebuild_index: bool, defer_index: bool, wait: float, layout: DataLayout) -> None:
    """Load new Parquet files into the DuckDB warehouse (also the last step of `run`).

    Only files not yet in the loads ledger are read, so a second load adds nothing.
    Delete warehouse.duckdb and load again to rebuild it exactly from Parquet.

    \b
    Examples:
        newsarchive load
        newsarchive load --rebuild-index
        newsarchive load --defer-index                    # rows now, search index later
        rm data/warehouse.duckdb && newsarchive load      # rebuild from Parquet
    """
    if rebuild_index and defer_index:
        raise click.UsageError("--rebuild-index and --defer-index contradict each other: choose one")
    try:
        with _unreadable_files_told_here():
            summary = db.load(
                layout, lock_timeout_s=wait, rebuild_index=rebuild_index, update_search_index=not defer_index
            )
    except KNOWN_ERRORS as error:
        raise _fail(error) from error
    if summary.new_file_count == 0:
        click.echo(f"Nothing new to load ({summary.skipped_file_count} files already loaded).")
    else:
        click.echo(
            f"Loaded {summary.new_file_count} files: {summary.new_article_count} new articles, "
            f"{summary.replaced_article_count} replaced, {summary.new_capture_row_count} capture rows, "
            f"{summary.new_run_count} runs."
        )
    click.echo(f"Search index: {summary.fts_update} ({summary.fts_duration_s:.1f} s).")
    if summary.fts_pending_count:
        click.echo(f"  {summary.fts_pending_count} articles wait for the search index: `newsarchive load` adds them.")
    click.echo(f"Articles in the warehouse: {summary.total_article_count}  ({summary.duration_s:.1f} s)")
    if summary.unreadable_files:
        _echo_unreadable(
            [(item.file, item.reason) for item in summary.unreadable_files],
            "skipped: their rows were not loaded (a warehouse rebuilt from Parquet lacks them)",
        )


def _echo_unreadable(files: list[tuple[str, str]], consequence: str) -> None:
    """Name every unreadable Parquet file, on stderr, and what it means for the warehouse."""
    count = len(files)
    click.echo(f"Warning: {count} Parquet file{'s' if count != 1 else ''} cannot be read; {consequence}:", err=True)
    for file, reason in files:
        click.echo(f"  {file}: {reason}", err=True)
    click.echo("Replace or remove them, then run `newsarchive load` again.", err=True)


@contextmanager
def _unreadable_files_told_here() -> Iterator[None]:
    """The warehouse logs each unreadable file it skips (for runs); this command says it itself."""
    logger = logging.getLogger("newsarchive.warehouse")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


@click.command("compact")
@click.option("--dry-run", is_flag=True, help="Only say what would be merged.")
@LAYOUT_OPTIONS
def compact_command(dry_run: bool, layout: DataLayout) -> None:
    """Merge the small Parquet files of each partition; keep one row per article.

    Each run writes one file per partition per batch; compacting keeps readers fast.
    After `reprocess` (or a run that met an earlier capture) the files hold superseded rows
    of some articles: compact drops them, so any Parquet reader then sees one row per
    article, the row the warehouse holds. Safe to interrupt and to run again; the
    warehouse is told, so `load` does not re-read.

    \b
    Examples:
        newsarchive compact --dry-run
        newsarchive compact
    """
    from warehouse import compact

    try:
        summary = compact.compact(layout, dry_run=dry_run)
    except KNOWN_ERRORS as error:
        raise _fail(error) from error
    if summary.partition_count == 0:
        click.echo("Nothing to compact: no partition holds more than one small file, and no superseded rows.")
    elif dry_run:
        click.echo(f"Would merge {summary.source_file_count} files in {summary.partition_count} partitions.")
    else:
        click.echo(
            f"Merged {summary.source_file_count} files into {summary.written_file_count} "
            f"({summary.row_count} rows"
            + (
                f", {summary.duplicate_row_count} superseded or duplicate rows dropped"
                if summary.duplicate_row_count
                else ""
            )
            + ")."
        )
    if summary.unreadable_files:
        _echo_unreadable(
            [(item.file, item.reason) for item in summary.unreadable_files], "left as they are, not merged"
        )


COMMANDS: list[click.Command] = [
    sql_command,
    search_command,
    stats_command,
    load_command,
    compact_command,
    export_command,
    verify_command,
    report_command,
]
