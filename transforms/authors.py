"""Authors: clean person names from bylines, meta tags and JSON-LD.

Users' most frequent complaints about extractors: a ';'-joined string, 'By' prefixes, outlet
names, e-mails, dates and placeholder links left in author fields. Each rule here removes one.
"""

from __future__ import annotations

import re
import unicodedata

_PREFIX = re.compile(
    r"^\s*(?:(?:written|posted|published|reported|text|story|words|photos?|interview|compiled|edited|reporting)\s+by|"
    r"(?:veröffentlicht|geschrieben|verfasst|erstellt|publiziert)\s+von|(?:publié|écrit|rédigé)\s+par|"
    r"(?:publicado|escrito|redactado)\s+por|scritto\s+da|(?:zeige\s+)?alle\s+beiträge\s+von|"
    r"(?:view\s+)?all\s+(?:posts|articles|stories)\s+by|more\s+(?:articles|stories|posts)\s+(?:by|from)|"
    r"(?:text|texte|texto|fotos?|bilder|photos?|interview)\s*(?:&|und|and|y|et|/)\s*(?:text|fotos?|bilder|photos?|interview)\s*:|"
    r"redaktion\s*:|reporter\s*:|interview\s*:|by|von|par|por|di|door|av|af|text|autor(?:in)?|author|auteur|redakteur(?:in)?|from|автор(?:ы)?|текст|подготовил(?:а)?)\s*[:\-–]?\s+",
    re.IGNORECASE,
)
_SPLIT = re.compile(
    r"\s*(?:;|\||/|,|\s[-–—]\s|\s+and\s+|\s+und\s+|\s+&\s+|&|\s+et\s+|\s+y\s+|\s+e\s+|\s+en\s+|\s+og\s+|\s+och\s+|\s+i\s+|\s+with\s+|\s+mit\s+)\s*",
    re.IGNORECASE,
)
_EMAIL = re.compile(r"\S+@\S+")
_URL = re.compile(r"https?://\S+|www\.\S+")
_HANDLE = re.compile(r"(?<!\w)@\w+")
_TRAILING_DATE = re.compile(
    r"(?:\s+(?:am|on|le|el|il|vom|den|at|um|updated|aktualisiert)|\s*[,|·•\-–—])*\s+\d.*$", re.IGNORECASE
)
_TRAILING_LABEL = re.compile(
    r"\s+(?:alle artikel|alle beiträge|kategorien?|mehr (?:von|artikel|zum)|profil|follow|folgen|zuletzt|"
    r"aktualisiert|updated|share|teilen|tiempo de lectura|hace|lesezeit|read more|more by|view profile)\b.*$",
    re.IGNORECASE,
)
_MARKDOWN_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_PARENS = re.compile(r"\([^)]*\)|\[[^\]]*\]")
# Words that make a byline part a role, an agency or boilerplate rather than a person.
_NOT_PERSON = re.compile(
    r"\b(?:staff|editor(?:s|ial)?|redaktion|newsroom|desk|team|reporters?|correspondents?|agency|agencies|"
    r"press|presse|news|associated|reuters|afp|dpa|apa|ap|ansa|efe|upi|bloomberg|bbc|cnn|"
    r"contributors?|contributing|writer|columnist|admin|administrator|webmaster|guest|anonymous|unknown|"
    r"updated|published|posted|minutes?|photo|photos|image|video|getty|shutterstock|"
    r"copyright|all rights|subscribe|follow|twitter|facebook|instagram|linkedin|email|share|comments?|"
    r"mitarbeiter|gastautor|online|group|media|magazine|magazin|zeitung|times|post|daily|journal|"
    r"text|texte|fotos?|name|datum|date|stand|human|says|sagt|hace|lesezeit|tiempo|autor(?:in)?|author|quelle|source|"
    r"gmbh|e\.\s?v|inc|ltd|llc|ag|verlag|redaktion|pressestelle|profile|profil|zuletzt|geändert|"
    r"januar|februar|märz|oktober|dezember|montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonntag|"
    r"monday|tuesday|wednesday|thursday|friday|saturday|sunday|"
    r"tribune|herald|gazette|world|report|feature|opinion|sport|sports|politics|business)\b",
    re.IGNORECASE,
)
_LOWER_PARTICLES = {
    "van",
    "von",
    "der",
    "den",
    "de",
    "da",
    "del",
    "della",
    "di",
    "du",
    "la",
    "le",
    "bin",
    "al",
    "ibn",
    "zu",
    "y",
    "dos",
    "das",
    "ten",
    "ter",
}


def _titlecase_if_shouting(name: str) -> str:
    if name.isupper() and len(name) > 3:
        words = []
        for word in name.split():
            lower = word.lower()
            words.append(
                lower if lower in _LOWER_PARTICLES and words else "-".join(p.capitalize() for p in lower.split("-"))
            )
        return " ".join(words)
    return name


