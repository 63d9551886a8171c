"""A real pywb archive server for tests, in its own virtual environment.

pywb cannot share `.venv` with Prefect (it needs `redis<4` and `setuptools>=75,<81`), so it
gets `.venv-pywb/` in the repository root, created once from `tests/pywb-requirements.txt`
and reused while that file is unchanged. `PywbServer` writes nothing itself: give it WARC
files (`tests.support.factories.write_warc`), it runs `wb-manager init/add` and `wayback` on a
free port of 127.0.0.1, waits until the CDX API answers, and stops the process on exit.
`PYWB_PAGES` is what the session's archive (the `pywb_archive` fixture) holds.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests

from tests.support.factories import ArchivedPage, archived_article, article_html

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


def _at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


# The captures put into the session's test archive. `council-vote` is captured three times: the
# second capture has the same bytes as the first (same digest), the third is an update.
COUNCIL_V1 = archived_article(
    "https://harbour-gazette.example/news/council-vote",
    _at(2020, 1, 10, 8, 0, 0),
    "Council votes to rebuild the harbour wall",
)
PYWB_PAGES: list[ArchivedPage] = [
    COUNCIL_V1,
    ArchivedPage(COUNCIL_V1.url, _at(2020, 2, 10, 8, 0, 0), COUNCIL_V1.body),
    archived_article(COUNCIL_V1.url, _at(2020, 3, 10, 8, 0, 0), "Council votes to rebuild the harbour wall (updated)"),
    archived_article(
        "https://harbour-gazette.example/news/ferry-strike",
        _at(2020, 6, 1, 12, 30, 0),
        "Ferry crews announce a one-day strike",
    ),
    archived_article(
        "https://harbour-gazette.example/news/old-lighthouse",
        _at(2019, 12, 31, 23, 59, 59),
        "The old lighthouse gets a new keeper",
    ),
    archived_article(
        "https://harbour-gazette.example/news/market-day", _at(2021, 4, 2, 9, 15, 0), "Market day returns to the quay"
    ),
    # A non-UTF-8 page: raw id_ fetches must return these exact bytes.
    ArchivedPage(
        "https://harbour-gazette.example/news/cafe",
        _at(2020, 5, 5, 5, 5, 5),
        article_html("Caf\u00e9 owners welcome the new pier", 5, charset="iso-8859-1").encode("latin-1"),
        content_type="text/html; charset=iso-8859-1",
    ),
    # Not articles: filtered out by the CDX source (not HTML, not 200).
    ArchivedPage(
        "https://harbour-gazette.example/img/wall.png",
        _at(2020, 1, 10, 8, 0, 1),
        b"\x89PNG\r\n\x1a\n",
        content_type="image/png",
    ),
    ArchivedPage(
        "https://harbour-gazette.example/news/deleted", _at(2020, 1, 11, 8, 0, 0), b"<html>gone</html>", status=404
    ),
    # Another outlet: not matched by the `harbour-gazette.example/*` pattern.
    archived_article("https://valley-post.example/story/flood", _at(2020, 7, 7, 7, 7, 7), "River flood warning lifted"),
]
