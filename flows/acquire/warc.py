"""Read captures out of WARC and ARC files (the bundled sample, user files, our own raw archive).

Every response, resource and revisit record becomes one `Capture` (flows/acquire/warcrecords.py
reads the records: FastWARC where the file is clean, warcio record by record where it is not,
ARC through warcio). A record that cannot be used is still a capture, with a reason:
`unreadable_record`, `too_large` (a body decoding past the cap), `truncated_record` (the file
ends inside it), `not_a_page` (`dns:`, `urn:`, `metadata://` records), `not_html` (RSS/Atom
feeds), `revisit` (a revisit whose original is nowhere to be found). Records that are not
captures (request, metadata, warcinfo) are counted in `WarcInput.other_records`.

Revisits are resolved by `WARC-Refers-To`, `WARC-Refers-To-Target-URI` + `-Date`, or payload
digest, against every record of the run's files read so far; those still open at the end are
tried again against the whole run and the WARC files of captures already in the dataset.
Paths may be object-storage URIs (`s3://bucket/crawl.warc.gz`, read through warehouse/storage.py).
"""

from __future__ import annotations

import functools
import logging
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import PurePosixPath
from typing import IO

from fastwarc.warc import ArchiveIterator as FastIterator
from fastwarc.warc import WarcRecordType

from flows.acquire.captures import Capture, CaptureRef
from flows.acquire.warcbody import MAX_BODY_BYTES, BodyTooLarge, decode_payload, is_feed
from flows.acquire.warcbytes import ends_early, gzipped_as_a_whole, salvaged_headers
from flows.acquire.warcrecords import (
    CAPTURE_TYPES,
    RawRecord,
    Tally,
    WarcReadError,
    iter_records,
    record_at,
    sniff,
)
from warehouse import storage

__all__ = ["WarcInput", "WarcReadError", "check_warc_file", "check_warc_files", "read_capture_at", "read_warc"]

log = logging.getLogger("newsarchive")

_PAGE_SCHEMES = ("http://", "https://")
_RECENT_ORIGINALS = 32  # revisits' originals kept, each at most _RECENT_BODY_BYTES (so 64 MB at most)
_RECENT_BODY_BYTES = 2 * 1024 * 1024


