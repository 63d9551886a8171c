"""Titles: the headline without the outlet's ' - Outlet' / ' | Outlet' suffix (or prefix)."""

from __future__ import annotations

import html
import re
import unicodedata

_SEPARATORS = re.compile(r"\s+(?:[|\-–—:·•»«/~]|::|\\\\)\s+")


def clean_whitespace(text: str) -> str:
    """Single-spaced NFC text, with character references decoded ('&#8217;', '&#58;', '&amp;'):
    JSON-LD strings are not HTML, and CMSs often write their escaped form into them."""
    if "&" in text:
        text = html.unescape(text)
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text)).strip()


def _key(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.casefold())


def _looks_like_outlet(part: str, outlet_names: tuple[str, ...], domain: str) -> bool:
    key = _key(part)
    if not key:
        return True
    if len(part.split()) > 6:
        return False  # a sentence, not a name
    domain_key = _key(domain.split(".")[0]) if domain else ""
    for outlet in outlet_names:
        outlet_key = _key(outlet)
        if outlet_key and (
            key == outlet_key or (len(key) >= 4 and key in outlet_key) or (len(outlet_key) >= 4 and outlet_key in key)
        ):
            return True
    return bool(domain_key) and (domain_key in key or key in _key(domain))


def strip_outlet(title: str, outlet_names: tuple[str, ...] = (), domain: str = "") -> str:
    """Remove outlet names joined to the title by a separator, at either end."""
    title = clean_whitespace(title).strip(" |-–—·•»/")
    parts = _SEPARATORS.split(title)
    if len(parts) < 2:
        return title
    separators = _SEPARATORS.findall(title)
    # Drop outlet-like parts from the end, then from the start; keep at least one part.
    while len(parts) > 1 and _looks_like_outlet(parts[-1], outlet_names, domain):
        parts.pop()
        separators.pop()
    led_by_outlet = False
    while len(parts) > 1 and _looks_like_outlet(parts[0], outlet_names, domain):
        parts.pop(0)
        separators.pop(0)
        led_by_outlet = True
    # 'Outlet » Section » Headline': after a leading outlet, short pieces before a headline
    # of four words or more are its breadcrumb.
    while led_by_outlet and len(parts) > 1 and len(parts[0].split()) <= 3 and len(parts[-1].split()) >= 4:
        parts.pop(0)
        separators.pop(0)
    out = parts[0]
    for separator, part in zip(separators, parts[1:], strict=False):
        out += separator + part
    return out.strip()


_HOST_NAME = re.compile(r"^[\w-]+(?:\.[\w-]+)*\.[a-z]{2,24}$", re.IGNORECASE)


def suffix_outlet(title: str) -> str | None:
    """The last ' | '-separated part of a <title>, when it reads like a name (for publication)."""
    parts = re.split(r"\s+[|\-–—·•»]\s+", clean_whitespace(title))
    if len(parts) < 2:
        return None
    if _HOST_NAME.match(parts[0].strip()):
        return None  # 'site.de » Section » Headline': the site leads, the tail is the headline
    tail = parts[-1].strip()
    if 1 <= len(tail.split()) <= 5 and len(tail) <= 40 and not tail.endswith((".", "?", "!")):
        return tail
    return None


_NAV_HEADINGS = re.compile(
    r"^(?:navigation|navigation und service|hauptmenü|menu|menü|main menu|menu di navigazione|search|suche|"
    r"service|detail|detailansicht|news|nachrichten|home|startseite|kategorien|categories|archive|archiv|"
    r"neueste kommentare|recent posts|beitragsnavigation|post navigation|related|leggi anche:|"
    r"datenschutzhinweis|seiteninformationen und -funktionen|social network links|comments|kommentare)$",
    re.IGNORECASE,
)


def _is_segment_run(part: str, whole: str) -> bool:
    """True when `part` is whole separator-delimited pieces of `whole` ('A' in 'A | B', 'B' in 'A: B')."""
    pieces = [p for p in re.split(r"\s*(?:\s[|\-–—·•»«/~]\s|::|:\s)\s*", whole) if p]
    key = _key(part)
    for start in range(len(pieces)):
        for end in range(start + 1, len(pieces) + 1):
            if _key(" ".join(pieces[start:end])) == key:
                return True
    return False


