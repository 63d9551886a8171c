"""SQL that tries to get out of `newsarchive sql`'s sandbox: the cases of tests/reliability/.

Each case is a statement form that, on an unlocked DuckDB, would write a file, read a file
outside the dataset, reach the network or change a setting. They are built in code from a few
templates and targets (`escape_cases`), so adding a target or a wrapper adds every
combination. Placeholders are filled in by the test (`EscapeTargets.fill`):

    {canary}      a directory outside the data directory that nothing may write into
    {secret}      a file outside the data directory whose content must never be printed
    {secret_json} the same secret as a JSON document
    {outside_parquet}  a Parquet file outside the dataset holding the secret
    {warehouse}   the data directory's warehouse.duckdb (must stay byte-identical)
    {parquet_file}  one Parquet file of the dataset (must stay byte-identical)
    {parquet_dir}   the articles dataset's directory (nothing may be planted in it)
    {url}         a server on 127.0.0.1 that serves the secret and counts requests (must get none)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class EscapeCase:
    case_id: str
    sql: str  # with {placeholders}
    goal: str  # what it would do without the sandbox: write, read, network, configure


@dataclass(frozen=True, slots=True)
class EscapeTargets:
    canary: Path
    secret: Path
    secret_json: Path
    outside_parquet: Path
    warehouse: Path
    parquet_file: Path
    parquet_dir: Path
    url: str

    @classmethod
    def around(cls, outside: Path, data_dir: Path, url: str) -> EscapeTargets:
        """The targets for a warehouse in `data_dir`, with canaries and secrets in `outside`."""
        from warehouse import parquet

        return cls(
            canary=outside / "canary",
            secret=outside / "secret.txt",
            secret_json=outside / "secret.json",
            outside_parquet=outside / "secret.parquet",
            warehouse=data_dir / "warehouse.duckdb",
            parquet_file=parquet.list_files(data_dir, "articles")[0],
            parquet_dir=data_dir / "parquet" / "articles",
            url=url,
        )

    def fill(self, sql: str) -> str:
        return sql.format(
            canary=self.canary,
            secret=self.secret,
            secret_json=self.secret_json,
            outside_parquet=self.outside_parquet,
            warehouse=self.warehouse,
            parquet_file=self.parquet_file,
            parquet_dir=self.parquet_dir,
            url=self.url,
        )


# Where a write could land: outside, over the warehouse, over or beside the dataset's files,
# and relative to the working directory.
WRITE_TARGETS = {
    "canary": "{canary}/written.csv",
    "warehouse": "{warehouse}",
    "dataset-file": "{parquet_file}",
    "planted-article": "{parquet_dir}/publication_slug=planted/year=2020/part-planted.parquet",
    "relative": "relative-written.csv",
}
# Ways to write a query's rows to a file; {target} is one of WRITE_TARGETS.
WRITE_FORMS = {
    "copy": "COPY (SELECT * FROM articles LIMIT 1) TO '{target}' (FORMAT parquet)",
    "explain-analyze-copy": "EXPLAIN ANALYZE COPY (SELECT * FROM articles LIMIT 1) TO '{target}' (FORMAT parquet)",
    "explain-analyze-copy-csv": "EXPLAIN ANALYZE COPY articles TO '{target}'",
}
# Ways to read a file; {path} is the secret (or the outside Parquet file).
READ_FORMS = {
    "read_csv": "SELECT * FROM read_csv('{secret}', header = false)",
    "read_csv_auto": "SELECT * FROM read_csv_auto('{secret}')",
    "read_text": "SELECT content FROM read_text('{secret}')",
    "read_blob": "SELECT content FROM read_blob('{secret}')",
    "read_json": "SELECT * FROM read_json('{secret_json}')",
    "read_json_auto": "SELECT * FROM read_json_auto('{secret_json}')",
    "read_parquet": "SELECT * FROM read_parquet('{outside_parquet}')",
    "parquet_metadata": "SELECT * FROM parquet_metadata('{outside_parquet}')",
    "replacement-scan": "SELECT * FROM '{secret}'",
    "from-first": "FROM read_text('{secret}')",
    "list-of-paths": "SELECT content FROM read_text(['{secret}'])",
    "file-uri": "SELECT content FROM read_text('file://{secret}')",
    "dot-dot": "SELECT content FROM read_text('{canary}/../secret.txt')",
    "sniff_csv": "SELECT * FROM sniff_csv('{secret}')",
    "glob": "SELECT * FROM glob('{canary}/../*')",
    "in-a-cte": "WITH leak AS (SELECT content FROM read_text('{secret}')) SELECT * FROM leak",
    "in-a-subquery": "SELECT (SELECT content FROM read_text('{secret}')) AS leak",
    "query-function": "SELECT * FROM query('SELECT content FROM read_text(''{secret}'')')",
    "explain-analyze-read": "EXPLAIN ANALYZE SELECT content FROM read_text('{secret}')",
    "describe-read": "DESCRIBE SELECT * FROM read_csv('{secret}')",
    "summarize-read": "SUMMARIZE SELECT * FROM read_csv('{secret}')",
    "copy-from": "COPY articles FROM '{secret}'",
}
NETWORK_FORMS = {
    "http-read_text": "SELECT content FROM read_text('{url}/secret.csv')",
    "http-read_csv": "SELECT * FROM read_csv('{url}/secret.csv')",
    "http-replacement-scan": "SELECT * FROM '{url}/secret.csv'",
    "http-parquet": "SELECT * FROM read_parquet('{url}/data.parquet')",
    "s3-parquet": "SELECT * FROM read_parquet('s3://newsarchive-escape/data.parquet')",
    "explain-analyze-http": "EXPLAIN ANALYZE SELECT content FROM read_text('{url}/secret.csv')",
    "copy-to-http": "COPY (SELECT 1) TO '{url}/upload.csv'",
}
# Everything else: extensions, settings, other databases, secrets, logging, several statements.
OTHER_FORMS = {
    "install": ("INSTALL fts", "configure"),
    "install-path": ("INSTALL '{canary}/evil.duckdb_extension'", "configure"),
    "explain-analyze-install": ("EXPLAIN ANALYZE INSTALL httpfs", "configure"),
    "explain-analyze-load": ("EXPLAIN ANALYZE LOAD httpfs", "configure"),
    "explain-analyze-load-path": ("EXPLAIN ANALYZE LOAD '{canary}/evil.duckdb_extension'", "configure"),
    "load": ("LOAD httpfs", "configure"),
    "set-external-access": ("SET enable_external_access = true", "configure"),
    "explain-analyze-set": ("EXPLAIN ANALYZE SET enable_external_access = true", "configure"),
    "explain-analyze-unlock": ("EXPLAIN ANALYZE SET lock_configuration = false", "configure"),
    "explain-analyze-reset": ("EXPLAIN ANALYZE RESET lock_configuration", "configure"),
    "explain-analyze-allowed-directories": ("EXPLAIN ANALYZE SET allowed_directories = ['/']", "configure"),
    "explain-analyze-profiling-output": (
        "EXPLAIN ANALYZE SET profiling_output = '{canary}/profile.json'",
        "write",
    ),
    "explain-analyze-temp-directory": ("EXPLAIN ANALYZE SET temp_directory = '{canary}'", "write"),
    "pragma-profiling": ("PRAGMA enable_profiling = 'json'", "configure"),
    "pragma-profiling-output": ("PRAGMA profiling_output = '{canary}/profile.json'", "write"),
    "pragma-import": ("PRAGMA import_database('{canary}')", "read"),
    "attach-new": ("ATTACH '{canary}/new.duckdb' AS escape", "write"),
    "attach-warehouse-rw": ("ATTACH '{warehouse}' AS again (READ_WRITE)", "write"),
    "explain-analyze-attach": ("EXPLAIN ANALYZE ATTACH '{canary}/new.duckdb'", "write"),
    "export-database": ("EXPORT DATABASE '{canary}/exported'", "write"),
    "create-secret": ("CREATE SECRET escape (TYPE s3, KEY_ID 'k', SECRET 's')", "configure"),
    "create-persistent-secret": ("CREATE PERSISTENT SECRET escape (TYPE s3, KEY_ID 'k', SECRET 's')", "write"),
    "logging-to-file": (
        "SELECT * FROM enable_logging(storage = 'file', storage_path = '{canary}/logs')",
        "write",
    ),
    "call-logging": ("CALL enable_logging(storage = 'file', storage_path = '{canary}/logs')", "write"),
    "several-statements": ("SELECT 1; COPY articles TO '{canary}/second.csv'", "write"),
    "insert": ("INSERT INTO articles (article_id) VALUES ('planted')", "write"),
    "create-table-as-read": ("CREATE TABLE leak AS SELECT * FROM read_text('{secret}')", "read"),
    "drop": ("DROP TABLE articles", "write"),
    "checkpoint": ("CHECKPOINT", "write"),
}


def escape_cases() -> list[EscapeCase]:
    """Every combination of the forms above: the generated corpus of escape attempts."""
    cases = [
        EscapeCase(f"write-{form}-{target}", sql.format(target=path), "write")
        for form, sql in WRITE_FORMS.items()
        for target, path in WRITE_TARGETS.items()
    ]
    cases += [EscapeCase(f"read-{name}", sql, "read") for name, sql in READ_FORMS.items()]
    cases += [EscapeCase(f"network-{name}", sql, "network") for name, sql in NETWORK_FORMS.items()]
    cases += [EscapeCase(name, sql, goal) for name, (sql, goal) in OTHER_FORMS.items()]
    return cases
