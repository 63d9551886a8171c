"""Check a received export folder against its manifest and its version's schema (`newsarchive verify`).

What a passing verify proves: every file the manifest lists is in the folder as a regular
file (no symbolic link, nothing outside the folder) with the manifest's size, sha256 and row
count; no other file is there; schema.json is exactly the schema of the export's schema
version as this newsarchive defines it (warehouse/schema.py); every data file has its columns.

What it does not prove: that manifest.json is the one the exporter wrote. A file edited
together with its manifest entry passes, unless the manifest's own sha256, which `newsarchive
export` prints, is compared out of band (`verify --manifest-sha256`). Every difference is
listed, not just the first; a missing or malformed manifest is one problem, and nothing else
is checked then (`VerifyReport.usable` is False).
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import pyarrow.parquet as pq

from warehouse import storage
from warehouse.card import MANIFEST, SCHEMA_FILE, schema_document, type_text
from warehouse.schema import SCHEMA_VERSION
from warehouse.unreadable import READ_ERRORS, reason_text

FORMATS = ("parquet", "jsonl", "markdown")
SHA256_DIGITS = 64


@dataclass
class VerifyReport:
    folder: Path
    checked_file_count: int = 0
    row_count: int = 0
    problems: list[str] = field(default_factory=list)
    manifest_sha256: str | None = None  # of manifest.json as read, to compare with the exporter's
    usable: bool = True  # False: the manifest is missing or malformed, nothing else was checked

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True, slots=True)
class _Manifest:
    fmt: str
    schema_version: str
    entries: list[dict[str, Any]]


class _Malformed(Exception):
    pass


def verify(folder: str | os.PathLike, *, manifest_sha256: str | None = None) -> VerifyReport:
    """Check a received export against its manifest and schema; list every difference.

    With `manifest_sha256` (what the exporter printed), the manifest itself is checked too.
    """
    folder = Path(folder)
    report = VerifyReport(folder)
    manifest = _read_manifest(folder, report)
    if manifest is None:
        report.usable = False
        return report
    if manifest_sha256 is not None and manifest_sha256.strip().lower() != report.manifest_sha256:
        report.problems.append(
            f"{MANIFEST}: sha256 {report.manifest_sha256} is not the {manifest_sha256.strip()} given: "
            "the manifest was changed (and the files with it, perhaps)"
        )
    listed = set()
    for entry in manifest.entries:
        listed.add(entry["path"])
        _check_entry(folder, entry, report)
    present, refused = _walk(folder)
    report.problems += refused
    for extra in sorted(present - listed - {MANIFEST}):
        report.problems.append(f"{extra}: not in the manifest")
    if SCHEMA_FILE not in listed:
        report.problems.append(f"{SCHEMA_FILE}: not in the manifest (an export always has one)")
    report.problems += _check_schema(folder, manifest, sorted(listed))
    return report


def _read_manifest(folder: Path, report: VerifyReport) -> _Manifest | None:
    """The manifest, checked for shape; None (and one problem) when it is missing or malformed."""
    path = folder / MANIFEST
    if path.is_symlink():
        report.problems.append(f"{MANIFEST} is a symbolic link: refused (an export holds regular files only)")
        return None
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        report.problems.append(f"{MANIFEST} is missing: not an export folder, or it arrived incomplete")
        return None
    except OSError as error:
        report.problems.append(f"{MANIFEST} cannot be read: {reason_text(error)}")
        return None
    report.manifest_sha256 = hashlib.sha256(data).hexdigest()
    try:
        return _manifest_from(json.loads(data))
    except (ValueError, _Malformed) as error:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        report.problems.append(f"{MANIFEST} is malformed: {reason_text(error)}")
        return None


def _manifest_from(document: Any) -> _Manifest:
    if not isinstance(document, dict):
        raise _Malformed("expected a JSON object")
    fmt, version, entries = document.get("format"), document.get("schema_version"), document.get("files")
    if fmt not in FORMATS:
        raise _Malformed(f"format is {fmt!r}, not one of {', '.join(FORMATS)}")
    if not isinstance(version, str):
        raise _Malformed("schema_version is missing or not a string")
    if not isinstance(entries, list):
        raise _Malformed("files is missing or not a list")
    for number, entry in enumerate(entries):
        where = f"files[{number}]"
        if not isinstance(entry, dict):
            raise _Malformed(f"{where} is not an object")
        sha = entry.get("sha256")
        if not isinstance(entry.get("path"), str) or not entry["path"]:
            raise _Malformed(f"{where}.path is missing or not a string")
        if not isinstance(sha, str) or len(sha) != SHA256_DIGITS or not all(c in "0123456789abcdef" for c in sha):
            raise _Malformed(f"{where}.sha256 is not {SHA256_DIGITS} lowercase hex digits")
        if not _is_count(entry.get("byte_count")):
            raise _Malformed(f"{where}.byte_count is not a count")
        if entry.get("row_count") is not None and not _is_count(entry["row_count"]):
            raise _Malformed(f"{where}.row_count is not a count or null")
    return _Manifest(fmt, version, entries)


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _inside_problem(folder: Path, relative: str) -> str | None:
    """Why `relative` is not a regular file inside the folder, reached without a symbolic link."""
    parts = PurePosixPath(relative).parts
    if relative.startswith("/") or "\\" in relative or not parts or any(p in ("..", ".") for p in parts):
        return "path outside the folder in the manifest"
    path = folder
    for part in parts:
        path = path / part
        try:
            mode = os.lstat(path).st_mode
        except FileNotFoundError:
            return "missing"
        except OSError as error:
            return f"cannot be read ({reason_text(error)})"
        if stat.S_ISLNK(mode):
            return "a symbolic link: refused (an export holds regular files only)"
    return None if stat.S_ISREG(mode) else "not a regular file"


def _check_entry(folder: Path, entry: dict, report: VerifyReport) -> None:
    """One manifest entry: a regular file inside the folder with its size, sha256 and rows."""
    relative = entry["path"]
    problem = _inside_problem(folder, relative)
    if problem is not None:
        report.problems.append(f"{relative}: {problem}")
        return
    path = folder / relative
    report.checked_file_count += 1
    try:
        size = path.stat().st_size
        if size != entry["byte_count"]:
            report.problems.append(f"{relative}: size {size} bytes, manifest says {entry['byte_count']}")
        if storage.file_sha256(path) != entry["sha256"]:
            report.problems.append(f"{relative}: sha256 differs from the manifest (changed or damaged)")
        if entry.get("row_count") is None:
            return
        rows = _row_count(path)
    except READ_ERRORS as error:  # any unreadable file is a finding, not a crash
        report.problems.append(f"{relative}: unreadable ({reason_text(error)})")
        return
    report.row_count += rows
    if rows != entry["row_count"]:
        report.problems.append(f"{relative}: {rows} rows, manifest says {entry['row_count']}")


def _walk(folder: Path) -> tuple[set[str], list[str]]:
    """(regular files under the folder, relative; problems for symbolic links and other non-files)."""
    present, refused = set(), []
    for directory, dirnames, filenames in os.walk(folder, followlinks=False):
        for name in sorted(dirnames) + sorted(filenames):
            path = Path(directory, name)
            relative = path.relative_to(folder).as_posix()
            mode = os.lstat(path).st_mode
            if stat.S_ISLNK(mode):
                refused.append(f"{relative}: a symbolic link: refused (an export holds regular files only)")
            elif stat.S_ISREG(mode):
                present.add(relative)
            elif not stat.S_ISDIR(mode):
                refused.append(f"{relative}: not a regular file")
    return present, sorted(set(refused))


def _check_schema(folder: Path, manifest: _Manifest, files: list[str]) -> list[str]:
    """schema.json against the schema of the export's version, and each data file against both."""
    if manifest.schema_version != SCHEMA_VERSION:
        return [
            f"schema version {manifest.schema_version!r} is not this newsarchive's ({SCHEMA_VERSION}): "
            "its schema cannot be checked here; verify with a newsarchive of that version"
        ]
    expected_document = schema_document(manifest.fmt)
    expected = _columns(expected_document)
    problems, declared = [], None
    if _inside_problem(folder, SCHEMA_FILE) is None:
        try:
            document = json.loads((folder / SCHEMA_FILE).read_text(encoding="utf-8"))
            declared = _columns(document)
        except (OSError, ValueError, KeyError, TypeError) as error:
            problems.append(f"{SCHEMA_FILE} is unreadable: {reason_text(error)}")
        else:
            if document != expected_document:
                problems.append(f"{SCHEMA_FILE}: {_schema_difference(declared, expected)}")
    for relative in files:
        if relative.startswith("data/") and _inside_problem(folder, relative) is None:
            problems += _check_data_file(folder / relative, relative, manifest.fmt, declared, expected)
    return problems


