"""Titles: the headline without the outlet's ' - Outlet' / ' | Outlet' suffix (or prefix)."""

from __future__ import annotations

import re
import unicodedata

_SEPARATORS = re.compile(r"\s+(?:[|\-–—:·•»«/~]|::|\\\\)\s+")


def clean_whitespace(text: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text)).strip()


def _key(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.casefold())


def _looks_like_outlet(part: str, outlet_names: tuple[str, ...], domain: str) -> bool:
    key = _key(part)
    if not key:
        return True
    domain_key = _key(domain.split(".")[0]) if domain else ""
    for outlet in outlet_names:
        outlet_key = _key(outlet)
        if outlet_key and (key == outlet_key or key in outlet_key or outlet_key in key):
            return True
    if domain_key and (domain_key in key or key in _key(domain)):
        return True
    return False


def strip_outlet(title: str, outlet_names: tuple[str, ...] = (), domain: str = "") -> str:
    """Remove outlet names joined to the title by a separator, at either end."""
    title = clean_whitespace(title)
    parts = _SEPARATORS.split(title)
    if len(parts) < 2:
        return title
    separators = _SEPARATORS.findall(title)
    # Drop outlet-like parts from the end, then from the start; keep at least one part.
    while len(parts) > 1 and _looks_like_outlet(parts[-1], outlet_names, domain):
        parts.pop()
        separators.pop()
    while len(parts) > 1 and _looks_like_outlet(parts[0], outlet_names, domain):
        parts.pop(0)
        separators.pop(0)
    out = parts[0]
    for separator, part in zip(separators, parts[1:]):
        out += separator + part
    return out.strip()


def suffix_outlet(title: str) -> str | None:
    """The last ' | '-separated part of a <title>, when it reads like a name (for publication)."""
    parts = re.split(r"\s+[|\-–—·•»]\s+", clean_whitespace(title))
    if len(parts) < 2:
        return None
    tail = parts[-1].strip()
    if 1 <= len(tail.split()) <= 5 and len(tail) <= 40 and not tail.endswith((".", "?", "!")):
        return tail
    return None


def choose_title(
    candidates: list[tuple[str, str | None]],
    h1_texts: list[str],
    outlet_names: tuple[str, ...] = (),
    domain: str = "",
) -> str | None:
    """The headline: a structured title agreeing with an <h1>, else the best candidate cleaned.

    `candidates` arrive ranked (JSON-LD headline, og:title, twitter:title, <title>).
    """
    cleaned = [(source, strip_outlet(value, outlet_names, domain)) for source, value in candidates if value and value.strip()]
    cleaned = [(source, value) for source, value in cleaned if value]
    h1_clean = [clean_whitespace(h) for h in h1_texts if h and 3 <= len(h.strip()) <= 300]
    # An <h1> that a structured title contains (or equals) is the headline as shown.
    for h1 in h1_clean:
        h1_key = _key(h1)
        if len(h1_key) < 8:
            continue
        for _, value in cleaned:
            value_key = _key(value)
            if h1_key == value_key:
                return value
        for _, value in candidates:
            if value and h1_key and h1_key in _key(value) and len(h1_key) >= 0.5 * len(_key(value)):
                return h1
    if cleaned:
        return cleaned[0][1]
    return h1_clean[0] if h1_clean else None
