"""Pages that are not articles, told from what the page is: a shop page selling one thing, a
policy or contact page, a lyrics page, a test or placeholder page. Each rule answers with
the reason a researcher can read. Pure: the parsed tree, the page's metadata and its text in.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from transforms.meta import PageMeta

# A control that puts the page's product in a cart ("Add to cart", "In den Warenkorb").
_CART_TEXT = re.compile(
    r"\b(?:add to (?:cart|basket|bag)|in den warenkorb|ajouter au panier|añadir al carrito|aggiungi al carrello|"
    r"adicionar ao carrinho|buy now|jetzt kaufen|acheter maintenant|comprar ahora|in winkelwagen)\b",
    re.IGNORECASE,
)
_CART_CLASS = re.compile(r"add[-_]?to[-_]?(?:cart|basket|bag)|addtocart|buy[-_]?button|warenkorb", re.IGNORECASE)
_PRICE = re.compile(
    r"(?:[$€£¥]\s?\d{1,6}(?:[.,]\d{2})?|\d{1,6}(?:[.,]\d{2})?\s?(?:€|eur|usd|chf|£|zł|kč|kr)\b)", re.IGNORECASE
)


def _cart_controls(tree) -> int:
    """How many add-to-cart controls the page has (counting stops at three)."""
    count = 0
    for control in tree.iter("button", "input", "a"):
        marked = _CART_CLASS.search((control.get("class") or "") + " " + (control.get("name") or ""))
        if not marked and control.tag != "a":
            # An <input>'s label is its value; a <button>'s is its content (its value is what
            # the form sends: a product id).
            text = (
                (control.get("value") or "")
                if control.tag == "input"
                else " ".join("".join(control.itertext()).split())
            )
            marked = _CART_TEXT.search(text) if len(text) <= 40 else None
        if marked:
            count += 1
            if count > 2:
                break
    return count


def _shows_a_price(tree) -> bool:
    for element in tree.xpath("//*[@itemprop='price' or contains(@class, 'price') or contains(@id, 'price')]"):
        text = " ".join("".join(element.itertext()).split()) or element.get("content") or ""
        if _PRICE.search(text) or re.fullmatch(r"\d{1,6}(?:[.,]\d{2})?", text):
            return True
    return False


def sells_one_thing(tree) -> str | None:
    """A shop page: one or two add-to-cart controls and a price shown (a deals article lists
    many products, each with its own button). The caller checks the page declares no article."""
    controls = _cart_controls(tree)
    if 1 <= controls <= 2 and _shows_a_price(tree):
        return "an add-to-cart control and a price"
    return None


# Headings of the pages every site has besides its articles, the whole heading only ("Privacy
# policy changes anger users" is news; "Privacy Policy" is the policy).
_POLICY_HEADING = re.compile(
    r"(?:privacy(?: policy| notice| statement)?|cookie(?:s)?(?: policy| notice| settings)?|"
    r"terms(?: of (?:use|service)| and conditions| & conditions)?|legal notice|imprint|impressum|"
    r"datenschutz(?:erklärung|hinweise|richtlinie)?|nutzungsbedingungen|agb|allgemeine geschäftsbedingungen|"
    r"mentions légales|politique de confidentialité|conditions générales(?: d'utilisation| de vente)?|"
    r"aviso legal|política de (?:privacidad|cookies)|términos y condiciones|informativa (?:sulla )?privacy|"
    r"note legali|disclaimer|accessibility(?: statement)?|about(?: us)?|contact(?: us)?|kontakt|über uns|"
    r"site ?map|newsletter|subscribe|abonnieren|login|sign in|register|anmelden|registrieren)",
    re.IGNORECASE,
)
_TITLE_SEPARATOR = re.compile(r"\s+[|–—\-:·»]\s+")


def policy_page(page: PageMeta) -> str | None:
    """A policy, legal, contact or account page: its heading (or the <title> before the site
    name) is nothing but that page's name."""
    headings = list(page.h1_texts[:1])
    if page.title_tag:
        headings.append(_TITLE_SEPARATOR.split(page.title_tag.strip())[0])
    for heading in headings:
        text = " ".join(heading.split()).strip(" .:!")
        if _POLICY_HEADING.fullmatch(text):
            return text
    return None


_LYRICS_HEADING = re.compile(r"\b(?:lyrics|songtext(?:e)?|paroles|letras?|testo)\b", re.IGNORECASE)


def lyrics_page(page: PageMeta, paragraphs: list[str]) -> bool:
    """A song's lyrics: the heading says so and the text is short lines, not paragraphs of prose."""
    heading = " ".join(page.h1_texts[:1] + [page.title_tag or ""])
    if not _LYRICS_HEADING.search(heading) or len(paragraphs) < 6:
        return False
    short = sum(len(paragraph) <= 60 for paragraph in paragraphs)
    return short * 10 >= len(paragraphs) * 7


_TEST_HEADING = re.compile(
    r"(?:test(?:ing)?(?: page| post| article| \d+)?|untitled(?: document| page)?|hello world!?|sample page|"
    r"lorem ipsum|new page|page title|title)",
    re.IGNORECASE,
)
_PLACEHOLDER_TEXT = re.compile(
    r"\blorem ipsum dolor\b|\bthis is (?:a|my|your) (?:test|first post|sample page)\b|"
    r"\bwelcome to wordpress\. this is your first post\b",
    re.IGNORECASE,
)


def test_page(page: PageMeta, paragraphs: list[str]) -> str | None:
    """A test or placeholder page: headed 'Test' or 'Hello world!', or written in lorem ipsum.
    (Not the <title>: old sites left 'Untitled Document' there on real articles.)"""
    for heading in page.h1_texts[:1]:
        text = " ".join(heading.split()).strip(" .:")
        if _TEST_HEADING.fullmatch(text):
            return f"headed {text!r}"
    opening = " ".join(paragraphs[:2])
    match = _PLACEHOLDER_TEXT.search(opening)
    return f"placeholder text ({match.group(0)!r})" if match else None


def link_share(anchors: list[str], body_text: str) -> float:
    """The share of the body's characters that are the texts of the page's links (`anchors`,
    two words or more, each where it occurs): near 1 for a page whose 'text' is its navigation,
    a list of headlines or a menu, low for prose with a few links in it."""
    body = "".join(body_text.casefold().split())
    if not body:
        return 0.0
    linked = 0
    for text in {"".join(anchor.casefold().split()) for anchor in anchors if " " in anchor}:
        if text in body:
            linked += len(text) * body.count(text)
    return min(1.0, linked / len(body))


def section_front(url: str) -> str | None:
    """The section a URL of one short word names ('/international/', '/sport'): a section's
    front page, never an article's address (those carry a slug, an id or a date)."""
    try:
        segments = [segment for segment in urlsplit(url).path.split("/") if segment]
    except ValueError:
        return None
    if len(segments) == 1 and re.fullmatch(r"[^\W\d_]{2,20}", segments[0]):
        return segments[0]
    return None