def _columns(document: dict) -> list[tuple[str, str, bool]]:
    return [(f["name"], f["arrow_type"], f["nullable"]) for f in document["fields"]]


def _schema_difference(declared: list[tuple[str, str, bool]], expected: list[tuple[str, str, bool]]) -> str:
    names, wanted = {c[0]: c for c in declared}, {c[0]: c for c in expected}
    missing = [name for name in wanted if name not in names]
    extra = [name for name in names if name not in wanted]
    changed = [name for name in wanted if name in names and names[name] != wanted[name]]
    details = [
        f"{label} {', '.join(found)}"
        for label, found in (("missing", missing), ("not in it", extra), ("changed", changed))
        if found
    ]
    summary = "; ".join(details) or "descriptions or field order differ"
    return f"differs from the schema of version {SCHEMA_VERSION} ({summary})"


def _check_data_file(
    path: Path, relative: str, fmt: str, declared: list | None, expected: list[tuple[str, str, bool]]
) -> list[str]:
    """A data file's columns against schema.json (when readable) and the version's schema."""
    try:
        if fmt == "parquet" and path.suffix == ".parquet":
            found = [[(f.name, type_text(f.type), f.nullable) for f in pq.read_schema(path)]]
            full = True
        elif fmt == "jsonl" and path.suffix == ".jsonl":
            found = _jsonl_keys(path)  # one list of names per line
            full = False
        else:
            return []
    except READ_ERRORS as error:  # a damaged file is reported; verify goes on
        return [f"{relative}: unreadable ({reason_text(error)})"]

    def matches(columns: list) -> bool:
        wanted = list(columns) if full else [column[0] for column in columns]
        return all(each == wanted for each in found)

    problems = []
    if declared is not None and not matches(declared):
        problems.append(f"{relative}: columns differ from {SCHEMA_FILE}")
    if not matches(expected):
        problems.append(f"{relative}: columns differ from the schema of version {SCHEMA_VERSION}")
    return problems


def _jsonl_keys(path: Path) -> list[list]:
    """The field names of every line (an empty list for a line that is not a JSON object)."""
    with open(path, encoding="utf-8") as handle:
        documents = [json.loads(line) for line in handle if line.strip()]
    return [list(document) if isinstance(document, dict) else [] for document in documents]


def _row_count(path: Path) -> int:
    if path.suffix == ".parquet":
        return pq.read_metadata(path).num_rows
    if path.suffix == ".jsonl":
        with open(path, "rb") as handle:
            return sum(1 for line in handle if line.strip())
    return 1
