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

from lxml.etree import XPath
from trafilatura.htmlprocessing import prune_unwanted_nodes
from trafilatura.metadata import extract_metainfo
from trafilatura.utils import trim
from trafilatura.xpaths import AUTHOR_DISCARD_XPATHS, AUTHOR_XPATHS, REGEXP_NS

# The specific and generic expressions only: the last-resort one costs more than it finds.
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
    return extract_metainfo(prune_unwanted_nodes(tree, AUTHOR_DISCARD_XPATHS), BYLINE_XPATHS, len_limit=len_limit)


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
