"""Dates: parse what pages write (ISO 8601, RFC 2822, '5 August 2010 14:30 CET', ...) into UTC,
and choose the publication date from ranked evidence, never later than the capture.
"""

from __future__ import annotations

import re
import warnings
from datetime import UTC, date, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime

from dateutil import parser as dateutil_parser
from dateutil.parser import UnknownTimezoneWarning
from dateutil.tz import tzoffset

# Abbreviations dateutil does not know; ambiguous ones take their most common news use.
_TZ_ABBREVIATIONS = {
    name: tzoffset(name, hours * 3600)
    for name, hours in {
        "UTC": 0,
        "GMT": 0,
        "Z": 0,
        "WET": 0,
        "BST": 1,
        "CET": 1,
        "MEZ": 1,
        "WEST": 1,
        "CEST": 2,
        "MESZ": 2,
        "EET": 2,
        "EEST": 3,
        "MSK": 3,
        "MSD": 4,
        "IST": 5.5,
        "PKT": 5,
        "ICT": 7,
        "WIB": 7,
        "SGT": 8,
        "HKT": 8,
        "AWST": 8,
        "CST": -6,
        "CDT": -5,
        "EST": -5,
        "EDT": -4,
        "MST": -7,
        "MDT": -6,
        "PST": -8,
        "PDT": -7,
        "AKST": -9,
        "AKDT": -8,
        "HST": -10,
        "JST": 9,
        "KST": 9,
        "AEST": 10,
        "AEDT": 11,
        "ACST": 9.5,
        "NZST": 12,
        "NZDT": 13,
        "BRT": -3,
        "ART": -3,
    }.items()
}
# Month names in the languages of the archive, mapped to English for dateutil.
_MONTHS = {
    "januar": "January",
    "jänner": "January",
    "janvier": "January",
    "enero": "January",
    "gennaio": "January",
    "februar": "February",
    "février": "February",
    "fevrier": "February",
    "febrero": "February",
    "febbraio": "February",
    "märz": "March",
    "maerz": "March",
    "mars": "March",
    "marzo": "March",
    "março": "March",
    "avril": "April",
    "abril": "April",
    "aprile": "April",
    "mai": "May",
    "mayo": "May",
    "maggio": "May",
    "maio": "May",
    "juni": "June",
    "juin": "June",
    "junio": "June",
    "giugno": "June",
    "junho": "June",
    "juli": "July",
    "juillet": "July",
    "julio": "July",
    "luglio": "July",
    "julho": "July",
    "août": "August",
    "aout": "August",
    "agosto": "August",
    "septembre": "September",
    "septiembre": "September",
    "settembre": "September",
    "setembro": "September",
    "oktober": "October",
    "octobre": "October",
    "octubre": "October",
    "ottobre": "October",
    "outubro": "October",
    "novembre": "November",
    "noviembre": "November",
    "novembro": "November",
    "dezember": "December",
    "décembre": "December",
    "decembre": "December",
    "diciembre": "December",
    "dicembre": "December",
    "dezembro": "December",
}
_MONTH_WORD = re.compile(
    r"\b(" + "|".join(sorted(map(re.escape, _MONTHS), key=len, reverse=True)) + r")\b", re.IGNORECASE
)
_NOISE = re.compile(
    r"^\s*(?:published|posted|updated|last updated|veröffentlicht|aktualisiert|stand|publié le|publicado|on|am|le|el)\s*:?\s*",
    re.IGNORECASE,
)
_NUMERIC_DMY = re.compile(r"^\s*(\d{1,2})\.\s?(\d{1,2})\.\s?(\d{4})")
_EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)
_DEFAULT = datetime(2000, 1, 1)
_OTHER_DEFAULT = datetime(2000, 2, 2)


