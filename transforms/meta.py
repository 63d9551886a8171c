"""Structured metadata a page declares: JSON-LD, OpenGraph / <meta> tags, <title>, <h1>,
byline elements and <link rel=canonical>, gathered in one pass over the parsed tree.

The field modules (titles, dates, authors) rank these; this module only reads them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from lxml import etree

ARTICLE_TYPES = frozenset(
    {
        "article",
        "newsarticle",
        "reportagenewsarticle",
        "analysisnewsarticle",
        "opinionnewsarticle",
        "reviewnewsarticle",
        "backgroundnewsarticle",
        "askpublicnewsarticle",
        "blogposting",
        "socialmediaposting",
        "liveblogposting",
        "scholarlyarticle",
        "techarticle",
        "report",
        "medicalscholarlyarticle",
        "advertisercontentarticle",
        "satiricalarticle",
        "review",
        "posting",
    }
)
PAGE_TYPES = frozenset(
    {"webpage", "itempage", "collectionpage", "searchresultspage", "aboutpage", "contactpage", "profilepage", "website"}
)
ORGANIZATION_TYPES = frozenset(
    {"organization", "newsmediaorganization", "corporation", "onlinebusiness", "localbusiness", "brand"}
)


@dataclass(slots=True)
class PageMeta:
    """Everything the page says about itself, unranked."""

    meta: dict[str, list[str]] = field(default_factory=dict)  # lower-cased name/property -> contents
    json_ld: list[dict] = field(default_factory=list)  # every object, @graph flattened
    article_ld: list[dict] = field(default_factory=list)  # the objects typed as articles
    title_tag: str | None = None
    h1_texts: list[str] = field(default_factory=list)
    canonical_url: str | None = None
    html_lang: str | None = None
    byline_texts: list[str] = field(default_factory=list)
    itemprop_authors: list[str] = field(default_factory=list)
    time_values: list[tuple[str, str]] = field(default_factory=list)  # (kind, value) from <time>/itemprop
    # The elements whose class or id marks a byline or author ('yline', 'uthor', rel=author), in
    # document order: the page's byline elements, searched once for every byline rule.
    byline_elements: list = field(default_factory=list)

    def first(self, *names: str) -> str | None:
        for name in names:
            for value in self.meta.get(name, ()):
                if value and value.strip():
                    return value.strip()
        return None

    def all(self, *names: str) -> list[str]:
        return [v.strip() for name in names for v in self.meta.get(name, ()) if v and v.strip()]

    def ld_values(self, key: str) -> list:
        """Values of `key` in the article objects first, then in other page objects."""
        values = [obj[key] for obj in self.article_ld if key in obj and obj[key] not in (None, "", [])]
        if not values:
            values = [
                obj[key]
                for obj in self.json_ld
                if key in obj and obj[key] not in (None, "", []) and _types(obj) & PAGE_TYPES
            ]
        return values


def _types(obj: dict) -> set[str]:
    kind = obj.get("@type")
    if isinstance(kind, str):
        return {kind.lower().rsplit("/", 1)[-1]}
    if isinstance(kind, list):
        return {k.lower().rsplit("/", 1)[-1] for k in kind if isinstance(k, str)}
    return set()


def is_article_object(obj: dict) -> bool:
    return bool(_types(obj) & ARTICLE_TYPES)


def is_organization(obj: object) -> bool:
    """An organization and not a person (a personal site types its owner Person *and* Organization)."""
    if not isinstance(obj, dict):
        return False
    kinds = _types(obj)
    return bool(kinds & ORGANIZATION_TYPES) and "person" not in kinds


def _flatten(value: object, out: list[dict], depth: int = 0) -> None:
    if depth > 6:
        return
    if isinstance(value, list):
        for item in value:
            _flatten(item, out, depth + 1)
    elif isinstance(value, dict):
        out.append(value)
        if "@graph" in value:
            _flatten(value["@graph"], out, depth + 1)
        main = value.get("mainEntity") or value.get("mainEntityOfPage")
        if isinstance(main, dict) and is_article_object(main):
            _flatten(main, out, depth + 1)


def _load_json(raw: str) -> object:
    raw = raw.strip()
    if raw.startswith("<!--"):
        raw = raw[4:]
    if raw.endswith("-->"):
        raw = raw[:-3]
    raw = raw.strip().rstrip(";")
    try:
        return json.loads(raw, strict=False)
    except ValueError:
        pass
    # Common breakage: trailing commas, raw newlines in strings.
    repaired = re.sub(r",\s*([}\]])", r"\1", raw.replace("\n", " "))
    try:
        return json.loads(repaired, strict=False)
    except ValueError:
        return None


# Code inside an element is not its text: CSS-in-JS frameworks write a <style> into the
# headline itself ('.css-umyvef{font-size:16px}Headline').
_CODE_TAGS = ("script", "style", "noscript", "template")


def _text_without_code(element) -> str:
    pieces = [element.text or ""]
    for child in element:
        if isinstance(child.tag, str) and child.tag not in _CODE_TAGS:
            pieces.append(_text_without_code(child))
        pieces.append(child.tail or "")
    return "".join(pieces)


def text_of(element) -> str:
    """The element's text, single-spaced, without the code of scripts and styles inside it."""
    if element.tag in _CODE_TAGS or next(element.iterdescendants(*_CODE_TAGS), None) is None:
        text = "".join(element.itertext())
    else:
        text = _text_without_code(element)
    return re.sub(r"\s+", " ", text).strip()


