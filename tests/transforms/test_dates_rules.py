"""The publication date as a rule of how pages are written, on pages written for these tests:
structured data first, visible evidence checked against it, nothing from captions, hidden
elements or footers, a date's precision kept (issue 12)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from transforms import Article, extract
from transforms.dates import local_date, parse_partial_date, shown_time_on

CAPTURED = datetime(2024, 6, 1, tzinfo=UTC)
PARAGRAPHS = "".join(
    f"<p>{sentence}</p>"
    for sentence in (
        "The ferry between Alnmouth Quay and the island ran on its winter timetable for the whole of the"
        " summer, the operator confirmed on Tuesday, after two of its three crews were found short of staff.",
        "Passengers queued for up to two hours at the slipway, and several delivery vans were turned away"
        " when the last crossing of the day left without them, according to the harbour office.",
        "The operator said it had advertised the vacancies in March and expected the full timetable to"
        " return before the autumn half term, when the island's school reopens after the holidays.",
        "Island councillors have asked for a meeting with the operator and the county's transport officers"
        " to discuss a standby crew for the months when visitors outnumber residents ten to one.",
    )
)


def page(head: str = "", above: str = "", below: str = "", title: str = "Ferry keeps winter timetable") -> str:
    return (
        f"<html><head><title>{title}</title>{head}</head><body>"
        f"<nav><a href='/'>Home</a> <a href='/news'>News</a> <a href='/sport'>Sport</a></nav>"
        f"<article><h1>{title}</h1>{above}{PARAGRAPHS}{below}</article>"
        f"<footer><p>© 2015 Alnmouth Quay Gazette. All rights reserved.</p></footer></body></html>"
    )


def article(html: str, url: str = "https://www.quay-gazette.example/news/ferry-timetable") -> Article:
    result = extract(html, url, captured_at=CAPTURED)
    assert isinstance(result, Article), result
    return result


@pytest.mark.parametrize(
    "value, expected",
    [
        ("2019-03", (datetime(2019, 3, 1, tzinfo=UTC), "month")),
        ("2019/03", (datetime(2019, 3, 1, tzinfo=UTC), "month")),
        ("March 2019", (datetime(2019, 3, 1, tzinfo=UTC), "month")),
        ("März 2019", (datetime(2019, 3, 1, tzinfo=UTC), "month")),
        ("2019", (datetime(2019, 1, 1, tzinfo=UTC), "year")),
        ("2019-03-04", None),  # a day: not a partial date
        ("Tuesday 2019", None),
        (None, None),
    ],
)
def test_partial_dates_keep_their_precision(value, expected):
    assert parse_partial_date(value) == expected


def test_a_day_known_to_the_day_has_day_precision():
    result = article(page(head='<meta property="article:published_time" content="2021-04-06T09:30:00+01:00">'))
    assert result.published_at == datetime(2021, 4, 6, 8, 30, tzinfo=UTC)
    assert result.published_precision == "day"


def test_a_month_only_declaration_is_stored_to_the_month_never_as_a_day():
    ld = '<script type="application/ld+json">{"@type": "NewsArticle", "datePublished": "2019-03"}</script>'
    result = article(page(head=ld))
    assert result.published_at == datetime(2019, 3, 1, tzinfo=UTC)
    assert result.published_precision == "month"


def test_a_url_month_alone_gives_the_month():
    result = article(page(), url="https://www.quay-gazette.example/2019/07/ferry-timetable/")
    assert result.published_at == datetime(2019, 7, 1, tzinfo=UTC)
    assert (result.published_precision, result.date_source) == ("month", "url")


def test_no_date_at_all_is_null_not_the_copyright_year():
    result = article(page())
    assert result.published_at is None
    assert result.published_precision is None


@pytest.mark.parametrize(
    "line, expected, offset",
    [
        ("<p class='meta'>Posted August 13, 2010 2:35 PM EDT</p>", datetime(2010, 8, 13, 18, 35, tzinfo=UTC), -240),
        ("<p class='meta'>13.08.2010, 14:35 Uhr</p>", datetime(2010, 8, 13, 14, 35, tzinfo=UTC), None),
        ("<p class='meta'>Aug. 13, 2010 at 9:05 a.m. GMT</p>", datetime(2010, 8, 13, 9, 5, tzinfo=UTC), 0),
    ],
)
def test_a_url_date_takes_the_time_the_page_prints_for_that_day(line, expected, offset):
    url = "https://www.quay-gazette.example/2010/08/13/ferry-timetable/"
    result = article(page(above=line), url=url)
    assert result.published_at == expected
    assert result.published_offset_minutes == offset
    assert result.published_precision == "day"
    assert result.date_source == "url+shown-time"


def test_a_url_date_stays_at_midnight_when_the_page_prints_no_time():
    url = "https://www.quay-gazette.example/2010/08/13/ferry-timetable/"
    result = article(page(above="<p class='meta'>August 13, 2010</p>"), url=url)
    assert result.published_at == datetime(2010, 8, 13, tzinfo=UTC)
    assert result.date_source == "url"


def test_a_time_printed_for_another_day_is_not_taken():
    url = "https://www.quay-gazette.example/2010/08/13/ferry-timetable/"
    result = article(page(above="<p class='meta'>Updated August 14, 2010 7:10 PM</p>"), url=url)
    assert result.published_at == datetime(2010, 8, 13, tzinfo=UTC)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("posted 13 august 2010 - 14:35 (mez) by kim", datetime(2010, 8, 13, 13, 35, tzinfo=UTC)),
        ("13.08.2010 14:35 utc+2", datetime(2010, 8, 13, 12, 35, tzinfo=UTC)),
        ("2010-08-13 11h30", datetime(2010, 8, 13, 11, 30)),
        ("august 13, 2010 12:05 am", datetime(2010, 8, 13, 0, 5)),
        ("august 13, 2010 in politics, 14 comments", None),
        ("august 13, 2010 13:75", None),
    ],
)
def test_shown_time_on(text, expected):
    shown = shown_time_on(date(2010, 8, 13), text)
    assert (shown.astimezone(UTC) if shown is not None and shown.tzinfo else shown) == expected


def test_a_date_printed_with_a_publication_label_beats_a_bare_meta_date():
    # <meta name="date"> holds the last edit here; the page prints both, labelled.
    html = page(
        head='<meta name="date" content="2021-10-15">',
        below="<p class='info'><span>Erschienen am:</span> <span>13.10.2021</span></p>"
        "<p class='info'>Zuletzt geändert am: 15.10.2021</p>",
    )
    result = article(html)
    assert result.published_at == datetime(2021, 10, 13, tzinfo=UTC)
    assert result.date_source == "shown-published"


def test_a_labelled_date_never_beats_json_ld_date_published():
    ld = '<script type="application/ld+json">{"@type": "NewsArticle", "datePublished": "2021-10-15T08:00:00Z"}</script>'
    result = article(page(head=ld, below="<p>Posted on 13.10.2021</p>"))
    assert result.published_at == datetime(2021, 10, 15, 8, tzinfo=UTC)


def test_with_no_declared_date_the_labelled_date_beats_other_printed_dates():
    # the first date near the headline belongs to an event the text announces
    html = page(
        above="<p>Treffen vom 23.-26.8.2017 in Dornbirn</p>",
        below="<p class='submitted'>gespeichert von kimo am 24. Juli 2017 - 18:55</p>",
    )
    result = article(html)
    assert result.published_at == datetime(2017, 7, 24, 18, 55, tzinfo=UTC)


def test_labelled_dates_that_disagree_decide_nothing():
    html = page(
        head='<meta name="date" content="2021-10-15">',
        below="<p>Posted on 13.10.2021</p><p>Posted on 11.10.2021</p>",
    )
    assert article(html).published_at == datetime(2021, 10, 15, tzinfo=UTC)


def test_a_date_labelled_datum_is_the_publication_date():
    html = page(below="<p>Datum: 18.10.2021</p><p>Im Gesetzblatt vom 17. August 2021 verkündet.</p>")
    assert article(html).published_at == datetime(2021, 10, 18, tzinfo=UTC)


def test_the_date_line_under_the_headline_wins_over_the_sites_today_above_it():
    html = (
        page()
        .replace("<article><h1>", "<div class='today'>Tuesday, 14 January 2020</div><article><h1>")
        .replace("</h1>", "</h1><p class='dateline'>13 January 2020</p>", 1)
    )
    assert article(html).published_at == datetime(2020, 1, 13, tzinfo=UTC)


@pytest.mark.parametrize(
    "url, declared, local_day, offset",
    [
        # 02:41 UTC is the evening before in Bolivia (UTC-4)
        ("https://www.diario-llanos.example.bo/nota/ferry", "Wed, 04 May 2022 02:41:00 GMT", date(2022, 5, 3), -240),
        # 00:23 UTC is the evening before anywhere in Canada
        ("https://www.quay-gazette.example.ca/news/ferry", "2020-08-25T00:23:33Z", date(2020, 8, 24), -480),
        # 22:10 UTC is the next morning anywhere in Australia
        ("https://www.quay-gazette.example.com.au/news/ferry", "2020-01-20T22:10:00Z", date(2020, 1, 21), 480),
    ],
)
def test_a_utc_time_is_dated_by_the_calendar_of_the_outlets_country(url, declared, local_day, offset):
    result = article(page(head=f'<meta property="article:published_time" content="{declared}">'), url=url)
    assert local_date(result.published_at, result.published_offset_minutes) == local_day
    assert result.published_offset_minutes == offset


@pytest.mark.parametrize(
    "url, declared, shown",
    [
        # a country whose zones disagree on the day, or one not listed: the UTC day stays
        ("https://www.quay-gazette.example.ca/news/ferry", "2020-08-25T06:00:00Z", ""),
        ("https://www.quay-gazette.example.de/news/ferry", "2020-08-24T23:30:00Z", ""),
        # the page itself shows the UTC day
        ("https://www.diario-llanos.example.bo/nota/ferry", "2022-05-04T02:41:00Z", "<p>4 May 2022</p>"),
    ],
)
def test_the_utc_day_stays_when_the_country_does_not_decide_it(url, declared, shown):
    result = article(page(head=f'<meta property="article:published_time" content="{declared}">', above=shown), url=url)
    moment = datetime.fromisoformat(declared.replace("Z", "+00:00"))
    assert local_date(result.published_at, result.published_offset_minutes) == moment.date()


def test_a_time_printed_later_on_the_same_day_by_a_comment_is_not_the_articles():
    url = "https://www.quay-gazette.example/2010/10/09/ferry-timetable/"
    html = page(
        above="<p class='dateline'>October 9, 2010</p>",
        below="<div class='comment'><p>Reply #1</p><p>Oct. 9, 2010 - 7:28 AM EST</p><p>Good news.</p></div>",
    )
    result = article(html, url=url)
    assert result.published_at == datetime(2010, 10, 9, tzinfo=UTC)


def test_an_hatom_published_date_is_declared_evidence():
    html = page(
        above='<div class="postTime"><abbr class="published updated" title="2010-08-13T16:39:00-04:00">'
        "Aug 13, 2010 &ndash; 4:39 PM</abbr></div>"
    )
    result = article(html)
    assert result.published_at == datetime(2010, 8, 13, 20, 39, tzinfo=UTC)
    assert result.published_offset_minutes == -240


def test_a_us_date_line_with_a_two_digit_year_gives_the_time():
    url = "https://www.quay-gazette.example/2010/08/13/ferry-timetable/"
    html = page(above="<p><span>First Posted: 08-13-10 05:18 PM | Updated: 08-14-10 12:41 AM</span></p>")
    result = article(html, url=url)
    assert result.published_at == datetime(2010, 8, 13, 17, 18, tzinfo=UTC)


@pytest.mark.parametrize(
    "text, expected",
    [
        # "ET" is Eastern daylight time in September, standard time in January
        ("published: wednesday, 21 sep 2011 | 4:35 pm et", datetime(2011, 9, 21, 20, 35, tzinfo=UTC)),
        ("21 jan 2011 | 4:35 pm et", datetime(2011, 1, 21, 21, 35, tzinfo=UTC)),
        ("21 jan 2011, 9:10 am pt", datetime(2011, 1, 21, 17, 10, tzinfo=UTC)),
        # the French "et" after a 24-hour time is a word, not a zone
        ("le 21 septembre 2011 à 16:35 et mis à jour", datetime(2011, 9, 21, 16, 35)),
    ],
)
def test_us_zone_letters_follow_daylight_saving_time(text, expected):
    day = expected.date()
    shown = shown_time_on(day, text)
    assert (shown.astimezone(UTC) if shown is not None and shown.tzinfo else shown) == expected