def to_utc(moment: datetime) -> datetime:
    """An aware datetime in UTC; naive values are taken as UTC (pages rarely say otherwise)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def parse_date(value: object) -> datetime | None:
    """A UTC datetime from what a page writes, or None when it is not clearly a date."""
    moment = parse_local_date(value)
    return to_utc(moment) if moment is not None else None


def has_time_zone(value: object) -> bool:
    """True when the written date carries a time of day with its zone, or is a bare date."""
    moment = parse_local_date(value)
    if moment is None:
        return False
    return moment.tzinfo is not None or (moment.hour, moment.minute, moment.second) == (0, 0, 0)


def parse_local_date(value: object) -> datetime | None:
    """The date as written: aware when the text names a zone or offset, naive otherwise."""
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text or len(text) > 80 or not re.search(r"\d", text):
        return None
    if re.fullmatch(r"\d{10}(?:\d{3})?", text):  # epoch seconds / milliseconds
        seconds = int(text[:10])
        return datetime.fromtimestamp(seconds, tz=UTC)
    iso = text.replace("Z", "+00:00") if text.endswith("Z") else text
    try:
        return datetime.fromisoformat(iso)
    except ValueError:
        pass
    if re.match(r"^[A-Za-z]{3},", text):
        try:
            return parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            pass
    text = _NOISE.sub("", text)
    match = _NUMERIC_DMY.match(text)
    if match:  # 17.05.2020: day first, as written in German, Russian, ...
        day, month, year = (int(g) for g in match.groups())
        rest = text[match.end() :]
        try:
            base = datetime(year, month, day)
        except ValueError:
            return None
        time_match = re.search(r"(\d{1,2})[:.](\d{2})", rest)
        if time_match and int(time_match.group(1)) < 24 and int(time_match.group(2)) < 60:
            base = base.replace(hour=int(time_match.group(1)), minute=int(time_match.group(2)))
        return base
    text = _MONTH_WORD.sub(lambda m: _MONTHS[m.group(1).lower()], text)
    text = re.sub(r"\b(\d{1,2})\.\s+(?=[A-Za-z])", r"\1 ", text)  # "5. August"
    text = re.sub(r"\s+(?:at|um|à|a las)\s+", " ", text)
    if not re.search(r"(?:19|20)\d{2}", text):
        return None  # no year written: a guess
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UnknownTimezoneWarning)
            parsed = dateutil_parser.parse(text, default=_DEFAULT, tzinfos=_TZ_ABBREVIATIONS, fuzzy=False)
            # A day the text does not write is the default's: "March 2011", "2011-03", "2011".
            # Such a date is known to the month or year only, never stored as a day.
            other = dateutil_parser.parse(text, default=_OTHER_DEFAULT, tzinfos=_TZ_ABBREVIATIONS, fuzzy=False)
    except (ValueError, OverflowError, TypeError):
        return None
    if other.day != parsed.day or other.month != parsed.month:
        return None
    return parsed


_ENGLISH_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_MONTH_NAMES: dict[int, list[str]] = {
    n: [name.casefold(), name[:3].casefold()] for n, name in enumerate(_ENGLISH_MONTHS, 1)
}
for _word, _english in _MONTHS.items():
    _MONTH_NAMES[_ENGLISH_MONTHS.index(_english) + 1].append(_word)


def date_spellings(day) -> set[str]:
    """Ways pages write a calendar date (case-folded): 2020-05-04, 04.05.2020, 4. Mai 2020, May 4, 2020, ..."""
    y, m, d = day.year, day.month, day.day
    out = {
        f"{y:04d}-{m:02d}-{d:02d}",
        f"{d:02d}.{m:02d}.{y}",
        f"{d}.{m}.{y}",
        f"{d:02d}.{m:02d}.{y % 100:02d}",
        f"{d:02d}/{m:02d}/{y}",
        f"{m:02d}/{d:02d}/{y}",
        f"{d}/{m}/{y}",
        f"{m}/{d}/{y}",
        f"{y}/{m:02d}/{d:02d}",
        f"{y}年{m}月{d}日",
        f"{y}.{m:02d}.{d:02d}",
        # US dates with a two-digit year ('First Posted: 08-13-10 05:18 PM', '8/13/10')
        f"{m:02d}-{d:02d}-{y % 100:02d}",
        f"{m:02d}/{d:02d}/{y % 100:02d}",
        f"{m}/{d}/{y % 100:02d}",
    }
    for name in _MONTH_NAMES[m]:
        out |= {
            f"{d}. {name} {y}",
            f"{d:02d}. {name} {y}",
            f"{d} {name} {y}",
            f"{d:02d} {name} {y}",
            f"{name} {d}, {y}",
            f"{name} {d:02d}, {y}",
            f"{name}. {d}, {y}",
            f"{d} de {name} de {y}",
            f"{d} {name}, {y}",
            f"{name} {d} {y}",
        }
    return out


def is_visible(day, page_text: str) -> bool:
    """True when the page's text (case-folded, single-spaced) writes this calendar date."""
    return any(spelling in page_text for spelling in date_spellings(day))


def is_plausible(moment: datetime | None, captured_at: datetime | None) -> bool:
    """Between 1990 and the capture time (when known)."""
    if moment is None or moment < _EARLIEST:
        return False
    return captured_at is None or moment <= to_utc(captured_at)


