"""The sandboxed Parquet fallback reads a dataset on S3 (a moto server on 127.0.0.1) through
pyarrow, while DuckDB itself still cannot reach S3 or anything else."""

from __future__ import annotations

import pytest

from tests.support.factories import make_article
from tests.support.servers import S3_BUCKET
from warehouse import db, parquet, search
from warehouse.layout import DataLayout


def test_the_fallback_reads_the_s3_dataset_and_nothing_else(s3, tmp_path):
    layout = DataLayout(tmp_path / "data", parquet_uri=f"s3://{S3_BUCKET}/fallback")
    parquet.write_articles(layout, [make_article(i) for i in range(4)], run_id="r1")
    result = db.run_query(layout, "SELECT count(*) FROM articles")
    assert result.source == "parquet" and result.rows == [(4,)]
    assert search.search(layout, "harbour").hits
    file = parquet.file_locations(layout, "articles")[0]
    with pytest.raises(db.WarehouseError, match="disabled by configuration"):
        db.run_query(layout, f"SELECT * FROM read_parquet('{file}')")
    with pytest.raises(db.WarehouseError, match="disabled by configuration"):
        db.run_query(layout, f"EXPLAIN ANALYZE COPY (SELECT 1 AS a) TO '{file}'")
    assert db.run_query(layout, "SELECT count(*) FROM articles").rows == [(4,)]
