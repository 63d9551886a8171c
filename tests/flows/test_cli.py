"""The `newsarchive` command as a user runs it: real subprocesses, real files."""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent / "newsarchive"


def newsarchive(*args: str, cwd: Path | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN), *args], capture_output=True, text=True, cwd=cwd, timeout=300, env={**os.environ, **(env or {})}
    )


def _commands() -> list[str]:
    from flows.cli import main

    return sorted(main.commands)


def test_every_command_has_help_with_an_example():
    result = newsarchive("--help")
    assert result.returncode == 0
    for command in _commands():
        assert command in result.stdout
        help_text = newsarchive(command, "--help")
        assert help_text.returncode == 0, command
        assert "Example" in help_text.stdout, f"`newsarchive {command} --help` shows no example"
        # verify reads a folder it is given; prefect-server touches no data at all
        assert "--data-dir" in help_text.stdout or command in {"verify", "prefect-server"}, command


def test_missing_warc_file_is_a_one_line_error(tmp_path):
    result = newsarchive("run", "--warc", str(tmp_path / "missing.warc.gz"), "--data-dir", str(tmp_path / "d"))
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [f"Error: WARC file not found: {tmp_path / 'missing.warc.gz'}"]


def test_a_file_that_is_not_a_warc_is_a_one_line_error(tmp_path, prefect_server):
    bogus = tmp_path / "notes.warc.gz"
    bogus.write_bytes(gzip.compress(b"hello\n" * 100))
    result = newsarchive("run", "--warc", str(bogus), "--data-dir", str(tmp_path / "d"))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("Error: not a WARC file")


def test_unusable_data_directory_is_a_one_line_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    result = newsarchive("run", "--data-dir", str(blocker / "data"))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("Error: cannot use data directory")


def test_bad_option_is_an_error_with_usage(tmp_path):
    result = newsarchive("run", "--batch-size", "0", "--data-dir", str(tmp_path))
    assert result.returncode == 2
    assert "Error" in result.stderr


def test_run_then_query_from_the_command_line(tmp_path, prefect_server):
    data_dir = tmp_path / "data"
    result = newsarchive("run", "--data-dir", str(data_dir))
    assert result.returncode == 0, result.stderr
    assert "new articles:" in result.stdout and "rejections:" in result.stdout
    again = newsarchive("run", "--data-dir", str(data_dir))
    assert again.returncode == 0
    assert "Nothing new" in again.stdout
    query = newsarchive("sql", "SELECT count(*) AS n FROM articles", "--format", "csv", "--data-dir", str(data_dir))
    assert query.returncode == 0, query.stderr
    assert query.stdout.split() == ["n", "68"]
    env_query = newsarchive(
        "sql", "SELECT count(*) AS n FROM articles", "--format", "csv", env={"NEWSARCHIVE_DATA_DIR": str(data_dir)}
    )
    assert env_query.stdout.split() == ["n", "68"]


def test_dask_address_without_a_prefect_server_is_a_one_line_error(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    result = subprocess.run(
        [str(BIN), "run", "--dask-address", "tcp://127.0.0.1:1", "--data-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "Error: --dask-address needs a Prefect server the workers can reach: run `prefect server start` "
        "and export PREFECT_API_URL=http://<host>:4200/api"
    ]


def test_run_a_configured_source_into_the_configured_data_dir(tmp_path, prefect_server):
    """`run --config --source` takes the source's inputs and the file's data_dir (no --data-dir given)."""
    data_dir = tmp_path / "from-config"
    config = tmp_path / "newsarchive.toml"
    config.write_text(f'data_dir = "{data_dir}"\n\n[[sources]]\nname = "bundled"\nkind = "sample"\n')
    env = {k: v for k, v in os.environ.items() if k != "NEWSARCHIVE_DATA_DIR"}
    result = subprocess.run(
        [str(BIN), "run", "--config", str(config), "--source", "bundled"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert "Ingesting source 'bundled' into" in result.stderr and "new articles:        68" in result.stdout
    query = newsarchive(
        "sql", "SELECT source, source_name FROM runs", "--format", "csv", "--data-dir", str(data_dir), cwd=tmp_path
    )
    assert query.stdout.split() == ["source,source_name", "sample,bundled"]


def test_bad_from_is_a_one_line_error(tmp_path):
    result = newsarchive("run", "--cdx", "example.com/*", "--from", "2019-01-01", "--data-dir", str(tmp_path))
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "Error: bad --from '2019-01-01': expected YYYY[MM[DD[hh[mm[ss]]]]], e.g. 20190101"
    ]
