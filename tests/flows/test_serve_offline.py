"""`serve` and `deploy` where no Prefect server is needed: one-line errors, `serve --list`, and
the committed prefect.yaml as `deploy` writes it (the scheduled runs themselves: test_serve.py)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent / "newsarchive"
CRON = "0 3 * * *"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _write_config(path: Path, data_dir: Path) -> Path:
    path.write_text(
        f"""\
data_dir = "{data_dir}"

[[sources]]
name = "tide-times"
kind = "cdx"
pattern = "tide-times.example/news/*"
archive = "http://127.0.0.1:9/news"
schedule = "{CRON}"

[[sources]]
name = "unscheduled"
kind = "sample"
""",
        encoding="utf-8",
    )
    return path


def newsarchive(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess:
    """The command in a fresh process, without the Prefect server of other tests."""
    clean = {key: value for key, value in os.environ.items() if key not in {"PREFECT_API_URL", "NEWSARCHIVE_DATA_DIR"}}
    clean.update(PREFECT_SERVER_ANALYTICS_ENABLED="false", PREFECT_LOGGING_LEVEL="WARNING")
    clean.update(PREFECT_HOME=str(cwd / "prefect-home"), **env)
    return subprocess.run([str(BIN), *args], capture_output=True, text=True, cwd=cwd, timeout=120, env=clean)


def _one_error_line(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    return lines[0]


def test_serve_without_a_server_says_how_to_start_one(tmp_path):
    config = _write_config(tmp_path / "newsarchive.toml", tmp_path / "data")
    line = _one_error_line(newsarchive("serve", "--config", str(config), cwd=tmp_path))
    assert "PREFECT_API_URL is not set" in line
    assert "prefect server start" in line and "export PREFECT_API_URL=http://127.0.0.1:4200/api" in line


def test_serve_with_no_server_at_the_url_says_so(tmp_path):
    config = _write_config(tmp_path / "newsarchive.toml", tmp_path / "data")
    url = f"http://127.0.0.1:{_free_port()}/api"  # nothing listens there
    line = _one_error_line(newsarchive("serve", "--config", str(config), cwd=tmp_path, PREFECT_API_URL=url))
    assert f"no Prefect server answers at PREFECT_API_URL={url}" in line
    assert "prefect server start" in line


@pytest.mark.parametrize(
    ("config_text", "options", "message"),
    [
        # nothing scheduled at all
        (
            '[[sources]]\nname = "a"\nkind = "sample"\n',
            (),
            "no source in the configuration has a `schedule` (sources: a)",
        ),
        # no sources at all
        ("", (), "no source in the configuration has a `schedule` (sources: none)"),
        # a named source without a schedule
        ('[[sources]]\nname = "a"\nkind = "sample"\n', ("--source", "a"), "source(s) a have no `schedule`"),
        # an unknown source
        (
            '[[sources]]\nname = "a"\nkind = "sample"\nschedule = "0 3 * * *"\n',
            ("--source", "b"),
            "no source named 'b' in the configuration (known: a)",
        ),
        # a bad cron line names its key
        (
            '[[sources]]\nname = "a"\nkind = "sample"\nschedule = "every night"\n',
            (),
            "sources.a.schedule: not a cron line",
        ),
    ],
)
def test_configuration_errors_are_one_line(tmp_path, config_text, options, message):
    config = tmp_path / "newsarchive.toml"
    config.write_text(config_text, encoding="utf-8")
    # Checked before the server, so in-process: these fail the same with or without one.
    for command in ("serve", "deploy"):
        line = _one_error_line_in_process(command, "--config", str(config), *options)
        assert message in line


def _one_error_line_in_process(*args: str) -> str:
    from click.testing import CliRunner

    from flows.cli import main

    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    return lines[0]


def test_missing_config_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    line = _one_error_line_in_process("serve")
    assert "config file not found: newsarchive.toml" in line


def test_list_shows_what_would_be_served_without_a_server(tmp_path):
    from click.testing import CliRunner

    from flows.cli import main

    config = _write_config(tmp_path / "newsarchive.toml", tmp_path / "data")
    result = CliRunner().invoke(main, ["serve", "--config", str(config), "--list"])
    assert result.exit_code == 0, result.output
    assert (
        result.output.splitlines()[0] == f"ingest-archive/tide-times  cron '{CRON}' (UTC)  data_dir {tmp_path / 'data'}"
    )
    assert "unscheduled" not in result.output


def test_prefect_yaml_is_generated_from_the_example_config(tmp_path, monkeypatch):
    """The committed prefect.yaml is exactly what `newsarchive deploy` writes for the example
    configuration, so the two cannot drift apart."""
    from click.testing import CliRunner

    from flows.cli import main

    monkeypatch.chdir(REPO)
    output = tmp_path / "prefect.yaml"
    result = CliRunner().invoke(main, ["deploy", "--config", "newsarchive.example.toml", "--output", str(output)])
    assert result.exit_code == 0, result.output
    assert output.read_text() == (REPO / "prefect.yaml").read_text(), (
        "prefect.yaml is stale: run `newsarchive deploy --config newsarchive.example.toml`"
    )
    document = yaml.safe_load(output.read_text())
    assert [d["name"] for d in document["deployments"]] == ["harbour-gazette", "harbour-gazette-sitemap"]
    for deployment in document["deployments"]:
        assert deployment["entrypoint"] == "flows/ingest.py:ingest"
        assert deployment["parameters"]["options"]["inputs"]["source_name"] == deployment["name"]
        assert deployment["parameters"]["options"]["data_dir"] == "data"


def test_start_server_with_a_server_already_configured_is_an_error(tmp_path):
    config = _write_config(tmp_path / "newsarchive.toml", tmp_path / "data")
    line = _one_error_line(
        newsarchive(
            "serve",
            "--config",
            str(config),
            "--start-server",
            cwd=tmp_path,
            PREFECT_API_URL="http://127.0.0.1:4200/api",
        )
    )
    assert "--start-server: PREFECT_API_URL is already set (http://127.0.0.1:4200/api)" in line