def offset_minutes(value: object) -> int | None:
    """The UTC offset (minutes) the written date names, or None when it names none."""
    moment = parse_local_date(value)
    if moment is None or moment.tzinfo is None:
        return None
    offset = moment.utcoffset()
    return int(offset.total_seconds() // 60) if offset is not None else None


def choose_published(
    candidates: list[tuple[str, object]],
    captured_at: datetime | None,
    url_date: datetime | None = None,
) -> tuple[datetime | None, str | None, int | None]:
    """The best plausible candidate (they arrive ranked best first): (UTC time, source, offset).

    The offset is the page's own UTC offset in minutes, so the local calendar date of
    publication can be recovered. A value with a time of day but no zone is a local time in
    an unknown zone: a candidate naming its zone for (about) the same moment wins over it.
    A candidate that disagrees by more than two days with a full date in the URL loses to the
    URL date: URLs are rarely rewritten.
    """
    parsed: list[tuple[datetime, str, bool, int | None]] = []
    for source, value in candidates:
        moment = parse_date(value)
        if moment is not None and not is_plausible(moment, captured_at):
            moment = None
        if moment is not None:
            parsed.append((moment, source, has_time_zone(value), offset_minutes(value)))
    if url_date is not None and is_plausible(url_date, captured_at):
        parsed = [item for item in parsed if abs((_local_date(item[0], item[3]) - url_date.date()).days) <= 2]
        if not parsed:
            return url_date, "url", None
        moment, source, zoned, offset = parsed[0]
        if not offset:
            # The same instant written elsewhere with its zone names the outlet's clock.
            offset = next((o for m, _, _, o in parsed[1:] if o and abs((m - moment).total_seconds()) <= 90), offset)
            parsed[0] = (moment, source, zoned, offset)
        if not offset and _local_date(moment, offset) != url_date.date():
            # A UTC time whose date is not the URL's: the outlet's clock was not UTC. The
            # smallest whole-hour offset that puts it on the URL's date keeps both true.
            inferred = _offset_onto(moment, url_date.date())
            if inferred is not None:
                parsed[0] = (moment, f"{source}+url", zoned, inferred)
    if not parsed:
        return None, None, None
    best = parsed[0]
    if not best[2]:
        for moment, source, zoned, offset in parsed[1:]:
            if (
                zoned
                and abs((moment - best[0]).total_seconds()) <= 15 * 3600
                and (moment.hour, moment.minute) != (0, 0)
            ):
                return moment, source, offset
    if not best[3]:
        # The same instant written elsewhere with its local offset tells the local date.
        for moment, _, _, offset in parsed[1:]:
            if offset and abs((moment - best[0]).total_seconds()) <= 90:
                return best[0], best[1], offset
    return best[0], best[1], best[3]


def _offset_onto(moment: datetime, day) -> int | None:
    """The whole-hour UTC offset (|h| <= 12) nearest zero that moves `moment` onto `day`."""
    for hours in sorted(range(-12, 13), key=lambda h: (abs(h), h)):
        if (moment + timedelta(hours=hours)).date() == day:
            return hours * 60
    return None


def _local_date(moment: datetime, offset: int | None):
    return (moment + timedelta(minutes=offset or 0)).date()


def local_date(moment: datetime, offset: int | None):
    """The calendar date at the place of publication (UTC when the offset is unknown)."""
    return _local_date(moment, offset)


_MONTH_BY_NAME = {name: number for number, names in _MONTH_NAMES.items() for name in names}
_PARTIAL_NUMERIC = re.compile(r"^\s*((?:19|20)\d{2})(?:[-/.](0[1-9]|1[0-2]))?\s*$")
_PARTIAL_WORDS = re.compile(r"^\s*([^\W\d_]+)\.?,?\s+((?:19|20)\d{2})\s*$")


def parse_partial_date(value: object) -> tuple[datetime, str] | None:
    """A date written to the month or the year only ('2020-03', 'March 2020', 'März 2020', '2020'):
    (its first day, UTC; "month" or "year"). None for anything else, full dates included."""
    if not isinstance(value, str):
        return None
    match = _PARTIAL_NUMERIC.match(value)
    if match:
        year, month = int(match.group(1)), match.group(2)
        return (
            (datetime(year, int(month), 1, tzinfo=UTC), "month")
            if month
            else (datetime(year, 1, 1, tzinfo=UTC), "year")
        )
    match = _PARTIAL_WORDS.match(value)
    number = _MONTH_BY_NAME.get(match.group(1).casefold()) if match else None
    if match is None or number is None:
        return None
    return datetime(int(match.group(2)), number, 1, tzinfo=UTC), "month"


# A time of day written after a date: "14:35", "2:35 pm edt", "14.35 uhr", "at 9:05 a.m. est",
# "- 14:35 (mez)", "11h30".
_TIME_AFTER = re.compile(
    r"[\s,|/\-–—·(]*(?:at|um|à|a las|alle|в|kl\.?)?\s*(\d{1,2})[:.h](\d{2})(?::(\d{2}))?\s*"
    r"(a\.?m\.?|p\.?m\.?)?\s*(?:uhr|h)?\s*\(?((?:utc|gmt)\s?[+-]\d{1,2}(?::?\d{2})?|[a-z]{2,5}\b|[+-]\d{2}:?\d{2})?",
    re.IGNORECASE,
)


def shown_time_on(day, page_text: str) -> datetime | None:
    """The time of day the page writes right after the first place it writes this calendar
    date (its date line: 'August 13, 2010 2:35 PM EDT', '13.08.2010, 14:35 Uhr'): UTC when it
    names its zone (the offset kept), else the local time read as UTC as `parse_date` does.
    None when that first date carries no time: a later time on the same day belongs to
    something else (a comment, a related story)."""
    text = page_text.casefold()
    first: tuple[int, int] | None = None
    for spelling in date_spellings(day):
        start = text.find(spelling)
        if start >= 0 and (first is None or (start, -(start + len(spelling))) < (first[0], -first[1])):
            first = (start, start + len(spelling))
    if first is None:
        return None
    match = _TIME_AFTER.match(text, first[1], first[1] + 40)
    return _time_of(day, match) if match else None


# US zones written without saying standard or daylight time ("4:35 PM ET"): standard offsets.
_US_ZONES = {"et": -5, "ct": -6, "mt": -7, "pt": -8}


def _us_daylight_time(day) -> bool:
    """US daylight saving time (since 2007): from the second Sunday of March to the first
    Sunday of November."""
    march = date(day.year, 3, 8)
    start = march + timedelta(days=(6 - march.weekday()) % 7)
    november = date(day.year, 11, 1)
    end = november + timedelta(days=(6 - november.weekday()) % 7)
    return start <= date(day.year, day.month, day.day) < end


def _time_of(day, match: re.Match[str]) -> datetime | None:
    hour, minute = int(match.group(1)), int(match.group(2))
    meridiem = (match.group(4) or "").replace(".", "")
    if meridiem:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if meridiem == "pm" else 0)
    if hour > 23 or minute > 59:
        return None
    second = int(match.group(3) or 0)
    local = datetime(day.year, day.month, day.day, hour, minute, min(second, 59))
    zone = match.group(5)
    relative = re.fullmatch(r"(?:utc|gmt)\s?([+-])(\d{1,2})(?::?(\d{2}))?", zone or "")
    if relative:  # "UTC+2": an offset, not the zone UTC
        zone = f"{relative.group(1)}{int(relative.group(2)):02d}:{relative.group(3) or '00'}"
    if zone in _US_ZONES and meridiem:  # "4:35 PM ET" (not the French "16:35 et ..."): by the date
        hours = _US_ZONES[zone] + (1 if _us_daylight_time(day) else 0)
        return local.replace(tzinfo=timezone(timedelta(hours=hours)))
    if zone:
        named = parse_local_date(f"{local.isoformat(sep=' ')} {zone.upper().replace(' ', '')}")
        if named is not None and named.tzinfo is not None:
            return named
        if zone.isalpha():
            return local  # a word after the time ("uhr" is eaten above), not a zone
    return local


