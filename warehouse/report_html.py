"""The report as one self-contained HTML file: no network is needed to view it.

The Vega, Vega-Lite and vega-embed JavaScript comes from vl-convert (the bundle altair's own
`inline=True` uses) and is written into the page. Building that bundle takes vl-convert
several seconds, so it is cached per version under ~/.cache/newsarchive (XDG_CACHE_HOME).
Colours follow the reader's light or dark scheme (prefers-color-scheme), charts and tables fit
a narrow screen, and every chart has its numbers in a table beside it.
"""

from __future__ import annotations

import html
import json
import os
import tempfile
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from warehouse.report import ReportData, Rows
from warehouse.report_charts import Chart, charts

TOTALS = [
    ("article_count", "articles"),
    ("publication_count", "publications"),
    ("capture_count", "captures"),
    ("rejection_count", "rejections"),
    ("run_count", "runs"),
    ("earliest_published_at", "first published"),
    ("latest_published_at", "last published"),
]

STYLE = """
:root { color-scheme: light dark; --fg: #1b1f24; --bg: #ffffff; --muted: #59636e; --line: #d1d9e0; --link: #0b5cad; }
@media (prefers-color-scheme: dark) {
  :root { --fg: #e6edf3; --bg: #0d1117; --muted: #9198a1; --line: #3d444d; --link: #66b3ff; }
}
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1100px; padding: 1rem; font: 15px/1.45 system-ui, sans-serif;
       color: var(--fg); background: var(--bg); }
a { color: var(--link); }
h1 { font-size: 1.5rem; margin: 0.2rem 0; }
h2 { font-size: 1.15rem; margin: 2rem 0 0.3rem; border-bottom: 1px solid var(--line); }
.muted, .note { color: var(--muted); font-size: 0.9rem; }
dl.totals { display: grid; grid-template-columns: repeat(auto-fit, minmax(9rem, 1fr)); gap: 0.5rem; }
dl.totals div { border: 1px solid var(--line); border-radius: 6px; padding: 0.4rem 0.6rem; }
dl.totals dt { color: var(--muted); font-size: 0.85rem; }
dl.totals dd { margin: 0; font-size: 1.2rem; font-weight: 600; }
.chart { width: 100%; min-height: 2rem; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; font-size: 0.85rem; }
th, td { border-bottom: 1px solid var(--line); padding: 0.2rem 0.5rem; text-align: left; vertical-align: top; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
details { margin-top: 0.4rem; }
.empty { padding: 1rem; border: 1px dashed var(--line); border-radius: 6px; }
"""

SCRIPT = """
const specs = JSON.parse(document.getElementById('specs').textContent);
const scheme = window.matchMedia('(prefers-color-scheme: dark)');
function draw() {
  for (const [name, spec] of Object.entries(specs)) {
    const options = {renderer: 'svg', actions: false};
    if (scheme.matches) { options.theme = 'dark'; }
    spec.background = null;
    vegaEmbed('#chart-' + name, spec, options).catch(console.error);
  }
}
scheme.addEventListener('change', draw);
draw();
"""


def _bundle_cache() -> Path:
    root = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(root) / "newsarchive"


def javascript_bundle() -> str:
    """Vega + Vega-Lite + vega-embed as one script (vl-convert's bundle), cached per version."""
    from importlib.metadata import version

    import vl_convert
    from altair.utils._importers import vl_version_for_vl_convert

    vl_version = vl_version_for_vl_convert()
    cached = _bundle_cache() / f"vega-embed-{version('vl-convert-python')}-{vl_version}.js"
    try:
        return cached.read_text(encoding="utf-8")
    except OSError:
        pass
    # The stub makes `snippet` required; the function defaults it (the globals vegaEmbed, vega, vegaLite).
    bundle = vl_convert.javascript_bundle(vl_version=vl_version)  # type: ignore[call-arg]
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=cached.parent, delete=False) as handle:
            handle.write(bundle)
        os.replace(handle.name, cached)
    except OSError:
        pass  # no cache this time: the next report builds the bundle again
    return bundle


