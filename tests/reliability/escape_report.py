"""Print the SQL-escape corpus (tests/support/sql_escapes.py) with what happened to each form,
as a Markdown table: through `newsarchive sql`'s checks, and straight into the locked engine,
on a loaded warehouse and on the Parquet fallback. For issue notes and reviews:

    .venv/bin/python -m tests.reliability.escape_report > escapes.md

tests/reliability/test_sql_sandbox.py asserts the same outcomes; this only shows them.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from tests.support.factories import make_article
from tests.support.servers import RouteServer
from tests.support.sql_escapes import EscapeTargets, escape_cases
from warehouse import db, parquet

SECRET = "canary-secret-report"


def _outcome(run: Callable[[], object], root: Path) -> str:
    try:
        run()
    except Exception as error:  # every outcome is a row of the table, errors included
        text = " ".join(str(error).split()).replace(str(root), "…")
        text = text.replace(" - file system operations are disabled by configuration", " (disabled by configuration)")
        return text[:110].replace("|", "\\|")
    return "ran"


def _engine(data_dir: Path, sql: str) -> Callable[[], object]:
    def run() -> object:
        with db.open_for_reading(data_dir) as (con, _source):
            return con.execute(sql).fetchall()

    return run


def main() -> None:
    root = Path(tempfile.mkdtemp(prefix="escape-report-"))
    outside = root / "outside"
    (outside / "canary").mkdir(parents=True)
    (outside / "secret.txt").write_text(f"secret\n{SECRET}\n")
    (outside / "secret.json").write_text(json.dumps({"secret": SECRET}))
    pq.write_table(pa.table({"secret": [SECRET]}), outside / "secret.parquet")
    articles = [make_article(i) for i in range(5)]
    sources = {"warehouse": root / "loaded", "parquet": root / "parquet-only"}
    for data_dir in sources.values():
        parquet.write_articles(data_dir, articles, run_id="r1")
    db.load(sources["warehouse"])
    routes = {"/secret.csv": lambda query: (200, "text/csv", SECRET.encode())}
    with RouteServer(routes) as server:
        print(
            "| case | goal | `newsarchive sql` (warehouse) | engine alone (warehouse) | engine alone (Parquet fallback) |"
        )
        print("|---|---|---|---|---|")
        for case in escape_cases():
            cells = []
            for kind, source in (("cli", "warehouse"), ("engine", "warehouse"), ("engine", "parquet")):
                data_dir = sources[source]
                targets = EscapeTargets.around(outside, data_dir, server.base_url)
                sql = targets.fill(case.sql)
                run = (lambda d=data_dir, s=sql: db.run_query(d, s)) if kind == "cli" else _engine(data_dir, sql)
                cells.append(_outcome(run, root))
            print(f"| {case.case_id} | {case.goal} | " + " | ".join(cells) + " |")
        print(f"\nRequests that reached the server on 127.0.0.1: {len(server.arrivals)}")


if __name__ == "__main__":
    main()
