"""The SQL sandbox: DuckDB's own settings on every connection that runs a user's SQL.

`newsarchive sql` checks statement types for a clear message (warehouse/query.py), but a
guard made of statement names misses forms (EXPLAIN ANALYZE runs its statement). The engine
is the barrier: once `lock_down` has run, no statement can read or write a file, reach the
network, load an extension or change a setting (sql/sandbox.sql says what each setting
blocks). What a connection needs (the fts extension, the Parquet fallback's datasets) is set
up before it.

Two table functions of DuckDB 1.5 change the logging configuration despite the lock
(`enable_logging`, `disable_logging`; their file storage still cannot write): they are refused
by name in `refuse_unlocked_functions`.
"""

from __future__ import annotations

import duckdb

from warehouse.connection import WarehouseError
from warehouse.sqlfiles import sql_statements

# Functions that change settings although lock_configuration is on (DuckDB 1.5.5).
UNLOCKED_FUNCTIONS = frozenset({"enable_logging", "disable_logging", "truncate_duckdb_logs"})


class SandboxRefused(WarehouseError):
    """The SQL calls a function the sandbox does not allow."""


def lock_down(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """No files, no network, no extension loading, no setting changes from here on (sql/sandbox.sql)."""
    for statement in sql_statements("sandbox.sql"):
        con.execute(statement)
    return con


def is_locked(con: duckdb.DuckDBPyConnection) -> bool:
    row = con.execute(
        "SELECT current_setting('lock_configuration') AND NOT current_setting('enable_external_access')"
    ).fetchone()
    return bool(row and row[0])


def refuse_unlocked_functions(sql: str) -> None:
    """Refuse calls of UNLOCKED_FUNCTIONS (a name followed by '(', outside strings and comments)."""
    tokens = duckdb.tokenize(sql)
    for (offset, kind), following in zip(tokens, tokens[1:], strict=False):
        if kind not in (duckdb.token_type.identifier, duckdb.token_type.keyword):
            continue
        name = sql[offset : following[0]].strip().strip('"').lower()
        if name in UNLOCKED_FUNCTIONS and sql[following[0] : following[0] + 1] == "(":
            raise SandboxRefused(f"refused: {name}() changes DuckDB's configuration, which is locked here")
