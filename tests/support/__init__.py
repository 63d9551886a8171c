"""What tests share besides fixtures, imported one way: `from tests.support.<module> import ...`.

- `factories`: pages (`article_html`, `json_ld`), WARC files (`ArchivedPage`, `write_warc`) and
  warehouse records (`make_article`, `make_outcome`).
- `servers`: HTTP servers on 127.0.0.1 (`FaultServer` for HTTP faults, `RouteServer` for routes
  answered by functions).
- `pywb`: a real pywb archive in its own virtual environment, and `PYWB_PAGES`, what the
  session's archive holds.

Fixtures live in the conftest.py files; nothing is imported from a conftest.
"""
