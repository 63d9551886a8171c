"""Write small WARC files for tests, with warcio (an independent writer from our FastWARC reader)."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter


def write_warc(path: Path, records: list[dict], *, gzip: bool = True, with_requests: bool = False) -> Path:
    """Each record: url, body (bytes), date ('2019-03-04T10:15:00Z'), status (200),
    content_type ('text/html; charset=utf-8'), optional source_uri, optional revisit_of (digest)."""
    with open(path, "wb") as handle:
        writer = WARCWriter(handle, gzip=gzip)
        for spec in records:
            status = spec.get("status", 200)
            http_headers = StatusAndHeaders(
                f"{status} {'OK' if status == 200 else 'Error'}",
                [("Content-Type", spec.get("content_type", "text/html; charset=utf-8"))],
                protocol="HTTP/1.1",
            )
            warc_headers = {"WARC-Date": spec.get("date", "2019-03-04T10:15:00Z")}
            if spec.get("source_uri"):
                warc_headers["WARC-Source-URI"] = spec["source_uri"]
            if spec.get("revisit_of"):
                record = writer.create_revisit_record(
                    spec["url"],
                    digest=spec["revisit_of"],
                    refers_to_uri=spec["url"],
                    refers_to_date=spec.get("date", "2019-03-04T10:15:00Z"),
                    http_headers=http_headers,
                )
                for key, value in warc_headers.items():
                    record.rec_headers.replace_header(key, value)
            else:
                record = writer.create_warc_record(
                    spec["url"],
                    "response",
                    payload=BytesIO(spec["body"]),
                    http_headers=http_headers,
                    warc_headers_dict=warc_headers,
                )
            writer.write_record(record)
            if with_requests:
                request = writer.create_warc_record(
                    spec["url"],
                    "request",
                    payload=BytesIO(b""),
                    http_headers=StatusAndHeaders(
                        "GET / HTTP/1.1", [("Host", "news.example.com")], is_http_request=True
                    ),
                    warc_headers_dict={"WARC-Date": warc_headers["WARC-Date"]},
                )
                writer.write_record(request)
            spec["digest"] = record.rec_headers.get_header("WARC-Payload-Digest")
    return path
