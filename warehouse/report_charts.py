"""The report's charts as Vega-Lite specs, drawn with altair from the tables of warehouse/report.py.

Each chart takes the width of its container (narrow screens get narrow charts) and leaves the
background and text colours to the page (light or dark; vega-embed's theme is chosen in the
browser). A section with no rows has no chart: the page says there is nothing to show.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import altair as alt

from warehouse.report import ReportData, Rows


@dataclass(frozen=True, slots=True)
class Chart:
    name: str  # the table of ReportData.tables it draws
    title: str
    note: str
    spec: dict[str, Any] | None  # None when there is nothing to draw


# Width from the container; the height of bar lists and heatmaps follows their rows.
FIT_X = alt.AutoSizeParams(type="fit-x", contains="padding")


def _base(rows: Rows) -> alt.Chart:
    return alt.Chart(alt.Data(values=rows)).properties(width="container")


def _bars(rows: Rows, category: str, title: str) -> alt.Chart:
    """Horizontal bars of article_count (or capture_count) per category, largest first."""
    value = "capture_count" if rows and "capture_count" in rows[0] else "article_count"
    return (
        _base(rows)
        .mark_bar()
        .encode(
            x=alt.X(f"{value}:Q", title=title, axis=alt.Axis(tickMinStep=1, format="d")),
            y=alt.Y(f"{category}:N", sort="-x", title=None),
            tooltip=[alt.Tooltip(f"{category}:N"), alt.Tooltip(f"{value}:Q")],
        )
        .properties(height=alt.Step(22), autosize=FIT_X)
    )


def _monthly(rows: Rows) -> alt.Chart:
    return (
        _base(rows)
        .mark_bar()
        .encode(
            x=alt.X("month:T", timeUnit="yearmonth", title="month published (UTC)"),
            y=alt.Y("sum(article_count):Q", title="articles"),
            color=alt.Color("publication:N", legend=alt.Legend(orient="bottom", columns=2, title=None)),
            tooltip=["publication:N", alt.Tooltip("month:T", timeUnit="yearmonth"), "article_count:Q"],
        )
        .properties(height=260)
    )


def _coverage(rows: Rows) -> alt.Chart:
    base = _base(rows).encode(
        x=alt.X("field:N", title=None, axis=alt.Axis(labelAngle=-40)),
        y=alt.Y("publication:N", title=None),
    )
    cells = base.mark_rect().encode(
        color=alt.Color("percent:Q", scale=alt.Scale(domain=[0, 100], scheme="blues"), title="% filled"),
        tooltip=["publication:N", "field:N", "filled:Q", "article_count:Q", "percent:Q"],
    )
    labels = base.mark_text(baseline="middle").encode(
        text=alt.Text("percent:Q", format=".0f"),
        color=alt.condition("datum.percent > 60", alt.value("white"), alt.value("black")),
    )
    return (cells + labels).properties(height=alt.Step(30), autosize=FIT_X)


def _runs(rows: Rows) -> alt.Chart:
    return (
        _base(rows)
        .mark_bar()
        .encode(
            x=alt.X("started_at:N", title="run started (UTC)", sort=None, axis=alt.Axis(labelAngle=-40)),
            y=alt.Y("duration_s:Q", title="duration (s)"),
            color=alt.Color("status:N", legend=alt.Legend(orient="bottom", title=None)),
            tooltip=["run_id:N", "source:N", "status:N", "duration_s:Q", "article_count:Q", "rejection_count:Q"],
        )
        .properties(height=220)
    )


def charts(data: ReportData) -> list[Chart]:
    """The report's charts in page order."""
    t = data.tables
    precision_note = (
        "From the published_precision column (day, month or year); rows written before it existed are derived from the value, marked so."
        if data.precision_from == "column"
        else "Derived from the value: a time of exactly 00:00 in the page's own time zone is counted as a date "
        "given without a time, seconds of 0 as a time to the minute (a page that really said 00:00 or :00 is "
        "counted as less precise than it was)."
    )
    made = [
        ("monthly", "Articles per month per outlet", "By month of published_at (UTC); undated articles are left out.", _monthly),
        ("coverage", "Field coverage per outlet", "Percent of each outlet's articles in which the field is filled.", _coverage),
        ("rejections", "Rejections by reason", "Captures whose latest outcome is a rejection.", lambda r: _bars(r, "reason", "captures")),
        ("precision", "Precision of published_at", precision_note, lambda r: _bars(r, "precision", "articles")),
        ("authors", "Top authors", "The 15 authors with the most articles.", lambda r: _bars(r, "author", "articles")),
        ("sections", "Top sections", "The 15 sections with the most articles.", lambda r: _bars(r, "section", "articles")),
        ("runs", "Run history", "The latest 50 runs and how long each took.", _runs),
    ]  # fmt: skip
    return [
        Chart(name, title, note, draw(t[name]).to_dict() if t.get(name) else None) for name, title, note, draw in made
    ]
