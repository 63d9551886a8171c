"""A run holds captures batch by batch: what the flow keeps in memory follows the batch size, the
in-flight limit and the write buffer (`write_every`), not the size of the input.

Measured with tracemalloc rather than RSS: the peak of Python allocations during a flow call is
exact and does not depend on sampling times. Each capture carries a large body (an HTML comment
of PADDING_BYTES), so a flow that held its input would show it at once: six times the input must
not raise the peak by more than a quarter of the extra bodies' size. `processes=1` keeps the
extraction out of a process pool; its pages (over 16 KB) are extracted in the guard process
(flows/extractguard.py), so tracemalloc sees what the flow itself holds: the captures in flight,
their results and the write buffer.

Not covered here: native memory (DuckDB's load, Arrow buffers). bench/pipeline.py measures the
whole run's RSS at 5,000 vs 20,000 captures.
"""

from __future__ import annotations

import tracemalloc

from flows.ingest import ingest
from flows.options import RunOptions
from tests.support.factories import article_html, write_warc

PADDING_BYTES = 96 * 1024
BATCH_SIZE = 10
MAX_IN_FLIGHT = 2
WRITE_EVERY = 20  # results are buffered up to this many captures before they are written
SMALL_COUNT, LARGE_COUNT = 40, 240


def _padded_page() -> bytes:
    # One body for every capture: extraction caches (trafilatura's lru_caches) then stay the
    # same size in both runs, and only what the flow holds can differ.
    html = article_html("Harbour wall repairs begin", 4)
    padding = "<!-- " + "archived page padding " * (PADDING_BYTES // 22) + " -->"
    return html.replace("</body>", padding + "</body>").encode("utf-8")


def _warc(path, count: int):
    body = _padded_page()
    return write_warc(
        path,
        [
            {
                "url": f"https://harbour-gazette.example/news/wall-repairs-{n}",
                "body": body,
                "date": "2019-03-04T10:15:00Z",
            }
            for n in range(count)
        ],
    )


def _run(warc, data_dir):
    options = RunOptions.build(
        warc_paths=[str(warc)],
        data_dir=str(data_dir),
        batch_size=BATCH_SIZE,
        max_in_flight=MAX_IN_FLIGHT,
        write_every=WRITE_EVERY,
        processes=1,
    )
    return ingest(options)


def _peak_above_start(warc, data_dir) -> tuple[int, object]:
    tracemalloc.reset_peak()
    start, _ = tracemalloc.get_traced_memory()
    summary = _run(warc, data_dir)
    _, peak = tracemalloc.get_traced_memory()
    return peak - start, summary


def test_peak_memory_follows_the_batch_size_not_the_input_size(prefect_server, tmp_path):
    small, large = _warc(tmp_path / "small.warc.gz", SMALL_COUNT), _warc(tmp_path / "large.warc.gz", LARGE_COUNT)
    _run(small, tmp_path / "warm-up")  # imports, clients, caches: allocated once, not by the input
    tracemalloc.start()
    try:
        small_peak, small_summary = _peak_above_start(small, tmp_path / "small")
        large_peak, large_summary = _peak_above_start(large, tmp_path / "large")
    finally:
        tracemalloc.stop()

    assert (small_summary.article_count, large_summary.article_count) == (SMALL_COUNT, LARGE_COUNT)
    # The instrument sees the captures: at least one whole batch of bodies was held at once.
    assert small_peak > BATCH_SIZE * PADDING_BYTES
    # Holding the input would add every extra body (200 x 96 KB = 18.75 MB) to the peak.
    extra_body_bytes = (LARGE_COUNT - SMALL_COUNT) * PADDING_BYTES
    assert large_peak - small_peak < extra_body_bytes / 4, (
        f"peak {small_peak / 2**20:.1f} MB for {SMALL_COUNT} captures, {large_peak / 2**20:.1f} MB for {LARGE_COUNT}"
    )
