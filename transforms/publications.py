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


def clean_publication(value: object) -> str | None:
    """A plausible outlet name from a declared value (strings only, short, no URL)."""
    if isinstance(value, dict):
        value = value.get("name")
    if isinstance(value, list):
        value = next((v for v in value if isinstance(v, str) and v.strip()), None)
    if not isinstance(value, str):
        return None
    name = re.sub(r"\s+", " ", value).strip(" |-–—·")
    if not name or len(name) > 80 or name.startswith(("http://", "https://")):
        return None
    return name
