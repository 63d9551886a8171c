"""Scriptable results: `run --format json`, `newsarchive runs` and `newsarchive rejections`,
driven as subprocesses over the bundled sample."""

from __future__ import annotations

import csv
import io
import json

import pytest

from tests.support.cli import newsarchive
from tests.support.servers import FaultServer

SAMPLE_REJECTIONS = {"not_article": 5, "http_404": 1, "not_html": 1}


@pytest.fixture(scope="module")
def sample_data(tmp_path_factory, prefect_server):
    """The sample ingested by `run --format json -q`: (data dir, the printed JSON, stderr)."""
    data_dir = tmp_path_factory.mktemp("output") / "data"
    result = newsarchive("run", "--format", "json", "-q", "--data-dir", str(data_dir))
    assert result.returncode == 0, result.stderr
    return data_dir, json.loads(result.stdout), result.stderr


def test_run_format_json_prints_the_summary_as_one_json_object(sample_data):
    _, summary, stderr = sample_data
    assert stderr == ""  # -q: no progress, no banner
    assert summary["status"] == "completed"
    assert summary["capture_count"] == 78 and summary["article_count"] == 68
    assert summary["rejections"] == SAMPLE_REJECTIONS and summary["rejection_count"] == 7
    assert summary["total_article_count"] == 68 and summary["errors"] == []
    assert summary["wall_s"] >= summary["duration_s"] > 0
    assert summary["started_at"].endswith("+00:00")


def test_runs_lists_the_runs_in_every_format(sample_data):
    data_dir, summary, _ = sample_data
    as_json = newsarchive("runs", "--format", "json", "--data-dir", str(data_dir))
    assert as_json.returncode == 0, as_json.stderr
    (run,) = json.loads(as_json.stdout)
    assert run["run_id"] == summary["run_id"] and run["status"] == "completed" and run["source"] == "sample"
    assert (run["capture_count"], run["article_count"], run["rejection_count"]) == (78, 68, 7)
    table = newsarchive("runs", "--data-dir", str(data_dir)).stdout.splitlines()
    assert table[0].split()[:3] == ["run_id", "status", "source"] and table[-1] == "(1 row)"
    rows = list(csv.DictReader(io.StringIO(newsarchive("runs", "--format", "csv", "--data-dir", str(data_dir)).stdout)))
    assert [row["status"] for row in rows] == ["completed"]


def test_rejections_lists_reason_detail_and_url(sample_data):
    data_dir, _, _ = sample_data
    result = newsarchive("rejections", "--format", "csv", "--data-dir", str(data_dir))
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    counts: dict[str, int] = {}
    for row in rows:
        counts[row["reason"]] = counts.get(row["reason"], 0) + 1
        assert row["detail"] and row["url"].startswith("http")
    assert counts == SAMPLE_REJECTIONS
    only_404 = json.loads(
        newsarchive(
            "rejections", "--reason", "http_404", "--run", "last", "--format", "json", "--data-dir", str(data_dir)
        ).stdout
    )
    assert [row["http_status"] for row in only_404] == [404]


def test_runs_without_any_data_is_a_one_line_error(tmp_path):
    result = newsarchive("runs", "--data-dir", str(tmp_path / "none"))
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"Error: no warehouse and no Parquet dataset in {tmp_path / 'none'}: run `newsarchive run` first"
    ]


def test_dry_run_says_what_would_be_done_and_does_nothing(sample_data, tmp_path):
    data_dir, _, _ = sample_data
    done = newsarchive("run", "--dry-run", "--format", "json", "--data-dir", str(data_dir))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) | {"captures": []} == {
        "todo_count": 0,
        "done_count": 78,
        "invalid_count": 0,
        "errors": [],
        "captures": [],
    }
    with FaultServer() as server:
        urls = tmp_path / "urls.txt"
        urls.write_text(f"{server.base_url}/ok/a\n{server.base_url}/ok/b\nnot a url\n")
        fresh = tmp_path / "fresh"
        plan = newsarchive("run", "--urls", str(urls), "--dry-run", "--data-dir", str(fresh))
        assert server.counts == {}  # nothing fetched, not even robots.txt
    assert plan.returncode == 0, plan.stderr
    assert plan.stdout.splitlines() == [f"-  {server.base_url}/ok/a", f"-  {server.base_url}/ok/b"]
    assert plan.stderr.strip() == (
        "Would fetch 2 captures (0 already done, 1 invalid input lines); nothing was fetched or written."
    )
    assert not fresh.exists()
