"""Warehouse benchmark: incremental load cost, load vs CTAS throughput, search latency.

Prints the figures issue 5 asks for, each against a baseline measured in the same run:

1. load of N_NEW new articles into an empty warehouse vs into one already holding N_BASE
   (goal: ratio <= 1.3: cost follows the new data, not the warehouse size). The empty
   warehouse is made first (tables and an empty search index, as any load makes them), so
   both loads take the same path: merge, then the incremental index update;
2. load throughput relative to DuckDB's own `CREATE TABLE AS SELECT * FROM read_parquet(...)`
   on the same files (goal >= 0.5), with and without the full-text index update;
3. search latency p50/p95 at N_BASE articles (goal p50 <= 50 ms);
4. for the pipeline's periodic loads: a load that defers the index (update_search_index=False)
   and the index load that follows it;
5. `newsarchive report` at N_BASE+ articles: the aggregates (DuckDB) and the page (altair),
   with the charts' JavaScript already cached (as on every report after a machine's first).

Search stems each article with its language's stemmer and, without a language, each query
word with every stemmer (issue 15); section 3 also times a search limited to one language.

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
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from transforms.records import Article  # noqa: E402 -- after the sys.path line above, so the script runs from a checkout
from warehouse import db, parquet  # noqa: E402 -- after the sys.path line above

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
    base = datetime(2010, 1, 1, tzinfo=UTC)
    ranks = np.minimum(rng.zipf(1.2, size=count * words) - 1, len(vocab) - 1)
    tokens = vocab[ranks].reshape(count, words)
    articles = []
    for offset in range(count):
        number = start + offset
        url = f"https://news{number % 50}.example.com/{number // 1000}/story-{number}"
        body = " ".join(tokens[offset])
        text = "\n\n".join(body[i : i + 600] for i in range(0, len(body), 600))
        captured_at = base + timedelta(minutes=number * 7)
        articles.append(
            Article(
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
            )
        )
    return articles


def write(data_dir: Path, start: int, count: int, vocab, words, rng) -> list[Path]:
    paths = []
    for batch_start in range(start, start + count, BATCH):
        size = min(BATCH, start + count - batch_start)
        articles = make_articles(batch_start, size, vocab, words, rng)
        paths += parquet.write_articles(data_dir, articles, run_id=articles[0].run_id)
    return paths


def timed_load(data_dir: Path) -> tuple[float, float, db.LoadSummary]:
    """(wall seconds, CPU seconds of this process, summary)."""
    started, cpu_started = time.perf_counter(), time.process_time()
    summary = db.load(data_dir)
    return time.perf_counter() - started, time.process_time() - cpu_started, summary


def ctas_seconds(files: list[Path], workdir: Path) -> tuple[float, float, None]:
    """DuckDB's own bulk load of the same files into a new file: (wall, CPU, None)."""
    target = workdir / "ctas.duckdb"
    target.unlink(missing_ok=True)
    con = duckdb.connect(str(target))
    started, cpu_started = time.perf_counter(), time.process_time()
    con.execute("CREATE TABLE t AS SELECT * FROM read_parquet(?, hive_partitioning = false)", [[str(p) for p in files]])
    con.execute("CHECKPOINT")
    measured = (time.perf_counter() - started, time.process_time() - cpu_started, None)
    con.close()
    target.unlink()
    return measured


