"""The raw archive: every fetched response appended to WARC files that survive a kill."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

from flows.acquire.captures import Capture, CaptureRef
from flows.acquire.rawarchive import RawArchive
from flows.acquire.warc import read_capture_at


def test_raw_archive_rotates_and_survives_a_torn_last_record(tmp_path):
    archive = RawArchive(tmp_path, max_file_bytes=3000)
    locations = []
    for i in range(6):
        capture = Capture(
            ref=CaptureRef(url=f"http://news.example/{i}"),
            body=b"<p>x</p>" * 100,
            http_status=200,
            headers={"Content-Type": "text/html"},
        )
        locations.append(archive.write(capture))
    archive.close()
    files = sorted({path for path, _ in locations})
    assert len(files) > 1  # rotated by size
    # Simulate a kill mid-write: cut the last file in the middle of its last record.
    last = files[-1]
    with open(last, "rb") as handle:
        data = handle.read()
    last_offset = max(offset for path, offset in locations if path == last)
    with open(last, "wb") as handle:
        handle.write(data[: last_offset + 40])
    for path, offset in locations:
        if (path, offset) == (last, last_offset):
            continue
        assert read_capture_at(path, offset).body == b"<p>x</p>" * 100


KILLED_WRITER = """
import sys
from flows.acquire.captures import Capture, CaptureRef
from flows.acquire.rawarchive import RawArchive

archive = RawArchive(sys.argv[1])
i = 0
while True:
    capture = Capture(ref=CaptureRef(url=f"http://news.example/{i}"), body=(b"<p>%d</p>" % i) * 2000,
                      http_status=200, headers={"Content-Type": "text/html"})
    path, offset = archive.write(capture)
    print(path, offset, i, flush=True)
    i += 1
"""


def test_raw_archive_keeps_every_record_written_before_a_kill(tmp_path):
    """SIGKILL a process that is writing records as fast as it can: every record it reported
    as written is still readable (the torn tail, if any, hurts no earlier record)."""
    repo = Path(__file__).resolve().parents[2]
    writer = subprocess.Popen(
        [sys.executable, "-c", KILLED_WRITER, str(tmp_path)], cwd=repo, stdout=subprocess.PIPE, text=True
    )
    reported = []
    for line in writer.stdout:
        reported.append(line.split())
        if len(reported) == 200:
            break
    writer.send_signal(signal.SIGKILL)
    # Read the rest through the same text stream: communicate() would miss what its buffer holds
    # and see a torn line ("0001.warc.gz 5120 7") as a whole one.
    rest = writer.stdout.read()
    writer.wait(timeout=10)
    reported += [line.split() for line in rest.splitlines() if len(line.split()) == 3]
    assert len(reported) >= 200
    for path, offset, i in reported:
        assert read_capture_at(path, int(offset)).body == (b"<p>%d</p>" % int(i)) * 2000
