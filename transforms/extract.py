"""Compose the field modules: bytes or text of one capture in, `Article` or `Rejection` out.

Order: URL, content type, decoding, parsing, structured metadata (JSON-LD, OpenGraph, meta),
page-kind rejections (soft 404, consent wall, index), body (trafilatura, JSON-LD
`articleBody` when it is plausibly better), then each field chosen from ranked evidence.
Pure: everything it needs (capture time included) arrives as arguments.
"""

from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import urljoin, urlsplit

import trafilatura
from lxml import etree
from trafilatura.json_metadata import normalize_authors
from trafilatura.settings import Extractor
from trafilatura.utils import load_html

from transforms import authors as authors_mod
from transforms import dates, pagekind, titles
from transforms.byline_fallback import trafilatura_byline
from transforms.decode import DecodeError, decode_html, is_html_content_type, looks_binary, media_type
from transforms.language import detect_language
from transforms.meta import PageMeta, is_organization, is_unseen, read_page_meta, text_of
from transforms.publications import clean_publication, publication_from_domain
from transforms.published import choose_published, modified_time
from transforms.records import EXTRACTOR_VERSION, Article, Rejection
from transforms.structure import paragraph_seams, unwrap_layout_tables
from transforms.text import block_key, clean_body, content_hash, normalize_text, simhash, split_paragraphs, word_count
from transforms.urls import (
    InvalidURL,
    archive_timestamp,
    article_id_for,
    canonicalize_url,
    host_name_label,
    is_home_page,
    registered_domain,
    unwrap_archive_url,
)

# Fewer words than this in the body and the page is not an article.
MIN_WORD_COUNT = 40
# ... unless it is this long in characters (languages written without spaces).
MIN_TEXT_CHARS = 250
_MAX_TAGS = 30

# A page that says it is missing. Headline-safe: "404 people injured" or "hiker could not be
# found" are news, so a bare number or a bare "not found" is not enough.
_SOFT_404 = re.compile(
    r"(?:^\s*(?:error\s*)?404(?:\s*$|\s*[-–|:!.]|\s+error|\s+not found)|\b404\s*error\b|\berror\s*404\b|"
    r"\bpage (?:was |could |cannot |can't )?(?:not|n't)? ?(?:be )?found\b(?<!\bpage found)|"
    r"\bpage (?:you (?:requested|are looking for) )?(?:does not|doesn't|no longer) exists?\b|"
    r"seite (?:wurde )?nicht gefunden|page (?:introuvable|non trouvée)|página no encontrada|"
    r"pagina non trovata|страница не найдена|\b(?:article|story|content|page) (?:is )?no longer available|"
    r"\b(?:could not|couldn't|couldn’t|can't|can’t|cannot) find (?:that|this|the|your) page)",
    re.IGNORECASE,
)
_CONSENT = re.compile(
    r"\b(?:we value your privacy|cookie consent|consent to (?:the use of )?cookies|accept (?:all )?cookies|"
    r"manage (?:your )?(?:cookie|privacy) (?:settings|preferences)|before you continue|"
    r"(?:zustimmung|einwilligung) (?:zu|zur nutzung von) cookies|datenschutzeinstellungen|cookies akzeptieren|"
    r"alle akzeptieren|accepter les cookies|tout accepter|aceptar (?:todas las )?cookies|"
    r"subscribe to continue reading|to continue reading,? (?:please )?(?:log in|subscribe))\b",
    re.IGNORECASE,
)

_EXTRACTOR_OPTIONS: dict[str, Extractor] = {}


def _options(url: str | None, recall: bool = False) -> Extractor:
    """trafilatura's options for the body: no comments, no metadata (we read it ourselves)."""
    return Extractor(output_format="python", comments=False, tables=True, url=url, with_metadata=False, recall=recall)


def _strings(values: list) -> list[str]:
    out: list[str] = []
    for value in values:
        if isinstance(value, str):
            out.append(value)
        elif isinstance(value, list):
            out.extend(_strings(value))
        elif isinstance(value, dict) and isinstance(value.get("name"), str):
            out.append(value["name"])
    return out


