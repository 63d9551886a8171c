"""Test data made here: HTML pages, WARC files (written with warcio, an independent writer from
our FastWARC reader) and warehouse records. Nothing is copied from real sites.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from io import BytesIO
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from transforms.records import Article, CaptureOutcome

# --- Pages ------------------------------------------------------------------------------------


def article_html(title: str, paragraph_count: int = 3, *, charset: str = "utf-8") -> str:
    """A small synthetic news page."""
    paragraphs = "\n".join(
        f"<p>Paragraph {i} of {title}: the council met on Tuesday and agreed, after a long debate "
        f"about the harbour, to publish the minutes in full next week.</p>"
        for i in range(1, paragraph_count + 1)
    )
    return (
        f'<!doctype html><html><head><meta charset="{charset}"><title>{title} | Harbour Gazette</title>'
        f"</head><body><article><h1>{title}</h1>{paragraphs}</article></body></html>"
    )


def json_ld(data: dict) -> str:
    """A JSON-LD <script> element holding `data`."""
    return f'<script type="application/ld+json">{json.dumps(data)}</script>'


# --- WARC files -------------------------------------------------------------------------------

WARC_DATE = "2019-03-04T10:15:00Z"  # the capture time of a page given without one


@dataclass(frozen=True, slots=True)
class ArchivedPage:
    """One capture put into a test WARC: a response, or a revisit of the payload `revisit_of`
    (a WARC-Payload-Digest) when that is set."""

    url: str
    captured_at: datetime
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    source_uri: str | None = None  # WARC-Source-URI, as crawlers that read from an archive write it
    revisit_of: str | None = None

    @property
    def timestamp(self) -> str:
        """The 14-digit archive timestamp (as in a Wayback URL)."""
        return self.captured_at.strftime("%Y%m%d%H%M%S")

    @property
    def warc_date(self) -> str:
        return self.captured_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def archived_article(url: str, captured_at: datetime, title: str) -> ArchivedPage:
    """A capture of a five-paragraph `article_html` page."""
    return ArchivedPage(url, captured_at, article_html(title, 5).encode("utf-8"))


def _as_page(spec: ArchivedPage | dict) -> ArchivedPage:
    if isinstance(spec, ArchivedPage):
        return spec
    return ArchivedPage(
        url=spec["url"],
        captured_at=datetime.fromisoformat(spec.get("date", WARC_DATE)),
        body=spec.get("body", b""),
        content_type=spec.get("content_type", "text/html; charset=utf-8"),
        status=spec.get("status", 200),
        source_uri=spec.get("source_uri"),
        revisit_of=spec.get("revisit_of"),
    )


def _reason_phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Status"


def write_warc(
    path: Path, pages: Iterable[ArchivedPage | dict], *, gzip: bool = True, with_requests: bool = False
) -> Path:
    """A WARC with one record per page (a response, or a revisit), as a crawler would write it;
    with `with_requests`, each followed by its request record.

    A page is an `ArchivedPage`, or a dict of the same fields with the capture time as a WARC
    date string under `date` (default WARC_DATE); a dict gets its record's WARC-Payload-Digest
    back under `digest`, for a later revisit of it.
    """
    with open(path, "wb") as handle:
        writer = WARCWriter(handle, gzip=gzip)
        for spec in pages:
            page = _as_page(spec)
            reason = _reason_phrase(page.status)
            warc_headers = {"WARC-Date": page.warc_date}
            if page.source_uri:
                warc_headers["WARC-Source-URI"] = page.source_uri
            if page.revisit_of:
                http_headers = StatusAndHeaders(
                    f"{page.status} {reason}", [("Content-Type", page.content_type)], protocol="HTTP/1.1"
                )
                record = writer.create_revisit_record(
                    page.url,
                    digest=page.revisit_of,
                    refers_to_uri=page.url,
                    refers_to_date=page.warc_date,
                    http_headers=http_headers,
                )
                for key, value in warc_headers.items():
                    record.rec_headers.replace_header(key, value)
            else:
                http_headers = StatusAndHeaders(
                    f"{page.status} {reason}",
                    [("Content-Type", page.content_type), ("Content-Length", str(len(page.body)))],
                    protocol="HTTP/1.1",
                )
                record = writer.create_warc_record(
                    page.url,
                    "response",
                    payload=BytesIO(page.body),
                    length=len(page.body),
                    http_headers=http_headers,
                    warc_headers_dict=warc_headers,
                )
            writer.write_record(record)
            if with_requests:
                request = writer.create_warc_record(
                    page.url,
                    "request",
                    payload=BytesIO(b""),
                    http_headers=StatusAndHeaders(
                        "GET / HTTP/1.1", [("Host", "news.example.com")], is_http_request=True
                    ),
                    warc_headers_dict={"WARC-Date": page.warc_date},
                )
                writer.write_record(request)
            if isinstance(spec, dict):
                spec["digest"] = record.rec_headers.get_header("WARC-Payload-Digest")
    return path


# --- Warehouse records ------------------------------------------------------------------------

BASE_TIME = datetime(2015, 3, 1, 12, 0, tzinfo=UTC)
WORDS = ["harbour", "council", "budget", "river", "bridge", "school", "election", "market", "weather", "festival"]


def make_article(number: int, **overrides) -> Article:
    """A valid synthetic article; `number` makes url, id and text unique."""
    url = overrides.pop("url", f"https://news{number % 3}.example.com/story/{number}")
    text = overrides.pop("text", " ".join(WORDS[(number + k) % len(WORDS)] for k in range(40)) + f" story{number}")
    captured_at = overrides.pop("captured_at", BASE_TIME + timedelta(days=number))
    fields = dict(
        article_id=hashlib.sha256(url.encode()).hexdigest()[:32],
        url=url,
        archive_url=None,
        captured_at=captured_at,
        publication=f"Example News {number % 3}",
        domain="example.com",
        title=f"Story number {number}",
        authors=("Jane Doe",),
        published_at=captured_at - timedelta(hours=6),
        language="en",
        text=text,
        word_count=len(text.split()),
        content_hash=hashlib.sha256(text.encode()).hexdigest(),
        run_id="20150301T000000Z-aaaaaa",
    )
    fields.update(overrides)
    return Article(**fields)


def make_outcome(number: int, **overrides) -> CaptureOutcome:
    """A capture's ledger row (an article by default); `number` makes its id and URL unique."""
    fields = dict(
        capture_id=f"cap{number:04d}",
        url=f"https://news.example.com/story/{number}",
        archive_url=None,
        captured_at=BASE_TIME,
        status="article",
        reason=None,
        detail=None,
        http_status=200,
        content_type="text/html",
        byte_count=1000,
        attempt_count=1,
        duration_ms=12,
        warc_file=None,
        warc_offset=None,
        article_id=None,
        source="warc",
        run_id="20150301T000000Z-aaaaaa",
        recorded_at=BASE_TIME,
    )
    fields.update(overrides)
    return CaptureOutcome(**fields)
