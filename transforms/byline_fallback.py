"""trafilatura's byline heuristics, the last source of authors, without pruning the whole page.

trafilatura finds a byline by first deleting comments, sidebars, quotes, dates and figures from
the page (`AUTHOR_DISCARD_XPATHS`) and then taking the first element of its author expressions
whose text is short enough. Deleting never adds a match, so the same answer comes from the
matches on the unpruned page: a match inside a deleted element is gone, the others keep their
text unless something inside them would have been deleted. Only then is the page pruned for
real. The discard expressions over the whole page cost about 5 ms; on most pages no byline
element exists at all, or none is near a discarded one.
"""

from __future__ import annotations

import hashlib

from lxml.etree import XPath
from trafilatura.htmlprocessing import prune_unwanted_nodes
from trafilatura.metadata import extract_metainfo
from trafilatura.utils import trim
from trafilatura.xpaths import AUTHOR_DISCARD_XPATHS, AUTHOR_XPATHS, REGEXP_NS


def _contains_any(*literals: str) -> str:
    """`re:test(., 'a|b|c')` for literal alternatives, case-sensitive as it is: contains(., 'a') or ..."""
    return " or ".join(f"contains(., '{literal}')" for literal in literals)


# trafilatura's specific and generic author expressions (`AUTHOR_XPATHS[:2]`; the last-resort
# one costs more than it finds), searched through the attributes they test ('//@class[...]')
# instead of testing every element of the page ('//*[...][@class...]'), and with `contains()`
# for their `re:test()` of literal alternatives (lxml calls back into Python's `re` for each):
# libxml2 then looks only at elements that have the attribute, without leaving C. The same
# elements in the same order (tests/transforms/test_byline_fallback.py compares them with
# trafilatura's own), at a third of the cost.
_SPECIFIC_TAGS = "self::a or self::address or self::div or self::link or self::p or self::span or self::strong"
_GENERIC_TAGS = "self::a or self::div or self::h3 or self::h4 or self::p or self::span"
BYLINE_XPATHS = [
    XPath(
        # re:test(@class, 'author-?name|AuthorName|authorName')
        "(//@rel[. = 'author'] | //@id[. = 'author'] | //@itemprop[. = 'author name'] | //rel[. = 'me']"
        " | //@data-testid[. = 'AuthorCard' or . = 'AuthorURL']"
        f" | //@class[. = 'author' or {_contains_any('authorname', 'author-name', 'AuthorName', 'authorName')}]"
        f")/parent::*[{_SPECIFIC_TAGS}] | //author"
    ),
    XPath(
        # re:test(@class, 'author|channel-name|zuozhe|bianji|xiaobian|submitted-by|posted-by|journalist-name'),
        # re:test(@id, 'author|zuozhe|bianji|xiaobian')
        "(//@class[. = 'byline' or . = 'username' or . = 'byl' or . = 'BBL' or "
        + _contains_any(
            "author", "channel-name", "zuozhe", "bianji", "xiaobian", "submitted-by", "posted-by", "journalist-name"
        )
        + "] | //@itemprop[contains(., 'author')]"
        f" | //@id[{_contains_any('author', 'zuozhe', 'bianji', 'xiaobian')}]"
        f")/parent::*[{_GENERIC_TAGS}]"
    ),
]


def _fingerprint(expressions: list) -> str:
    return hashlib.sha256("".join(" ".join(x.path.split()) for x in expressions).encode()).hexdigest()[:16]


# The expressions above are written from trafilatura 2.3's; if an upgrade changes those, its
# own are used until these are written anew.
if _fingerprint(AUTHOR_XPATHS[:2]) != "d30ff13fb43741c3":
    BYLINE_XPATHS = AUTHOR_XPATHS[:2]

_DISCARD_PATH = AUTHOR_DISCARD_XPATHS[0].path.strip()
_DISCARDED_TAGS = ("time", "figure")
# The shortcut holds for the discard list as trafilatura 2.3 writes it: one './/*[...]'
# expression, then '//time|//figure'. Any other shape: always prune.
_SHORTCUT = (
    len(AUTHOR_DISCARD_XPATHS) == 2
    and _DISCARD_PATH.startswith(".//*[")
    and AUTHOR_DISCARD_XPATHS[1].path.strip() == "//time|//figure"
)
_DISCARDED_ABOVE = XPath("ancestor-or-self::*" + _DISCARD_PATH[4:], namespaces={"re": REGEXP_NS})
_DISCARDED_BELOW = XPath("descendant::*" + _DISCARD_PATH[4:], namespaces={"re": REGEXP_NS})


def _pruned_byline(tree, len_limit: int) -> str | None:
    """trafilatura's own way: prune the page in place, then search it."""
    return extract_metainfo(prune_unwanted_nodes(tree, AUTHOR_DISCARD_XPATHS), AUTHOR_XPATHS[:2], len_limit=len_limit)


def _deleted(element, root) -> bool:
    """True when pruning would delete this element (it or an ancestor below the root is discarded)."""
    if any(found is not root for found in _DISCARDED_ABOVE(element)):
        return True
    return element.tag in _DISCARDED_TAGS or any(a.tag in _DISCARDED_TAGS for a in element.iterancestors())


def _loses_text(element) -> bool:
    """True when pruning would delete something inside this element (its text would change)."""
    return bool(_DISCARDED_BELOW(element)) or next(element.iterdescendants(*_DISCARDED_TAGS), None) is not None


def trafilatura_byline(tree, len_limit: int = 120) -> str | None:
    """The text `extract_metainfo(prune_unwanted_nodes(tree, AUTHOR_DISCARD_XPATHS),
    AUTHOR_XPATHS[:2], len_limit)` returns, the tree pruned only when that answer needs it.
    May prune `tree` in place (as trafilatura does): call it last."""
    # An element named <rel> is tested by its text ("rel='me'"), which pruning can change.
    if not _SHORTCUT or next(tree.iter("rel"), None) is not None:
        return _pruned_byline(tree, len_limit)
    for expression in BYLINE_XPATHS:
        for element in expression(tree):
            if _deleted(element, tree):
                continue
            if _loses_text(element):
                return _pruned_byline(tree, len_limit)
            content = trim(" ".join(element.itertext()))
            if content and 2 < len(content) < len_limit:
                return content
    return None