def _ld_authors(page: PageMeta) -> list[str]:
    """Person names from the first article object that names any (related stories list theirs too).
    An author given as a reference ({"@id": ".../#author"}) is the graph node with that id."""
    nodes = {obj["@id"]: obj for obj in page.json_ld if isinstance(obj.get("@id"), str) and obj.get("name")}
    for obj in page.article_ld or [o for o in page.json_ld if "author" in o]:
        values = [obj[key] for key in ("author", "creator") if obj.get(key)]
        names: list[str] = []
        for value in values:
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, dict) and "name" not in item and isinstance(item.get("@id"), str):
                    item = nodes.get(item["@id"], item)
                if is_organization(item):
                    continue
                if isinstance(item, dict):
                    name = item.get("name")
                    if isinstance(name, list):
                        name = " ".join(n for n in name if isinstance(n, str))
                    if isinstance(name, str):
                        names.append(name)
                elif isinstance(item, str) and not item.startswith(("http://", "https://")):
                    names.append(item)
        if names:
            return names
    return []


# Links whose path names an author profile, found through their href attributes (libxml2
# reads each href once instead of once per test).
_AUTHOR_LINK = etree.XPath(
    "//a/@href[contains(., '/author/') or contains(., '/autor/') or contains(., '/authors/') "
    "or contains(., '/autoren/') or contains(., '/auteur/') or contains(., '/journalist/') "
    "or contains(., '/newsteam/') or contains(., '/profile/') or contains(., '/redakteur/') "
    "or contains(., '/profil/') or contains(., '/staff/') or contains(., '/menschen/')]/.."
)


def _author_links(tree) -> list[str]:
    """Texts of the first links to author profile pages (/author/jane-doe)."""
    names: list[str] = []
    for anchor in _AUTHOR_LINK(tree):
        text = " ".join(" ".join(anchor.itertext()).split())
        words = text.split()
        slug = [part for part in (anchor.get("href") or "").split("?")[0].split("/") if part][-1:]
        # A name ("Jane Doe"), or a login that the link's own path spells (/author/freeman1984/).
        name_like = 2 <= len(words) <= 4 and all(word[:1].isupper() for word in words)
        login = (
            len(words) == 1
            and bool(slug)
            and re.sub(r"\W+", "", slug[0].casefold()) == re.sub(r"\W+", "", text.casefold())
        )
        if (name_like or login) and text not in names:
            names.append(text)
        if len(names) >= 3:
            break
    return names


def _text_bylines(paragraphs: list[str]) -> list[str]:
    """Bylines written as a paragraph of the body ('von Daniela Obers'), near its start or end."""
    found = []
    for paragraph in paragraphs[:4] + paragraphs[-2:]:
        byline = authors_mod.byline_in_text(paragraph)
        if byline and byline not in found:
            found.append(byline)
    return found


# Analytics and paywall scripts that name the author: dlData['Author'] = 'Jane Doe', ["setContentAuthor", "Jane Doe"].
_SCRIPT_AUTHOR = re.compile(
    r"""["'](?:author|authorName|author_name|contentAuthor|setContentAuthor|articleAuthor)["']\s*[\]:=,]?\s*[:=,]?\s*["']([^"'<>{}]{3,60})["']"""
)


def _script_authors(page_html: str) -> list[str]:
    return [m.group(1) for m in _SCRIPT_AUTHOR.finditer(page_html[:400_000])][:2]


# Byline elements named as part of a longer class name ("post__author", "page-meta--author",
# "article-byline-text"), which the page metadata's list of byline classes does not cover.
_MARKED_BYLINE_CLASS = re.compile(
    r"(?:^|\s)[\w-]*?(?:--|__|-|_)(?:author|byline)(?:-?name|__name|-text|__text)?(?:\s|$)", re.IGNORECASE
)
_NOT_BYLINE_TAGS = frozenset({"meta", "link", "script", "style", "body", "html", "article", "main", "section", "img"})


def _marked_bylines(page: PageMeta) -> list[str]:
    """The text of the first visible element whose class marks it as the byline ('Posted on
    September 21, 2020 by Jane Doe'), a short line only (an author box with a biography is not).
    Among the page's byline elements (`PageMeta.byline_elements`): their class names 'uthor' or
    'yline'."""
    for element in page.byline_elements:
        classes = element.get("class") or ""
        if "uthor" not in classes and "yline" not in classes:
            continue
        if element.tag in _NOT_BYLINE_TAGS or not _MARKED_BYLINE_CLASS.search(classes):
            continue
        if re.search(
            r"(?:image|img|avatar|photo|picture|bio|description|box|follow|social)", element.get("class") or "", re.I
        ):
            continue
        if is_unseen(element):
            continue
        text = " ".join(" ".join(element.itertext()).split())
        if 2 < len(text) <= 120:
            return [text]
    return []