# A cheap XPath narrows the elements; the precise class test runs in Python.
# A kicker ("Corona-Pandemie", "Dachzeile") above the headline, inside the same <h1>, and the
# hidden separators between them: not part of the headline.
_KICKER_CLASS = re.compile(
    r"kicker|overline|dachzeile|topline|roofline|eyebrow|subtitle|supertitle|spitzmarke|fake-h5|"
    r"visually-hidden|sr-only|screen-reader|invisible|ts-colon",
    re.IGNORECASE,
)


def headline_text(element) -> str:
    """The text of a heading without a kicker span (falls back to the whole text)."""
    children = [child for child in element if isinstance(child.tag, str)]
    if children and any(_KICKER_CLASS.search(child.get("class") or "") for child in children):
        pieces = [element.text or ""]
        for child in children:
            if not _KICKER_CLASS.search(child.get("class") or "") and child.tag not in _CODE_TAGS:
                pieces.append(text_of(child))
            pieces.append(child.tail or "")
        text = re.sub(r"\s+", " ", " ".join(pieces)).strip(" :-–—|")
        if len(text) >= 3:
            return text
    return text_of(element)


# Elements whose class or id holds 'yline' or 'uthor', or rel="author". Searched through the
# attributes themselves ('//@class[...]/..'): libxml2 then tests only elements that have the
# attribute, about twice as fast as testing every element ('//*[contains(@class, ...)]').
_BYLINE_XPATH = etree.XPath(
    "//@class[contains(., 'yline') or contains(., 'uthor')]/.. | //@rel[. = 'author']/.. | //@id[contains(., 'yline')]/.."
)
_BYLINE_CLASS = re.compile(
    r"(?:^|\s)(?:byline\S*|c-byline\S*|author|author-name|authorname|author__name|article-author\S*|post-author\S*|"
    r"entry-author\S*|meta-author)(?:\s|$)|byline__|authorName|author-name",
    re.IGNORECASE,
)


def _is_byline(element) -> bool:
    if element.get("rel") == "author":
        return True
    return bool(_BYLINE_CLASS.search(element.get("class") or "")) or "byline" in (element.get("id") or "").lower()


# One query for microdata authors and dates and for <time datetime>, in document order.
_ITEMPROP_OR_TIME = etree.XPath("//@itemprop/parent::* | //time[@datetime]")
_HATOM_DATE = etree.XPath(
    "//@title/parent::*[contains(concat(' ', normalize-space(@class), ' '), ' published ')"
    " or contains(concat(' ', normalize-space(@class), ' '), ' updated ')]"
)
_SCREEN_READER_ONLY = re.compile(
    r"(?:^|\s)(?:sr-only|screen-reader-text|screen-reader-only|visually-hidden|visuallyhidden|"
    r"element-invisible|is_blind|blind|a11y-hidden|offscreen|hide-text)(?:\s|$)",
    re.IGNORECASE,
)
_DATE_PROPS = frozenset({"datePublished", "dateModified", "dateCreated"})


_HIDDEN_TAGS = frozenset({"script", "style", "noscript", "template", "figure", "figcaption", "picture"})
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)


def is_unseen(element) -> bool:
    """True for an element a reader does not see as article text: hidden (`hidden`,
    `aria-hidden`, display:none) or an image's caption (figure, figcaption, class *caption*)."""
    tag = element.tag if isinstance(element.tag, str) else ""
    if not tag or tag in _HIDDEN_TAGS or "caption" in (element.get("class") or "").lower():
        return True
    return is_hidden(element)


