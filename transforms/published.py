"""The publication date of a page: structured data first, visible evidence checked against it.

Declared dates (JSON-LD `datePublished`, `article:published_time` and other meta tags, <time>
elements) are ranked and checked against the URL's date and against the dates the page shows
its readers; nothing is read from image captions, hidden elements or "Updated ..." lines. With
no declared date: a date line next to the headline, then htmldate on the page without captions
and hidden elements. A date known only to the month or the year is never stored as a day.
Pure: everything arrives as arguments.
"""

from __future__ import annotations

import re
from copy import deepcopy
from datetime import UTC, datetime

import htmldate
from lxml import etree

from transforms import dates
from transforms.meta import PageMeta, is_hidden, is_unseen
from transforms.urls import date_from_url, month_from_url, registered_domain


def _date_candidates(page: PageMeta) -> list[tuple[str, object]]:
    candidates: list[tuple[str, object]] = []
    for value in page.ld_values("datePublished"):
        candidates.append(("json-ld", value if not isinstance(value, list) else (value[0] if value else None)))
    for key in (
        "article:published_time",
        "og:article:published_time",
        "article:published",
        "og:published_time",
        "datepublished",
        "publishdate",
        "publish-date",
        "pubdate",
        "date",
        "dc.date",
        "dc.date.issued",
        "dcterms.date",
        "dcterms.created",
        "sailthru.date",
        "parsely-pub-date",
        "cxenseparse:recs:publishtime",
        "article.published",
        "published_time",
        "publication_date",
        "citation_publication_date",
        "dc.date.created",
        "originalpublicationdate",
        "displaydate",
        "release_date",
    ):
        value = page.first(key)
        if value:
            candidates.append(("meta", value))
    for kind, value in page.time_values:
        if kind in ("datePublished", "pubdate", "dateCreated"):
            candidates.append(("time", value))
    for value in page.ld_values("dateCreated"):
        candidates.append(("json-ld", value))
    # The first plain <time datetime> is usually the article's own date line.
    plain = [value for kind, value in page.time_values if kind == "time"]
    if plain:
        candidates.append(("time", plain[0]))
    return candidates


def _modified_candidates(page: PageMeta) -> list[tuple[str, object]]:
    values = page.ld_values("dateModified") + page.all(
        "article:modified_time",
        "og:updated_time",
        "datemodified",
        "last-modified",
        "dcterms.modified",
        "dc.date.modified",
    )
    values += [value for kind, value in page.time_values if kind == "dateModified"]
    return [("modified", value if not isinstance(value, list) else (value[0] if value else None)) for value in values]


def modified_time(page: PageMeta, captured_at: datetime | None) -> datetime | None:
    for _, value in _modified_candidates(page):
        moment = dates.parse_date(value)
        if dates.is_plausible(moment, captured_at):
            return moment
    return None


def _visible_nodes(tree) -> list[str]:
    """The page's readable text nodes without scripts and image captions, case-folded and
    single-spaced, in document order (for finding the dates a page shows)."""
    body = tree.find(".//body")
    if body is None:
        return []
    pieces: list[str] = []
    # One walk in lxml's own order; an unseen element's subtree is skipped, its tail kept.
    walker = etree.iterwalk(body, events=("start", "end"))
    for event, element in walker:
        if event == "start":
            if is_unseen(element):
                walker.skip_subtree()
            elif element.text:
                pieces.append(element.text)
        elif element is not body and element.tail:
            pieces.append(element.tail)
    nodes = (" ".join(piece.casefold().split()) for piece in pieces)
    return [node for node in nodes if node]


_MONTH_WORDS = "|".join(
    sorted({m for names in dates._MONTH_NAMES.values() for m in names if len(m) >= 3}, key=len, reverse=True)
)
_PRINTED_DATE = re.compile(
    r"(\d{1,2}\.\s?\d{1,2}\.\s?(?:19|20)\d{2}|(?:19|20)\d{2}-\d{2}-\d{2}|"
    rf"\d{{1,2}}\.?\s(?:{_MONTH_WORDS})\.?\s(?:19|20)\d{{2}}|(?:{_MONTH_WORDS})\.?\s\d{{1,2}},?\s(?:19|20)\d{{2}})",
    re.IGNORECASE,
)


