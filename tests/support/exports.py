"""Tampering with an export folder the way the issue's attacker did, for the verify tests."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path


def read_manifest(folder: Path) -> dict:
    return json.loads((folder / "manifest.json").read_text(encoding="utf-8"))


def write_manifest(folder: Path, manifest: dict) -> None:
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")


def sync_entry(folder: Path, relative: str, *, follow: Path | None = None) -> None:
    """Make the manifest entry of `relative` agree with the file now there (or with `follow`,
    the file a symbolic link points at): the edit a careful tamperer makes with the file."""
    manifest = read_manifest(folder)
    data = (follow or folder / relative).read_bytes()
    entry = {"path": relative, "sha256": hashlib.sha256(data).hexdigest(), "byte_count": len(data), "row_count": None}
    for existing in manifest["files"]:
        if existing["path"] == relative:
            entry["row_count"] = existing.get("row_count")
            existing.update(entry)
            break
    else:
        manifest["files"].append(entry)
    write_manifest(folder, manifest)
