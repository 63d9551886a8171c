"""What `newsarchive run` shows while it works, and how fast a run with nothing to do answers:
the live display on a pseudo-terminal, the plain line elsewhere, and a done rerun that never
talks to Prefect."""

from __future__ import annotations

import os
import pty
import re
import socket
import subprocess
import threading
from datetime import UTC, datetime

from flows.cli.progress import plain_line
from flows.progress import RunProgress
from tests.support.cli import BIN, newsarchive
from tests.support.factories import archived_article, write_warc

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def test_the_plain_progress_line():
    # total not known yet: no share, no time left
    assert plain_line(RunProgress(120, None, 98, 22, 0), 10.0) == "120 captures, 12.0/s, 98 articles, 22 rejections"
    # total known: done/total and the time left at the rate so far
    line = plain_line(RunProgress(120, 600, 98, 22, 5), 10.0)
    assert line == "120/600 captures, 12.0/s, 0:40 left, 98 articles, 22 rejections"
    # nothing done yet: no rate
    assert plain_line(RunProgress(0, None, 0, 0, 0), 0.0) == "0 captures, 0 articles, 0 rejections"


def test_a_terminal_shows_a_live_progress_display(tmp_path, prefect_server):
    pages = [
        archived_article(f"http://news.example/story/{n}", datetime(2020, 1, 1, tzinfo=UTC), f"Story {n}")
        for n in range(600)
    ]
    warc = write_warc(tmp_path / "crawl.warc.gz", pages)
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [str(BIN), "run", "--warc", str(warc), "--batch-size", "50", "--data-dir", str(tmp_path / "data")],
        stdout=subprocess.PIPE,
        stderr=follower,
        text=True,
        env=dict(os.environ),
    )
    os.close(follower)
    chunks: list[bytes] = []

    def read() -> None:
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the terminal's other end closed: the run ended
                return
            if not chunk:
                return
            chunks.append(chunk)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    stdout, _ = process.communicate(timeout=600)
    reader.join(timeout=10)
    os.close(leader)
    assert process.returncode == 0
    assert "600 captures in" in stdout
    screen = ANSI.sub("", b"".join(chunks).decode("utf-8", "replace"))
    assert "Ingesting" in screen
    # The live line: done/total once the input is read, the rate, articles and rejections so far.
    assert re.search(r"captures .*\d+/600 .*/s .* articles, 0 rejections", screen), screen[-2000:]


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_rerun_with_nothing_new_answers_without_prefect(tmp_path, prefect_server):
    data_dir = tmp_path / "data"
    first = newsarchive("run", "--data-dir", str(data_dir))
    assert first.returncode == 0, first.stderr
    # No Prefect server at this address: the rerun can only succeed if it never asks one.
    nowhere = {**os.environ, "PREFECT_API_URL": f"http://127.0.0.1:{_closed_port()}/api"}
    again = newsarchive("run", "--data-dir", str(data_dir), env=nowhere)
    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines() == [
        "Nothing new: all 78 captures were already ingested.",
        "Articles in the warehouse: 68",
    ]