def _authors(
    page: PageMeta,
    tree,
    outlet_names: tuple[str, ...],
    text_bylines: tuple[str, ...] | list[str] = (),
    page_html: str = "",
    owner: str | None = None,
) -> tuple[str, ...]:
    """Clean names from the first source that yields any: JSON-LD, meta, itemprop, byline
    elements, bylines in the text, author profile links, then trafilatura's heuristics.

    `owner`: the blog's name on a shared host ('jdoe' of jdoe.blogplatform.example): the login
    a byline or profile link gives there is the person who writes the blog, not the outlet."""
    visible_outlets = tuple(name for name in outlet_names if name.casefold() != owner) if owner else outlet_names
    meta = [
        value
        for value in page.all(
            "author",
            "article:author",
            "parsely-author",
            "sailthru.author",
            "dc.creator",
            "dcterms.creator",
            "byl",
            "twitter:creator",
        )
        if not value.startswith(("http://", "https://", "@"))
    ]
    # A meta author that the generator tag names too ("AmuraCMS powered by X") built the site.
    generator = (page.first("generator") or "").casefold()
    meta = [value for value in meta if not (generator and value.strip().casefold() in generator)]
    # Yoast's "Written by" label pair for sharing cards.
    label = (page.first("twitter:label1") or "").casefold()
    card = (
        [page.first("twitter:data1") or ""]
        if re.search(r"written by|verfasst von|geschrieben von|autor|author|écrit par|escrito por", label)
        else []
    )
    for raw in (_ld_authors(page), meta, card, page.itemprop_authors[:6]):
        names = authors_mod.clean_authors(raw, outlet_names)
        if names:
            return names
    for raw in (page.byline_texts[:1], _marked_bylines(page), list(text_bylines)):
        names = authors_mod.clean_authors(raw, visible_outlets)
        if names:
            return names
    for link_text in _author_links(tree):  # the first profile link whose text is a name
        names = authors_mod.clean_authors([link_text], visible_outlets)
        if names:
            return names
    names = authors_mod.clean_authors(_script_authors(page_html)[:1], outlet_names)
    if names:
        return names
    # trafilatura's byline heuristics, on the tree itself: this runs last, nothing reads it after.
    found = trafilatura_byline(tree, len_limit=120)
    found = normalize_authors(None, found) if found else None
    return authors_mod.clean_authors(found.split(";") if found else [], outlet_names)


def blog_owner(url: str, domain: str) -> str | None:
    """The host's first label when it is not part of the registered domain: the blog's name on
    a shared host ('jdoe' of jdoe.blogplatform.example), case-folded; None otherwise."""
    label = host_name_label(url)
    return label.casefold() if label and label not in domain.split(".") else None


def _publication(page: PageMeta, domain: str, url: str) -> tuple[str | None, tuple[str, ...]]:
    """The outlet name and every name the page uses for itself (to strip from titles, authors)."""
    candidates: list[str] = []
    for value in page.ld_values("publisher"):
        for item in value if isinstance(value, list) else [value]:
            name = clean_publication(item, domain)
            if name:
                candidates.append(name)
    for key in (
        "og:site_name",
        "application-name",
        "apple-mobile-web-app-title",
        "twitter:site",
        "dc.publisher",
        "publisher",
        "cre",
    ):
        value = page.first(key)
        if value:
            name = clean_publication(value.lstrip("@") if key == "twitter:site" else value, domain)
            if name:
                candidates.append(name)
    # Other organizations in the page's JSON-LD come after what the page declares as its own
    # name, and only when they live on the page's domain: a web agency credited in the
    # markup ("Website by ...") is not the outlet.
    for obj in page.json_ld:
        organization = clean_publication(obj.get("name"), domain) if is_organization(obj) else None
        home = obj.get("url") or obj.get("@id")
        if organization and (not isinstance(home, str) or _on_domain(home, domain) or not candidates):
            candidates.append(organization)
    if page.title_tag:
        suffix = titles.suffix_outlet(page.title_tag)
        if suffix:
            domain_label = re.sub(r"\W+", "", domain.split(".")[0].casefold()) if domain else ""
            suffix_key = re.sub(r"\W+", "", suffix.casefold())
            if (
                any(re.sub(r"\W+", "", c.casefold()) == suffix_key for c in candidates)
                or (domain_label and (domain_label in suffix_key or suffix_key in domain_label))
                or not candidates
            ):
                candidates.append(suffix)
    from_domain = publication_from_domain(domain)
    host_label = host_name_label(url)
    extra = [n for n in (from_domain, domain, host_label) if n]
    names = tuple(dict.fromkeys(candidates + extra))
    publication = candidates[0] if candidates else from_domain
    return publication, names


