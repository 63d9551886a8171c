"""What tests share besides fixtures, imported one way: `from tests.support.<module> import ...`.

- `factories`: pages (`article_html`, `json_ld`), WARC files (`ArchivedPage`, `write_warc`) and
  warehouse records (`make_article`, `make_outcome`).
- `servers`: servers on 127.0.0.1 (`FaultServer` for HTTP faults, `RouteServer` for routes
  answered by functions, `running_moto` for S3).
- `pywb`: a real pywb archive in its own virtual environment, and `PYWB_PAGES`, what the
  session's archive holds.
- `marks`: which fixtures set the `prefect`, `pywb`, `dask` and `s3` marks.
- `cli`: the `newsarchive` command as a subprocess, as a user runs it.
- `damage` and `exports`: damaged Parquet files and tampered export folders.
- `sql_escapes`: SQL that tries to get out of `newsarchive sql`'s sandbox (tests/reliability/).

Fixtures live in the conftest.py files (the servers' in tests/conftest.py and
tests/flows/conftest.py); nothing is imported from a conftest or from another test module.
"""