def _date_near_headline(nodes: list[str], page: PageMeta) -> datetime | None:
    """A date printed around the headline ('Veröffentlicht am 14.01.2022'): a short line that
    is mostly the date wins over a date inside a sentence (a photo caption, say)."""
    if not page.h1_texts:
        return None
    headline = " ".join(page.h1_texts[0].casefold().split())
    start = next(
        (
            i
            for i, node in enumerate(nodes)
            if headline and (node == headline or headline.startswith(node) and len(node) > 10)
        ),
        None,
    )
    if start is None:
        # The headline spans several text nodes: search the joined text around it.
        text = " ".join(nodes)
        position = text.find(headline)
        match = (
            _PRINTED_DATE.search(text[max(0, position - 300) : position + len(headline) + 400])
            if position >= 0
            else None
        )
        return dates.parse_date(match.group(1)) if match else None
    # The lines under the headline first: a date above it is often the site's "today" in the
    # page header ("Tuesday, 14 Jan 2020") rather than the article's date line.
    window = nodes[start : start + 20] + nodes[max(0, start - 6) : start]
    for date_line_only in (True, False):
        for node in window:
            match = _PRINTED_DATE.search(node)
            if match is None or _labelled_update(node[max(0, match.start() - 45) : match.start()]):
                continue  # "Updated March 5": the date of a revision, not of publication
            if not date_line_only and _PHOTO_DATE.search(node):
                continue  # "In this March 2, 2011 file photo": when a picture was taken
            # A date line: the date is most of the line ("January 18, 2020", "am 14.01.2022 um 10:15").
            if not date_line_only or len(match.group(1)) * 5 >= len(node) * 2:
                return dates.parse_date(match.group(1))
    return None


# Words that put a printed date on a revision rather than on the first publication.
_UPDATED_WORD = re.compile(
    r"\b(?:updated|last updated|last modified|modified|revised|aktualisiert|geändert|mis à jour|modifié|"
    r"actualizado|aggiornato|atualizado|обновлено)\b",
    re.IGNORECASE,
)
_PUBLISHED_WORD = re.compile(
    r"\b(?:published|posted|first published|veröffentlicht|erschienen|publié|publicado|pubblicato|опубликовано)\b",
    re.IGNORECASE,
)


def _labelled_update(before: str) -> bool:
    """True when the text just before a printed date labels it a revision ("Updated 10:04 AM
    EDT, Tue" + date), with no publication label or other line in between."""
    labels = list(_UPDATED_WORD.finditer(before))
    if not labels:
        return False
    between = before[labels[-1].end() :]
    return "|" not in between and _PUBLISHED_WORD.search(between) is None and not re.search(r"(?:19|20)\d\d", between)


# Sentences about a picture ("In this March 2, 2011 file photo", "pictured on 5 May 2019").
_PHOTO_DATE = re.compile(
    r"\b(?:file (?:photo|picture|image)|(?:photo|picture|image) (?:taken|dated|from)|pictured|archivfoto|archivbild|"
    r"photo d'archives)\b",
    re.IGNORECASE,
)


class _Seen:
    """The page's tree and, read once, the text nodes a reader sees (see `_visible_nodes`)."""

    __slots__ = ("_nodes", "_text", "tree")

    def __init__(self, tree) -> None:
        self.tree = tree
        self._nodes: list[str] | None = None
        self._text: str | None = None

    @property
    def nodes(self) -> list[str]:
        if self._nodes is None:
            self._nodes = _visible_nodes(self.tree)
        return self._nodes

    @property
    def text(self) -> str:
        if self._text is None:
            self._text = " ".join(self.nodes)
        return self._text


# (UTC time, source, the page's UTC offset in minutes, precision "day" | "month" | "year")
Published = tuple[datetime | None, str | None, int | None, str | None]
_NOTHING: Published = (None, None, None, None)


def choose_published(page: PageMeta, tree, url: str, captured_at: datetime | None) -> Published:
    """The publication date, where it came from, the page's UTC offset and its precision.

    A day from the declared dates (checked against the URL and what the page shows); else,
    when the page declares only a month or a year, that, with its precision; else a date line
    next to the headline or htmldate's find; else the /YYYY/MM/ of the URL, to the month.
    A date known only to the month or the year is stored as its first day with precision
    "month" or "year", never as a day.
    """
    url_date = date_from_url(url)
    candidates = _date_candidates(page)
    seen = _Seen(tree)
    declared = _declared_day(page, seen, candidates, url_date, captured_at)
    if declared is not None:
        declared = _in_the_outlets_zone(declared, url, seen)
        declared = _labelled_over_weak(declared, page, seen, url_date, captured_at)
        return (*_with_shown_time(declared, seen), "day")
    partial = _declared_partial(candidates, captured_at)
    if partial is not None:
        return partial  # the page dates itself to the month or year only: no day to store
    labelled = _labelled_publication_day(seen, url_date, captured_at)
    if labelled is not None:
        return (*_with_shown_time((labelled, "shown-published", None), seen), "day")
    shown = _shown_day(page, seen, url, captured_at)
    if shown is not None:
        return (*_with_shown_time(shown, seen), "day")
    month = month_from_url(url)
    if month is not None:
        moment = datetime(month[0], month[1], 1, tzinfo=UTC)
        if dates.is_plausible(moment, captured_at):
            return moment, "url", None, "month"
    return _NOTHING