@dataclass
class WarcInput:
    """What the files of one run share: where each capture's record is (to resolve revisits
    across files), the revisits still open, and the count of records that are not captures."""

    max_bytes: int = MAX_BODY_BYTES
    other_records: dict[str, int] = field(default_factory=dict)  # WARC-Type -> count
    # hash(key) -> (file, offset): a 64-bit hash instead of the key keeps a run of millions of
    # records in tens of MB (the file name string is shared by all of a file's records).
    _originals: dict[int, tuple[str, int]] = field(default_factory=dict)
    _open_revisits: list[tuple[Capture, tuple[str, ...]]] = field(default_factory=list)
    _indexed_files: set[str] = field(default_factory=set)
    # Records are indexed only once the run meets its first revisit (most files have none, and
    # indexing is a third of the reader's own time per record): then the files read so far are
    # indexed in one pass, and every record after that as it is read.
    _indexing: bool = False
    _unindexed_files: list[str] = field(default_factory=list)
    # The originals read last (place -> capture): a crawl's revisits keep pointing at the same
    # few originals (pywb's iana.org crawl: 123 revisits of 10), each read once, not once a revisit.
    _recent_originals: OrderedDict[tuple[str, int], Capture] = field(default_factory=OrderedDict)

    def remember(self, raw: RawRecord, path: str) -> None:
        """Index the record `raw` of `path` under its id, its URL + date and its payload digest
        (the keys `_revisit_keys` makes of a revisit's references to it)."""
        place, originals, header = (path, raw.offset), self._originals, raw.headers.get
        if record_id := header("warc-record-id"):
            originals.setdefault(hash(f"id {record_id}"), place)
        if (url := header("warc-target-uri")) and (date := header("warc-date")):
            originals.setdefault(hash(f"at {url.strip('<>')} {date}"), place)
        if digest := header("warc-payload-digest"):
            originals.setdefault(hash(f"digest {digest}"), place)

    def start_indexing(self) -> None:
        """At the run's first revisit: index the files read so far, the one being read whole."""
        for path in self._unindexed_files:
            try:
                with _open(path) as handle:
                    kind = _kind(path, handle, _size(path))
                    for raw in iter_records(handle, kind, Tally(), max_bytes=0):
                        if raw.problem is None and raw.kind != "revisit":
                            self.remember(raw, path)
            except WarcReadError as error:  # a file that stops being readable: what was read counts
                log.info("indexed %s for revisits up to where it stops: %s", path, error)
            self._indexed_files.add(path)
        self._unindexed_files.clear()
        self._indexing = True

    def fill_from_original(self, capture: Capture, place: tuple[str, int]) -> None:
        """The revisit `capture` gets the body, status and headers of the record at `place`."""
        original = self._recent_originals.get(place)
        if original is None:
            try:
                original = read_capture_at(place[0], place[1], max_bytes=self.max_bytes)
            except WarcReadError as error:
                capture.error_reason, capture.error_detail = "revisit", f"its original cannot be read: {error}"
                return
            if len(original.body) <= _RECENT_BODY_BYTES:
                self._recent_originals[place] = original
                if len(self._recent_originals) > _RECENT_ORIGINALS:
                    self._recent_originals.popitem(last=False)
        else:
            self._recent_originals.move_to_end(place)
        capture.body = original.body
        capture.http_status = original.http_status
        capture.content_type = original.content_type
        capture.headers = dict(original.headers)
        capture.error_reason, capture.error_detail = original.error_reason, original.error_detail

    def original_of(self, keys: Iterable[str]) -> tuple[str, int] | None:
        for key in keys:
            if (found := self._originals.get(hash(key))) is not None:
                return found
        return None

    def finish(self, dataset_files: Iterable[str] = ()) -> Iterator[Capture]:
        """The revisits still open, resolved against the whole run, then against `dataset_files`
        (the WARC files of captures already ingested); those never found stay `revisit`."""
        open_revisits, self._open_revisits = self._open_revisits, []
        if open_revisits:
            for path in dataset_files:
                if path not in self._indexed_files:
                    self._index_file(path)
        for capture, keys in open_revisits:
            place = self.original_of(keys)
            if place is not None:
                self.fill_from_original(capture, place)
            else:
                capture.error_reason = "revisit"
                capture.error_detail = "revisit record whose original response is in none of the files read"
            yield capture

    def _index_file(self, path: str) -> None:
        """Record ids, digests and URL+dates of a file's responses, headers only (fast)."""
        try:
            with storage.open_input(path) as handle:
                wanted = WarcRecordType.response | WarcRecordType.resource
                for record in FastIterator(handle, record_types=wanted, parse_http=False):
                    headers = {k.lower(): v.strip() for k, v in record.headers.items()}
                    self.remember(RawRecord(record.stream_pos, "response", headers), path)
        except (OSError, ValueError) as error:
            log.info("could not index %s for revisits: %s", path, error)
        self._indexed_files.add(path)


def _revisit_keys(raw: RawRecord) -> tuple[str, ...]:
    keys = []
    if refers := raw.header("warc-refers-to"):
        keys.append(f"id {refers}")
    if (url := raw.header("warc-refers-to-target-uri")) and (date := raw.header("warc-refers-to-date")):
        keys.append(f"at {url.strip('<>')} {date}")
    if digest := raw.header("warc-payload-digest"):
        keys.append(f"digest {digest}")
    return tuple(keys)


