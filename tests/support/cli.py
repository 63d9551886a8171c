"""The `newsarchive` command as a subprocess, for the tests that drive it as a user would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

BIN = Path(sys.executable).parent / "newsarchive"


def newsarchive(*args: str, env: dict | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run the command to its end; stdout and stderr as text. `env` is its whole environment
    (default: this process's), so a test can leave a variable out, e.g. PREFECT_API_URL."""
    return subprocess.run([str(BIN), *args], capture_output=True, text=True, timeout=timeout, env=env)


def start_newsarchive(*args: str, env: dict | None = None, new_session: bool = False) -> subprocess.Popen:
    """Start the command and return at once. `new_session`: in a process group of its own (so a
    test can signal the group, as a terminal's Ctrl-C does)."""
    return subprocess.Popen(
        [str(BIN), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env if env is not None else dict(os.environ),
        start_new_session=new_session,
    )


def wait_for_file(directory: Path, pattern: str, timeout: float = 240) -> Path:
    """The first file under `directory` matching `pattern`, waiting for it to appear."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = sorted(directory.rglob(pattern)) if directory.exists() else []
        if found:
            return found[0]
        time.sleep(0.2)
    raise AssertionError(f"no {pattern} under {directory} after {timeout} s")


def sql_rows(data_dir: Path, query: str) -> list[dict[str, Any]]:
    """`newsarchive sql QUERY --format json` over `data_dir`."""
    result = newsarchive("sql", query, "--format", "json", "--data-dir", str(data_dir))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)
