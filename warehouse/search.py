"""Full-text search over articles: BM25 on title + text, with a snippet.

A thin wrapper over the `search` table macro (sql/search.sql) so the CLI, tests and users in
the duckdb shell get the same ranking. While a load holds the warehouse, the same macro name
over the Parquet views answers with a plain term-count ranking (sql/search_fallback.sql).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from warehouse import db

SEARCH_SQL = "SELECT * FROM search(?, max_rows := ?{filters})"


@dataclass(frozen=True, slots=True)
class SearchHit:
    score: float
    title: str
    publication: str | None
    published_at: datetime | None
    url: str
    snippet: str
    article_id: str


@dataclass(frozen=True, slots=True)
class SearchResult:
    hits: list[SearchHit]
    ranking: str  # "bm25" (warehouse) or "term-count" (Parquet fallback while a load runs)


def search(
    data_dir: Path,
    words: str,
    *,
    limit: int = 10,
    publication: str | None = None,
    published_from: date | None = None,
    published_to: date | None = None,
) -> SearchResult:
    """Best-matching articles first. `published_to` is inclusive (the whole day).

    Articles loaded with `db.load(..., update_search_index=False)` (periodic loads during a
    run) are not found until a later load updates the index; an article such a load replaced
    is left out until then too, never shown for words it no longer contains.
    """
    if not words.strip():
        raise db.WarehouseError("nothing to search for: give one or more words")
    if limit < 1:
        raise db.WarehouseError("limit must be at least 1")
    # Only the filters given are passed: the others keep the macro's NULL defaults, which the
    # planner folds away (an unfiltered search then never scans the articles table).
    filters = {
        "in_publication": publication,
        "published_from": _day(published_from),
        "published_to": _day(published_to),
    }
    given = {name: value for name, value in filters.items() if value is not None}
    sql = SEARCH_SQL.format(filters="".join(f", {name} := ?" for name in given))
    result = db.run_query(data_dir, sql, [words, limit, *given.values()])
    hits = [SearchHit(*row) for row in result.rows]
    return SearchResult(hits, "bm25" if result.source == "warehouse" else "term-count")


def _day(value: date | None) -> str | None:
    if value is None:
        return None
    return value.date().isoformat() if isinstance(value, datetime) else value.isoformat()
