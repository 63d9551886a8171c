"""Full-text search over articles: BM25 on title + text, with a snippet.

A thin wrapper over the `search` table macro (sql/search.sql) so the CLI, tests and users in
the duckdb shell get the same ranking. While a load holds the warehouse, the same macro name
over the Parquet views answers with a plain term-count ranking (sql/search_fallback.sql).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from warehouse.connection import WarehouseError
from warehouse.layout import Location
from warehouse.query import run_query

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
    location: Location,
    words: str,
    *,
    limit: int = 10,
    publication: str | None = None,
    published_from: date | None = None,
    published_to: date | None = None,
) -> SearchResult:
    """Best-matching articles first. `published_to` is inclusive (the whole day).

    Articles loaded with `load(..., update_search_index=False)` (periodic loads during a
    run) are not found until a later load updates the index; an article such a load replaced
    is left out until then too, never shown for words it no longer contains.
    """
    if not words.strip():
        raise WarehouseError("nothing to search for: give one or more words")
    if limit < 1:
        raise WarehouseError("limit must be at least 1")
    # Only the filters given are passed: the others keep the macro's NULL defaults, which the
    # planner folds away (an unfiltered search then never scans the articles table).
    filters = {
        "in_publication": publication,
        "published_from": _day(published_from),
        "published_to": _day(published_to),
    }
    given = {name: value for name, value in filters.items() if value is not None}
    sql = SEARCH_SQL.format(filters="".join(f", {name} := ?" for name in given))
    result = run_query(location, sql, [words, limit, *given.values()])
    hits = [_hit(result.columns, row) for row in result.rows]
    return SearchResult(hits, "bm25" if result.source == "warehouse" else "term-count")


def _hit(columns: list[str], row: tuple) -> SearchHit:
    """A row of the `search` macro as a SearchHit, by column name (the macro's column order is its own)."""
    values = dict(zip(columns, row, strict=True))
    try:
        return SearchHit(**{name: values[name] for name in SearchHit.__dataclass_fields__})
    except KeyError as error:
        raise WarehouseError(
            f"the search macro returned no {error} column: the warehouse's views are out of date"
        ) from error


def _day(value: date | None) -> str | None:
    if value is None:
        return None
    return value.date().isoformat() if isinstance(value, datetime) else value.isoformat()