def read_warc(
    path: str, *, source: str = "warc", shared: WarcInput | None = None, max_bytes: int = MAX_BODY_BYTES
) -> Iterator[Capture]:
    """Yield one `Capture` per response/resource/revisit record of the WARC or ARC at `path`.

    With `shared` (one per run), revisits not resolved in this file are kept for
    `shared.finish()`; without it they are resolved or given up at the end of this file.
    Raises `WarcReadError` when the file cannot be read at all (missing, not a WARC, gzipped as
    a whole) or stops being readable; captures read before that have been yielded.
    """
    run = shared if shared is not None else WarcInput(max_bytes=max_bytes)
    size = _size(path)
    pending: Capture | None = None  # held back one record: the last one may be truncated
    cut_record: Capture | None = None
    tally = Tally(others=run.other_records)  # records that are not captures are counted, not yielded
    if not run._indexing and path not in run._unindexed_files:
        run._unindexed_files.append(path)
    with _open(path) as handle:
        kind = _kind(path, handle, size)
        try:
            for raw in iter_records(handle, kind, tally, run.max_bytes):
                if raw.problem is not None and not raw.header("warc-target-uri"):
                    raw.headers.update(salvaged_headers(handle, raw.offset))  # the slow path seeks anew
                capture = _capture(raw, path, source, run)
                if capture is None:
                    continue  # a revisit waiting for its original
                if pending is not None:
                    yield pending
                pending = capture
        except WarcReadError as error:
            if pending is not None:
                yield pending
            raise WarcReadError(f"cannot read WARC file {path}: {error}") from error
        if tally.records == 0:
            raise WarcReadError(
                f"cannot read WARC file {path}: no record could be read (WARC headers must end their lines with CRLF)"
            )
        if kind == "warc":
            last_offset = tally.last_offset
            cut, leftover = ends_early(handle, last_offset, size)
            if cut and pending is not None and pending.warc_offset == last_offset:
                pending.error_reason = "truncated_record"
                pending.error_detail = f"the file ends inside the record at byte {last_offset}"
                pending.body = b""
            elif leftover is not None:
                cut_record = _cut_record(handle, leftover, path, source, run)
    if pending is not None:
        yield pending
    if cut_record is not None:
        yield cut_record
    if run._indexing:
        run._indexed_files.add(path)
    if shared is None:
        yield from run.finish()


def _open(path: str) -> IO[bytes]:
    try:
        return storage.open_input(path)
    except OSError as error:
        raise WarcReadError(f"cannot read WARC file {path}: {error}") from error


def _kind(path: str, handle: IO[bytes], size: int) -> str:
    """'warc' or 'arc'; WarcReadError for anything else."""
    if size == 0:
        raise WarcReadError(f"empty WARC file: {path}")
    try:
        kind = sniff(handle.read(1 << 12))
    except OSError as error:
        raise WarcReadError(f"cannot read WARC file {path}: {error}") from error
    handle.seek(0)
    if kind == "unknown":
        raise WarcReadError(f"not a WARC file: {path} (no 'WARC/' record header, and not an ARC file)")
    if kind == "warc" and gzipped_as_a_whole(handle):
        raise WarcReadError(
            f"cannot read WARC file {path}: it is gzipped as a whole, not record by record, so its records "
            "cannot be addressed; recompress it with `warcio recompress IN.warc.gz OUT.warc.gz` (or gunzip it)"
        )
    handle.seek(0)
    return kind


def _size(path: str) -> int:
    """The file's size; WarcReadError when it does not exist (or the store cannot be reached)."""
    try:
        size = storage.file_size(path)
    except storage.StorageError as error:
        raise WarcReadError(str(error)) from error
    except OSError as error:
        raise WarcReadError(f"cannot read WARC file {path}: {error}") from error
    if size is None:
        raise WarcReadError(f"WARC file not found: {path}")
    return size


def _cut_record(handle: IO[bytes], offset: int, path: str, source: str, run: WarcInput) -> Capture | None:
    """The capture of a last gzip member cut so early that no parser yields it (None when the
    bytes there are not a record's start)."""
    headers = salvaged_headers(handle, offset)
    if not headers:
        return None
    problem = ("truncated_record", f"the file ends inside the record at byte {offset}")
    raw = RawRecord(offset=offset, kind=headers.get("warc-type", "unknown"), headers=headers, problem=problem)
    return _capture(raw, path, source, run)


def check_warc_file(path: str) -> None:
    """Cheap check before a run: the file exists, is not empty and starts like a WARC or ARC
    (gzipped or not)."""
    size = _size(path)  # first: a missing file says "not found"
    with _open(path) as handle:
        _kind(path, handle, size)


def check_warc_files(paths: Iterable[str]) -> None:
    """Before a run over `paths`: WarcReadError when not one of them is usable (one `Error:`
    line per file when printed); when some are, the run reads those and names the others."""
    problems = []
    paths = list(paths)
    for path in paths:
        try:
            check_warc_file(path)
        except WarcReadError as error:
            problems.append(str(error))
    if paths and len(problems) == len(paths):
        raise WarcReadError("\nError: ".join(problems))