def _with_shown_time(chosen: tuple[datetime, str, int | None], seen: _Seen) -> tuple[datetime, str, int | None]:
    """A day known without its time (a URL's /2010/08/13/, a bare '2010-08-13', a date line)
    takes the time of day the page prints right after that day ('August 13, 2010 2:35 PM EDT'),
    rather than standing at midnight UTC."""
    moment, source, offset = chosen
    if offset or (moment.hour, moment.minute, moment.second) != (0, 0, 0):
        return chosen
    shown = dates.shown_time_on(moment.date(), seen.text)
    if shown is None:
        return chosen
    return dates.to_utc(shown), f"{source}+shown-time", dates.offset_minutes(shown)


# The dates a page's own markup declares for publication in its standard places: these win
# over a date printed on the page. Other declarations (a bare meta "date", a plain <time>)
# are weaker than a date the page prints with a publication label.
_STRONG_KEYS = ("article:published_time", "og:article:published_time", "og:published_time", "datepublished")


def _strong_days(page: PageMeta) -> set:
    values = [v if not isinstance(v, list) else (v[0] if v else None) for v in page.ld_values("datePublished")]
    values += [page.first(key) for key in _STRONG_KEYS]
    values += [value for kind, value in page.time_values if kind == "datePublished"]
    days = set()
    for value in values:
        moment = dates.parse_date(value)
        if moment is not None:
            days.add(dates.local_date(moment, dates.offset_minutes(value)))
    return days


def _labelled_over_weak(
    chosen: tuple[datetime, str, int | None], page: PageMeta, seen: _Seen, url_date: datetime | None, captured_at
) -> tuple[datetime, str, int | None]:
    """A weakly declared date (a bare meta "date", a plain <time>) loses to a date the page
    prints with a publication label ('Erschienen am 13.10.2021', 'Posted on May 3, 2021')."""
    moment, source, offset = chosen
    day = dates.local_date(moment, offset)
    if source == "url" or day in _strong_days(page):
        return chosen
    labelled = _labelled_publication_day(seen, url_date, captured_at)
    if labelled is None or labelled.date() == day:
        return chosen
    return labelled, "shown-published", None


# Searched in " " + the page's text: a label opens the text or follows a space, bar or bracket
# (a leading "^" alternative would make the search try the whole pattern at every position).
_LABELLED_DATE = re.compile(
    r"[\s|(\[](?:first published|published|posted|datum|date|fecha|veröffentlicht|erschienen|publié|publicado|pubblicato|"
    r"опубликовано|gespeichert von [^\s]+(?: [^\s]+)?|eingestellt von [^\s]+(?: [^\s]+)?|von [^\s]+(?: [^\s]+)? am)"
    r"(?:\s+(?:on|am|le|el|il|в))?\s*:?\s*(?:[a-z]+,?\s+)?" + r"(" + _PRINTED_DATE.pattern[1:],
    re.IGNORECASE,
)


def _labelled_publication_day(seen: _Seen, url_date: datetime | None, captured_at) -> datetime | None:
    """The one day the page prints with a publication label ('Erschienen am: 13.10.2021', the
    label and the date often in separate elements), or None (none, or days that disagree)."""
    found = set()
    for match in _LABELLED_DATE.finditer(" " + seen.text):
        moment = dates.parse_date(match.group(1))
        if moment is None or not dates.is_plausible(moment, captured_at):
            continue
        if url_date is None or abs((moment - url_date).days) <= 2:
            found.add(moment)
    return next(iter(found)) if len(found) == 1 else None


def _in_the_outlets_zone(
    chosen: tuple[datetime, str, int | None], url: str, seen: _Seen
) -> tuple[datetime, str, int | None]:
    """A time declared in UTC ('...Z', 'GMT') that is another day in the outlet's country (an
    evening in Bolivia, a morning in Australia) dates the article by that country's calendar,
    unless the page itself shows the UTC day."""
    moment, source, offset = chosen
    if offset != 0 or source == "url":
        return chosen
    try:
        domain = registered_domain(url)
    except ValueError:
        return chosen
    local = dates.country_offset_onto(moment, domain)
    if local is None or dates.is_visible(moment.date(), seen.text):
        return chosen
    return moment, f"{source}+country", local


