"""The report's summary charts, attached to each Prefect run as artifacts Prefect can show.

Prefect's UI renders Markdown and tables, not Vega-Lite, so the charts of `newsarchive report`
(warehouse/report.py computes them, in DuckDB) become Markdown tables with Unicode bars, plus
table artifacts of the same numbers. Called once at the end of the ingest flow; a failure here
is logged and never fails the run.
"""

from __future__ import annotations

import logging

from prefect.artifacts import create_markdown_artifact, create_table_artifact

from warehouse.layout import DataLayout
from warehouse.report import ReportData, Rows, collect

log = logging.getLogger("newsarchive.artifacts")
BAR_WIDTH = 24


def _bar(value: float, largest: float) -> str:
    return "█" * max(1 if value else 0, round(BAR_WIDTH * value / largest)) if largest else ""


def _bars(rows: Rows, label: str, value: str, title: str) -> list[str]:
    if not rows:
        return [f"### {title}", "", "Nothing yet.", ""]
    largest = max(float(r[value] or 0) for r in rows)
    lines = [f"### {title}", "", f"| {label} | {value} | |", "|---|---:|---|"]
    lines += [
        f"| {str(r[label]).replace('|', '/')} | {r[value]} | {_bar(float(r[value] or 0), largest)} |" for r in rows
    ]
    return [*lines, ""]


def _per_year(rows: Rows) -> Rows:
    """Articles per year per outlet (the report's monthly chart, folded to fit a Markdown table)."""
    years: dict[tuple[str, str], int] = {}
    for r in rows:
        key = (r["publication"], r["month"][:4])
        years[key] = years.get(key, 0) + int(r["article_count"])
    return [{"outlet, year": f"{p}, {y}", "article_count": n} for (p, y), n in sorted(years.items())]


def summary_markdown(data: ReportData) -> str:
    """The report's charts as Markdown (bars of block characters)."""
    if data.empty:
        return "## Warehouse\n\nThe warehouse holds no articles yet.\n"
    t = data.totals
    lines = [
        "## Warehouse",
        "",
        f"{t['article_count']} articles from {t['publication_count']} publications; {t['capture_count']} captures, "
        f"{t['rejection_count']} rejected; {t['run_count']} runs. `newsarchive report` draws the same as charts.",
        "",
        *_bars(_per_year(data.tables["monthly"]), "outlet, year", "article_count", "Articles per year per outlet"),
        *_bars(data.tables["rejections"], "reason", "capture_count", "Rejections by reason"),
        *_bars(data.tables["precision"], "precision", "article_count", "Precision of published_at"),
        *_bars(data.tables["authors"], "author", "article_count", "Top authors"),
        *_bars(data.tables["sections"], "section", "article_count", "Top sections"),
        *_bars(data.tables["runs"][-15:], "started_at", "duration_s", "Latest runs: duration (s)"),
    ]
    return "\n".join(lines)


def publish(layout: DataLayout) -> None:
    """Attach the warehouse summary to the current Prefect run (never raises)."""
    try:
        data = collect(layout)
        create_markdown_artifact(
            markdown=summary_markdown(data), key="warehouse-report", description="The warehouse after this run"
        )
        if not data.empty:
            create_table_artifact(
                table=data.tables["coverage"], key="field-coverage", description="Field coverage per outlet (percent)"
            )
    except Exception as error:  # an artifact is a courtesy: the run's data is written already
        log.warning("could not attach the warehouse report to the Prefect run: %s", error)
