"""Authors: clean person names from bylines, meta tags and JSON-LD.

Users' most frequent complaints about extractors: a ';'-joined string, 'By' prefixes, outlet
names, e-mails, dates and placeholder links left in author fields. Each rule here removes one.
"""

from __future__ import annotations

import html
import re
import unicodedata

_PREFIX = re.compile(
    r"^\s*(?:(?:written|posted|published|reported|text|story|words|photos?|interview|compiled|edited|reporting)\s+by|"
    r"(?:veröffentlicht|geschrieben|verfasst|erstellt|publiziert)\s+von|(?:publié|écrit|rédigé)\s+par|"
    r"(?:publicado|escrito|redactado)\s+por|scritto\s+da|(?:zeige\s+)?alle\s+beiträge\s+von|"
    r"(?:view\s+)?all\s+(?:posts|articles|stories)\s+by|more\s+(?:articles|stories|posts)\s+(?:by|from)|"
    r"(?:text|texte|texto|fotos?|bilder|photos?|interview)\s*(?:&|und|and|y|et|/)\s*(?:text|fotos?|bilder|photos?|interview)\s*:|"
    r"redaktion\s*:|reporter\s*:|interview\s*:|rechtsanw(?:alt|ältin)|fachanw(?:alt|ältin)|attorney|journalist(?:in)?|"
    r"reporter(?:in)?|korrespondent(?:in)?|correspondent|by|von|par|por|di|door|av|af|text|autor(?:in)?|author|auteur|redakteur(?:in)?|from|автор(?:ы)?|текст|подготовил(?:а)?)\s*[:：\-–]?\s+",
    re.IGNORECASE,
)
# Labels of East Asian bylines, written without a space: "作者：王小明", "記者 王小明", "글: 홍길동".
_CJK_PREFIX = re.compile(
    r"^\s*(?:作者|作\s*者|记者|記者|编辑|編輯|责任编辑|責任編輯|撰文|撰稿|文|图|圖|来源|來源|筆者|执笔|執筆|글|기자|글쓴이|작성자|文責)\s*[:：/]?\s*"
)
# Role words written after the name: "王小明 记者", "홍길동 기자", "山田太郎記者".
_CJK_SUFFIX = re.compile(r"\s*(?:记者|記者|기자|특파원|編集委員|特派员|特派員|报道|報道)\s*$")
# Month names and abbreviations: a byline part that is only these is a date fragment ("Aug.", "Nov").
_MONTH_TOKEN = re.compile(
    r"^(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|"
    r"oct(?:ober)?|nov(?:ember)?|dec(?:ember)?|januar|februar|märz|juni|juli|dezember|mai|okt)\.?$",
    re.IGNORECASE,
)
# Interface words that sit next to bylines and get read as one ("Last" of "Last Updated",
# "Sign In", a "version" or "label" attribute's text).
_INTERFACE = re.compile(
    r"^(?:last|latest|more|read|version|label|menu|search|home|close|print|login|logout|register|subscribe|"
    r"next|previous|back|top|skip|loading|edit|reply|share|tweet|like|print|listen|save|bookmark|"
    r"sign\s+(?:in|up|out)|log\s+(?:in|out)|read\s+more|see\s+more|load\s+more|my\s+account|"
    r"last\s+updated|last\s+modified|follow\s+us|contact\s+us|about\s+us|view\s+all|show\s+more|"
    r"anmelden|abmelden|einloggen|registrieren|suche|mehr|weiterlesen|drucken|teilen|"
    r"connexion|se\s+connecter|rechercher|iniciar\s+sesión|buscar)$",
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
    r"(?:\s+(?:am|on|le|el|il|vom|den|at|um|updated|aktualisiert|"
    r"jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec|january|february|march|april|june|july|august|"
    r"september|october|november|december)\.?|\s*[,|·•\-–—])*\s+\d.*$",
    re.IGNORECASE,
)
_TRAILING_LABEL = re.compile(
    r"\s+(?:(?:last|zuletzt)\s+(?:updated|modified|aktualisiert|geändert)|sign\s+(?:in|up)|log\s+in|alle artikel|alle beiträge|kategorien?|mehr (?:von|artikel|zum)|profil|follow|folgen|zuletzt|"
    r"aktualisiert|updated|share|teilen|tiempo de lectura|hace|lesezeit|read more|more by|view profile)\b.*$",
    re.IGNORECASE,
)
# A credit for who built the site, not who wrote the page: "Hecho en Bolivia con Drupal por ...",
# "Powered by WordPress", "Webdesign: ...".
_SITE_CREDIT = re.compile(
    r"\b(?:powered by|made (?:with|by)|built (?:with|by)|designed by|(?:web)?site by|web\s?design|"
    r"hecho (?:en|con)|desarrollado por|diseñado por|realizzato da|réalisé par|umsetzung:|"
    r"drupal|wordpress|joomla|typo3|wix\.com|squarespace)\b",
    re.IGNORECASE,
)
# Placeholders a template writes where a name should be: "link78", "user123", "author_2".
_PLACEHOLDER = re.compile(
    r"(?:link|user|author|admin|guest|member|item|post|node|image|img|field|anchor)[-_]?\d+", re.IGNORECASE
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
    r"account|logged|redacción|redaccion|rédaction|redazione|redação|redacao|"
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
        words: list[str] = []
        for word in name.split():
            lower = word.lower()
            words.append(
                lower if lower in _LOWER_PARTICLES and words else "-".join(p.capitalize() for p in lower.split("-"))
            )
        return " ".join(words)
    return name


def _fold(text: str) -> str:
    """Case and accents folded: outlets are written "Graiul Maramureşului" in one place and
    "Graiul Maramureșului" (s with a comma, not a cedilla) in another."""
    return "".join(ch for ch in unicodedata.normalize("NFKD", text.casefold()) if not unicodedata.combining(ch))


def _names_outlet(name: str, outlet_names: tuple[str, ...]) -> bool:
    """Whether `name` is the outlet's credit: its name or domain label, the name without its
    article ("Lornmouth Post" for "The Lornmouth Post"), or a word before an outlet name of two
    words or more ("Nga Gazeta Telegraf": "by" in Albanian; "Redazione Gazeta Telegraf")."""
    lowered = _fold(name)
    for outlet in filter(None, outlet_names):
        folded = _fold(outlet)
        if lowered == folded or lowered in folded.split("."):
            return True
        bare = re.sub(r"^(?:the|die|der|das|le|la|les|el|il)\s+", "", folded)
        if bare == lowered:
            return True
        for credit in {folded, bare}:
            words = credit.split()
            if len(words) >= 2 and lowered.endswith(" " + credit) and len(lowered.split()) == len(words) + 1:
                return True
    return False


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
        name = _PREFIX.sub("", name).strip(" ,;:：|·•-–—\"'")
        name = _CJK_SUFFIX.sub("", _CJK_PREFIX.sub("", name)).strip(" ,;:：|·•-–—\"'")
    cjk = re.search(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]", name) is not None
    if not name or len(name) > 60 or (len(name) < 3 and not (cjk and len(name) >= 2)):
        return None
    words = name.split()
    if all(_MONTH_TOKEN.match(word) for word in words) or _INTERFACE.match(name) or _PLACEHOLDER.fullmatch(name):
        return None  # a date fragment or an interface label, not a person
    # Digits mean a date or a count, except in a one-word login ("freeman1984").
    login = re.fullmatch(r"[^\W\d_][\w.\-]{1,24}", name) is not None
    if (re.search(r"\d", name) and not login) or any(ch in name for ch in "<>{}=#®©™?!"):
        return None
    words = name.split()
    if len(words) > 5:
        return None
    if _NOT_PERSON.search(name):
        return None
    if _names_outlet(name, outlet_names):
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


def _is_alias_of(alias: str, name: str) -> bool:
    """True when one-word `alias` is a login or handle for the person `name`: 'jdoe',
    'janedoe', 'JaneD', 'doej', 'jane_doe1' for 'Jane Doe'."""
    key = re.sub(r"[\W_\d]+", "", alias.casefold())
    parts = [re.sub(r"\W+", "", part) for part in name.casefold().split()]
    parts = [part for part in parts if part]
    if len(key) < 2 or len(parts) < 2:
        return False
    first, last = parts[0], parts[-1]
    forms = {first + last, last + first, first[0] + last, first + last[0], last + first[0], "".join(parts), last, first}
    return key in forms


def _looks_like_login(word: str) -> bool:
    """A one-word CMS login or handle: lower case, digits or underscores ('jdoe', 'admin_2')."""
    return " " not in word and (word.islower() or re.search(r"[\d_]", word) is not None)


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
        if _SITE_CREDIT.search(raw):
            continue  # the site's builder, not the page's author
        # JSON-LD strings may carry HTML character references ("Ros&#233;"): decode them before
        # splitting, or their ";" splits the name.
        parts = split_byline(html.unescape(raw) if "&" in raw else raw)
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
    # Next to another name, one spelled like the outlet without its spaces ("USA TODAY" on
    # usatoday.com) is the outlet's credit, not a co-author (alone, it may be a blog's owner).
    if len(names) >= 2:
        outlet_keys = {re.sub(r"[\W_]+", "", outlet.casefold().split(".")[0]) for outlet in outlet_names if outlet}
        names = [name for name in names if re.sub(r"[\W_]+", "", name.casefold()) not in outlet_keys] or names
    # A login or handle next to the person's name is the same person's account, not a co-author.
    people = [name for name in names if " " in name]
    if people:
        names = [
            name
            for name in names
            if " " in name or not (_looks_like_login(name) or any(_is_alias_of(name, person) for person in people))
        ]
    return tuple(names)


_BODY_BYLINE = re.compile(
    r"^(?:(?:written|reported|posted|words|story|text|interview)\s+by|(?:geschrieben|verfasst)\s+von|écrit\s+par|"
    r"escrito\s+por|scritto\s+da|von|by|par|por|di|door|av|af|text|texto|autor(?:in)?|author)\s*:?\s+"
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