def _declared_day(
    page: PageMeta,
    seen: _Seen,
    candidates: list[tuple[str, object]],
    url_date: datetime | None,
    captured_at: datetime | None,
) -> tuple[datetime, str, int | None] | None:
    published, source, offset = dates.choose_published(candidates, captured_at, url_date)
    if published is None or source is None:
        return None
    if source == "url":
        return published, source, offset
    # Declared dates that disagree: the one the page shows its readers is the one it means.
    chosen_day = dates.local_date(published, offset)
    others: dict = {}
    for other_source, value in candidates + _modified_candidates(page):
        moment = dates.parse_date(value)
        if moment is None or not dates.is_plausible(moment, captured_at):
            continue
        other_offset = dates.offset_minutes(value)
        day = dates.local_date(moment, other_offset)
        if day == chosen_day or (url_date is not None and abs((day - url_date.date()).days) > 2):
            continue
        others.setdefault(day, (moment, f"{other_source}+shown", other_offset))
    if not others:
        return published, source, offset  # nothing disagrees: no need to read the page
    shown_text = seen.text
    if dates.is_visible(chosen_day, shown_text):
        return published, source, offset
    # A date the page shows as a revision ("Updated May 2, 2021") never replaces it.
    shown = [choice for day, choice in others.items() if _shown_as_date_line(day, shown_text)]
    if len(shown) == 1:
        return shown[0]
    return published, source, offset


def _shown_day(
    page: PageMeta, seen: _Seen, url: str, captured_at: datetime | None
) -> tuple[datetime, str, None] | None:
    """No declared date: a date printed next to the headline, then htmldate's heuristics."""
    near = _date_near_headline(seen.nodes, page)
    if near is not None and dates.is_plausible(near, captured_at):
        return near, "headline", None
    # htmldate, bounded by the capture, on the page without captions and hidden elements.
    max_date = dates.to_utc(captured_at).strftime("%Y-%m-%d") if captured_at else "2100-01-01"
    try:
        found = htmldate.find_date(
            _seen_copy(seen.tree),
            extensive_search=True,
            original_date=True,
            url=url,
            max_date=max_date,
            min_date="1995-01-01",
        )
    except (ValueError, TypeError):
        found = None
    if found:
        moment = dates.parse_date(found)
        if moment is not None and dates.is_plausible(moment, captured_at) and _day_is_written(moment, seen, url):
            return moment, "htmldate", None
    return None


def _declared_partial(candidates: list[tuple[str, object]], captured_at: datetime | None) -> Published | None:
    """A declared '2020-03', 'March 2020' or '2020' as its first day, with its precision."""
    for source, value in candidates:
        partial = dates.parse_partial_date(value)
        if partial is not None and dates.is_plausible(partial[0], captured_at):
            return partial[0], source, None, partial[1]
    return None


def _shown_as_date_line(day, shown_text: str) -> bool:
    """True when the page shows this date somewhere not labelled as an update."""
    for spelling in dates.date_spellings(day):
        start = shown_text.find(spelling)
        while start >= 0:
            if not _labelled_update(shown_text[max(0, start - 45) : start]):
                return True
            start = shown_text.find(spelling, start + 1)
    return False


def _is_image_caption(element) -> bool:
    """A caption under a picture: a figcaption (or *caption* class) of a few lines and no
    headline of its own (teaser cards built as <figure> carry a headline and their own date)."""
    if element.tag != "figcaption" and "caption" not in (element.get("class") or "").lower():
        return False
    if any(isinstance(child.tag, str) and child.tag in ("h1", "h2", "h3", "h4", "a") for child in element.iter()):
        return False
    return len("".join(element.itertext())) <= 300


def _seen_copy(tree):
    """A copy of the page without what does not date the article: hidden elements, image
    captions, and short paragraphs about a picture ("In this March 2, 2011 file photo")."""
    copy = deepcopy(tree)
    body = copy.find(".//body")
    if body is not None:
        for element in list(body.iter()):
            if element is body or element.getparent() is None:
                continue
            if is_hidden(element) or _is_image_caption(element):
                element.drop_tree()
            elif element.tag in ("p", "span", "em", "i", "small"):
                text = "".join(element.itertext())
                if len(text) < 400 and _PHOTO_DATE.search(text):
                    element.drop_tree()
    return copy


def _day_is_written(moment: datetime, seen: _Seen, url: str) -> bool:
    """Date finders fill in a day for a month or a year alone (a copyright line's "© 2015",
    a /2015/08/ path, "2020-03"): keep a found date only when the page or its URL writes that day."""
    if moment.day != 1:
        return True
    url_date = date_from_url(url)
    if url_date is not None and url_date.date() == moment.date():
        return True
    day = moment.date()
    if dates.is_visible(day, seen.text):
        return True
    raw = etree.tostring(seen.tree, encoding="unicode")
    return day.isoformat() in raw or day.strftime("%Y%m%d") in raw
