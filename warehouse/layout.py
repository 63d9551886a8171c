"""Where one dataset lives: the data directory and the Parquet root, passed as an argument.

The data directory holds the DuckDB file and the raw WARCs; the Parquet dataset lives under it
(`<data-dir>/parquet`) unless a `parquet_uri` (a path or `s3://BUCKET/PREFIX`) puts it
elsewhere. Every warehouse function takes a `DataLayout` (or a plain path, meaning the default
Parquet location), so nothing reads the location from the process environment.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from warehouse import storage


@dataclass(frozen=True)
class DataLayout:
    data_dir: Path
    parquet_uri: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "data_dir", Path(self.data_dir))
        if self.parquet_uri is not None:
            uri = str(self.parquet_uri).strip().rstrip("/")
            object.__setattr__(self, "parquet_uri", storage.check_location(uri) if uri else None)

    @classmethod
    def of(cls, location: DataLayout | str | os.PathLike) -> DataLayout:
        """A layout as it is, or a data directory with the Parquet dataset in its default place."""
        return location if isinstance(location, DataLayout) else cls(Path(location))

    @property
    def parquet_root(self) -> str:
        return self.parquet_uri or str(self.data_dir / "parquet")

    @property
    def warehouse_path(self) -> Path:
        return self.data_dir / "warehouse.duckdb"

    @property
    def warc_dir(self) -> Path:
        return self.data_dir / "warc"


# What every warehouse function that touches the data accepts: a layout, or a data directory
# (the Parquet dataset then in its default place, `<data-dir>/parquet`).
Location = DataLayout | str | os.PathLike
