"""Replay URLs: only the real replay shape counts (issue 12), never a news URL with digits."""

from __future__ import annotations

import pytest

from transforms.urls import parse_replay_url, unwrap_archive_url


@pytest.mark.parametrize(
    "url",
    [
        # a file name after the digits, followed by more path: still no host name
        "https://www.example.com/archive/2020/index.html/amp",
        "https://news.example.com/sport/20200207/story.php/page/2",
        "https://news.example.com/politik/20200207/merkel.shtml/comments",
        "https://news.example.com/2020/0207/feed.xml/",
    ],
)
def test_a_file_name_after_a_digit_segment_is_no_replay(url):
    assert parse_replay_url(url) is None
    assert unwrap_archive_url(url) == (url, None)


@pytest.mark.parametrize(
    "url, original",
    [
        # hosts whose top-level domains look like file extensions in other places stay hosts
        ("https://web.archive.org/web/2013/www.example.pl/a", "http://www.example.pl/a"),
        ("https://web.archive.org/web/20130101000000/diario.example.do/nota", "http://diario.example.do/nota"),
        ("https://web.archive.org/web/2013id_/www.example.co.uk/", "http://www.example.co.uk/"),
    ],
)
def test_scheme_less_originals_with_real_host_names_are_replays(url, original):
    replay = parse_replay_url(url)
    assert replay is not None and replay.original == original
