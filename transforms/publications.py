"""Publication (outlet) names: from what the page declares, else from its domain."""

from __future__ import annotations

import re

# Outlets whose domain does not spell their name; extend as sources are added.
KNOWN_OUTLETS = {
    "themoscowtimes.com": "The Moscow Times",
    "nytimes.com": "The New York Times",
    "washingtonpost.com": "The Washington Post",
    "theguardian.com": "The Guardian",
    "bbc.co.uk": "BBC",
    "bbc.com": "BBC",
    "reuters.com": "Reuters",
    "apnews.com": "AP News",
    "cnn.com": "CNN",
    "wsj.com": "The Wall Street Journal",
    "ft.com": "Financial Times",
    "spiegel.de": "Der Spiegel",
    "zeit.de": "Die Zeit",
    "faz.net": "Frankfurter Allgemeine Zeitung",
    "sueddeutsche.de": "Süddeutsche Zeitung",
    "lemonde.fr": "Le Monde",
    "elpais.com": "El País",
}


def publication_from_domain(domain: str) -> str | None:
    """'harbour-gazette.example' -> 'Harbour Gazette'; known outlets by their own name."""
    if not domain:
        return None
    if domain in KNOWN_OUTLETS:
        return KNOWN_OUTLETS[domain]
    label = domain.split(".")[0]
    if not label or label.isdigit():
        return None
    words = [w for w in re.split(r"[-_]+", label) if w]
    return " ".join(w.capitalize() for w in words) or None


# A credit for whoever built the site, not the outlet's name.
_CREDIT = re.compile(
    r"^(?:(?:(?:web\s?)?(?:site|design(?:ed)?)|powered|made|built|created|developed|hosted|theme|realisation|"
    r"realisierung|umsetzung|gestaltung|programmierung|entwicklung|konzept)(?:\s+(?:and|&|und)\s+\w+)?"
    r"\s*(?:by|von|par|por|:)\s|(?:web\s?design|website|webagentur|web agency)$)",
    re.IGNORECASE,
)
_LEGAL_FORM = re.compile(r"\b(?:e\.\s?V|Inc|Ltd|Co|S\.\s?L|S\.\s?A|GmbH|AG|plc)\.?$")
_NAME_SEPARATORS = re.compile(r"\s+[|\-–—·•»:]+\s+|\s*[|•»]\s*")


def _key(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.casefold())


def clean_publication(value: object, domain: str = "") -> str | None:
    """A plausible outlet name from a declared value (strings only, short, no URL, no web
    designer's credit). A name written with its tagline ('Outlet | News, weather and sport',
    'Outlet – Das Portal für ...') is cut to the name: the piece that spells the domain, else
    the first piece when the others read as a description."""
    if isinstance(value, dict):
        value = value.get("name")
    if isinstance(value, list):
        value = next((v for v in value if isinstance(v, str) and v.strip()), None)
    if not isinstance(value, str):
        return None
    name = re.sub(r"\s+", " ", value).strip(" |-–—·")
    if not name or len(name) > 80 or name.startswith(("http://", "https://")) or _CREDIT.match(name):
        return None
    if re.fullmatch(r"www\d?\.[\w-]+(?:\.[\w-]+)+", name, re.IGNORECASE):
        name = name.split(".", 1)[1]  # 'www.liberation.fr' -> 'liberation.fr'
    pieces = [piece.strip(" .:") for piece in _NAME_SEPARATORS.split(name) if piece.strip(" .:")]
    if len(pieces) >= 2:
        named = _name_piece(pieces, domain)
        if named is not None:
            return named
    words = name.split()
    if len(words) > 8 or (len(words) >= 5 and name.endswith((".", "!", "?")) and not _LEGAL_FORM.search(name)):
        return None  # a sentence: the page's description, not its name
    return name


def _name_piece(pieces: list[str], domain: str) -> str | None:
    """Of 'Name | tagline' pieces, the one that spells the domain, else the first when the
    others read as a description; None when neither."""
    label = _key(domain.split(".")[0]) if domain else ""
    if len(label) >= 3:
        for piece in pieces:
            key = _key(piece)
            if len(key) >= 3 and (label in key or key in label):
                return piece
    first, rest = pieces[0], pieces[1:]
    if len(first.split()) <= 4 and all(_describes(piece) for piece in rest):
        return first
    return None


def _describes(piece: str) -> bool:
    """A tagline rather than a name: a list with commas, or three words or more."""
    return "," in piece or len(piece.split()) >= 3