def _on_domain(link: str, domain: str) -> bool:
    """True when an absolute link points into `domain` (relative links and fragments do too)."""
    if not link.startswith(("http://", "https://", "//")):
        return True
    try:
        return registered_domain(link if not link.startswith("//") else "https:" + link) == domain
    except ValueError:
        return False


def _title(page: PageMeta, names: tuple[str, ...], domain: str) -> str | None:
    candidates: list[tuple[str, str | None]] = []
    for value in page.ld_values("headline") + page.ld_values("name")[:1]:
        if isinstance(value, str):
            candidates.append(("json-ld", value))
    for key in ("og:title", "twitter:title", "title", "dc.title", "sailthru.title", "parsely-title"):
        value = page.first(key)
        if value:
            candidates.append(("meta", value))
    if page.title_tag:
        candidates.append(("title", page.title_tag))
    return titles.choose_title(candidates, page.h1_texts, names, domain)


def _tags(page: PageMeta) -> tuple[str, ...]:
    raw: list[str] = page.all("article:tag", "og:article:tag")
    for value in page.ld_values("keywords"):
        raw.extend(_strings([value]))
    if not raw:
        raw = page.all("news_keywords", "keywords", "parsely-tags", "sailthru.tags")
    tags: list[str] = []
    seen: set[str] = set()
    for value in raw:
        for part in re.split(r"\s*[,;|]\s*", value):
            tag = re.sub(r"\s+", " ", part).strip()
            if tag and len(tag) <= 60 and tag.casefold() not in seen:
                seen.add(tag.casefold())
                tags.append(tag)
    return tuple(tags[:_MAX_TAGS])


def _section(page: PageMeta, url: str) -> str | None:
    for value in page.ld_values("articleSection"):
        strings = _strings([value])
        if strings and strings[0].strip() and len(strings[0]) <= 60:
            return strings[0].strip()
    value = page.first(
        "article:section", "og:article:section", "section", "parsely-section", "sailthru.section", "category"
    )
    return value if value and len(value) <= 60 else section_from_url(url)


_GENERIC_SEGMENTS = frozenset(
    {
        "news",
        "article",
        "articles",
        "story",
        "stories",
        "content",
        "post",
        "posts",
        "blog",
        "blogs",
        "nachrichten",
        "artikel",
        "amp",
        "www",
        "web",
        "html",
        "index",
        "pages",
        "page",
        "item",
        "items",
        "id",
        "p",
        "a",
        "s",
    }
)


def section_from_url(url: str) -> str | None:
    """The first path segment that names a section ('/news/politics/slug' -> 'politics')."""
    try:
        segments = [seg for seg in urlsplit(url).path.split("/") if seg][:-1]
    except ValueError:
        return None
    for segment in segments:
        lowered = segment.lower()
        if lowered in _GENERIC_SEGMENTS or len(lowered) <= 2 and lowered.isalpha():
            continue
        if re.fullmatch(r"[a-z][a-z\-]{1,29}", lowered):
            return lowered
        return None
    return None


def _description(page: PageMeta) -> str | None:
    for value in page.ld_values("description"):
        if isinstance(value, str) and value.strip():
            return normalize_text(value) or None
    value = page.first("og:description", "description", "twitter:description", "dc.description")
    return normalize_text(value) if value else None


def _trafilatura_text(tree, url: str, recall: bool = False) -> str:
    document = trafilatura.bare_extraction(tree, url=url, options=_options(url, recall))
    text = getattr(document, "text", None) or ""
    # trafilatura writes one paragraph per line.
    return "\n\n".join(text.split("\n"))