def _text(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _table(rows: Rows, name: str) -> str:
    if not rows:
        return ""
    names = list(rows[0])
    head = "".join(f"<th>{html.escape(n)}</th>" for n in names)
    body = []
    for row in rows:
        cells = []
        for n in names:
            value = row[n]
            numeric = isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)
            cells.append(
                f'<td{" class=num" if numeric else ""} data-field="{html.escape(n)}">{html.escape(_text(value))}</td>'
            )
        body.append(f"<tr>{''.join(cells)}</tr>")
    return f'<div class="scroll"><table data-table="{name}"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table></div>'


def _section(chart: Chart, rows: Rows) -> str:
    parts = [
        f'<section id="{chart.name}"><h2>{html.escape(chart.title)}</h2>',
        f'<p class="note">{html.escape(chart.note)}</p>',
    ]
    if chart.spec is None:
        parts.append('<p class="empty">Nothing to show yet.</p>')
    else:
        parts.append(
            f'<div class="chart" id="chart-{chart.name}" data-chart="{chart.name}" role="img" aria-label="{html.escape(chart.title)}"></div>'
        )
        parts.append(f"<details><summary>The numbers</summary>{_table(rows, chart.name)}</details>")
    parts.append("</section>")
    return "\n".join(parts)


def _latest(rows: Rows) -> str:
    if not rows:
        return ""
    body = "".join(
        "<tr>"
        f'<td><a href="{html.escape(r["url"])}" rel="noopener noreferrer">{html.escape(r["title"])}</a></td>'
        f"<td>{html.escape(r['publication'])}</td><td>{html.escape(_text(r['published']))}</td>"
        f"<td>{html.escape(_text(r['language']))}</td></tr>"
        for r in rows
    )
    return (
        '<section id="latest"><h2>Latest articles</h2><p class="note">The 25 most recently published, linking to their original URLs.</p>'
        '<div class="scroll"><table data-table="latest"><thead><tr><th>title</th><th>publication</th><th>published</th>'
        f"<th>language</th></tr></thead><tbody>{body}</tbody></table></div></section>"
    )


def _totals(data: ReportData) -> str:
    items = "".join(
        f'<div><dt>{label}</dt><dd data-total="{key}">{html.escape(_text(data.totals.get(key)))}</dd></div>'
        for key, label in TOTALS
        if key in data.totals
    )
    return f'<dl class="totals">{items}</dl>'


def _script_json(value: Any) -> str:
    """JSON safe inside a <script> element."""
    return json.dumps(value, ensure_ascii=False, default=str).replace("</", "<\\/")


def render(data: ReportData, *, title: str = "newsarchive report") -> str:
    """The whole page as text."""
    made = charts(data)
    where = {
        "warehouse": "the warehouse",
        "parquet": "the Parquet dataset (a load held the warehouse)",
        "none": "nothing",
    }
    header = (
        f"<header><h1>{html.escape(title)}</h1><p class=muted>Generated {data.generated_at:%Y-%m-%d %H:%M} UTC "
        f"from {where.get(data.source, data.source)}.</p></header>"
    )
    if data.empty:
        body = (
            '<p class="empty" id="empty">The warehouse holds no articles yet. Run <code>newsarchive run</code> '
            "(or <code>newsarchive load</code>) and make the report again.</p>"
        )
        shown = [c for c in made if c.name in ("rejections", "runs") and c.spec is not None]
    else:
        body = _totals(data)
        shown = made
    sections = [_section(c, data.tables.get(c.name, [])) for c in shown]
    if not data.empty:
        sections.append(_latest(data.tables["latest"]))
    specs = {c.name: c.spec for c in shown if c.spec is not None}
    bundle = javascript_bundle().replace("</script", "<\\/script") if specs else ""
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{html.escape(title)}</title><style>{STYLE}</style>",
            f"<script>{bundle}</script>" if bundle else "",
            "</head><body>",
            header,
            body,
            *sections,
            f'<script type="application/json" id="specs">{_script_json(specs)}</script>',
            f"<script>{SCRIPT}</script>" if specs else "",
            "</body></html>",
        ]
    )


def write(data: ReportData, out_dir: Path) -> Path:
    """Write report.html into out_dir (made if missing), atomically; returns its path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    page = render(data)
    target = out_dir / "report.html"
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=out_dir, delete=False, suffix=".partial") as handle:
        handle.write(page)
    os.replace(handle.name, target)
    return target
