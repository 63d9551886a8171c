"""The write side of a run: task results in, deduplicated Parquet files and DuckDB loads out.

One owner for deduplication against the dataset, so batches finishing in any order give the
same rows. A capture's ledger row is written after its article: the ledger row is the commit
mark, and a run killed at any point resumes to the same final dataset. An article file that a
killed run wrote without its ledger rows is not a duplicate of anything: the capture that gives
that article again is recorded as its `article` (and the file, already there, is not written
twice).

The writer holds the data directory's lock (flows/datalock.py) while it lives: `newsarchive run`
takes it before the flow, and a scheduled run's flow takes it here.
"""

from __future__ import annotations

import logging
import time
import weakref

from flows import datalock
from flows.extraction import ArticleDeduplicator, BatchResult, RunTally
from warehouse import db, ledger, parquet
from warehouse.layout import DataLayout

log = logging.getLogger("newsarchive")

# What a run's loads may take from the machine they share with the extraction pool: during the
# run the pool has the cores, and at the end the index update gains nothing from a second
# thread or more memory (bench/README.md, the pipeline analysis).
RUN_LOAD_LIMITS: dict = {"threads": 1, "memory_limit": "128MB"}
# Results are written at least this often (seconds) while batches come back, however few
# captures they hold: a stopped or killed run keeps what it did up to a few seconds before.
WRITE_EVERY_S = 5.0


def write_batch(layout: DataLayout, batch: BatchResult, run_id: str) -> None:
    """Articles first, then the ledger rows: a ledger row is the commit mark of its capture."""
    if batch.articles:
        parquet.write_articles(layout, batch.articles, run_id=run_id)
    if batch.outcomes:
        parquet.write_captures(layout, batch.outcomes, run_id=run_id)


class RunWriter:
    """Deduplicates task results against the dataset, buffers them, writes them as Parquet
    every `write_every` captures (or `WRITE_EVERY_S` seconds) and loads DuckDB every
    `load_every` new articles."""

    def __init__(
        self,
        layout: DataLayout,
        run_id: str,
        *,
        known: dict[str, str],
        load: bool,
        write_every: int,
        load_every: int,
    ) -> None:
        """`known`: article_id → content_hash of the articles already in the dataset. Raises
        datalock.DataDirBusy when another process writes to the data directory."""
        datalock.acquire(layout.data_dir, "run", run_id=run_id, parquet_root=layout.parquet_root)
        weakref.finalize(self, datalock.release, layout.data_dir)
        self.layout, self.run_id = layout, run_id
        self.write_every, self.load_every = write_every, load_every
        self.loading = load
        self.dedupe = ArticleDeduplicator(known)
        self.tally = RunTally()
        self.unwritten = BatchResult()
        self.unloaded_count = 0  # written, not yet in DuckDB
        self.unindexed_count = 0  # in DuckDB, not yet in the search index
        self.new_article_count = 0
        self.input_done = False
        self.written_at = time.monotonic()
        # Articles in the dataset that no ledger row commits (a run killed between the two writes).
        # They count as not seen: their captures are done again (a fetch run's one-capture-per-URL
        # rule would skip them) and give them back as articles (`_adopt`).
        committed = ledger.committed_article_ids(layout) if known else set()
        self.uncommitted = {article_id: known[article_id] for article_id in known.keys() - committed}
        self.dedupe.seen -= self.uncommitted.keys()

    def add(self, batch: BatchResult, *, hold: bool = False) -> None:
        """`hold`: only buffer (rows that cost nothing to redo, e.g. invalid input lines).
        Batches that finish after the input ended are written as usual but not loaded: the
        run's final load follows them, and a load just before it would only add its fixed cost."""
        adopted = self._adopt(batch)
        batch = self.dedupe.filter(batch)
        # An adopted article whose row is already in the dataset, unchanged, is not written again.
        self.unwritten.articles.extend(a for a in batch.articles if adopted.get(a.article_id) != a.content_hash)
        self.unwritten.outcomes.extend(batch.outcomes)
        self.tally.add(batch)
        due = time.monotonic() - self.written_at >= WRITE_EVERY_S
        if not hold and (len(self.unwritten.outcomes) >= self.write_every or due):
            self.flush()
            if self.loading and not self.input_done and self.unloaded_count >= self.load_every:
                self.load()

    def _adopt(self, batch: BatchResult) -> dict[str, str]:
        """The uncommitted articles this batch gives again (article_id → the content_hash in
        the dataset): deduplication then takes them as new, not as duplicates of themselves."""
        adopted = {}
        if self.uncommitted:
            for article in batch.articles:
                if article.article_id in self.uncommitted:
                    adopted[article.article_id] = self.uncommitted.pop(article.article_id)
        return adopted

    def flush(self) -> None:
        self.written_at = time.monotonic()
        if self.unwritten.outcomes:
            write_batch(self.layout, self.unwritten, self.run_id)
            self.unloaded_count += len(self.unwritten.articles)
            self.unwritten = BatchResult()

    def input_ended(self, *, still_extracting: bool) -> None:
        """Called once no batch is left to submit. While the last ones still extract, load and
        index what is written now, so that the final load (with nothing left to overlap it)
        has only those batches to do."""
        self.input_done = True
        self.flush()
        if still_extracting and self.loading and (self.unloaded_count or self.unindexed_count):
            self.load(index=True)

    def load(self, *, index: bool = False) -> None:
        """Load what is written. Loads during the run merge rows only; the one when the input
        ends (`index`) also brings the search index up to date."""
        loaded = db.load(self.layout, update_search_index=index, **RUN_LOAD_LIMITS)
        self.loaded(loaded, indexed=index)

    def loaded(self, summary: db.LoadSummary, *, indexed: bool) -> None:
        """Count a load done here or by the `load-warehouse` sub-flow (the run's final load)."""
        self.new_article_count += summary.new_article_count
        self.unindexed_count = 0 if indexed else self.unindexed_count + self.unloaded_count
        self.unloaded_count = 0
