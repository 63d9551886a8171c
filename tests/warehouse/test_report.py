"""`newsarchive report`: the page's numbers against SQL, an empty warehouse, and the page in a real
browser (Debian's chromium through playwright): no console errors, every chart drawn, the numbers
shown equal to SQL over the same warehouse, light and dark screenshots kept."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from tests.support.cli import newsarchive
from tests.warehouse import report_fixture
from warehouse import db, report, report_html

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Copies of the screenshots for the closing note (the pytest tmp dir holds the originals).
NOTES_DIR = Path(os.environ.get("NEWSARCHIVE_SCREENSHOT_DIR", "/work/notes"))


@pytest.fixture(scope="module")
def warehouse_dir(tmp_path_factory):
    return report_fixture.build(tmp_path_factory.mktemp("report") / "data")


@pytest.fixture(scope="module")
def chromium() -> Path:
    """Debian's chromium, installed when missing (the tests run as root, CI too)."""
    if not CHROMIUM.exists():
        subprocess.run("apt-get update -q && apt-get install -y -q chromium", shell=True, check=True, timeout=900)
    return CHROMIUM


def sql(data_dir: Path, query: str) -> list[tuple]:
    return db.query(data_dir, query)[1]


def test_report_cli_writes_one_self_contained_page(warehouse_dir, tmp_path):
    result = newsarchive("report", "--out", str(tmp_path / "r"), "--data-dir", str(warehouse_dir))
    assert result.returncode == 0, result.stderr
    assert "30 articles" in result.stdout and "file://" in result.stdout
    page = (tmp_path / "r" / "report.html").read_text(encoding="utf-8")
    # everything inline: no script, stylesheet or image is fetched from anywhere
    assert "<script src" not in page and "<link" not in page and "https://cdn" not in page
    assert "vegaEmbed" in page and "prefers-color-scheme: dark" in page
    assert 'href="https://news0.example.com/story/' in page  # latest articles link to their URLs


def test_empty_warehouse_says_so(tmp_path):
    data_dir = tmp_path / "data"
    db.load(data_dir)  # tables, no rows
    data = report.collect(data_dir)
    assert data.empty
    page = report_html.render(data)
    assert "holds no articles yet" in page
    assert "<script>" not in page.replace('<script type="application/json" id="specs">{}</script>', "")


def test_missing_data_dir_gives_an_empty_report(tmp_path):
    result = newsarchive("report", "--data-dir", str(tmp_path / "nothing"), "--out", str(tmp_path / "r"))
    assert result.returncode == 0, result.stderr
    assert "no articles yet" in result.stdout
    assert "holds no articles yet" in (tmp_path / "r" / "report.html").read_text(encoding="utf-8")


def _open(playwright, page_path: Path, scheme: str, width: int):
    context = playwright.chromium.launch_persistent_context(
        tempfile.mkdtemp(prefix="report-chromium-"),
        executable_path=str(CHROMIUM),
        args=CHROMIUM_ARGS,
        headless=True,
        color_scheme=scheme,
        viewport={"width": width, "height": 900},
        offline=True,
    )
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("request", lambda request: None if request.url.startswith("file:") else problems.append(request.url))
    page.goto(page_path.as_uri())
    page.wait_for_function(
        "document.querySelectorAll('.chart').length > 0 && "
        "[...document.querySelectorAll('.chart')].every(c => c.querySelector('svg'))",
        timeout=30_000,
    )
    return context, page, problems


def _table(page, name: str) -> list[list[str]]:
    return page.evaluate(
        """name => [...document.querySelectorAll(`table[data-table="${name}"] tbody tr`)]
                   .map(tr => [...tr.querySelectorAll('td')].map(td => td.textContent))""",
        name,
    )