def timed_queries(con: duckdb.DuckDBPyConnection, sql: str, queries: list[str]) -> list[float]:
    """Milliseconds per query, each run to its last row."""
    timings = []
    for words in queries:
        started = time.perf_counter()
        con.execute(sql, [words]).fetchall()
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def report_timing(full_dir: Path) -> None:
    """5. `newsarchive report`: aggregates in DuckDB, then the page (charts' JavaScript cached)."""
    from warehouse import report, report_html

    report_html.javascript_bundle()  # built once per machine and cached (~/.cache/newsarchive)
    started = time.perf_counter()
    report_data = report.collect(full_dir)
    collected_s = time.perf_counter() - started
    page = report_html.render(report_data)
    report_s = time.perf_counter() - started
    print()
    print(f"== 5. newsarchive report at {report_data.totals['article_count']} articles")
    print(
        f"   {report_s:6.2f} s  (aggregates in DuckDB {collected_s:.2f} s, charts and page {report_s - collected_s:.2f} s; page {len(page) / 1e6:.1f} MB)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", type=int, default=200_000, help="articles already in the warehouse")
    parser.add_argument("--new", type=int, default=10_000, help="articles in the incremental load")
    parser.add_argument("--words", type=int, default=300, help="words per article")
    parser.add_argument("--queries", type=int, default=60, help="search queries to time")
    parser.add_argument("--rounds", type=int, default=3, help="incremental loads measured (medians reported)")
    parser.add_argument("--workdir", type=Path, default=None, help="where to build the data (default: a temp dir)")
    args = parser.parse_args()

    rng = np.random.default_rng(20100101)
    vocab = vocabulary(30_000, rng)
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="bench-warehouse-"))
    workdir.mkdir(parents=True, exist_ok=True)
    full_dir = workdir / "full"
    shutil.rmtree(full_dir, ignore_errors=True)
    print(f"workdir {workdir}; {args.base} base + {args.new} new synthetic articles of {args.words} words", flush=True)

    started = time.perf_counter()
    write(full_dir, 0, args.base, vocab, args.words, rng)
    print(
        f"generated and wrote {args.base} base articles to Parquet in {time.perf_counter() - started:.1f} s", flush=True
    )
    base_load_s, _, base_summary = timed_load(full_dir)
    print(
        f"initial load of {args.base}: {base_load_s:.1f} s (FTS {base_summary.fts_update}: {base_summary.fts_duration_s:.1f} s)",
        flush=True,
    )

    # Rounds alternate the two cases so a burst of load from other processes hits both alike;
    # medians are reported, with CPU time (this process, all DuckDB threads) next to wall time.
    rounds = []
    for round_number in range(args.rounds):
        start = args.base + round_number * args.new
        round_empty = workdir / f"empty-{round_number}"
        shutil.rmtree(round_empty, ignore_errors=True)
        db.load(round_empty)  # an empty warehouse: tables and an empty search index
        write(full_dir, start, args.new, vocab, args.words, np.random.default_rng(start))
        files = write(round_empty, start, args.new, vocab, args.words, np.random.default_rng(start))
        order = ["empty", "full"] if round_number % 2 == 0 else ["full", "empty"]
        measured = {}
        for case in order:
            measured[case] = timed_load(round_empty if case == "empty" else full_dir)
        assert measured["empty"][2].new_article_count == measured["full"][2].new_article_count == args.new
        assert measured["empty"][2].fts_update == measured["full"][2].fts_update == "incremental"
        measured["ctas"] = ctas_seconds(files, workdir)
        rounds.append(measured)
        shutil.rmtree(round_empty, ignore_errors=True)
        print(
            f"round {round_number + 1}: empty {measured['empty'][0]:.2f} s, full {measured['full'][0]:.2f} s, CTAS {measured['ctas'][0]:.2f} s"
            f"  (load average {os.getloadavg()[0]:.1f})",
            flush=True,
        )

    def median(case: str, part: str) -> float:
        values = []
        for measured in rounds:
            wall, cpu, summary = measured[case]
            fts = summary.fts_duration_s if summary is not None else 0.0
            values.append({"wall": wall, "cpu": cpu, "merge": wall - fts, "fts": fts}[part])
        return statistics.median(values)

    empty_s, full_s = median("empty", "wall"), median("full", "wall")
    empty_merge, full_merge = median("empty", "merge"), median("full", "merge")
    ctas_s, ctas_cpu = median("ctas", "wall"), median("ctas", "cpu")
    total_after = args.base + args.rounds * args.new
    print()
    print(
        f"== 1. Load {args.new} new articles: empty warehouse vs one holding {args.base}+ (median of {args.rounds} rounds;"
        " both: merge + incremental index update)"
    )
    print(
        f"   {'into empty:':18} {empty_s:6.2f} s wall, {median('empty', 'cpu'):6.2f} s CPU  (merge {empty_merge:.2f} s + search index {median('empty', 'fts'):.2f} s)"
    )
    print(
        f"   {f'into {args.base}+:':18} {full_s:6.2f} s wall, {median('full', 'cpu'):6.2f} s CPU  (merge {full_merge:.2f} s + search index {median('full', 'fts'):.2f} s)"
    )
    print(
        f"   ratio full/empty:  {full_s / empty_s:6.2f} wall, {median('full', 'cpu') / median('empty', 'cpu'):.2f} CPU   (goal <= 1.3; merge only: {full_merge / empty_merge:.2f})"
    )
    print(
        f"   for scale: building the search index for all {args.base} at once took {base_summary.fts_duration_s:.1f} s"
    )
    print()
    print("== 2. Load throughput vs CREATE TABLE AS SELECT * FROM read_parquet(...) on the same files (into empty)")
    print(f"   CTAS:              {ctas_s:6.2f} s wall, {ctas_cpu:6.2f} s CPU  ({args.new / ctas_s:,.0f} articles/s)")
    print(
        f"   load, merge only:  {empty_merge:6.2f} s wall  -> throughput ratio {ctas_s / empty_merge:.2f} (goal >= 0.5)"
    )
    print(
        f"   load incl. index:  {empty_s:6.2f} s wall, {median('empty', 'cpu'):6.2f} s CPU  -> ratio {ctas_s / empty_s:.2f} wall, {ctas_cpu / median('empty', 'cpu'):.2f} CPU"
    )

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
    connection_ms, connection_cpu_ms = [], []
    for words in queries:
        t0, c0 = time.perf_counter(), time.process_time()
        con.execute(sql, [words]).fetchall()
        connection_ms.append((time.perf_counter() - t0) * 1000)
        connection_cpu_ms.append((time.process_time() - c0) * 1000)
    language_ms = timed_queries(con, "SELECT * FROM search(?, max_rows := 10, in_language := 'en')", queries)
    con.close()
    cli_ms = []
    for words in queries[:20]:
        t0 = time.perf_counter()
        db.query(full_dir, sql, [words])
        cli_ms.append((time.perf_counter() - t0) * 1000)
    total = total_after

    # 4. the pipeline's periodic loads: merge now, index later
    start = total_after
    write(full_dir, start, args.new, vocab, args.words, np.random.default_rng(start))
    started, cpu_started = time.perf_counter(), time.process_time()
    deferred = db.load(full_dir, update_search_index=False)
    deferred_s, deferred_cpu = time.perf_counter() - started, time.process_time() - cpu_started
    index_s, index_cpu, index_summary = timed_load(full_dir)
    assert (deferred.fts_update, deferred.fts_pending_count, index_summary.fts_pending_count) == (
        "deferred",
        args.new,
        0,
    )
    print()
    print(f"== 3. Search latency at {total} articles ({len(queries)} queries of 1-3 words, top 10 with snippets)")
    print(
        f"   open connection:   p50 {percentile(connection_ms, 0.5):6.1f} ms  p95 {percentile(connection_ms, 0.95):6.1f} ms  (goal p50 <= 50 ms)"
        f"; CPU p50 {percentile(connection_cpu_ms, 0.5):.1f} ms"
    )
    print(
        f"   one language (in_language 'en'): p50 {percentile(language_ms, 0.5):6.1f} ms  p95 {percentile(language_ms, 0.95):6.1f} ms"
    )
    print(
        f"   per call (opens the file, as the CLI): p50 {percentile(cli_ms, 0.5):6.1f} ms  p95 {percentile(cli_ms, 0.95):6.1f} ms"
    )
    print()
    print(f"== 4. Deferred index (periodic loads during a run): {args.new} new articles into {total}")
    print(f"   load, update_search_index=False: {deferred_s:6.2f} s wall, {deferred_cpu:6.2f} s CPU")
    print(
        f"   next load, indexes them:         {index_s:6.2f} s wall, {index_cpu:6.2f} s CPU  (index {index_summary.fts_duration_s:.2f} s)"
    )
    report_timing(full_dir)
    print()
    print(
        f"machine: {os.cpu_count()} cores, load average {' / '.join(f'{x:.1f}' for x in os.getloadavg())} (1/5/15 min) at the end;"
        " timings are wall-clock and include waiting for the CPU"
    )
    if args.workdir is None:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