def _body(tree, url: str, page: PageMeta) -> str:
    """The article body: trafilatura's main text, with a recall-oriented second try when it is
    short, or JSON-LD articleBody when that is clearly fuller."""
    text = _trafilatura_text(tree, url)
    if word_count(text) < 2 * MIN_WORD_COUNT:
        fuller = _trafilatura_text(tree, url, recall=True)
        if word_count(fuller) > word_count(text):
            text = fuller
    ld_bodies = [v for v in page.ld_values("articleBody") if isinstance(v, str)]
    if ld_bodies:
        ld_text = normalize_text(ld_bodies[0])
        ld_words, words = word_count(ld_text), word_count(text)
        if ld_words > 1.5 * words + 20:
            return ld_text
        # The same text, but with its paragraphs: keep the publisher's paragraph breaks.
        if (
            words
            and abs(ld_words - words) <= 0.1 * words
            and ld_text.count("\n\n") > normalize_text(text).count("\n\n")
        ):
            return ld_text
    return text


def _rejection(url: str, reason: str, detail: str, archive_url: str | None, captured_at: datetime | None) -> Rejection:
    return Rejection(url=url, reason=reason, detail=detail, archive_url=archive_url, captured_at=captured_at)


_SHOP_TYPES = frozenset({"product", "productgroup", "offer", "aggregateoffer", "store", "individualproduct"})
# A listing's own heading: "Tag: Tregua", "Category Archives: Sport", "Schlagwort: Hafen".
_LISTING_TITLE = re.compile(
    r"^\s*(?:tag|tags|tagged|category|categories|categoria|categoría|catégorie|kategorie|schlagwort|stichwort|"
    r"thema|topic|archives?|archiv|étiquette|etiqueta|rubrique)(?:\s+archives?)?\s*[:：]\s*\S",
    re.IGNORECASE,
)
_CART = re.compile(
    r"\b(?:add to (?:cart|basket|bag)|in den warenkorb|ajouter au panier|añadir al carrito|aggiungi al carrello|"
    r"adicionar ao carrinho|buy now|jetzt kaufen|acheter maintenant|comprar ahora)\b",
    re.IGNORECASE,
)


# schema.org Product items, found through their itemtype attributes.
_PRODUCT_ITEM = etree.XPath("//@itemtype[contains(., 'schema.org/Product')]/..")


def _shop_evidence(page: PageMeta, tree) -> str | None:
    """What makes the page itself a shop page (it declares a schema.org Product/Offer or a
    product price, or its heading sits in a Product item with an add-to-cart control), or None."""
    kinds = set()
    for obj in page.json_ld:
        kind = obj.get("@type")
        for item in kind if isinstance(kind, list) else [kind]:
            if isinstance(item, str) and item.lower().rsplit("/", 1)[-1] in _SHOP_TYPES:
                kinds.add(item)
    if kinds:
        return "schema.org " + "/".join(sorted(kinds))
    if (page.first("og:type") or "").lower().startswith("product") or page.first(
        "product:price:amount", "og:price:amount", "product:price"
    ):
        return "product price metadata"
    # Product microdata and buy buttons alone are not enough: reviews and deal articles embed
    # them. The page's own heading inside a Product item with a cart control is.
    for item in _PRODUCT_ITEM(tree):
        if item.find(".//h1") is not None and any(
            _CART.search(" ".join("".join(control.itertext()).split()) or control.get("value") or "")
            for control in item.iter("button", "input")
        ):
            return "the page's heading inside a schema.org Product with an add-to-cart control"
    return None