# UTC offsets (hours, lowest and highest over the year and the country) of the countries whose
# outlets write under their country-code domain. A time written in UTC falls on one local date
# there when both ends agree.
_COUNTRY_OFFSETS: dict[str, tuple[float, float]] = {
    "bo": (-4, -4),
    "ve": (-4, -4),
    "cl": (-4, -3),
    "ar": (-3, -3),
    "uy": (-3, -3),
    "py": (-4, -3),
    "br": (-5, -2),
    "pe": (-5, -5),
    "co": (-5, -5),
    "ec": (-5, -5),
    "mx": (-8, -5),
    "ca": (-8, -2.5),
    "gt": (-6, -6),
    "cr": (-6, -6),
    "cu": (-5, -4),
    "do": (-4, -4),
    "au": (8, 11),
    "nz": (12, 13.75),
    "jp": (9, 9),
    "kr": (9, 9),
    "cn": (8, 8),
    "tw": (8, 8),
    "hk": (8, 8),
    "sg": (8, 8),
    "my": (8, 8),
    "ph": (8, 8),
    "th": (7, 7),
    "vn": (7, 7),
    "in": (5.5, 5.5),
    "pk": (5, 5),
    "bd": (6, 6),
    "np": (5.75, 5.75),
    "lk": (5.5, 5.5),
    "az": (4, 4),
    "ae": (4, 4),
    "ir": (3.5, 4.5),
}


def country_offset_onto(moment: datetime, domain: str) -> int | None:
    """The UTC offset (minutes) of the country whose domain an outlet writes under, when a UTC
    time falls on the same local date at every offset that country uses; else None."""
    bounds = _COUNTRY_OFFSETS.get(domain.rsplit(".", 1)[-1].lower()) if domain else None
    if bounds is None:
        return None
    low, high = ((moment + timedelta(hours=hours)).date() for hours in bounds)
    if low != high or low == moment.date():
        return None
    return int(bounds[0] * 60)