def _capture(raw: RawRecord, path: str, source: str, run: WarcInput) -> Capture | None:
    headers = raw.headers
    header = headers.get  # (values are stripped; an empty one is as good as none)
    url = (header("warc-target-uri") or "").strip("<>")
    record_key = None if raw.from_arc else header("warc-record-id")
    ref = CaptureRef(
        url=url,
        archive_url=header("warc-source-uri") or None,
        captured_at=raw.date,
        # Our own raw archive records the original source and capture id, so reprocessing
        # updates the same ledger rows instead of adding new ones.
        source=header("newsarchive-source") or source,
        digest=header("warc-payload-digest") or None,
        published_hint=_hint(raw) if "newsarchive-published-hint" in headers else None,
        stored_capture_id=header("newsarchive-capture-id") or None,
        # The record id alone is not enough: real files repeat records (and their ids).
        record_key=f"{record_key or _file_name(path)}@{raw.offset}",
    )
    capture = Capture(ref, warc_file=path, warc_offset=raw.offset)
    if raw.problem is not None:
        capture.error_reason, capture.error_detail = raw.problem
        return capture
    if not url.lower().startswith(_PAGE_SCHEMES):
        capture.error_reason = "not_a_page"
        capture.error_detail = f"a {url.split(':', 1)[0]}: record, not a web page"
        return capture
    _fill(capture, raw, run.max_bytes)
    if raw.kind == "revisit":
        if not run._indexing:
            run.start_indexing()
        keys = _revisit_keys(raw)
        place = run.original_of(keys)
        if place is None:
            run._open_revisits.append((capture, keys))
            return None
        run.fill_from_original(capture, place)
    elif run._indexing:
        run.remember(raw, path)
    return capture


@functools.lru_cache(maxsize=64)
def _file_name(path: str) -> str:
    return PurePosixPath(path).name


def _fill(capture: Capture, raw: RawRecord, max_bytes: int) -> None:
    """Status, headers, content type and the decoded body of `raw` (or why there is none)."""
    if raw.is_http:
        capture.http_status = raw.http_status
        capture.headers = dict(raw.http_headers)
        capture.content_type = raw.http_content_type
    else:
        capture.http_status = 200
        capture.content_type = raw.header("content-type")
    if not raw.payload_complete:
        capture.error_reason, capture.error_detail = "too_large", f"the stored body exceeds {max_bytes} bytes"
        return
    try:
        encoded = raw.is_http and raw.http_encoded
        capture.body = decode_payload(raw.payload, raw.http_headers, max_bytes) if encoded else raw.payload
    except BodyTooLarge as error:
        capture.error_reason, capture.error_detail = "too_large", str(error)
        return
    if is_feed(capture.content_type, capture.body):
        capture.error_reason, capture.error_detail = "not_html", "an RSS/Atom feed, not a page"


def _hint(raw: RawRecord) -> datetime | None:
    """Our own `Newsarchive-Published-Hint` header; one that does not parse is ignored (the
    record is read as if it had none), never the end of the file."""
    text = raw.header("newsarchive-published-hint")
    if not text:
        return None
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        log.info("record at byte %d: ignored Newsarchive-Published-Hint %r", raw.offset, text[:80])
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def read_capture_at(path: str, offset: int, *, source: str = "warc", max_bytes: int = MAX_BODY_BYTES) -> Capture:
    """The capture whose record starts at byte `offset` of `path` (for reprocessing, revisits)."""
    with _open(path) as handle:
        kind = _kind(path, handle, _size(path))
        raw = record_at(handle, offset, kind, max_bytes)
    if raw is None or raw.kind not in CAPTURE_TYPES or not raw.header("warc-target-uri"):
        raise WarcReadError(f"no WARC record at offset {offset} of {path}")
    run = WarcInput(max_bytes=max_bytes)
    capture = _capture(raw, path, source, run)
    if capture is None:  # a revisit: its original is looked up in the same file
        capture, _ = run._open_revisits[0]
        capture.error_reason = "revisit"
        capture.error_detail = "revisit record (read alone, its original is not looked up)"
    capture.warc_offset = offset
    return capture
