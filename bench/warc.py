"""Records per second of the WARC reader against plain FastWARC iteration over the same files
(every record, the payload of each response/resource/revisit read), at two levels:

- `records`: the record reader (flows/acquire/warcrecords.iter_records: every record read and
  counted, its payload and headers taken out, warcio's fallback per record where FastWARC stops);
- `captures`: the whole of flows/acquire/warc.read_warc, which also makes each capture the run
  ingests (a `CaptureRef` and a `Capture` per record, bodies de-chunked and decoded, feeds
  told apart, revisits resolved).

    .venv/bin/python -m bench.warc [--repeat 5] [--real ../shared/realworld-warc]

Files: a clean 400-capture gzipped WARC written here (a request record before each response,
as crawlers write), and every real file FastWARC reads to its end. Prints one row per file set:
records, records/s of each (best of --repeat rounds, wall clock) and their ratio, and the ratio
of CPU seconds (best of the rounds; steadier than wall clock on a shared machine). Each round
times FastWARC and then the reader, so both see the same load.
"""

from __future__ import annotations

import argparse
import glob
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from fastwarc.warc import ArchiveIterator

from flows.acquire.warc import WarcInput, WarcReadError, read_warc
from flows.acquire.warcrecords import Tally, iter_records, sniff
from tests.fixtures import quirky_warcs as quirks

_PAYLOAD_TYPES = {"response", "resource", "revisit"}


def clean_file(directory: Path, count: int = 400) -> Path:
    """`count` responses (each after its request record), one gzip member per record."""
    records = [quirks.warcinfo()]
    for n in range(count):
        url = f"https://news.example.org/2021/{n}"
        request = f"GET /2021/{n} HTTP/1.1\r\nHost: news.example.org\r\n\r\n".encode()
        records.append(quirks.warc_record("request", url, request, content_type="application/http; msgtype=request"))
        records.append(quirks.response(url, quirks.page(n)))
    path = directory / "clean-400.warc.gz"
    path.write_bytes(quirks.members(*records))
    return path


def fastwarc_records(path: str) -> int:
    count = 0
    with open(path, "rb") as handle:
        for record in ArchiveIterator(handle, parse_http=True):
            count += 1
            if record.headers.get("WARC-Type") in _PAYLOAD_TYPES:
                record.reader.read()
    return count


def record_reader(path: str) -> int:
    tally = Tally()
    with open(path, "rb") as handle:
        kind = sniff(handle.read(4096))
        for _ in iter_records(handle, kind, tally):
            pass
    return tally.records


def reader_records(path: str) -> int:
    shared = WarcInput()
    count = sum(1 for _ in read_warc(path, shared=shared))
    count += sum(1 for _ in shared.finish())
    return count + sum(shared.other_records.values())


def fastwarc_reads_to_the_end(path: str) -> bool:
    try:
        fastwarc_records(path)
    except (OSError, ValueError):
        return False
    try:
        reader_records(path)
    except WarcReadError:
        return False
    return True


def timed(read: Callable[[str], int], paths: list[str]) -> tuple[int, float, float]:
    """Records read, wall seconds, CPU seconds."""
    wall, cpu = time.perf_counter(), time.process_time()
    records = sum(read(path) for path in paths)
    return records, time.perf_counter() - wall, time.process_time() - cpu


READERS: dict[str, Callable[[str], int]] = {
    "fastwarc": fastwarc_records,
    "records": record_reader,
    "captures": reader_records,
}


def best_times(paths: list[str], repeat: int) -> dict[str, tuple[int, float, float]]:
    """Per reader: records, best wall seconds, best CPU seconds over `repeat` interleaved rounds."""
    best: dict[str, tuple[int, float, float]] = {}
    for _ in range(repeat):
        for name, read in READERS.items():
            records, wall, cpu = timed(read, paths)
            before = best.get(name, (records, wall, cpu))
            best[name] = (records, min(before[1], wall), min(before[2], cpu))
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--real", default=str(Path(__file__).resolve().parents[2] / "shared" / "realworld-warc"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        sets = {"clean 400 captures": [str(clean_file(Path(tmp)))]}
        real = sorted(p for p in glob.glob(f"{args.real}/*/*") if not p.endswith(".md"))
        if real:
            sets["real files FastWARC reads"] = [p for p in real if fastwarc_reads_to_the_end(p)]
        print(
            f"{'files':<32} {'level':<9} {'records':>8} {'FastWARC rec/s':>15} {'ours rec/s':>11} {'ratio':>6} {'CPU ratio':>9}"
        )
        for name, paths in sets.items():
            best = best_times(paths, args.repeat)
            fast_count, fast_s, fast_cpu = best["fastwarc"]
            for level in ("records", "captures"):
                ours_count, ours_s, ours_cpu = best[level]
                fast_rate, ours_rate = fast_count / fast_s, ours_count / ours_s
                print(
                    f"{name + f' ({len(paths)})':<32} {level:<9} {fast_count:>8} {fast_rate:>15,.0f} {ours_rate:>11,.0f}"
                    f" {ours_rate / fast_rate:>6.2f} {fast_cpu / ours_cpu:>9.2f}"
                )
                if ours_count != fast_count:
                    print(f"  (records counted: FastWARC {fast_count}, ours {ours_count})")


if __name__ == "__main__":
    main()
