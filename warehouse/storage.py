"""Where files live: local paths, or object-storage URIs (`s3://bucket/key`).

The Parquet dataset (a `DataLayout`'s parquet_uri) and input WARC files may live on S3 or any
S3-compatible store (MinIO, Ceph, R2, ...). pyarrow's filesystems do the I/O; credentials and
endpoint come from the standard AWS environment variables (AWS_ACCESS_KEY_ID,
AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_REGION, AWS_ENDPOINT_URL), and the same values
become a DuckDB secret for the httpfs extension (shipped by the `duckdb-extension-httpfs`
package: DuckDB cannot download extensions here), so pyarrow and DuckDB see the same store.

Object stores have no rename; a write goes to a hidden temporary key and is then moved
(a server-side copy) to its final key, which appears whole or not at all.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import io
import os
import posixpath
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlsplit

import duckdb
import duckdb_extension_httpfs
from pyarrow import fs as pafs

SUPPORTED_SCHEMES = ("s3", "file")
HTTPFS_EXTENSION = (
    Path(duckdb_extension_httpfs.__file__).parent / "extensions" / f"v{duckdb.__version__}" / "httpfs.duckdb_extension"
)


class StorageError(Exception):
    """A location that cannot be used (unsupported scheme, missing bucket, ...)."""


def is_uri(location: str | os.PathLike) -> bool:
    return "://" in str(location)


def is_remote(location: str | os.PathLike) -> bool:
    """True for object-storage URIs (file:// URIs are local)."""
    return is_uri(location) and urlsplit(str(location)).scheme != "file"


def check_location(location: str) -> str:
    """`location` unchanged when newsarchive can use it, else a StorageError naming the scheme."""
    if is_uri(location):
        scheme = urlsplit(location).scheme
        if scheme not in SUPPORTED_SCHEMES:
            raise StorageError(
                f"unsupported storage URI {location!r}: use a local path, file:// or s3:// "
                "(any S3-compatible store; set AWS_ENDPOINT_URL for one that is not AWS)"
            )
        if scheme == "s3" and not urlsplit(location).netloc:
            raise StorageError(f"storage URI {location!r} names no bucket: expected s3://BUCKET/PREFIX")
    return location


@functools.lru_cache(maxsize=8)
def _s3_filesystem(environment: tuple) -> pafs.FileSystem:
    # Keyed by the AWS environment, so a changed endpoint or key makes a new client. Keys and
    # session token come from the AWS SDK's own chain (environment, ~/.aws, instance role).
    *_, region, default_region, endpoint = environment
    options: dict = {}
    if region or default_region:
        options["region"] = region or default_region
    if endpoint:
        parts = urlsplit(endpoint)
        options.update(endpoint_override=parts.netloc or parts.path, scheme=parts.scheme or "https")
    return pafs.S3FileSystem(**options)


def _aws_environment() -> tuple:
    names = (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_ENDPOINT_URL",
    )
    return tuple(os.environ.get(name) for name in names)


def resolve(location: str | os.PathLike) -> tuple[pafs.FileSystem, str]:
    """(pyarrow filesystem, path inside it) for a local path or a URI."""
    location = check_location(str(location))
    if not is_uri(location):
        return pafs.LocalFileSystem(), os.path.abspath(location)
    parts = urlsplit(location)
    if parts.scheme == "file":
        return pafs.LocalFileSystem(), parts.path
    return _s3_filesystem(_aws_environment()), f"{parts.netloc}{parts.path}".rstrip("/")


def join(base: str | os.PathLike, *parts: str) -> str:
    """`base` joined with '/'-separated parts: a path for a local base, a URI for a URI."""
    if is_uri(base):
        return posixpath.join(str(base).rstrip("/"), *parts)
    return os.path.join(str(base), *parts)


@dataclass(frozen=True, slots=True)
class StoredFile:
    location: str  # local path or URI, as DuckDB's read_parquet and pyarrow accept it
    relative: str  # '/'-separated, relative to the directory that was listed
    byte_count: int
    modified_ns: int


def list_files(root: str | os.PathLike, suffix: str) -> list[StoredFile]:
    """Files under `root` ending in `suffix`, sorted; hidden ones ('.' or '_' in any part of
    the path below root: temp files, markers) are left out."""
    filesystem, base = resolve(root)
    selector = pafs.FileSelector(base, recursive=True, allow_not_found=True)
    try:
        infos = filesystem.get_file_info(selector)
    except (FileNotFoundError, NotADirectoryError):
        return []
    except OSError as error:
        raise StorageError(f"cannot list {root}: {error}") from error
    files = []
    for info in infos:
        if info.type != pafs.FileType.File or not info.path.endswith(suffix):
            continue
        relative = posixpath.relpath(info.path, base) if is_uri(root) else Path(info.path).relative_to(base).as_posix()
        if any(part.startswith((".", "_")) for part in relative.split("/")):
            continue
        modified_ns = info.mtime_ns if info.mtime_ns is not None else 0
        files.append(StoredFile(join(root, *relative.split("/")), relative, info.size, modified_ns))
    return sorted(files, key=lambda stored: stored.relative)


# Object stores answer each read with an HTTP range request: sequential readers get big ones.
# (pyarrow's output streams would also gzip a '.gz' name on their own: compression=None.)
SEQUENTIAL_READ_BYTES = 8 << 20


def open_input(location: str | os.PathLike, *, sequential: bool = False) -> BinaryIO:
    """A binary reader for a local path or a URI: seekable, or buffered for reading front
    to back (`sequential`). A missing file raises FileNotFoundError wherever it lives."""
    if not is_remote(location):
        return open(resolve(location)[1], "rb")
    filesystem, path = resolve(location)
    try:
        handle = filesystem.open_input_file(path)
        # Buffered, yet still able to tell() its position (FastWARC asks for it).
        return io.BufferedReader(handle, buffer_size=SEQUENTIAL_READ_BYTES) if sequential else handle
    except FileNotFoundError:
        raise
    except OSError as error:
        if "not found" in str(error).lower() or "NoSuchKey" in str(error):
            raise FileNotFoundError(str(location)) from error
        raise


def file_sha256(location: str | os.PathLike) -> str:
    """The sha256 of a file wherever it lives, as hex."""
    digest = hashlib.sha256()
    with open_input(location, sequential=True) as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def file_size(location: str | os.PathLike) -> int | None:
    """The size in bytes, or None when there is no such file."""
    filesystem, path = resolve(location)
    info = filesystem.get_file_info(path)
    return info.size if info.type == pafs.FileType.File else None


def atomic_write(location: str | os.PathLike, write: Callable[[BinaryIO], None]) -> Path | str:
    """Write `location` through a hidden temp file beside it, then move it into place.

    A reader sees the whole file or none; on any failure the temp file is removed and
    `location` is untouched. Locally the data is fsynced before the rename. Returns the
    local Path, or the URI for object storage.
    """
    location = str(location)
    if not is_remote(location):
        return _atomic_write_local(Path(resolve(location)[1]), write)
    filesystem, path = resolve(location)
    directory, name = posixpath.split(path)
    temp = f"{directory}/.{name}.{uuid.uuid4().hex[:12]}.tmp"
    try:
        with filesystem.open_output_stream(temp, compression=None) as stream:
            write(stream)
        filesystem.move(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):  # the temp object may not exist yet
            filesystem.delete_file(temp)
        raise
    return location


def _atomic_write_local(path: Path, write: Callable[[BinaryIO], None]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.parent / f".{path.name}.{uuid.uuid4().hex[:12]}.tmp"
    try:
        with open(temp, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)
    return path


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return  # not supported on this platform / filesystem; the rename is still atomic
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def duckdb_s3_secret_sql() -> str:
    """CREATE SECRET for DuckDB's httpfs from the same AWS environment pyarrow reads."""
    options = ["TYPE s3"]
    key_id, secret, token = (
        os.environ.get(name) for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")
    )
    if key_id and secret:
        options += [f"KEY_ID {_literal(key_id)}", f"SECRET {_literal(secret)}"]
        if token:
            options.append(f"SESSION_TOKEN {_literal(token)}")
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    if region:
        options.append(f"REGION {_literal(region)}")
    endpoint = os.environ.get("AWS_ENDPOINT_URL")
    if endpoint:
        parts = urlsplit(endpoint)
        # A custom endpoint (MinIO, a local test server) takes path-style URLs.
        options += [
            f"ENDPOINT {_literal(parts.netloc or parts.path)}",
            "URL_STYLE 'path'",
            f"USE_SSL {'false' if parts.scheme == 'http' else 'true'}",
        ]
    return f"CREATE OR REPLACE SECRET newsarchive_s3 ({', '.join(options)})"


def prepare_duckdb(
    con: duckdb.DuckDBPyConnection, locations: list[str] | tuple[str, ...] = ()
) -> duckdb.DuckDBPyConnection:
    """Let `con` read the object-storage `locations` (loads httpfs and the S3 secret when one is remote)."""
    if any(is_remote(location) for location in locations):
        extension = str(HTTPFS_EXTENSION).replace("'", "''")
        con.execute(f"LOAD '{extension}'")
        con.execute(duckdb_s3_secret_sql())
    return con