def clean_name(raw: str, outlet_names: tuple[str, ...] = ()) -> str | None:
    """One clean person name, or None when `raw` is not one."""
    name = unicodedata.normalize("NFC", raw)
    name = _MARKDOWN_LINK.sub(r"\1", name)
    name = _URL.sub(" ", _EMAIL.sub(" ", name))
    name = _HANDLE.sub(" ", name)
    name = _PARENS.sub(" ", name)
    # A date or time after the name ("Jane Doe am 21. April 2020", "Jane Doe, 5 May"): cut it,
    # and labels that follow a byline ("Jane Doe Alle Artikel", "Jane Doe Kategorien: Mode").
    name = _TRAILING_DATE.sub("", name)
    name = _TRAILING_LABEL.sub("", name)
    name = re.sub(r"\s+", " ", name).strip(" \t\n,;:|·•-–—\"'“”()[]")
    for _ in range(2):
        name = _PREFIX.sub("", name).strip(" ,;:|·•-–—\"'")
    if not name or len(name) > 60 or len(name) < 3:
        return None
    # Digits mean a date or a count, except in a one-word login ("freeman1984").
    login = re.fullmatch(r"[^\W\d_][\w.\-]{1,24}", name) is not None
    if (re.search(r"\d", name) and not login) or any(ch in name for ch in "<>{}=#®©™?!"):
        return None
    words = name.split()
    if len(words) > 5:
        return None
    if _NOT_PERSON.search(name):
        return None
    lowered = name.casefold()
    for outlet in outlet_names:
        if outlet and (lowered == outlet.casefold() or lowered in outlet.casefold().split(".")):
            return None
    if not any(ch.isalpha() for ch in name):
        return None
    if " " not in name and re.search(r"\.(?:com|net|org|de|at|ch|fr|it|es|pl|uk|ru|info|eu|io)$", name, re.IGNORECASE):
        return None  # a domain: the outlet, not a person
    if re.fullmatch(r"[a-z]+(?:[._][a-z]+)+", name):
        # a login such as "jane.doe": the person it names
        name = " ".join(part.capitalize() for part in re.split(r"[._]", name))
        words = name.split()
    if name.islower() and len(words) > 1:
        return None  # a phrase, not a name
    return _titlecase_if_shouting(name)


_LATE_BY = re.compile(r"(?:^|\s)(?:by|von|par|por)\s+(?=[^\W\d_])(.+)$", re.IGNORECASE)


def split_byline(byline: str) -> list[str]:
    """'By Jane Doe and John Roe' -> ['Jane Doe', 'John Roe'] (prefixes dropped).

    'Posted on May 5, 2020 by Jane Doe': what follows the last 'by' is the byline.
    """
    text = re.sub(r"\s+", " ", _MARKDOWN_LINK.sub(r"\1", byline)).strip()
    text = _PREFIX.sub("", text)
    late = _LATE_BY.search(text)
    if late and re.search(r"\d", text[: late.start()]):
        text = late.group(1)
    # "Doe, Jane" is a single inverted name only when both sides are one word.
    if re.fullmatch(r"[^\W\d_]+, [^\W\d_]+", text):
        last, first = text.split(", ")
        return [f"{first} {last}"]
    return [part for part in _SPLIT.split(text) if part and part.strip()]


def clean_authors(raw_values: list[str], outlet_names: tuple[str, ...] = ()) -> tuple[str, ...]:
    """Clean, split and de-duplicate author strings, keeping byline order."""
    names: list[str] = []
    seen: set[str] = set()
    values = [raw for raw in raw_values if isinstance(raw, str) and raw.strip()]
    if len(values) >= 3 and sum(len(raw.split()) == 1 for raw in values) * 2 > len(values):
        return ()  # several one-word values: categories or tags, not authors
    for raw in raw_values:
        if not isinstance(raw, str) or not raw.strip():
            continue
        parts = split_byline(raw)
        if len(parts) >= 3 and sum(len(part.split()) == 1 for part in parts) * 2 > len(parts):
            continue  # a list of single words: categories or tags, not a byline
        for part in parts:
            name = clean_name(part, outlet_names)
            if name is None:
                continue
            key = name.casefold()
            if key not in seen:
                seen.add(key)
                names.append(name)
    return tuple(names)


_BODY_BYLINE = re.compile(
    r"^(?:von|by|par|por|di|door|av|af|text|texto|autor(?:in)?|author)\s*:?\s+"
    r"((?:[A-ZÀ-ÖØ-ÞĀ-Ž][\w'’.\-]*\.?\s*){1,4}(?:\s*(?:,|&|and|und|et|y)\s*(?:[A-ZÀ-ÖØ-ÞĀ-Ž][\w'’.\-]*\s*){1,4})*)$",
    re.IGNORECASE,
)


def byline_in_text(paragraph: str) -> str | None:
    """'von Daniela Obers' / 'By Jane Doe and John Roe' as a paragraph of its own, or None."""
    text = paragraph.strip()
    if len(text) > 120:
        return None
    head = text.split(",")[0].strip()
    if ":" in head and head != text:
        # "Autorin: Uta Staschewski, Projektleiterin ...": the name before the role.
        match = _BODY_BYLINE.match(head)
        if match:
            return match.group(0)
    match = _BODY_BYLINE.match(text)
    return match.group(0) if match else None
