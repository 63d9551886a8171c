"""Ledger rows per file of one `newsarchive run --warc ...` over every real file, against the
response/resource/revisit records warcio 1.8 reads in each (ARC converted with arc2warc).

    .venv/bin/python -m bench.warc_real_run [--real ../shared/realworld-warc] [--data-dir DIR]

Prints the run's exit status and `Error:` lines, then one row per file: warcio's count ("fails"
where warcio cannot read the file), the ledger rows the run wrote, and whether they agree. Slow
(a whole run with extraction; a kept Prefect server, `newsarchive prefect-server start`, helps).
"""

from __future__ import annotations

import argparse
import glob
import subprocess
import sys
import tempfile
from pathlib import Path

import duckdb
from warcio.archiveiterator import ArchiveIterator

_CAPTURES = {"response", "resource", "revisit"}


def warcio_count(path: str) -> int | None:
    """Capture records warcio reads in `path`, or None when it cannot read the file."""
    try:
        with open(path, "rb") as handle:
            return sum(1 for record in ArchiveIterator(handle, arc2warc=True) if record.rec_type in _CAPTURES)
    except Exception:  # noqa: BLE001 - any failure of warcio means "warcio cannot read it"
        return None


def ledger_rows(data_dir: Path) -> dict[str, int]:
    files = [str(path) for path in (data_dir / "parquet" / "captures").rglob("*.parquet")]
    if not files:
        return {}
    sql = f"SELECT warc_file, count(*) FROM read_parquet({files!r}, hive_partitioning = false) GROUP BY 1"
    return dict(duckdb.sql(sql).fetchall())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--real", default=str(Path(__file__).resolve().parents[2] / "shared" / "realworld-warc"))
    parser.add_argument("--data-dir", default=None)
    args = parser.parse_args()
    files = sorted(p for p in glob.glob(f"{args.real}/*/*") if not p.endswith(".md"))
    data_dir = Path(args.data_dir or tempfile.mkdtemp(prefix="warc-real-run-"))
    command = [str(Path(sys.executable).parent / "newsarchive"), "run", "--data-dir", str(data_dir), "-q"]
    for path in files:
        command += ["--warc", path]
    result = subprocess.run(command, capture_output=True, text=True)
    print(f"exit status {result.returncode}")
    for line in result.stderr.splitlines():
        if line.startswith("Error:"):
            print(line[:200])
    rows = ledger_rows(data_dir)
    agree = 0
    for path in files:
        expected = warcio_count(path)
        got = rows.get(path, 0)
        agree += expected is None or expected == got
        name = path[len(args.real) + 1 :]
        print(f"{name:<62} warcio {'fails' if expected is None else expected:>5}  ledger {got:>5}")
    print(f"{agree}/{len(files)} files agree (or warcio fails); {sum(rows.values())} ledger rows; data in {data_dir}")


if __name__ == "__main__":
    main()
