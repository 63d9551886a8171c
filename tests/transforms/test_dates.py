"""Date parsing into UTC and the choice of the publication date."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from transforms.dates import choose_published, has_time_zone, local_date, parse_date

UTC = UTC


@pytest.mark.parametrize(
    "text, expected",
    [
        # ISO 8601 with offset, converted to UTC
        ("2021-03-04T09:30:00+01:00", datetime(2021, 3, 4, 8, 30, tzinfo=UTC)),
        # ISO with Z
        ("2021-03-04T09:30:00Z", datetime(2021, 3, 4, 9, 30, tzinfo=UTC)),
        # date only: midnight UTC
        ("2021-03-04", datetime(2021, 3, 4, tzinfo=UTC)),
        # RFC 2822
        ("Thu, 04 Mar 2021 09:30:00 GMT", datetime(2021, 3, 4, 9, 30, tzinfo=UTC)),
        # US style with a zone abbreviation
        ("March 4, 2021 4:30 PM EST", datetime(2021, 3, 4, 21, 30, tzinfo=UTC)),
        # day-first numeric, German
        ("04.03.2021, 09:30 Uhr", datetime(2021, 3, 4, 9, 30, tzinfo=UTC)),
        # German month name
        ("4. März 2021", datetime(2021, 3, 4, tzinfo=UTC)),
        # French month name with a prefix
        ("Publié le 4 mars 2021", datetime(2021, 3, 4, tzinfo=UTC)),
        # epoch seconds
        ("1614850200", datetime(2021, 3, 4, 9, 30, tzinfo=UTC)),
        # no year: a guess, refused
        ("March 4", None),
        # not a date
        ("yesterday", None),
        ("", None),
        (None, None),
        ("2021-13-45", None),
        # known only to the month or the year: never a day (no default day filled in)
        ("2021-03", None),
        ("March 2021", None),
        ("2021", None),
        ("© 2021", None),
    ],
)
def test_parse_date(text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    "text, zoned",
    [
        ("2021-03-04T09:30:00+01:00", True),
        ("2021-03-04T09:30:00", False),  # local time of an unknown zone
        ("2021-03-04", True),  # a bare date has no time to misplace
    ],
)
def test_has_time_zone(text, zoned):
    assert has_time_zone(text) is zoned


CAPTURED = datetime(2021, 3, 10, tzinfo=UTC)


def test_choose_published_takes_the_first_plausible_candidate():
    chosen = choose_published([("json-ld", "2021-03-04T09:30:00Z"), ("meta", "2021-03-01")], CAPTURED)
    assert chosen == (datetime(2021, 3, 4, 9, 30, tzinfo=UTC), "json-ld", 0)


def test_choose_published_never_later_than_capture():
    # the JSON-LD date is after the capture: impossible, the next candidate wins
    chosen = choose_published([("json-ld", "2021-04-01T00:00:00Z"), ("meta", "2021-03-02")], CAPTURED)
    assert chosen == (datetime(2021, 3, 2, tzinfo=UTC), "meta", None)
    assert choose_published([("json-ld", "2022-01-01")], CAPTURED) == (None, None, None)


def test_choose_published_prefers_a_zoned_value_over_naive_local_time():
    chosen = choose_published([("meta", "2021-03-04T18:50:00"), ("time", "2021-03-04T18:50:00+01:00")], CAPTURED)
    assert chosen == (datetime(2021, 3, 4, 17, 50, tzinfo=UTC), "time", 60)


def test_choose_published_uses_the_url_date_as_evidence():
    url_date = datetime(2021, 3, 4, tzinfo=UTC)
    # agreeing candidate keeps its time and offset (its UTC date is already the next day)
    assert choose_published([("meta", "2021-03-04T22:00:00-05:00")], CAPTURED, url_date) == (
        datetime(2021, 3, 5, 3, 0, tzinfo=UTC),
        "meta",
        -300,
    )
    # a candidate far from the URL date loses to it (a "last updated" date in the wrong field)
    assert choose_published([("meta", "2020-01-01")], CAPTURED, url_date) == (url_date, "url", None)


def test_local_date_uses_the_page_offset():
    moment = datetime(2021, 3, 5, 3, 0, tzinfo=UTC)
    assert local_date(moment, -300) == datetime(2021, 3, 4).date()
    assert local_date(moment, None) == datetime(2021, 3, 5).date()


def test_choose_published_refuses_implausibly_old_dates():
    assert choose_published([("meta", "1970-01-01")], CAPTURED) == (None, None, None)


def test_choose_published_infers_the_offset_from_the_url_day():
    url_date = datetime(2019, 1, 1, tzinfo=UTC)
    # 23:11 UTC on New Year's Eve, published under /2019/01/01/: the outlet is at least an hour east
    moment, source, offset = choose_published([("meta", "2018-12-31T23:11:59+00:00")], CAPTURED, url_date)
    assert moment == datetime(2018, 12, 31, 23, 11, 59, tzinfo=UTC)
    assert (source, offset) == ("meta+url", 60)
    assert local_date(moment, offset) == url_date.date()
