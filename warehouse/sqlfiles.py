"""The SQL files of warehouse/sql/, read as text or split into statements.

A file may include a fragment file by name: `{{rank_articles}}` is replaced by the text of
`sql/rank_articles.sql` (its comment lines dropped, on one line). That is how a rule written
once in SQL, such as which row of a key wins, is shared by the loader's merge and the Parquet
views (sql/merge_*.sql and sql/parquet_view_*.sql both include sql/rank_*.sql).
"""

from __future__ import annotations

import functools
import importlib.resources
import re

import duckdb

from warehouse.connection import prepare

_INCLUDE = re.compile(r"\{\{\s*([a-z_]+)\s*\}\}")


def _read(name: str) -> str:
    return importlib.resources.files("warehouse").joinpath("sql", name).read_text(encoding="utf-8")


def fragment(name: str) -> str:
    """The fragment `sql/<name>.sql` as one line, without its comment lines."""
    lines = [line for line in _read(f"{name}.sql").splitlines() if not line.lstrip().startswith("--")]
    return " ".join(" ".join(lines).split())


def sql_text(name: str) -> str:
    """A file from warehouse/sql/, with its `{{fragment}}` includes filled in."""
    return _INCLUDE.sub(lambda match: fragment(match.group(1)), _read(name))


def sql_statements(name: str) -> list[str]:
    """The statements of a .sql file, in order (split by the parser, so comments are fine)."""
    return [statement.query for statement in _parser().extract_statements(sql_text(name))]


@functools.cache
def _parser() -> duckdb.DuckDBPyConnection:
    return prepare(duckdb.connect(":memory:"))
