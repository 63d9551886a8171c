"""Check a received export folder against its manifest and schema (`newsarchive verify`).

Every checksum and row count is recomputed and each data file's columns are compared with
schema.json; missing, changed and unexpected files are all listed, not just the first one.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow.parquet as pq

from warehouse import storage
from warehouse.card import MANIFEST, SCHEMA_FILE, type_text


@dataclass
class VerifyReport:
    folder: Path
    checked_file_count: int = 0
    row_count: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(folder: str | os.PathLike) -> VerifyReport:
    """Check a received export against its manifest and schema; list every difference."""
    folder = Path(folder)
    report = VerifyReport(folder)
    manifest_path = folder / MANIFEST
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        entries = manifest["files"]
        fmt = manifest["format"]
    except FileNotFoundError:
        report.problems.append(f"{MANIFEST} is missing: not an export folder, or it arrived incomplete")
        return report
    except (ValueError, KeyError, TypeError) as error:
        report.problems.append(f"{MANIFEST} is unreadable: {error}")
        return report

    listed = set()
    for entry in entries:
        listed.add(entry.get("path", ""))
        _check_entry(folder, entry, report)

    present = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    for extra in sorted(present - listed - {MANIFEST}):
        report.problems.append(f"{extra}: not in the manifest")

    if SCHEMA_FILE in present:
        report.problems += _check_schema(folder, fmt, sorted(listed))
    return report


def _check_entry(folder: Path, entry: dict, report: VerifyReport) -> None:
    """One manifest entry: the file exists inside the folder with its size, sha256 and rows."""
    relative = entry.get("path", "")
    path = folder / relative
    if ".." in Path(relative).parts or Path(relative).is_absolute():
        report.problems.append(f"{relative}: path outside the folder in the manifest")
        return
    if not path.is_file():
        report.problems.append(f"{relative}: missing")
        return
    report.checked_file_count += 1
    if path.stat().st_size != entry.get("byte_count"):
        report.problems.append(f"{relative}: size {path.stat().st_size} bytes, manifest says {entry.get('byte_count')}")
    if storage.file_sha256(path) != entry.get("sha256"):
        report.problems.append(f"{relative}: sha256 differs from the manifest (changed or damaged)")
    if entry.get("row_count") is not None:
        try:
            rows = _row_count(path)
        except Exception as error:  # any unreadable file is a finding, not a crash
            report.problems.append(f"{relative}: unreadable ({' '.join(str(error).split())})")
            return
        report.row_count += rows
        if rows != entry["row_count"]:
            report.problems.append(f"{relative}: {rows} rows, manifest says {entry['row_count']}")


def _row_count(path: Path) -> int:
    if path.suffix == ".parquet":
        return pq.read_metadata(path).num_rows
    if path.suffix == ".jsonl":
        with open(path, "rb") as handle:
            return sum(1 for line in handle if line.strip())
    return 1


def _check_schema(folder: Path, fmt: str, files: list[str]) -> list[str]:
    problems = []
    try:
        document = json.loads((folder / SCHEMA_FILE).read_text(encoding="utf-8"))
        expected = [(f["name"], f["arrow_type"], f["nullable"]) for f in document["fields"]]
    except (ValueError, KeyError, TypeError) as error:
        return [f"{SCHEMA_FILE} is unreadable: {error}"]
    names = [name for name, _, _ in expected]
    for relative in files:
        path = folder / relative
        if not path.is_file() or not relative.startswith("data/"):
            continue
        try:
            if fmt == "parquet" and path.suffix == ".parquet":
                stored = pq.read_schema(path)
                found = [(f.name, type_text(f.type), f.nullable) for f in stored]
                if found != expected:
                    problems.append(f"{relative}: columns differ from {SCHEMA_FILE}")
            elif fmt == "jsonl" and path.suffix == ".jsonl":
                with open(path, encoding="utf-8") as handle:
                    for number, line in enumerate(handle, 1):
                        if line.strip() and list(json.loads(line)) != names:
                            problems.append(f"{relative}: line {number} has other fields than {SCHEMA_FILE}")
                            break
        except Exception as error:  # a damaged file is reported; verify goes on
            problems.append(f"{relative}: unreadable ({' '.join(str(error).split())})")
    return problems
