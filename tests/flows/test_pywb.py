"""CDX discovery and raw `id_` fetching against a real pywb archive (tests/support/pywb.py)."""

from __future__ import annotations

import pytest

from flows.acquire.addresses import AddressPolicy
from flows.acquire.cdx import query_cdx
from flows.acquire.fetching import fetch_batch
from flows.acquire.http import Fetcher, RetryPolicy
from flows.acquire.limits import HostRateLimiter
from flows.acquire.rawarchive import RawArchive
from flows.acquire.urllists import read_url_list
from flows.acquire.warc import read_capture_at
from tests.support.pywb import COUNCIL_V1, PYWB_PAGES

PATTERN = "harbour-gazette.example/*"


def pywb_fetcher() -> Fetcher:
    # pywb runs on 127.0.0.1: a generous limit keeps the test quick while still going through
    # the limiter; the archive host is not a live site, so no robots.txt.
    return Fetcher(
        HostRateLimiter(host_limits={"127.0.0.1": 50.0}, cdx_rate=50.0),
        retry=RetryPolicy(max_retries=1, read_timeout=10.0),
        policy=AddressPolicy(allow_private=True),  # pywb listens on 127.0.0.1
    )


def cdx(pywb_archive, **options) -> list[tuple[str, str]]:
    with pywb_fetcher() as fetcher:
        refs = list(query_cdx(PATTERN, archive=pywb_archive.base_url, fetcher=fetcher, **options))
    for ref in refs:
        assert ref.archive_url == f"{pywb_archive.base_url}/{ref.captured_at:%Y%m%d%H%M%S}id_/{ref.url}"
        assert ref.source == "cdx" and ref.http_status == 200 and ref.digest
    return [(ref.url.rsplit("/", 1)[1], f"{ref.captured_at:%Y%m%d}") for ref in refs]


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        # the earliest good capture of each URL (the default)
        ("first", [("cafe", "20200505"), ("council-vote", "20200110"), ("ferry-strike", "20200601")]),
        # the latest
        ("last", [("cafe", "20200505"), ("council-vote", "20200310"), ("ferry-strike", "20200601")]),
        # every distinct capture: the February capture has January's bytes and is dropped
        (
            "all",
            [
                ("cafe", "20200505"),
                ("council-vote", "20200110"),
                ("council-vote", "20200310"),
                ("ferry-strike", "20200601"),
            ],
        ),
    ],
)
def test_cdx_from_to_and_capture_policy(pywb_archive, policy, expected):
    # 2020 only: the 2019 lighthouse and 2021 market-day captures fall outside.
    assert cdx(pywb_archive, from_="2020", to="20201231", capture_policy=policy) == expected


def test_cdx_without_range_keeps_only_html_200(pywb_archive):
    names = [name for name, _ in cdx(pywb_archive)]
    # no image, no 404, no other outlet
    assert names == ["cafe", "council-vote", "ferry-strike", "market-day", "old-lighthouse"]


def test_raw_fetches_return_the_exact_bytes(pywb_archive, tmp_path):
    with pywb_fetcher() as fetcher:
        refs = list(query_cdx(PATTERN, archive=pywb_archive.base_url, fetcher=fetcher, capture_policy="all"))
        with RawArchive(tmp_path / "warc") as archive:
            captures = fetch_batch(refs, fetcher, archive, max_workers=4)
    expected = {(p.url, p.timestamp): p for p in PYWB_PAGES}
    assert len(captures) == 6
    for capture in captures:
        page = expected[(capture.ref.url, f"{capture.ref.captured_at:%Y%m%d%H%M%S}")]
        assert capture.error_reason is None, capture.error_detail
        assert capture.body == page.body  # not a rewritten replay page: the stored bytes
        assert capture.content_type == page.content_type
        assert capture.original_url == page.url  # pywb's Link: <...>; rel="original"
        assert capture.memento_at == page.captured_at
        # ...and the raw archive holds them unchanged, under the original URL.
        back = read_capture_at(capture.warc_file, capture.warc_offset)
        assert back.body == page.body
        assert back.ref.url == page.url
        assert back.ref.archive_url == capture.ref.archive_url
        assert back.ref.captured_at == page.captured_at
        assert back.ref.capture_id == capture.ref.capture_id  # so the ledger matches on reprocess


def test_url_list_of_pywb_captures(pywb_archive, tmp_path):
    missing = "https://harbour-gazette.example/news/never-captured"
    lines = [
        f"{pywb_archive.base_url}/{COUNCIL_V1.timestamp}/{COUNCIL_V1.url}",  # replay form: fetched as id_
        f"{pywb_archive.base_url}/20200101000000/{missing}",
    ]
    path = tmp_path / "urls.txt"
    path.write_text("\n".join(lines) + "\n")
    refs = list(read_url_list(path))
    with pywb_fetcher() as fetcher:
        found, not_found = fetch_batch(refs, fetcher, None)
    assert found.body == COUNCIL_V1.body
    assert not_found.error_reason == "http_404"


def test_fetched_captures_extract_to_the_articles_put_in(pywb_archive):
    """Fetched raw bytes go through extraction unchanged: the non-UTF-8 page decodes right."""
    import transforms
    from transforms.records import Article

    with pywb_fetcher() as fetcher:
        refs = list(query_cdx(PATTERN, archive=pywb_archive.base_url, fetcher=fetcher, capture_policy="last"))
        captures = fetch_batch(refs, fetcher, None)
    titles = {}
    for capture in captures:
        article = transforms.extract(
            capture.body, capture.ref.url, captured_at=capture.captured_at, content_type=capture.content_type
        )
        assert isinstance(article, Article), article
        assert article.captured_at == capture.ref.captured_at
        titles[capture.ref.url.rsplit("/", 1)[1]] = article.title
    assert titles == {
        "cafe": "Caf\u00e9 owners welcome the new pier",
        "council-vote": "Council votes to rebuild the harbour wall (updated)",
        "ferry-strike": "Ferry crews announce a one-day strike",
        "market-day": "Market day returns to the quay",
        "old-lighthouse": "The old lighthouse gets a new keeper",
    }
