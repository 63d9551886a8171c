"""The dataset card's Hugging Face YAML header and its loading code, both derived from the Arrow
schema (warehouse/schema.py), so every reader gets every field with its fixed type instead of
guessing it from the first rows (an all-null column would otherwise be typed "null").

tests/warehouse/test_card_loading.py runs the code blocks of a generated card verbatim.
"""

from __future__ import annotations

import hashlib

import pyarrow as pa
import yaml

from warehouse.schema import ARTICLE_SCHEMA, duckdb_type

DATA_GLOBS = {"parquet": "data/*.parquet", "jsonl": "data/*.jsonl"}


def content_version(files: list[dict]) -> str:
    """The dataset's version: sha256 over the data files' paths and sha256s (the card and
    manifest left out), so the same data gives the same version wherever it is exported."""
    digest = hashlib.sha256()
    for entry in sorted(files, key=lambda f: f["path"]):
        if entry["path"].startswith("data/"):
            digest.update(f"{entry['path']}\0{entry['sha256']}\n".encode())
    return digest.hexdigest()[:16]


def _size_category(count: int) -> str:
    for limit, name in [(1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M")]:
        if count < limit:
            return name
    return "1M<n<10M" if count < 10_000_000 else "n>10M"


def _hf_feature(name: str, dtype: pa.DataType) -> dict:
    if pa.types.is_list(dtype):
        return {"name": name, "list": _hf_dtype(dtype.value_type)}
    return {"name": name, "dtype": _hf_dtype(dtype)}


def _hf_dtype(dtype: pa.DataType) -> str:
    if pa.types.is_timestamp(dtype):
        return f"timestamp[{dtype.unit}, tz={dtype.tz}]" if dtype.tz else f"timestamp[{dtype.unit}]"
    if pa.types.is_string(dtype):
        return "string"
    return str(dtype)  # int32, int64, uint64, double -> float64 below


def hf_header(
    *, fmt: str, article_count: int, byte_count: int, languages: list[str], license_id: str, version: str
) -> str:
    """The YAML front matter Hugging Face reads (license, languages, size, configs, features)."""
    meta: dict = {
        "license": license_id,
        "language": languages,
        "pretty_name": "News articles from web archives",
        "size_categories": [_size_category(article_count)],
        "task_categories": ["text-classification", "text-generation"],
        "tags": ["news", "web-archive", f"version-{version}"],
    }
    if fmt in DATA_GLOBS:
        meta["configs"] = [{"config_name": "default", "data_files": [{"split": "train", "path": DATA_GLOBS[fmt]}]}]
        meta["dataset_info"] = {
            "features": [
                _hf_feature(f.name, f.type) if str(f.type) != "double" else {"name": f.name, "dtype": "float64"}
                for f in ARTICLE_SCHEMA
            ],
            "splits": [{"name": "train", "num_bytes": byte_count, "num_examples": article_count}],
        }
    return "---\n" + yaml.safe_dump(meta, sort_keys=False, allow_unicode=True) + "---\n"


def _pandas_type(dtype: pa.DataType) -> str | None:
    if pa.types.is_timestamp(dtype):
        return f"datetime64[{dtype.unit}, {dtype.tz}]" if dtype.tz else f"datetime64[{dtype.unit}]"
    names = {"string": "string", "int32": "Int32", "int64": "Int64", "uint64": "UInt64", "double": "Float64"}
    return names.get(str(dtype))  # lists stay Python lists (object)


def _polars_type(dtype: pa.DataType) -> str:
    if pa.types.is_list(dtype):
        return f"pl.List({_polars_type(dtype.value_type)})"
    if pa.types.is_timestamp(dtype):
        return f"pl.Datetime('{dtype.unit}', '{dtype.tz}')" if dtype.tz else f"pl.Datetime('{dtype.unit}')"
    names = {
        "string": "pl.String",
        "int32": "pl.Int32",
        "int64": "pl.Int64",
        "uint64": "pl.UInt64",
        "double": "pl.Float64",
    }
    return names[str(dtype)]


def _mapping(pairs: list[tuple[str, str]], indent: str = "    ") -> str:
    return "{\n" + "".join(f"{indent}{key}: {value},\n" for key, value in pairs) + "}"


# The same for every format: `datasets` reads the card's YAML header (configs and features).
_DATASETS_LOADING = [
    "Hugging Face `datasets` (the features in this card's header):",
    "```python",
    "from pathlib import Path",
    "from datasets import load_dataset",
    "articles = load_dataset(str(Path.cwd()), split='train')  # from elsewhere: the folder's path",
    "```",
]


def loading_text(fmt: str) -> list[str]:
    """The card's "Loading" section: one fenced block per reader, each runnable as it stands
    from the folder the card is in (the tests run them so)."""
    if fmt == "parquet":
        return [
            "Parquet files carry their schema, so every reader gets the fixed types. Run from this folder.",
            "",
            "DuckDB:",
            "```sql",
            "SELECT publication, count(*) FROM read_parquet('data/*.parquet') GROUP BY 1;",
            "```",
            "pandas / pyarrow:",
            "```python",
            "import pandas as pd",
            "articles = pd.read_parquet('data', dtype_backend='numpy_nullable')  # keeps uint64 and int32 with nulls exact",
            "```",
            "polars:",
            "```python",
            "import polars as pl",
            "articles = pl.read_parquet('data/*.parquet')",
            "```",
            *_DATASETS_LOADING,
        ]
    if fmt != "jsonl":
        return ["Any Markdown reader; each file starts with the article's metadata."]
    duckdb_columns = [(f"'{f.name}'", f"'{duckdb_type(f.type)}'") for f in ARTICLE_SCHEMA]
    pandas_types = [(f"'{f.name}'", f"'{t}'") for f in ARTICLE_SCHEMA if (t := _pandas_type(f.type))]
    # uint64 is written as a decimal string (export._json_ready): read as text, then cast
    polars_types = [
        (f"'{f.name}'", "pl.String" if pa.types.is_uint64(f.type) else _polars_type(f.type)) for f in ARTICLE_SCHEMA
    ]
    big = ", ".join(f"pl.col('{f.name}').cast(pl.UInt64)" for f in ARTICLE_SCHEMA if pa.types.is_uint64(f.type))
    duckdb_struct = ", ".join(f"{name}: {kind}" for name, kind in duckdb_columns)
    return [
        "JSON has no types of its own, and readers guess them from the first rows (a column that is null there",
        "becomes a null column). So each loader below is given the types of `schema.json`. 64-bit unsigned",
        "integers (`simhash`) are written as decimal strings, since many JSON readers keep numbers as doubles.",
        "Run from this folder.",
        "",
        "DuckDB:",
        "```sql",
        f"SELECT * FROM read_json('data/*.jsonl', format = 'newline_delimited', columns = {{{duckdb_struct}}});",
        "```",
        "pandas:",
        "```python",
        "import glob",
        "import json",
        "import pandas as pd",
        f"types = {_mapping(pandas_types)}",
        "# json, not pd.read_json: pandas' parser turns integers beyond 2**53 (simhash) into floats",
        "rows = [json.loads(line) for path in sorted(glob.glob('data/*.jsonl')) for line in open(path, encoding='utf-8')]",
        "articles = pd.DataFrame(rows, dtype=object).astype(types)",
        "```",
        "polars:",
        "```python",
        "import polars as pl",
        f"schema = {_mapping(polars_types)}",
        f"articles = pl.read_ndjson('data/*.jsonl', schema=schema).with_columns({big})",
        "```",
        *_DATASETS_LOADING,
    ]