def choose_title(
    candidates: list[tuple[str, str | None]],
    h1_texts: list[str],
    outlet_names: tuple[str, ...] = (),
    domain: str = "",
) -> str | None:
    """The headline as the page shows it.

    `candidates` arrive ranked (JSON-LD headline, og:title, twitter:title, <title>). The
    visible <h1> wins when a declared title confirms it (equal, or one whole piece of a
    'Headline | Section | Outlet' title); a lone plausible <h1> wins over a bare <title>;
    else the best declared title, outlet suffixes removed.
    """
    pairs = [(source, clean_whitespace(value)) for source, value in candidates if value and value.strip()]
    raw = [value for _, value in pairs]
    stripped = [(source, strip_outlet(value, outlet_names, domain)) for source, value in pairs]
    stripped = [(source, value) for source, value in stripped if value]
    # A declared "title" that is only the outlet's name (blogs do this) is no headline.
    named = [(source, value) for source, value in stripped if not _looks_like_outlet(value, outlet_names, domain)]
    stripped = named or stripped
    cleaned = [value for _, value in stripped]
    h1s = [
        clean_whitespace(h)
        for h in h1_texts
        if h
        and 2 <= len(h.strip()) <= 300
        and not _NAV_HEADINGS.match(clean_whitespace(h))
        and not _looks_like_outlet(h, outlet_names, domain)
    ]
    keys = {_key(value) for value in cleaned + raw}
    # 1. an <h1> some declared title spells the same way (punctuation aside)
    for h1 in h1s:
        if _key(h1) in keys:
            return h1
    # 2. an <h1> that is whole pieces of a declared title ('Headline - Section - Outlet'); of
    # several (the site's, the section's and the article's <h1>), the longest
    pieces = [h1 for h1 in h1s if len(_key(h1)) >= 8 and any(_is_segment_run(h1, value) for value in raw)]
    if pieces:
        return max(pieces, key=lambda h1: len(_key(h1)))
    # 3. an <h1> that holds a declared title plus a kicker: the declared title
    for h1 in h1s:
        for value in cleaned:
            if len(_key(value)) >= 8 and _key(value) in _key(h1):
                return value
    structured = [value for source, value in stripped if source != "title"]
    # 4a. the JSON-LD headline and another declaration (og/twitter meta, <title>) agree on a
    # headline that a short <h1> does not resemble: the <h1> is an interface label ("Blogs",
    # "기사 상세"), not the headline.
    agreed = _agreed_title(stripped)
    if agreed and h1s and all(len(h1.split()) <= 4 and _word_overlap(h1, agreed) < 0.5 for h1 in h1s):
        return agreed
    # 4. a lone <h1>: the headline as shown (a declared title often is an SEO variant of it)
    if len(h1s) == 1 and (len(h1s[0].split()) >= 2 or not structured):
        return h1s[0]
    if cleaned:
        return drop_short_tail(cleaned[0])
    return h1s[0] if h1s else None


def _agreed_title(stripped: list[tuple[str, str]]) -> str | None:
    """A headline the JSON-LD and another kind of declaration spell the same way, or None."""
    kinds: dict[str, set[str]] = {}
    first: dict[str, str] = {}
    for source, value in stripped:
        key = _key(value)
        if len(key) >= 8:
            kinds.setdefault(key, set()).add(source)
            first.setdefault(key, value)
    for key, sources in kinds.items():
        if "json-ld" in sources and len(sources) >= 2:
            return first[key]
    return None


def _word_overlap(shown: str, declared: str) -> float:
    """Share of the shown heading's words that the declared title also has."""
    words = re.findall(r"\w+", shown.casefold())
    declared_words = set(re.findall(r"\w+", declared.casefold()))
    return sum(word in declared_words for word in words) / len(words) if words else 0.0


_TAIL_SEPARATOR = re.compile(r"\s+(?:\||-|::|·|•|»|/|:)\s+")


def drop_short_tail(title: str) -> str:
    """'A long headline here | Forum | iPhone' -> 'A long headline here'.

    Without an <h1> to confirm the headline, short pieces (three words or fewer) trailing a
    headline of four words or more are site or section names. En and em dashes are left
    alone: headlines use them ('Dog scares off burglar – police appeal')."""
    parts = _TAIL_SEPARATOR.split(title)
    if len(parts) < 2 or len(parts[0].split()) < 4:
        return title
    if all(len(part.split()) <= 3 for part in parts[1:]):
        return parts[0]
    return title
