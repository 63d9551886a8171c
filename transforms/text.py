"""Body text: Unicode and whitespace normalisation, broken paragraphs joined, boilerplate
(disclaimers, newsletter boxes, share prompts) dropped, and the duplicate fingerprints.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

import numpy as np

# Control and format characters that carry no text (keeps \n and \t for the splitters below).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b\u200e\u200f\u2028\u2029\u2060\ufeff\ufffe]")
_SPACES = re.compile(r"[ \t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")
_WORD = re.compile(r"\w+", re.UNICODE)
_SENTENCE_END = (".", "!", "?", "…", ":", '"', "”", "“", "»", "«", "'", "’", ")", "]", ";", "。", "！", "？", "—", "*")


def normalize_text(text: str) -> str:
    """NFC, no control characters, single spaces, paragraphs separated by one blank line.

    Idempotent: normalize_text(normalize_text(x)) == normalize_text(x).
    """
    if not text:
        return ""
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", text)
    text = _SPACES.sub(" ", text)
    paragraphs = []
    for block in _BLANK_LINES.split(text):
        lines = [line.strip() for line in block.split("\n")]
        joined = " ".join(line for line in lines if line)
        joined = _SPACES.sub(" ", joined).strip()
        if joined:
            paragraphs.append(joined)
    out = "\n\n".join(paragraphs)
    # NFC of the stripped text can differ from NFC of its pieces only at joins; settle it.
    return unicodedata.normalize("NFC", out)


def split_paragraphs(text: str) -> list[str]:
    return [p for p in text.split("\n\n") if p]


def _ends_open(paragraph: str) -> bool:
    return not paragraph.rstrip().endswith(_SENTENCE_END)


def _starts_continuation(paragraph: str) -> bool:
    first = paragraph.lstrip()[:1]
    return bool(first) and (first.islower() or first in ",;)—–-")


def join_broken_paragraphs(paragraphs: list[str]) -> list[str]:
    """Join a paragraph that stops mid-sentence with the next one that continues it.

    'at the G8' + 'talks.' -> 'at the G8 talks.'. The first must not end a sentence and must
    read as running text (long, or already holding a sentence break), so that subheadings,
    which also lack a full stop, stay on their own.
    """
    out: list[str] = []
    for paragraph in paragraphs:
        if out and _ends_open(out[-1]):
            previous = out[-1]
            words = len(previous.split())
            letters = [ch for ch in previous if ch.isalpha()]
            shouting = bool(letters) and sum(ch.isupper() for ch in letters) > 0.6 * len(letters)
            running = words >= 4 and not shouting and re.search(r"[.,;:!?»”\"] ", previous) is not None
            short_tail = len(paragraph.split()) <= 3 and paragraph.rstrip().endswith((".", "!", "?"))
            if running or (words >= 4 and (_starts_continuation(paragraph) or short_tail)):
                out[-1] = f"{previous.rstrip()} {paragraph.lstrip()}"
                continue
        out.append(paragraph)
    return out


# Paragraphs that are never article text: disclaimers, subscription and share prompts.
_BOILERPLATE = re.compile(
    r"^(?:"
    r"the views expressed (?:in|here)|views expressed in (?:this|opinion)|opinions expressed (?:in|here)|"
    r"(?:sign up|subscribe|register) (?:for|to) (?:our|the) .{0,40}(?:newsletter|briefing|daily|alerts|updates)|"
    r"(?:get|receive) (?:our|the) .{0,40}newsletter|newsletter:|"
    r"(?:follow|like) us on (?:twitter|facebook|instagram)|share this (?:article|story)|"
    r"click here to|read (?:more|also):|related:|advertisement$|anzeige$|werbung$|"
    r"all rights reserved|copyright ©|© \d{4}|this (?:article|story) (?:was|has been) (?:originally )?(?:published|updated)|"
    r"(?:this|the) material may not be published|we value your privacy|"
    r"melden sie sich für unseren newsletter|abonnieren sie (?:unseren|den) newsletter|"
    r"hinweis der redaktion|anmerkung der redaktion:|comments on this (?:story|article) are|"
    r"this copy is for your personal|write to .{2,60}@|(?:thanks|thank you) for (?:signing up|subscribing)|"
    r"don't miss$|don’t miss$|see more:|read next:|recommended:|more from (?:\S+ ?){1,4}$"
    r")",
    re.IGNORECASE,
)
# Disclaimers anywhere in a short paragraph: "the views ... do not (necessarily) reflect ...".
_DISCLAIMER = re.compile(
    r"(?:(?:views|opinions?) (?:expressed|of|in|by)\b.{0,120}\b(?:do|does) not (?:necessarily )?(?:reflect|represent)|"
    r"(?:do|does) not (?:necessarily )?(?:reflect|represent) the (?:views|opinions?|position|policy) of|"
    r"(?:geben|gibt|spiegeln|spiegelt) nicht (?:unbedingt |zwingend |die |notwendigerweise )*(?:die )?meinung|"
    r"nicht (?:unbedingt )?die meinung der redaktion|"
    r"мнение .{0,60}(?:может не совпадать|не обязательно совпадает|не отражает)|"
    r"(?:n'engagent|n’engagent) que leurs? auteurs?|ne reflètent pas (?:nécessairement )?|"
    r"no reflejan? necesariamente|non riflettono necessariamente|"
    r"(?:is|are) an independent newsroom|pre-moderated|"
    r"all rights reserved|alle rechte vorbehalten|все права защищены|"
    r"(?:we|nous|wir|usamos|utilizamos) (?:use|utilisons|verwenden|nutzen|usamos|utilizamos)? ?(?:des |)cookies|"
    r"this (?:site|website) uses cookies|diese (?:website|seite) (?:verwendet|nutzt) cookies|ce site utilise des cookies)",
    re.IGNORECASE,
)
# Newsletter and subscription boxes: short paragraphs about signing up.
_NEWSLETTER = re.compile(
    r"\bnewsletters?\b|\byour inbox\b|\b(?:sign(?:ing)? up|subscribe)\b.{0,60}\b(?:e-?mails?|inbox|updates|alerts|briefing)\b",
    re.IGNORECASE,
)
# Image captions and credits: "... Foto: Archiv", "(Photo: Getty Images)".
_CAPTION = re.compile(
    r"(?:^|[\s(|/])(?:foto|photo|bild|image|credit|picture|фото|photograph|quelle|source)s?\s*:\s*[^.!?]{0,60}\)?\s*$|"
    r"\b(?:getty images|shutterstock|imago images|picture alliance|dpa-bildfunk)\b",
    re.IGNORECASE,
)
_DATE_WORDS = re.compile(
    r"\b(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|"
    r"oct(?:ober)?|nov(?:ember)?|dec(?:ember)?|januar|februar|märz|mai|juni|juli|oktober|dezember|"
    r"[ap]\.?m\.?|et|est|edt|pst|pdt|cet|cest|gmt|utc|uhr|updated|published|posted|last|ago|hours?|minutes?|"
    r"days?|am|um|on|at|aktualisiert|veröffentlicht|stand|mins?|read|lesezeit|min\.?)\b|\d+|[|:.,/·•\-–—]",
    re.IGNORECASE,
)


def is_date_line(paragraph: str) -> bool:
    """A dateline such as 'May 5, 2020 6:20 p.m. ET | Updated 3 hours ago' (no running text)."""
    if len(paragraph) > 120 or not re.search(r"\d", paragraph):
        return False
    rest = _DATE_WORDS.sub(" ", paragraph)
    return len(rest.split()) == 0


def is_boilerplate(paragraph: str) -> bool:
    """True for a recurring non-article line (disclaimer, newsletter box, caption, dateline)."""
    stripped = paragraph.strip()
    if not stripped:
        return True
    if len(stripped) >= 400:
        return False
    if _BOILERPLATE.match(stripped):
        return True
    words = len(stripped.split())
    if words <= 60 and _DISCLAIMER.search(stripped):
        return True
    if words <= 25 and _CAPTION.search(stripped):
        return True
    if words <= 30 and _NEWSLETTER.search(stripped):
        return True
    return is_date_line(stripped)


def _line_key(text: str) -> str:
    return " ".join(text.lstrip("-•* ").casefold().split())


def clean_body(text: str, drop_lines: tuple[str, ...] = (), link_texts: frozenset[str] = frozenset()) -> str:
    """The final body: normalised, boilerplate and given lines dropped, broken paragraphs joined.

    `link_texts` are the page's link texts (case-folded, single-spaced): a paragraph that is
    nothing but a link is a 'read more' teaser, not article text.
    """
    paragraphs = split_paragraphs(normalize_text(text))
    drop = {_line_key(line) for line in drop_lines if line} | link_texts
    kept = [p for p in paragraphs if not is_boilerplate(p) and _line_key(p) not in drop]
    kept = join_broken_paragraphs(kept)
    # Adjacent identical paragraphs are a template artefact (teaser repeated as first line).
    deduped: list[str] = []
    for paragraph in kept:
        if not deduped or deduped[-1] != paragraph:
            deduped.append(paragraph)
    return "\n\n".join(deduped)


def word_count(text: str) -> int:
    return len(_WORD.findall(text))


def content_hash(text: str) -> str:
    """sha256 of the normalized text: equal for exact duplicates."""
    return hashlib.sha256(normalize_text(text).encode("utf-8")).hexdigest()


def _token_hash(token: str) -> int:
    return int.from_bytes(hashlib.blake2b(token.encode("utf-8"), digest_size=8).digest(), "big")


def simhash(text: str) -> int:
    """64-bit simhash over word 3-shingles: near-duplicates differ in few bits."""
    words = [w.casefold() for w in _WORD.findall(text)]
    if not words:
        return 0
    shingles = {" ".join(words[i : i + 3]) for i in range(max(1, len(words) - 2))}
    digests = b"".join(hashlib.blake2b(s.encode("utf-8"), digest_size=8).digest() for s in shingles)
    bits = np.unpackbits(np.frombuffer(digests, dtype=np.uint8)).reshape(len(shingles), 64)
    majority = (bits.sum(axis=0) * 2 > len(shingles)).astype(np.uint8)
    return int.from_bytes(np.packbits(majority).tobytes(), "big")


def hamming_distance(left: int, right: int) -> int:
    return (left ^ right).bit_count()
