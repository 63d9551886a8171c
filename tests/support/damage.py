"""Ways a Parquet file gets damaged, for the tests that check it is named and skipped."""

from __future__ import annotations

from pathlib import Path


def overwrite_with_junk(path: Path) -> None:
    """Not Parquet at all (a foreign file with the right name)."""
    path.write_bytes(b"this is not a parquet file\n" * 4)


def truncate(path: Path) -> None:
    """Cut in half, as a full disk or an interrupted copy leaves it: the footer is gone."""
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def scramble_pages(path: Path) -> None:
    """The footer intact, the data pages garbled (bit rot): only decoding the data finds it."""
    data = bytearray(path.read_bytes())
    for index in range(8, min(400, len(data) - 64)):
        data[index] = (data[index] * 7 + 13) % 256
    path.write_bytes(bytes(data))
