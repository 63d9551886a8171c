"""The bundled sample archive: deterministic, readable by both WARC libraries, and as promised.

The committed `flows/sample/archive.warc.gz` and `expected.json` are what the quick start and the
extraction golden tests use, so these tests pin that they are rebuilt byte for byte by the
generator (tests/fixtures/sample_archive.py) and that the ground truth describes exactly what is
in the WARC.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import subprocess
import sys
from collections import Counter
from datetime import datetime
from pathlib import Path

import lxml.html
import pytest
from fastwarc.warc import ArchiveIterator as FastArchiveIterator
from fastwarc.warc import WarcRecordType
from warcio.archiveiterator import ArchiveIterator

from tests.fixtures import sample_archive

SAMPLE_DIR = sample_archive.BUNDLED_DIR
REPO_ROOT = SAMPLE_DIR.parent.parent


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("sample")
    sample_archive.generate(out)
    return out


@pytest.fixture(scope="module")
def captures() -> list[dict]:
    return json.loads((SAMPLE_DIR / "expected.json").read_text(encoding="utf-8"))["captures"]


@pytest.fixture(scope="module")
def responses() -> list[dict]:
    """Every response record of the committed WARC, read with warcio."""
    records = []
    with open(SAMPLE_DIR / "archive.warc.gz", "rb") as stream:
        for record in ArchiveIterator(stream):
            if record.rec_type != "response":
                continue
            records.append(
                {
                    "uri": record.rec_headers.get_header("WARC-Target-URI"),
                    "date": record.rec_headers.get_header("WARC-Date"),
                    "record_id": record.rec_headers.get_header("WARC-Record-ID"),
                    "status": int(record.http_headers.get_statuscode()),
                    "content_type": record.http_headers.get_header("Content-Type"),
                    "body": record.content_stream().read(),
                }
            )
    return records


def page_text(body: bytes, charset: str) -> str:
    """Visible text of a page, tags replaced by spaces, whitespace collapsed."""
    root = lxml.html.document_fromstring(body.decode(charset))
    for script in root.xpath("//script"):
        script.drop_tree()
    return " ".join(" ".join(root.itertext()).split())


def test_generator_is_deterministic(generated, tmp_path):
    sample_archive.generate(tmp_path)
    for name in (sample_archive.WARC_FILENAME, sample_archive.EXPECTED_FILENAME):
        assert sha256(tmp_path / name) == sha256(generated / name), name


def test_committed_files_match_the_generator(generated):
    # If this fails, rerun `make sample` and review the diff.
    for name in (sample_archive.WARC_FILENAME, sample_archive.EXPECTED_FILENAME):
        assert sha256(SAMPLE_DIR / name) == sha256(generated / name), name


def test_module_runs_as_a_script_into_a_given_directory(tmp_path, generated):
    result = subprocess.run(
        [sys.executable, "-m", "tests.fixtures.sample_archive", str(tmp_path)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "archive.warc.gz" in result.stdout
    assert sha256(tmp_path / sample_archive.WARC_FILENAME) == sha256(generated / sample_archive.WARC_FILENAME)


def test_warc_is_small_and_every_record_is_its_own_gzip_member():
    data = (SAMPLE_DIR / "archive.warc.gz").read_bytes()
    assert len(data) < 1_000_000
    assert gzip.decompress(data).startswith(b"WARC/1.0\r\n")
    # gzip header: magic, deflate, flags, then mtime 0 (bytes 4..8) for reproducible output.
    assert data[:4] == b"\x1f\x8b\x08\x00" and data[4:8] == b"\x00\x00\x00\x00"


def test_warcio_records_match_expected(responses, captures):
    assert len(responses) == len(captures)
    assert len({r["record_id"] for r in responses}) == len(responses)
    for record, entry in zip(responses, captures, strict=True):
        assert record["uri"] == entry["captured_url"]
        assert record["date"] == entry["captured_at"]
        assert record["status"] == entry["http_status"]
        assert record["content_type"] == entry["content_type"]


def test_fastwarc_reads_the_same_records(responses):
    uris = []
    with open(SAMPLE_DIR / "archive.warc.gz", "rb") as stream:
        for record in FastArchiveIterator(stream, record_types=WarcRecordType.response, parse_http=True):
            assert record.verify_payload_digest(consume=False)
            expected = responses[len(uris)]
            uris.append(record.headers["WARC-Target-URI"])
            assert record.http_headers.status_code == expected["status"]
            assert record.reader.read() == expected["body"]
    assert uris == [r["uri"] for r in responses]
    with open(SAMPLE_DIR / "archive.warc.gz", "rb") as stream:
        block_digests_ok = [record.verify_block_digest() for record in FastArchiveIterator(stream, parse_http=False)]
    assert len(block_digests_ok) == len(responses) + 1  # plus the leading warcinfo record
    assert all(block_digests_ok)


def test_counts_and_kinds(captures):
    kinds = Counter(c["kind"] for c in captures)
    assert kinds["article"] >= 64
    assert kinds["index"] == len(sample_archive.OUTLETS)
    assert kinds["home"] == 1 and kinds["not_found"] == 1 and kinds["image"] == 1
    articles = [c for c in captures if c["kind"] == "article"]
    assert len({c["url"] for c in articles}) >= 64
    per_outlet = Counter(c["publication"] for c in articles)
    assert len(per_outlet) >= 4
    assert min(per_outlet.values()) >= 16
    assert {c["language"] for c in articles} >= {"en", "de", "ru"}


def test_rejections_carry_their_reason(captures, responses):
    for entry, record in zip(captures, responses, strict=True):
        if entry["kind"] == "article":
            assert entry["reason"] is None
        elif entry["kind"] == "not_found":
            assert (entry["reason"], record["status"]) == ("http_404", 404)
        elif entry["kind"] == "image":
            assert entry["reason"] == "not_html"
            assert record["content_type"] == "image/jpeg" and record["body"].startswith(b"\xff\xd8")
        else:
            assert entry["reason"] == "not_article"
            assert record["status"] == 200


def test_articles_have_clean_complete_ground_truth(captures):
    fields = {"title", "authors", "published_at", "publication", "language", "section", "paragraphs", "description"}
    for entry in captures:
        if entry["kind"] != "article":
            continue
        assert fields <= entry.keys()
        assert entry["title"] and entry["paragraphs"] and entry["authors"]
        assert all(name == " ".join(name.split()) and not name.isupper() for name in entry["authors"])
        published_at = datetime.fromisoformat(entry["published_at"])
        captured_at = datetime.fromisoformat(entry["captured_at"])
        assert published_at < captured_at
        assert "?" not in entry["url"] and "#" not in entry["url"]


def test_capture_times_spread_over_2010_to_2024(captures):
    years = {datetime.fromisoformat(c["captured_at"]).year for c in captures}
    assert min(years) >= 2010 and max(years) <= 2025
    assert len(years) >= 10


def test_same_url_captured_more_than_once(captures):
    article_urls = Counter(c["url"] for c in captures if c["kind"] == "article")
    repeated = [url for url, count in article_urls.items() if count > 1]
    assert len(repeated) >= 2
    for url in repeated:
        times = [c["captured_at"] for c in captures if c["url"] == url]
        assert len(set(times)) == len(times)


def test_tracking_params_and_fragments_need_canonicalising(captures):
    captured = [c["captured_url"] for c in captures if c["captured_url"] != c["url"]]
    assert sum("utm_source=" in u for u in captured) >= 4
    assert sum("#" in u for u in captured) >= 2


def test_non_utf8_pages_declare_their_charset(captures, responses):
    by_charset = Counter(c["charset"] for c in captures if c["kind"] == "article")
    assert by_charset["windows-1251"] >= 16
    assert by_charset["windows-1252"] + by_charset["iso-8859-1"] >= 16
    header_only = meta_only = 0
    for entry, record in zip(captures, responses, strict=True):
        charset = entry["charset"]
        if charset in (None, "utf-8"):
            continue
        with pytest.raises(UnicodeDecodeError):
            record["body"].decode("utf-8")
        in_header = "charset=" in record["content_type"]
        in_meta = re.search(rb"<meta[^>]+charset=\"?" + charset.encode(), record["body"]) is not None
        assert in_header or in_meta, entry["captured_url"]
        header_only += in_header and not in_meta
        meta_only += in_meta and not in_header
    assert header_only >= 4 and meta_only >= 4
    cyrillic = [
        r["body"].decode("windows-1251")
        for c, r in zip(captures, responses, strict=True)
        if c["charset"] == "windows-1251"
    ]
    assert any("Москва" in text for text in cyrillic)


def test_ground_truth_is_in_the_page(captures, responses):
    """Each true paragraph, title and author is visible in the page it describes."""
    for entry, record in zip(captures, responses, strict=True):
        if entry["kind"] != "article":
            continue
        text = page_text(record["body"], entry["charset"])
        for paragraph in entry["paragraphs"]:
            assert paragraph in text, (entry["captured_url"], paragraph)
        assert entry["title"] in text
        for name in entry["authors"]:
            assert name.lower() in text.lower()
        assert entry["description"] in record["body"].decode(entry["charset"])


def test_quirks_appear_several_times(captures, responses):
    pages = [
        (c, r["body"].decode(c["charset"])) for c, r in zip(captures, responses, strict=True) if c["kind"] == "article"
    ]

    def count(predicate) -> int:
        return sum(1 for entry, page in pages if predicate(entry, page))

    assert count(lambda e, p: '"@graph"' in p) >= 4
    assert count(lambda e, p: re.search(r'"author": "[^"]+ and [^"]+"', p) is not None) >= 2
    assert count(lambda e, p: '<a href="#">' in p) >= 2
    assert count(lambda e, p: "/authors/" in p) >= 4
    assert count(lambda e, p: "Staff Reporter" in p) >= 2
    assert count(lambda e, p: "@valleyherald.com" in p) >= 2
    assert count(lambda e, p: "| Updated" in p) >= 4
    assert count(lambda e, p: re.search(r">\d\d\.\d\d\.\d{4}, \d\d:\d\d Uhr<", p) is not None) >= 16
    assert count(lambda e, p: " ET" in p) >= 4
    assert count(lambda e, p: "Von " in p) >= 4
    assert count(lambda e, p: re.search(r'<meta name="date" content="\d{4}-\d\d-\d\d">', p) is not None) >= 4
    assert count(lambda e, p: f"{e['title']} - The Harbour Gazette</title>" in p) >= 4
    assert count(lambda e, p: f"{e['title']} | Valley Herald</title>" in p) >= 4
    assert count(lambda e, p: "<figcaption>" in p or "bildunterschrift" in p) >= 8
    assert count(lambda e, p: 'class="comment' in p) >= 8
    assert count(lambda e, p: "Most read" in p) >= 4
    assert count(lambda e, p: "newsletter-signup" in p) >= 4
    assert (
        count(
            lambda e, p: any(
                d in p
                for d in ("views expressed", "do not reflect the views", "nicht die Meinung", "может не совпадать")
            )
        )
        >= 16 * 4
    )
    # A logical paragraph split across two <p> elements or by a <br> in mid-sentence.
    assert (
        count(
            lambda e, p: any(
                f"<p>{para}</p>" not in p.replace("&quot;", '"').replace("&#x27;", "'") and "<" not in para
                for para in e["paragraphs"]
            )
        )
        >= 12
    )
    assert count(lambda e, p: "<br>" in p) >= 2
    # The visible date, the JSON-LD and the meta tags use different offsets for the same instant.
    assert count(lambda e, p: re.search(r'"datePublished": "[^"]+[+-]0\d:00"', p) is not None) >= 8
    assert count(lambda e, p: any(ch.isdigit() for ch in e["title"])) >= 8


def test_every_article_states_its_publish_instant_unambiguously(captures, responses):
    """Somewhere in each page (JSON-LD, meta or <time>) the true instant appears with an offset."""
    stamp = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:Z|[+-]\d\d:\d\d)")
    for entry, record in zip(captures, responses, strict=True):
        if entry["kind"] != "article":
            continue
        page = record["body"].decode(entry["charset"])
        instants = {datetime.fromisoformat(found) for found in stamp.findall(page)}
        assert datetime.fromisoformat(entry["published_at"]) in instants, entry["captured_url"]
