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
from warehouse.query import filter_hints, run_query

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
    hint: str | None = None  # why nothing matched, when a filter names nothing in the warehouse


def search(
    location: Location,
    words: str,
    *,
    limit: int = 10,
    publication: str | None = None,
    published_from: date | None = None,
    published_to: date | None = None,
    language: str | None = None,
) -> SearchResult:
    """Best-matching articles first. `published_to` is inclusive (the whole day).

    Each article is indexed with its language's Snowball stemmer (sql/search_stemmer.sql).
    `language` (ISO 639-1, e.g. 'ru') keeps the articles in that language and stems the words
    with its stemmer; without it, each word is stemmed for every language and an article
    matches on its own language's stem. `publication` matches case-insensitively; when no
    article matches and a filter names no publication or language the warehouse holds,
    `hint` says so and names the closest ones.

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
        "in_language": language.strip().lower() if language else None,
    }
    given = {name: value for name, value in filters.items() if value is not None}
    sql = SEARCH_SQL.format(filters="".join(f", {name} := ?" for name in given))
    result = run_query(location, sql, [words, limit, *given.values()])
    hits = [_hit(result.columns, row) for row in result.rows]
    hint = None if hits else _hint(location, publication, given.get("in_language"))
    return SearchResult(hits, "bm25" if result.source == "warehouse" else "term-count", hint)


def _hint(location: Location, publication: str | None, language: str | None) -> str | None:
    """Why a filtered search found nothing, if a filter names nothing the warehouse holds."""
    hints = filter_hints(
        [("publication", publication), ("language", language)],
        lambda sql: [row[0] for row in run_query(location, sql).rows],
    )
    return "; ".join(hints) if hints else None


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