def is_hidden(element) -> bool:
    """Hidden by its attributes: `hidden`, `aria-hidden="true"`, display:none, visibility:hidden."""
    if element.get("hidden") is not None or (element.get("aria-hidden") or "").strip().lower() == "true":
        return True
    style = element.get("style")
    return bool(style) and _HIDDEN_STYLE.search(style) is not None


def _in_unseen(element) -> bool:
    """True when `element` or an element around it is unseen (a <time> there dates something else)."""
    return any(is_unseen(node) for node in element.iterancestors()) or is_unseen(element)


def read_page_meta(tree) -> PageMeta:
    """One pass over the parsed page collecting every declared field."""
    page = PageMeta()
    root = tree.getroottree().getroot() if hasattr(tree, "getroottree") else tree
    page.html_lang = root.get("lang") or root.get("xml:lang") or root.get("{http://www.w3.org/XML/1998/namespace}lang")
    stray_title = None
    for element in root.iter("meta", "title", "link", "script", "h1"):
        tag = element.tag
        if tag == "meta":
            content = element.get("content")
            if content is None:
                continue
            for attribute in ("property", "name", "itemprop", "http-equiv"):
                key = element.get(attribute)
                if key:
                    page.meta.setdefault(key.strip().lower(), []).append(content)
        elif tag == "title":
            if (
                page.title_tag is None
                and element.getparent() is not None
                and element.getparent().tag in ("head", "html")
            ):
                page.title_tag = text_of(element)
            elif stray_title is None and next(element.iterancestors("svg", "math"), None) is None:
                stray_title = text_of(element)
        elif tag == "link":
            rel = (element.get("rel") or "").lower().split()
            if "canonical" in rel and page.canonical_url is None and element.get("href"):
                page.canonical_url = element.get("href").strip()
            elif "author" in rel and element.get("href") is None:
                continue
        elif tag == "script":
            if (element.get("type") or "").strip().lower() == "application/ld+json" and element.text:
                data = _load_json(element.text)
                if data is not None:
                    _flatten(data, page.json_ld)
        elif tag == "h1" and not _SCREEN_READER_ONLY.search(element.get("class") or ""):
            # A heading for screen readers only ('기사 상세' = "article detail") is not shown.
            text = headline_text(element)
            if text:
                page.h1_texts.append(text)
    # Text printed before <html> (a server's error messages) moves the head into the body: a
    # <title> there, outside inline SVG and MathML (whose <title> is a tooltip), is the page's.
    if page.title_tag is None:
        page.title_tag = stray_title
    page.article_ld = [obj for obj in page.json_ld if is_article_object(obj)]
    _read_bylines(page, root)
    _read_microdata(page, root)
    return page


def _read_bylines(page: PageMeta, root) -> None:
    """The elements marked as bylines, and the texts of the first eight that read as one."""
    page.byline_elements = _BYLINE_XPATH(root)
    for element in page.byline_elements:
        if not _is_byline(element):
            continue
        if element.tag in ("meta", "link", "script", "style", "body", "html", "article", "main", "section"):
            continue
        text = text_of(element)
        if 2 < len(text) <= 120:
            page.byline_texts.append(text)
        if len(page.byline_texts) >= 8:
            break


def _read_microdata(page: PageMeta, root) -> None:
    """Microdata authors (their first group) and dates, <time datetime>, hAtom dates."""
    author_group = None
    for element in _ITEMPROP_OR_TIME(root):
        prop = element.get("itemprop")
        if prop in ("author", "creator"):
            if element.tag == "meta":
                value = element.get("content") or ""
            else:
                named = element.xpath(".//*[@itemprop='name']")
                value = (named[0].get("content") or text_of(named[0])) if named else text_of(element)
            # Only the first group of microdata authors: later ones credit related stories.
            group = element.getparent().getparent() if element.getparent() is not None else None
            if author_group is None:
                author_group = group
            if value and len(value) <= 120 and (group is author_group or len(page.itemprop_authors) == 0):
                page.itemprop_authors.append(value)
        elif prop in _DATE_PROPS or (element.tag == "time" and element.get("datetime") and not _in_unseen(element)):
            value = element.get("datetime") or element.get("content") or text_of(element)
            kind = prop if prop in _DATE_PROPS else ("pubdate" if element.get("pubdate") is not None else "time")
            if value:
                page.time_values.append((kind, value))
    # hAtom: <abbr class="published" title="2010-08-13T16:39:00-04:00">Aug 13, 2010</abbr>
    for element in _HATOM_DATE(root):
        classes = (element.get("class") or "").split()
        value = (element.get("title") or "").strip()
        if value and not _in_unseen(element):
            page.time_values.append(("pubdate" if "published" in classes else "dateModified", value))