def _page_kind_rejection(page: PageMeta, url: str, canonical: str, tree) -> tuple[str, str] | None:
    """('soft_404' | 'not_article', detail) for pages that are not articles, judged before the body."""
    title = page.title_tag or ""
    heading = page.h1_texts[0] if page.h1_texts else ""
    if _SOFT_404.search(title) or _SOFT_404.search(heading):
        return "soft_404", f"the page says it was not found: {(title or heading)[:100]!r}"
    declared_website = (page.first("og:type") or "").strip().lower() == "website" and not page.article_ld
    if is_home_page(url) and (declared_website or not _has_article_signals(page)):
        return "not_article", "the URL is a site's home page"
    if declared_website and not _has_article_signals(page) and pagekind.section_front(url):
        return "not_article", f"the page is a section front ({pagekind.section_front(url)!r}) declared a website"
    if page.canonical_url:
        declared, _ = unwrap_archive_url(urljoin(url, page.canonical_url))
        try:
            if (
                is_home_page(declared)
                and not is_home_page(canonical)
                and registered_domain(declared) == registered_domain(url)
            ):
                return "not_article", f"the page declares the home page as its canonical URL ({declared})"
        except ValueError:
            pass
    if not page.article_ld:
        shop = _shop_evidence(page, tree) or (None if _has_article_signals(page) else pagekind.sells_one_thing(tree))
        if shop:
            return "not_article", f"the page is a product or offer, not an article ({shop})"
        policy = None if _has_article_signals(page) else pagekind.policy_page(page)
        if policy:
            return "not_article", f"the page is a policy, contact or account page ({policy[:80]!r})"
        listing = heading if _LISTING_TITLE.match(heading) else title if _LISTING_TITLE.match(title) else None
        if listing:
            return "not_article", f"the page is a tag, category or archive listing ({listing.strip()[:80]!r})"
    og_type = (page.first("og:type") or "").lower()
    if not page.article_ld and og_type in ("website", "profile", "video.other", "product"):
        has_article_meta = page.first("article:published_time", "article:author") is not None
        ld_kinds = {str(obj.get("@type", "")).lower() for obj in page.json_ld}
        if not has_article_meta and ld_kinds & {"collectionpage", "searchresultspage", "profilepage", "itemlist"}:
            return (
                "not_article",
                f"the page declares itself a {'/'.join(sorted(ld_kinds & {'collectionpage', 'searchresultspage', 'profilepage', 'itemlist'}))}",
            )
    return None


_OWN_BLOCK_TAGS = ("h1", "h2", "h3", "h4", "h5", "h6", "li", "td", "th", "dt", "dd", "blockquote", "figcaption", "pre")


def _own_blocks(tree) -> frozenset[str]:
    """How the page's headings, list items, table cells and quotes start (`block_key`): blocks
    that stand on their own, never glued to a neighbour by the mid-sentence repair."""
    keys = set()
    for element in tree.iter(*_OWN_BLOCK_TAGS):
        key = block_key("".join(element.itertext()))
        if len(key) >= 8:
            keys.add(key)
    return frozenset(keys)


def _anchor_texts(tree) -> list[str]:
    """Every link's text, single-spaced, in document order (one pass for the rules below)."""
    return [" ".join(" ".join(anchor.itertext()).split()) for anchor in tree.iter("a")]


def _link_texts(anchors: list[str]) -> frozenset[str]:
    """Texts of links of three words or more, case-folded."""
    return frozenset(text.casefold() for text in anchors if text.count(" ") >= 2)


def _section_links(anchors: list[str]) -> frozenset[str]:
    """Texts of links of one to four words (section names, breadcrumbs), case-folded."""
    return frozenset(text.casefold() for text in anchors if text and text.count(" ") <= 3)


def _has_article_signals(page: PageMeta) -> bool:
    """The page declares itself an article (JSON-LD, OpenGraph type or article dates/authors)."""
    if page.article_ld:
        return True
    if (page.first("og:type") or "").lower() == "article":
        return True
    return (
        page.first("article:published_time", "article:author", "datepublished", "parsely-pub-date", "sailthru.date")
        is not None
    )


def _teaser_text(tree) -> tuple[int, str]:
    """(count, text) of teasers: the small blocks around links that read like headlines."""
    count = 0
    blocks: list[str] = []
    lengths: dict = {}  # element -> length of its single-spaced text: links share their containers
    for anchor in tree.iter("a"):
        text = " ".join("".join(anchor.itertext()).split())
        if len(text.split()) < 4 or len(text) > 250:
            continue
        count += 1
        block = anchor
        for _ in range(3):  # a -> h2 -> div.teaser, a -> li
            parent = block.getparent()
            if parent is None or parent.tag in ("body", "html", "main", "ul", "ol"):
                break
            parent_length = lengths.get(parent)
            if parent_length is None:
                parent_length = lengths[parent] = len(" ".join("".join(parent.itertext()).split()))
            if parent_length > 800 or parent_length > max(300, 5 * len(text)):
                break  # grown past a teaser (headline plus a line or two)
            block = parent
        blocks.append("".join("".join(block.itertext()).split()))
    return count, "\n".join(blocks).casefold()


