"""A real pywb archive server for tests, in its own virtual environment.

pywb cannot share `.venv` with Prefect (it needs `redis<4` and `setuptools>=75,<81`), so it
gets `.venv-pywb/` in the repository root, created once from `tests/pywb-requirements.txt`
and reused while that file is unchanged. `PywbServer` writes nothing itself: give it WARC
files (see `write_warc`), it runs `wb-manager init/add` and `wayback` on a free port of
127.0.0.1, waits until the CDX API answers, and stops the process on exit.
"""

from __future__ import annotations

import fcntl
import hashlib
import io
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

REPO = Path(__file__).resolve().parents[2]
PYWB_VENV = REPO / ".venv-pywb"
PYWB_REQUIREMENTS = REPO / "tests" / "pywb-requirements.txt"


class PywbUnavailable(Exception):
    """pywb could not be installed or started here (the reason is in the message)."""


def _base_python() -> str:
    """A Python ≤ 3.12 to build the pywb venv with (pywb does not support 3.13 yet)."""
    candidates = [getattr(sys, "_base_executable", None), sys.executable, "python3.12", "python3.11", "python3"]
    for candidate in candidates:
        if not candidate:
            continue
        try:
            out = subprocess.run(
                [candidate, "-c", "import sys; print(sys.version_info[:2] <= (3, 12))"],
                capture_output=True,
                text=True,
                timeout=30,
            )
        except (OSError, subprocess.TimeoutExpired):
            continue
        if out.returncode == 0 and out.stdout.strip() == "True":
            return candidate
    raise PywbUnavailable("no Python <= 3.12 found to create .venv-pywb")


def ensure_pywb_venv() -> Path:
    """Create or update `.venv-pywb` (once; concurrent test runs wait for each other)."""
    wanted = hashlib.sha256(PYWB_REQUIREMENTS.read_bytes()).hexdigest()
    stamp = PYWB_VENV / ".installed"
    lock_path = (
        Path(tempfile.gettempdir()) / f"newsarchive-pywb-venv-{hashlib.sha1(str(REPO).encode()).hexdigest()[:8]}.lock"
    )
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if stamp.exists() and stamp.read_text().strip() == wanted and (PYWB_VENV / "bin" / "wayback").exists():
            return PYWB_VENV
        python = PYWB_VENV / "bin" / "python"
        if not python.exists():
            made = subprocess.run([_base_python(), "-m", "venv", str(PYWB_VENV)], capture_output=True, text=True)
            if made.returncode != 0:
                raise PywbUnavailable(f"python -m venv .venv-pywb failed: {made.stderr.strip()[-500:]}")
        installed = subprocess.run(
            [
                str(python),
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "-r",
                str(PYWB_REQUIREMENTS),
            ],
            capture_output=True,
            text=True,
            timeout=900,
        )
        if installed.returncode != 0:
            raise PywbUnavailable(
                f"pip install -r tests/pywb-requirements.txt failed: {installed.stderr.strip()[-800:]}"
            )
        stamp.write_text(wanted + "\n")
        return PYWB_VENV


@dataclass(frozen=True, slots=True)
class ArchivedPage:
    """One capture put into a test archive."""

    url: str
    captured_at: datetime
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    status: int = 200

    @property
    def timestamp(self) -> str:
        return self.captured_at.strftime("%Y%m%d%H%M%S")


def write_warc(path: Path, pages: list[ArchivedPage]) -> Path:
    """A gzipped WARC with one response record per page, as a crawler would have written it."""
    with open(path, "wb") as handle:
        writer = WARCWriter(handle, gzip=True)
        for page in pages:
            reason = {200: "OK", 404: "Not Found", 301: "Moved Permanently"}.get(page.status, "Status")
            headers = StatusAndHeaders(
                f"{page.status} {reason}",
                [("Content-Type", page.content_type), ("Content-Length", str(len(page.body)))],
                protocol="HTTP/1.1",
            )
            record = writer.create_warc_record(
                page.url,
                "response",
                payload=io.BytesIO(page.body),
                length=len(page.body),
                http_headers=headers,
                warc_headers_dict={"WARC-Date": page.captured_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")},
            )
            writer.write_record(record)
    return path


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PywbServer:
    """`wayback` serving one collection built from `warc_files`; a context manager."""

    def __init__(self, root: Path, warc_files: list[Path], *, collection: str = "news") -> None:
        self.root = Path(root)
        self.warc_files = [Path(p) for p in warc_files]
        self.collection = collection
        self.port = _free_port()
        self.process: subprocess.Popen | None = None
        self._log = None

    @property
    def base_url(self) -> str:
        """The archive prefix: `--archive` value, CDX at `{base_url}/cdx`."""
        return f"http://127.0.0.1:{self.port}/{self.collection}"

    def _run(self, *args: str) -> None:
        done = subprocess.run(
            [str(PYWB_VENV / "bin" / args[0]), *args[1:]], cwd=self.root, capture_output=True, text=True, timeout=120
        )
        if done.returncode != 0:
            raise PywbUnavailable(f"{' '.join(args)} failed: {done.stderr.strip()[-800:]}")

    def __enter__(self) -> PywbServer:
        ensure_pywb_venv()
        self.root.mkdir(parents=True, exist_ok=True)
        self._run("wb-manager", "init", self.collection)
        for warc in self.warc_files:
            self._run("wb-manager", "add", self.collection, str(warc))
        self._log = open(self.root / "wayback.log", "wb")
        env = {**os.environ, "PYTHONWARNINGS": "ignore"}
        self.process = subprocess.Popen(
            [str(PYWB_VENV / "bin" / "wayback"), "-b", "127.0.0.1", "-p", str(self.port)],
            cwd=self.root,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=env,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                log = (self.root / "wayback.log").read_text(errors="replace")[-800:]
                raise PywbUnavailable(f"wayback exited with {self.process.returncode}: {log}")
            try:
                if requests.get(f"{self.base_url}/cdx", params={"url": "x.example"}, timeout=1).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.1)
        self.__exit__()
        raise PywbUnavailable("wayback did not answer within 60 s")

    def __exit__(self, *exc) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.process = None
        if self._log is not None:
            self._log.close()
            self._log = None


@contextmanager
def running_pywb(root: Path, warc_files: list[Path]) -> Iterator[PywbServer]:
    """A started pywb over `warc_files` for a fixture; skips the test when pywb cannot run here."""
    try:
        server = PywbServer(root / "archive", warc_files).__enter__()
    except PywbUnavailable as error:
        pytest.skip(f"pywb unavailable: {error}")
    try:
        yield server
    finally:
        server.__exit__(None, None, None)