def test_report_in_a_real_browser(warehouse_dir, chromium, tmp_path):
    from playwright.sync_api import sync_playwright

    page_path = report_html.write(report.collect(warehouse_dir), tmp_path / "out")
    shots = []
    with sync_playwright() as playwright:
        for scheme, width in [("light", 1200), ("dark", 1200), ("light", 380)]:
            context, page, problems = _open(playwright, page_path, scheme, width)
            try:
                assert problems == [], problems  # no console errors, no request leaves the file
                drawn = page.evaluate(
                    "[...document.querySelectorAll('.chart')].map(c => [c.dataset.chart, "
                    "c.querySelectorAll('svg .mark-rect path, svg .mark-text text').length])"
                )
                assert [name for name, _ in drawn] == [
                    "monthly",
                    "coverage",
                    "rejections",
                    "precision",
                    "authors",
                    "sections",
                    "runs",
                ]
                assert all(marks > 0 for _, marks in drawn), drawn
                background = page.evaluate("getComputedStyle(document.body).backgroundColor")
                assert (background == "rgb(255, 255, 255)") == (scheme == "light"), background
                if width < 500:  # a phone: nothing wider than the screen but the scrollable tables
                    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
                else:
                    _check_numbers(page, warehouse_dir)
                shot = tmp_path / f"report-{scheme}-{width}.png"
                page.screenshot(path=str(shot), full_page=True)
                shots.append(shot)
            finally:
                context.close()
    assert all(shot.stat().st_size > 10_000 for shot in shots)
    if NOTES_DIR.is_dir() and os.access(NOTES_DIR, os.W_OK):
        for shot in shots:
            shutil.copy(shot, NOTES_DIR / f"h15-{shot.name}")


def _check_numbers(page, data_dir: Path) -> None:
    """What the page shows equals SQL written here, over the same warehouse."""
    totals = page.evaluate(
        "Object.fromEntries([...document.querySelectorAll('[data-total]')].map(e => [e.dataset.total, e.textContent]))"
    )
    [(articles, outlets, runs)] = sql(
        data_dir, "SELECT count(*), count(DISTINCT publication), (SELECT count(*) FROM runs) FROM articles"
    )
    rejected = sql(data_dir, "SELECT count(*) FROM captures WHERE status = 'rejected'")[0][0]
    assert totals["article_count"] == str(articles) == "30"
    assert (totals["publication_count"], totals["run_count"]) == (str(outlets), str(runs))
    assert totals["rejection_count"] == str(rejected) == "5"

    monthly: dict[str, int] = {}
    for outlet, _month, count in _table(page, "monthly"):
        monthly[outlet] = monthly.get(outlet, 0) + int(count)
    dated = sql(data_dir, "SELECT publication, count(*) FROM articles WHERE published_at IS NOT NULL GROUP BY 1")
    assert monthly == dict(dated)

    reasons = sql(data_dir, "SELECT reason, count(*) FROM captures WHERE status = 'rejected' GROUP BY 1")
    assert {r: int(c) for r, c in _table(page, "rejections")} == dict(reasons)

    authors = sql(data_dir, "SELECT a, count(*) FROM (SELECT unnest(authors) AS a FROM articles) GROUP BY 1")
    assert {a: int(c) for a, c in _table(page, "authors")} == dict(authors)

    coverage = {(outlet, field): int(filled) for outlet, field, filled, _total, _pct in _table(page, "coverage")}
    sections = sql(data_dir, "SELECT publication, count(section) FROM articles GROUP BY 1")
    assert {o: coverage[(o, "section")] for o, _ in sections} == dict(sections)

    precision = {p: int(c) for p, c in _table(page, "precision")}
    assert sum(precision.values()) == articles
    undated = sql(data_dir, "SELECT count(*) FROM articles WHERE published_at IS NULL")[0][0]
    assert precision["no date"] == undated
    given = sql(
        data_dir, "SELECT published_precision, count(*) FROM articles WHERE published_precision IS NOT NULL GROUP BY 1"
    )
    assert {p: precision[p] for p, _ in given} == dict(given) and set(dict(given)) == {"day", "month"}
    assert all(p.endswith("derived)") for p in set(precision) - {"no date", "day", "month"})

    durations = [float(row[4]) for row in _table(page, "runs")]  # shown to 0.1 s
    assert durations == [d for (d,) in sql(data_dir, "SELECT round(duration_s, 1) FROM runs ORDER BY started_at")]

    links = page.evaluate("[...document.querySelectorAll('#latest a')].map(a => a.href)")
    newest = sql(data_dir, "SELECT url FROM articles ORDER BY published_at DESC NULLS LAST, article_id LIMIT 25")
    assert links == [url for (url,) in newest]
