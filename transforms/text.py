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
_SPACE_CHARS = r"[ \t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]"
# Runs of spaces, each to become one " ": a lone " " already is one, so it is not matched (a
# text's every word gap would otherwise be replaced by itself).
_SPACES = re.compile(rf" {_SPACE_CHARS}+|[\t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]{_SPACE_CHARS}*")
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
    text = paragraph.rstrip()
    if not text or text.endswith(_SENTENCE_END):
        return False
    # A line ending on a symbol (an emoji, an arrow) closes the way a full stop does.
    return unicodedata.category(text[-1]) not in ("So", "Sk")


def _starts_continuation(paragraph: str) -> bool:
    text = paragraph.lstrip()
    first = text[:1]
    if re.match(r"[—–-]+\s+[A-ZÀ-ÖØ-ÞА-ЯЁ]", text):
        return False  # "— Jane Doe (@jdoe) May 1": an attribution line under a quote, not the rest of a sentence
    return bool(first) and (first.islower() or first in ",;)—–-")


# A list item as trafilatura and Markdown write it: "- item", "• item", "1. item", "a) item".
_LIST_ITEM = re.compile(r"^\s*(?:[-•*·▪►–]\s|\d{1,3}[.)]\s|[a-z][)]\s|\[\d{1,3}\]|\(\d{1,3}\)\s)")
# A dateline opening a story: "LONDON (Reuters) -", "BERLIN, 5. Mai (dpa) -", "WASHINGTON —".
_DATELINE = re.compile(r"^[A-ZÀ-ÖØ-Þ][A-ZÀ-ÖØ-Þ .'\-]{2,40}(?:,[^—–\-]{0,40})?\s*(?:\([^)]{1,30}\))?\s*[—–\-]{1,2}\s")


# Closed-class words no sentence ends on (articles, prepositions, conjunctions, auxiliaries).
_FUNCTION_WORD_LINES = """
    the a an of to in on at for with and or but by from as that which who whose is are was were be been has have
    had will would can could should its their his her our your this these those than into onto about over under
    der die das den dem des ein eine einen einem einer eines und oder aber mit von zu zum zur im am an auf für bei
    nach aus über unter vor als wie dass sich sind ist war wird werden hat haben nicht auch noch durch gegen ohne
    um seine ihre ihren seinen sein ihr
    le la les de du des un une et ou à au aux en pour par sur dans avec que qui sont est ce cette ces leur
    el los las del y con por para una unos unas como pero sus
    il lo gli della delle dei di e che per con nel nella sul sulla una
    het een van voor met op aan bij naar uit dat
    o os um uma dos das na no pelo pela com
"""
_FUNCTION_WORDS = frozenset(_FUNCTION_WORD_LINES.split())


def _ends_on_function_word(paragraph: str) -> bool:
    words = _WORD.findall(paragraph[-40:])
    # written in lower case: "IN", "OR", "DE" at the end of a line are states and countries
    return bool(words) and words[-1].islower() and words[-1] in _FUNCTION_WORDS


_SENTENCE_BREAK = re.compile(r"[^\W\d_]{3}[.!?][\"”»’']?\s+[\"“„«‘']?[A-ZÀ-ÖØ-ÞА-ЯЁ]")


def _is_list_item(paragraph: str) -> bool:
    """A list item or a table row (trafilatura writes rows as '| a | b |')."""
    return _LIST_ITEM.match(paragraph) is not None or paragraph.lstrip().startswith("|")


def block_key(text: str) -> str:
    """How a block's text starts (case-folded, single-spaced, first 40 characters): to match
    a paragraph of the extracted text with the page element it came from."""
    return " ".join(text.lstrip("-•*·▪► ").split())[:40].casefold()


def seam_key(before: str, after: str) -> str:
    """The place where `before` ends and `after` begins, as their last and first four words
    (case-folded): to find in the page whether two paragraphs of the text were two sibling
    <p> elements (a paragraph split by markup) or blocks of different kinds."""
    tail = _WORD.findall(before[-80:].casefold())[-4:]
    head = _WORD.findall(after[:80].casefold())[:4]
    return " ".join(tail) + " | " + " ".join(head)