def _looks_like_index(tree, page: PageMeta, body_text: str) -> bool:
    """A list of teasers: no article signals, and most of the 'body' sits in teaser blocks."""
    if _has_article_signals(page):
        return False
    # Compared without whitespace: inline markup joins words differently in the tree and the text.
    paragraphs = ["".join(p.lstrip("-•* ").casefold().split()) for p in split_paragraphs(body_text)]
    total = sum(len(p) for p in paragraphs)
    if not total:
        return False
    count, teasers = _teaser_text(tree)
    if count < 4:
        return False
    inside = sum(len(p) for p in paragraphs if p in teasers)
    if any(len(p) >= 200 and p not in teasers for p in paragraphs):
        return False  # running text of its own, outside every teaser: an article
    if inside * 2 >= total:
        return True
    # Teaser lists run together into one paragraph: count the headlines inside the body.
    body = "".join(paragraphs)
    headline_chars = 0
    for anchor in tree.iter("a"):
        words = "".join(anchor.itertext()).split()
        text = "".join(words).casefold()
        if len(words) >= 4 and text in body:
            headline_chars += len(text)
    return headline_chars * 2 >= total


def extract(
    html: str | bytes,
    url: str,
    *,
    captured_at: datetime | None = None,
    archive_url: str | None = None,
    content_type: str | None = None,
    headers: dict | None = None,
) -> Article | Rejection:
    """One capture to an `Article`, or a `Rejection` with a reason. Never raises."""
    safe_url = url if isinstance(url, str) else repr(url)
    try:
        return _extract(html, safe_url, captured_at, archive_url, content_type, headers)
    except Exception as error:  # noqa: BLE001 -- the contract: every input ends as a record
        detail = f"extraction failed: {type(error).__name__}: {str(error)[:200]}"
        return _rejection(safe_url, "extraction_error", detail, archive_url, captured_at)


# What a web archive's replay adds to a page: its toolbar (Wayback, pywb) between markers.
_ARCHIVE_BANNER = re.compile(
    r"<!--\s*BEGIN WAYBACK TOOLBAR INSERT\s*-->.*?<!--\s*END WAYBACK TOOLBAR INSERT\s*-->|"
    r"<!--\s*WB Insert\s*-->.*?<!--\s*End WB Insert\s*-->|"
    r"<div[^>]+id=[\"']wm-ipp-base[\"'][^>]*>.*?<!--\s*END WAYBACK TOOLBAR INSERT\s*-->",
    re.IGNORECASE | re.DOTALL,
)


def strip_archive_banner(text: str) -> str:
    """The page without an archive's replay toolbar, when a replay page slipped through."""
    if "WAYBACK TOOLBAR" not in text and "WB Insert" not in text:
        return text
    return _ARCHIVE_BANNER.sub("", text)


def _thin_page(
    tree, page: PageMeta, raw_body: str, body_text: str, count: int, anchors: list[str]
) -> tuple[str, str] | None:
    """(reason, detail) when the extracted text is a wall, a list of links or too little."""
    consent_source = " ".join(split_paragraphs(body_text)[:3]) or text_of(tree)[:2000]
    if count < 150 and _CONSENT.search(consent_source):
        return "not_article", "the page is a consent or subscription wall"
    if _looks_like_index(tree, page, normalize_text(raw_body)):
        return "not_article", f"the page is a list of links (index or section page, {count} words of text)"
    if count < MIN_WORD_COUNT and len(body_text) < MIN_TEXT_CHARS:
        return "no_article_text", f"only {count} words of article text"
    share = pagekind.link_share(anchors, body_text)
    if share >= 0.6:
        return "not_article", f"the text is mostly the page's links ({share:.0%}): navigation or a list of headlines"
    paragraphs = split_paragraphs(body_text)
    if pagekind.lyrics_page(page, paragraphs):
        return "not_article", "the page is a song's lyrics (short lines under a lyrics heading)"
    placeholder = pagekind.test_page(page, paragraphs)
    if placeholder:
        return "not_article", f"the page is a test or placeholder page ({placeholder[:80]})"
    return None


