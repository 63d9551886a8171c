"""Warehouse benchmark: incremental load cost, load vs CTAS throughput, search latency.

Prints the figures issue 5 asks for, each against a baseline measured in the same run:

1. load of N_NEW new articles into an empty warehouse vs into one already holding N_BASE
   (goal: ratio <= 1.3: cost follows the new data, not the warehouse size);
2. load throughput relative to DuckDB's own `CREATE TABLE AS SELECT * FROM read_parquet(...)`
   on the same files (goal >= 0.5), with and without the full-text index update;
3. search latency p50/p95 at N_BASE articles (goal p50 <= 50 ms).

Synthetic articles: Zipf-distributed words from a generated vocabulary, so the FTS index has
a realistic shape. Usage: python bench/warehouse.py [--base 200000] [--new 10000] [--words 300]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import duckdb
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from transforms.records import Article  # noqa: E402
from warehouse import db, parquet  # noqa: E402

PUBLICATIONS = ["The Harbour Gazette", "Valley Herald", "Nordkurier Täglich", "Остров Вести", "Coastline Courier"]
BATCH = 10_000  # articles per write_articles call (one run's worth)


def vocabulary(size: int, rng: np.random.Generator) -> np.ndarray:
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    words = set()
    while len(words) < size:
        length = int(rng.integers(3, 11))
        words.add("".join(rng.choice(letters, length)))
    return np.array(sorted(words))


def make_articles(start: int, count: int, vocab: np.ndarray, words: int, rng: np.random.Generator) -> list[Article]:
    base = datetime(2010, 1, 1, tzinfo=timezone.utc)
    ranks = np.minimum(rng.zipf(1.2, size=count * words) - 1, len(vocab) - 1)
    tokens = vocab[ranks].reshape(count, words)
    articles = []
    for offset in range(count):
        number = start + offset
        url = f"https://news{number % 50}.example.com/{number // 1000}/story-{number}"
        body = " ".join(tokens[offset])
        text = "\n\n".join(body[i : i + 600] for i in range(0, len(body), 600))
        captured_at = base + timedelta(minutes=number * 7)
        articles.append(Article(
            article_id=hashlib.sha256(url.encode()).hexdigest()[:32],
            url=url,
            archive_url=None,
            captured_at=captured_at,
            publication=PUBLICATIONS[number % len(PUBLICATIONS)],
            domain=f"news{number % 50}.example.com",
            title=" ".join(tokens[offset][:8]).capitalize(),
            authors=(f"Author {number % 997}",),
            published_at=captured_at - timedelta(hours=3),
            language="en",
            text=text,
            word_count=words,
            content_hash=hashlib.sha256(text.encode()).hexdigest(),
            run_id=f"bench-{number // BATCH:04d}",
        ))
    return articles


def write(data_dir: Path, start: int, count: int, vocab, words, rng) -> list[Path]:
    paths = []
    for batch_start in range(start, start + count, BATCH):
        size = min(BATCH, start + count - batch_start)
        articles = make_articles(batch_start, size, vocab, words, rng)
        paths += parquet.write_articles(data_dir, articles, run_id=articles[0].run_id)
    return paths


def timed_load(data_dir: Path) -> tuple[float, db.LoadSummary]:
    started = time.perf_counter()
    summary = db.load(data_dir)
    return time.perf_counter() - started, summary


def ctas_seconds(files: list[Path], workdir: Path) -> float:
    target = workdir / "ctas.duckdb"
    target.unlink(missing_ok=True)
    con = duckdb.connect(str(target))
    started = time.perf_counter()
    con.execute("CREATE TABLE t AS SELECT * FROM read_parquet(?, hive_partitioning = false)", [[str(p) for p in files]])
    con.execute("CHECKPOINT")
    seconds = time.perf_counter() - started
    con.close()
    target.unlink()
    return seconds


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", type=int, default=200_000, help="articles already in the warehouse")
    parser.add_argument("--new", type=int, default=10_000, help="articles in the incremental load")
    parser.add_argument("--words", type=int, default=300, help="words per article")
    parser.add_argument("--queries", type=int, default=60, help="search queries to time")
    parser.add_argument("--workdir", type=Path, default=None, help="where to build the data (default: a temp dir)")
    args = parser.parse_args()

    rng = np.random.default_rng(20100101)
    vocab = vocabulary(30_000, rng)
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="bench-warehouse-"))
    workdir.mkdir(parents=True, exist_ok=True)
    empty_dir, full_dir = workdir / "empty", workdir / "full"
    for path in (empty_dir, full_dir):
        shutil.rmtree(path, ignore_errors=True)
    print(f"workdir {workdir}; {args.base} base + {args.new} new synthetic articles of {args.words} words", flush=True)

    started = time.perf_counter()
    write(full_dir, 0, args.base, vocab, args.words, rng)
    print(f"generated and wrote {args.base} base articles to Parquet in {time.perf_counter() - started:.1f} s", flush=True)
    base_load_s, base_summary = timed_load(full_dir)
    print(f"initial load of {args.base}: {base_load_s:.1f} s (FTS {base_summary.fts_update}: {base_summary.fts_duration_s:.1f} s)", flush=True)

    new_files_full = write(full_dir, args.base, args.new, vocab, args.words, np.random.default_rng(7))
    new_files_empty = write(empty_dir, args.base, args.new, vocab, args.words, np.random.default_rng(7))

    empty_s, empty_summary = timed_load(empty_dir)
    full_s, full_summary = timed_load(full_dir)
    assert empty_summary.new_article_count == full_summary.new_article_count == args.new
    ctas_s = statistics.median(ctas_seconds(new_files_empty, workdir) for _ in range(3))

    def merge_only(total: float, summary: db.LoadSummary) -> float:
        return total - summary.fts_duration_s

    print()
    print(f"== 1. Load {args.new} new articles: empty warehouse vs one holding {args.base}")
    print(f"   into empty:        {empty_s:6.2f} s  (merge {merge_only(empty_s, empty_summary):.2f} s + FTS {empty_summary.fts_update} {empty_summary.fts_duration_s:.2f} s)")
    print(f"   into {args.base}:    {full_s:6.2f} s  (merge {merge_only(full_s, full_summary):.2f} s + FTS {full_summary.fts_update} {full_summary.fts_duration_s:.2f} s)")
    print(f"   ratio full/empty:  {full_s / empty_s:6.2f}   (goal <= 1.3; merge only: {merge_only(full_s, full_summary) / merge_only(empty_s, empty_summary):.2f})")
    print(f"   for scale: a full FTS rebuild at {args.base} took {base_summary.fts_duration_s:.1f} s")
    print()
    print(f"== 2. Load throughput vs CREATE TABLE AS SELECT * FROM read_parquet(...) on the same {len(new_files_empty)} files")
    print(f"   CTAS:              {ctas_s:6.2f} s  ({args.new / ctas_s:,.0f} articles/s)")
    print(f"   load, merge only:  {merge_only(empty_s, empty_summary):6.2f} s  -> throughput ratio {ctas_s / merge_only(empty_s, empty_summary):.2f} (goal >= 0.5)")
    print(f"   load incl. FTS:    {empty_s:6.2f} s  -> throughput ratio {ctas_s / empty_s:.2f}")
    print(f"   incremental (into {args.base}) merge only: ratio {ctas_s / merge_only(full_s, full_summary):.2f}; incl. FTS: {ctas_s / full_s:.2f}")

    # 3. search latency at base + new articles, through one read-only connection (as a server
    #    or notebook would) and through db.query (opens the file per query, as the CLI does)
    query_rng = np.random.default_rng(3)
    queries = []
    for _ in range(args.queries):
        size = int(query_rng.integers(1, 4))
        ranks = query_rng.integers(20, 5_000, size=size)  # skip the very commonest words, as people do
        queries.append(" ".join(vocab[ranks]))
    sql = "SELECT * FROM search(?, max_rows := 10)"  # as warehouse.search.search sends it
    con = db.connect(full_dir, read_only=True)
    con.execute(sql, [queries[0]]).fetchall()  # warm-up
    connection_ms = []
    for words in queries:
        t0 = time.perf_counter()
        con.execute(sql, [words]).fetchall()
        connection_ms.append((time.perf_counter() - t0) * 1000)
    con.close()
    cli_ms = []
    for words in queries[:20]:
        t0 = time.perf_counter()
        db.query(full_dir, sql, [words])
        cli_ms.append((time.perf_counter() - t0) * 1000)
    total = args.base + args.new
    print()
    print(f"== 3. Search latency at {total} articles ({len(queries)} queries of 1-3 words, top 10 with snippets)")
    print(f"   open connection:   p50 {percentile(connection_ms, 0.5):6.1f} ms  p95 {percentile(connection_ms, 0.95):6.1f} ms  (goal p50 <= 50 ms)")
    print(f"   per call (opens the file, as the CLI): p50 {percentile(cli_ms, 0.5):6.1f} ms  p95 {percentile(cli_ms, 0.95):6.1f} ms")
    print()
    print(f"machine: {os.cpu_count()} cores, load average {' / '.join(f'{x:.1f}' for x in os.getloadavg())} (1/5/15 min) at the end;"
          " timings are wall-clock and include waiting for the CPU")
    if args.workdir is None:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
