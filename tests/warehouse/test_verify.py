"""`verify` and `export` against tampered and hostile folders: symbolic links, paths outside,
malformed manifests, a schema rewritten with its manifest entry, and what only the manifest's
own sha256 (printed by export) catches."""

from __future__ import annotations

import hashlib
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from flows.cli import warehouse as cli_warehouse
from tests.support.exports import read_manifest, sync_entry, write_manifest
from tests.support.factories import make_article
from warehouse import db, export, parquet, verify


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("verify") / "data"
    parquet.write_articles(data_dir, [make_article(i) for i in range(6)], run_id="r1")
    db.load(data_dir)
    return data_dir


@pytest.fixture
def exported(loaded, tmp_path):
    dest = tmp_path / "out"
    export.export(loaded, dest)
    assert verify.verify(dest).ok
    return dest


@pytest.fixture
def outside_secret(tmp_path):
    secret = tmp_path / "outside" / "secret.txt"
    secret.parent.mkdir()
    secret.write_text("not for export\n")
    return secret


def test_a_symlink_listed_in_the_manifest_is_refused(exported, outside_secret):
    (exported / "data" / "notes.txt").symlink_to(outside_secret)
    sync_entry(exported, "data/notes.txt", follow=outside_secret)
    problems = verify.verify(exported).problems
    assert "data/notes.txt: a symbolic link: refused (an export holds regular files only)" in problems


def test_a_symlinked_data_folder_and_an_unlisted_link_are_refused(exported, tmp_path, outside_secret):
    (exported / "extra-link").symlink_to(outside_secret)
    elsewhere = tmp_path / "elsewhere"
    (exported / "data").rename(elsewhere)
    (exported / "data").symlink_to(elsewhere, target_is_directory=True)
    problems = verify.verify(exported).problems
    assert "extra-link: a symbolic link: refused (an export holds regular files only)" in problems
    assert "data: a symbolic link: refused (an export holds regular files only)" in problems
    assert any(p.startswith("data/") and "symbolic link" in p for p in problems)


@pytest.mark.parametrize("path", ["../outside/secret.txt", "/etc/hostname", "data/../../outside/secret.txt"])
def test_manifest_paths_outside_the_folder_are_refused(exported, outside_secret, path):
    manifest = read_manifest(exported)
    manifest["files"].append({"path": path, "sha256": "0" * 64, "byte_count": 1, "row_count": None})
    write_manifest(exported, manifest)
    assert f"{path}: path outside the folder in the manifest" in verify.verify(exported).problems


MALFORMED = {
    # not JSON at all
    "not-json": b"{not json",
    # bytes that are not UTF-8
    "not-utf8": b"\xff\xfe\x00garbage",
    # JSON, but not an object
    "array": b"[]",
    # files is not a list
    "files-not-a-list": json.dumps({"format": "parquet", "schema_version": "1", "files": {"a": 1}}).encode(),
    # an entry that is not an object
    "entry-not-an-object": json.dumps({"format": "parquet", "schema_version": "1", "files": ["data/x"]}).encode(),
    # a path that is a number
    "path-a-number": json.dumps(
        {"format": "parquet", "schema_version": "1", "files": [{"path": 5, "sha256": "0" * 64, "byte_count": 1}]}
    ).encode(),
    # a sha256 that is not one
    "bad-sha": json.dumps(
        {"format": "parquet", "schema_version": "1", "files": [{"path": "a", "sha256": "xyz", "byte_count": 1}]}
    ).encode(),
    # a byte count that is text
    "bad-size": json.dumps(
        {"format": "parquet", "schema_version": "1", "files": [{"path": "a", "sha256": "0" * 64, "byte_count": "1"}]}
    ).encode(),
    # an unknown format
    "bad-format": json.dumps({"format": "xlsx", "schema_version": "1", "files": []}).encode(),
    # no schema version
    "no-version": json.dumps({"format": "parquet", "files": []}).encode(),
}


@pytest.mark.parametrize("content", MALFORMED.values(), ids=MALFORMED.keys())
def test_a_malformed_manifest_is_one_line_not_a_traceback(exported, content):
    (exported / "manifest.json").write_bytes(content)
    report = verify.verify(exported)
    assert not report.usable and len(report.problems) == 1
    assert report.problems[0].startswith("manifest.json is malformed: ")
    result = CliRunner().invoke(cli_warehouse.verify_command, [str(exported)])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert result.output.startswith("Error: ") and result.output.count("\n") == 1, result.output
    assert "Traceback" not in result.output