def _page_text(html, content_type, headers) -> str | tuple[str, str]:
    """The capture's body as text, or (reason, detail) when it is not an HTML page."""
    if not is_html_content_type(content_type):
        return "not_html", f"content type {media_type(content_type)!r} is not a page"
    if html is None:
        return "empty", "there is no body"
    if not isinstance(html, (str, bytes, bytearray, memoryview)):
        return "not_html", f"the body is a {type(html).__name__}, not text or bytes"
    if len(html) == 0:
        return "empty", "the body is empty"
    if isinstance(html, str):
        text = html
    else:
        body = bytes(html)
        if looks_binary(body):
            return "not_html", "the body is binary (image, PDF, archive, ...)"
        try:
            text = decode_html(body, content_type, headers)
        except DecodeError as error:
            return "decode_error", str(error)
    if not text.strip():
        return "empty", "the body is only whitespace"
    if "<" not in text:
        return "not_html", "the body has no markup"
    return text


def _body_text(tree, url: str, page: PageMeta, title: str | None) -> tuple[str, list[str], str, list[str]]:
    """(raw body, bylines written in it, the clean body, the page's link texts)."""
    unwrap_layout_tables(tree)  # a whole article in one table cell keeps its paragraphs
    raw_body = _body(tree, url, page)
    text_bylines = _text_bylines(split_paragraphs(normalize_text(raw_body)))
    anchors = _anchor_texts(tree)
    body_text = clean_body(
        raw_body,
        drop_lines=tuple(page.byline_texts) + tuple(text_bylines) + ((title,) if title else ()),
        link_texts=_link_texts(anchors),
        own_blocks=_own_blocks(tree),
        seams=paragraph_seams(tree),
        head_links=_section_links(anchors),
    )
    return raw_body, text_bylines, body_text, anchors


def _extract(html, url, captured_at, archive_url, content_type, headers) -> Article | Rejection:
    def reject(reason: str, detail: str) -> Rejection:
        return _rejection(url, reason, detail, archive_url, captured_at)

    # A replay URL of a web archive stands for the original page it captured.
    original, replay = unwrap_archive_url(url)
    if replay is not None:
        url, archive_url = original, archive_url or replay
        if captured_at is None:
            captured_at = archive_timestamp(replay)
    try:
        canonical = canonicalize_url(url)
    except InvalidURL as error:
        return reject("invalid_url", str(error))
    if captured_at is not None:
        captured_at = dates.to_utc(captured_at)
    text = _page_text(html, content_type, headers)
    if isinstance(text, tuple):
        return reject(*text)
    tree = load_html(strip_archive_banner(text))
    if tree is None:
        return reject("no_article_text", "the HTML could not be parsed")
    page = read_page_meta(tree)
    kind = _page_kind_rejection(page, url, canonical, tree)
    if kind:
        return reject(*kind)

    domain = registered_domain(canonical)
    publication, outlet_names = _publication(page, domain, canonical)
    title = _title(page, outlet_names, domain)

    raw_body, text_bylines, body_text, anchors = _body_text(tree, url, page, title)
    count = word_count(body_text)
    thin = _thin_page(tree, page, raw_body, body_text, count, anchors)
    if thin:
        return reject(*thin)
    if not title:
        paragraphs = split_paragraphs(body_text)
        title = paragraphs[0][:200] if paragraphs else ""

    published_at, date_source, published_offset, precision = choose_published(page, tree, url, captured_at)
    language = detect_language(body_text, page.html_lang or page.first("content-language", "og:locale", "dc.language"))
    # Last: trafilatura's byline fallback prunes the tree in place.
    authors = _authors(page, tree, outlet_names, text_bylines, text, blog_owner(canonical, domain))
    modified_at = modified_time(page, captured_at)
    if modified_at is not None and published_at is not None and modified_at < published_at:
        modified_at = None

    return Article(
        article_id=article_id_for(canonical),
        url=canonical,
        archive_url=archive_url,
        captured_at=captured_at,
        publication=publication,
        domain=domain,
        title=title,
        authors=authors,
        published_at=published_at,
        language=language,
        text=body_text,
        word_count=count,
        content_hash=content_hash(body_text),
        extractor_version=EXTRACTOR_VERSION,
        description=_description(page),
        section=_section(page, canonical),
        tags=_tags(page),
        modified_at=modified_at,
        date_source=date_source,
        simhash=simhash(body_text),
        published_offset_minutes=published_offset,
        published_precision=precision,
    )