def join_broken_paragraphs(
    paragraphs: list[str], own_blocks: frozenset[str] = frozenset(), seams: frozenset[str] | None = None
) -> list[str]:
    """Join a paragraph that stops mid-sentence with the next one that continues it.

    'at the G8' + 'talks.' -> 'at the G8 talks.'. Only a break that really falls inside one
    sentence is repaired: the first part must not end a sentence and must be at least four
    words long, and the second must read as the rest of that sentence (it starts in lower
    case or with a comma, dash or bracket, or is a short tail ending the sentence: 'talks.').
    List items, subheadings, datelines and date lines are never joined to their neighbours:
    they also lack a full stop, but each is a block of its own. `own_blocks` are the starts
    (`block_key`) of the page's headings, list items, table cells and quotes: a paragraph
    that begins one of them is never joined to another. `seams`, when the page is known, are
    the `seam_key`s of consecutive sibling <p> elements: only such a pair is joined (never two
    lines of one element split by <br>, a quote and its attribution, or blocks of different
    containers).
    """
    # Each output paragraph as its joined parts, and every test reads only the last
    # _TAIL_CHARS of it: joining stays linear when every block continues the one before
    # (lines of never-closed <p><b><i>: a whole-string test per join made 64 KB take 4 s).
    out: list[list[str]] = []
    starts: list[str] = []
    for paragraph in paragraphs:
        previous = _tail(out[-1]) if out else ""
        if previous and _ends_open(previous):
            words = len(previous.split())
            # The next block opens with the last word or three of a sentence ("talks.", "Brennan. Traders ...").
            first_sentence = re.match(r"\s*[^.!?]*[.!?][\"”»’']?(?=$|\s+[\"“„«‘']?[^\W\d_])", paragraph)
            short_tail = first_sentence is not None and len(first_sentence.group(0).split()) <= 3
            separate = (
                _is_list_item(out[-1][0])
                or _is_list_item(paragraph)
                or is_date_line(previous)
                or _DATELINE.match(paragraph) is not None
                or (len(block_key(paragraph)) >= 8 and block_key(paragraph) in own_blocks)
                or (len(starts[-1]) >= 8 and starts[-1] in own_blocks)
            )
            # A sentence cannot end on an article, a preposition or a conjunction ("... sollen die").
            dangling = words >= 8 and _ends_on_function_word(previous)
            # Prose whose last sentence stops a few words in ("... on Tuesday. Björn" + "Wickham
            # said ..."): headings, captions and list lines are not written that way, and a
            # paragraph that only lost its final full stop ends a whole sentence, not five words.
            breaks = list(_SENTENCE_BREAK.finditer(previous))
            running = (
                words >= 12
                and bool(breaks)
                and len(previous[breaks[-1].end() - 1 :].split()) <= 5
                and not previous.rstrip()[-1:].isdigit()
                and not re.search(r"\b[A-Z]{2,}\W*$", previous)  # "..., Denver, CO": a list line
                and not paragraph.lstrip().startswith("|")
            )
            if seams is not None and seam_key(previous, paragraph) not in seams:
                separate = True
            if not separate and words >= 4 and (_starts_continuation(paragraph) or short_tail or dangling or running):
                out[-1][-1] = out[-1][-1].rstrip()
                out[-1].append(paragraph.lstrip())
                continue
        out.append([paragraph])
        starts.append(block_key(paragraph))
    return [" ".join(parts) for parts in out]


_TAIL_CHARS = 2000  # more than any test of join_broken_paragraphs reads of a paragraph's end