def test_a_schema_rewritten_with_its_manifest_entry_is_caught(exported):
    schema = json.loads((exported / "schema.json").read_text())
    schema["fields"] = [f for f in schema["fields"] if f["name"] != "text"]
    (exported / "schema.json").write_text(json.dumps(schema))
    sync_entry(exported, "schema.json")
    problems = verify.verify(exported).problems
    assert "schema.json: differs from the schema of version 1 (missing text)" in problems
    assert any("columns differ from schema.json" in p for p in problems)


def test_data_rewritten_to_match_a_rewritten_schema_is_caught(exported):
    schema = json.loads((exported / "schema.json").read_text())
    schema["fields"] = [f for f in schema["fields"] if f["name"] != "text"]
    (exported / "schema.json").write_text(json.dumps(schema))
    sync_entry(exported, "schema.json")
    for path in (exported / "data").rglob("*.parquet"):
        table = pq.read_table(path)
        pq.write_table(table.drop_columns(["text"]), path)
        sync_entry(exported, path.relative_to(exported).as_posix())
    problems = verify.verify(exported).problems
    assert not any("columns differ from schema.json" in p for p in problems)
    assert any("columns differ from the schema of version 1" in p for p in problems)


def test_an_unknown_schema_version_is_reported(exported):
    manifest = read_manifest(exported)
    manifest["schema_version"] = "99"
    write_manifest(exported, manifest)
    assert any("schema version '99' is not this newsarchive's" in p for p in verify.verify(exported).problems)


def test_a_file_edited_with_its_entry_passes_unless_the_manifest_sha256_is_checked(loaded, tmp_path):
    dest = tmp_path / "shared"
    result = CliRunner().invoke(cli_warehouse.export_command, [str(dest), "--data-dir", str(loaded)])
    assert result.exit_code == 0, result.output
    printed = next(line for line in result.output.splitlines() if line.startswith("manifest.json sha256: "))
    manifest_sha256 = printed.split(": ", 1)[1]
    assert manifest_sha256 == hashlib.sha256((dest / "manifest.json").read_bytes()).hexdigest()
    ok = CliRunner().invoke(cli_warehouse.verify_command, [str(dest), "--manifest-sha256", manifest_sha256])
    assert ok.exit_code == 0 and ok.output.startswith("OK: ") and manifest_sha256 in ok.output
    # the tamperer edits a data file and its manifest entry together
    path = sorted((dest / "data").rglob("*.parquet"))[0]
    table = pq.read_table(path)
    titles = ["Planted headline"] + table.column("title").to_pylist()[1:]
    column = table.schema.get_field_index("title")
    pq.write_table(table.set_column(column, table.schema.field(column), pa.array(titles)), path)
    sync_entry(dest, path.relative_to(dest).as_posix())
    assert verify.verify(dest).ok  # the documented limit: the manifest alone cannot tell
    caught = CliRunner().invoke(cli_warehouse.verify_command, [str(dest), "--manifest-sha256", manifest_sha256])
    assert caught.exit_code == 1 and "manifest.json: sha256" in caught.output and "was changed" in caught.output


def test_verify_help_and_the_card_say_what_verify_proves_and_what_not(exported):
    help_text = CliRunner().invoke(cli_warehouse.verify_command, ["--help"]).output
    for expected in ["What a pass proves", "symbolic links", "schema version", "does not prove", "--manifest-sha256"]:
        assert expected in help_text, expected
    card = (exported / "README.md").read_text()
    for expected in ["What a passing `verify` proves", "does not prove", "--manifest-sha256", "edited together"]:
        assert expected in card, expected


@pytest.mark.parametrize("kind", ["to-an-empty-dir", "dangling"])
def test_export_to_a_symlinked_destination_is_one_line(loaded, tmp_path, kind):
    target = tmp_path / "target"
    if kind == "to-an-empty-dir":
        target.mkdir()
    dest = tmp_path / "link"
    dest.symlink_to(target, target_is_directory=True)
    with pytest.raises(export.ExportError, match="is a symbolic link"):
        export.export(loaded, dest)
    result = CliRunner().invoke(cli_warehouse.export_command, [str(dest), "--data-dir", str(loaded)])
    assert result.exit_code == 1 and result.output.startswith("Error: ") and result.output.count("\n") == 1
    assert dest.is_symlink() and (list(target.iterdir()) == [] if target.exists() else True)
    assert not list(tmp_path.glob(".link.partial-*"))


def test_export_into_an_unwritable_place_is_one_line(loaded, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    result = CliRunner().invoke(cli_warehouse.export_command, [str(blocker / "out"), "--data-dir", str(loaded)])
    assert result.exit_code == 1 and result.output.startswith("Error: ") and result.output.count("\n") == 1