def _tail(parts: list[str]) -> str:
    """The end of a paragraph joined from `parts`: its last _TAIL_CHARS characters or more."""
    if len(parts) == 1:
        return parts[0]
    kept: list[str] = []
    length = 0
    for part in reversed(parts):
        kept.append(part)
        length += len(part) + 1
        if length >= _TAIL_CHARS:
            break
    return " ".join(reversed(kept))


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
# A word every disclaimer above holds (same flags): a paragraph without one cannot match, and
# this search costs a third of the full one, which tries every alternative at every position.
_DISCLAIMER_WORD = re.compile(
    r"not|nicht|мнение|engagent|reflètent|necesariamente|riflettono|newsroom|moderated|reserved|vorbehalten|"
    r"защищены|cookies",
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


# A line of labels without their values ("Issued on: Modified:", "Published: Updated:"): the
# values were dates or names the page fills in with scripts or as separate elements.
_LABELS_ONLY = re.compile(
    r"(?:[^\W\d_][^\W\d_ .'-]*(?:[ .'-][^\W\d_]+){0,3}\s*[:：]\s*){2,4}|"
    r"(?:tags|tagged|share|published|updated|issued on|modified|posted|filed under|categories|category|"
    r"schlagworte|teilen|veröffentlicht|aktualisiert|publié le|mis à jour|publicado|actualizado)\s*[:：]",
    re.IGNORECASE,
)
# Accessibility and interface lines: "Main Content", "Skip to main content", "Jump to navigation".
_INTERFACE_LINE = re.compile(
    r"(?:main content|skip to (?:main )?content|skip navigation|jump to (?:navigation|content|main content)|"
    r"zum inhalt springen|direkt zum inhalt|aller au contenu(?: principal)?|ir al contenido(?: principal)?|"
    r"supported by|sponsored by|paid content|anzeige|publicidad|publicité)",
    re.IGNORECASE,
)
# A picture's credit standing as a line of its own: "Illustration by Mike Doe", "Courtesy G4".
_CREDIT_LINE = re.compile(
    r"(?:(?:illustrations?|photos?|photographs?|images?|graphics?|videos?|artwork|animation)\s+"
    r"(?:by|courtesy(?: of)?|credit)\s+[^.!?]{2,60}|courtesy(?: of)?\s+[^\s.!?]+(?:\s+[^\s.!?]+){0,3})",
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
    if len(stripped) <= 80 and (
        _LABELS_ONLY.fullmatch(stripped)
        or _INTERFACE_LINE.fullmatch(stripped.rstrip(" .»›>"))
        or _CREDIT_LINE.fullmatch(stripped)
    ):
        return True
    words = len(stripped.split())
    if words <= 60 and _DISCLAIMER_WORD.search(stripped) and _DISCLAIMER.search(stripped):
        return True
    if words <= 25 and _CAPTION.search(stripped):
        return True
    if words <= 30 and _NEWSLETTER.search(stripped):
        return True
    return is_date_line(stripped)


def _line_key(text: str) -> str:
    return " ".join(text.lstrip("-•* ").casefold().split())


def clean_body(
    text: str,
    drop_lines: tuple[str, ...] = (),
    link_texts: frozenset[str] = frozenset(),
    own_blocks: frozenset[str] = frozenset(),
    seams: frozenset[str] | None = None,
    head_links: frozenset[str] = frozenset(),
) -> str:
    """The final body: normalised, boilerplate and given lines dropped, broken paragraphs joined.

    `link_texts` are the page's link texts (case-folded, single-spaced): a paragraph that is
    nothing but a link is a 'read more' teaser, not article text. `own_blocks`: see
    `join_broken_paragraphs`, as `seams`. `head_links`: the texts of the page's short links
    (case-folded): at the head of the body, a line that is one of them, alone or with a date
    ("Kitchener-Waterloo", "Itthon 2019-07-30 20:36"), is the section label, not article text.
    """
    paragraphs = split_paragraphs(normalize_text(text))
    drop = {_line_key(line) for line in drop_lines if line} | link_texts
    kept = [p for p in paragraphs if not is_boilerplate(p) and _line_key(p) not in drop]
    while len(kept) > 1 and _is_section_label(kept[0], head_links):
        kept.pop(0)
    kept = join_broken_paragraphs(kept, own_blocks, seams)
    # Adjacent identical paragraphs are a template artefact (teaser repeated as first line).
    deduped: list[str] = []
    for paragraph in kept:
        if not deduped or deduped[-1] != paragraph:
            deduped.append(paragraph)
    return "\n\n".join(deduped)


def _is_section_label(paragraph: str, head_links: frozenset[str]) -> bool:
    """A short line at the head of the body that names a section of the site (one of its link
    texts), with or without a date and time: no sentence, no article text."""
    if len(paragraph) > 80 or paragraph.rstrip().endswith((".", "!", "?", "…")):
        return False
    label = " ".join(re.sub(r"\d{1,4}(?:[-./:]\d{1,4})*", " ", paragraph).split()).strip(" |·•-–—/,")
    return bool(label) and len(label.split()) <= 4 and _line_key(label) in head_links


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
    if len(words) < 3:
        shingles = {" ".join(words)}
    else:
        shingles = {f"{a} {b} {c}" for a, b, c in zip(words, words[1:], words[2:], strict=False)}
    blake2b = hashlib.blake2b
    digests = b"".join([blake2b(s.encode("utf-8"), digest_size=8).digest() for s in shingles])
    bits = np.unpackbits(np.frombuffer(digests, dtype=np.uint8)).reshape(len(shingles), 64)
    majority = (bits.sum(axis=0) * 2 > len(shingles)).astype(np.uint8)
    return int.from_bytes(np.packbits(majority).tobytes(), "big")


def hamming_distance(left: int, right: int) -> int:
    return (left ^ right).bit_count()
