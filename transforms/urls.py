"""URLs: canonical form, stable article ids, registered domains and dates written in paths.

The canonical URL is what `article_id` hashes, so two captures of the same article (with
tracking parameters, fragments, session ids or a differently-cased host) get the same id.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

import tldextract


class InvalidURL(ValueError):
    """The input is not a usable http(s) URL (permanent: retrying cannot help)."""


# Query parameters that only track the visitor or the campaign; they never select content.
TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "msclkid",
        "yclid",
        "igshid",
        "mc_cid",
        "mc_eid",
        "_ga",
        "_gl",
        "ocid",
        "cmpid",
        "cmp",
        "ito",
        "ncid",
        "sr_share",
        "smid",
        "smtyp",
        "spm",
        "ref",
        "ref_src",
        "ref_url",
        "referrer",
        "source",
        "share",
        "via",
        "xtor",
        "wt_mc",
        "wt.mc_id",
        "at_medium",
        "at_campaign",
        "s_cid",
        "guccounter",
        "guce_referrer",
        "guce_referrer_sig",
        "rss",
        "outputtype",
        "amp",
        "__twitter_impression",
    }
)
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "hsa_", "oly_", "vero_", "__hs", "_hs")
# Session ids, in the query or as a `;name=value` path parameter.
SESSION_PARAMS = frozenset(
    {"jsessionid", "phpsessid", "sid", "sessionid", "session_id", "aspsessionid", "cfid", "cftoken"}
)
_PATH_SESSION = re.compile(r";(?:jsessionid|phpsessid|sessionid|sid)=[^/?#]*", re.IGNORECASE)
_DEFAULT_PORTS = {"http": 80, "https": 443}
# Characters that never need percent-encoding in a path or query (RFC 3986 reserved + unreserved).
_PATH_SAFE = "/:@!$&'()*+,;=-._~"
_QUERY_SAFE = "/:@!$'()*,;?-._~"


def _is_dropped_param(name: str) -> bool:
    key = name.lower()
    return key in TRACKING_PARAMS or key in SESSION_PARAMS or key.startswith(TRACKING_PREFIXES)


def _normalize_path(path: str) -> str:
    path = _PATH_SESSION.sub("", path)
    segments: list[str] = []
    for segment in path.split("/"):
        if segment == ".":
            continue
        if segment == "..":
            if len(segments) > 1:
                segments.pop()
            continue
        segments.append(segment)
    path = "/".join(segments)
    if not path.startswith("/"):
        path = "/" + path
    # Re-encode in one normal form: decode, then quote everything not safe.
    return quote(unquote(path), safe=_PATH_SAFE)


@lru_cache(maxsize=65536)
def canonicalize_url(url: str) -> str:
    """The canonical form of an http(s) URL; idempotent. Raises `InvalidURL`.

    Lower-cases scheme and host, drops default ports, fragments, tracking parameters and
    session ids, resolves dot segments, sorts the remaining query parameters and writes
    percent-escapes in one normal form.
    """
    if not isinstance(url, str):
        raise InvalidURL(f"not a string: {type(url).__name__}")
    raw = url.strip()
    if any(ch in raw for ch in "\x00\r\n\t") or " " in raw:
        raw = re.sub(r"[\x00-\x20]", lambda m: "" if m.group() != " " else "%20", raw)
    try:
        parts = urlsplit(raw)
        port = parts.port
    except ValueError as error:
        raise InvalidURL(f"unparseable URL {url!r}: {error}") from None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise InvalidURL(f"not an http(s) URL: {url!r}")
    host = (parts.hostname or "").strip(".").lower()
    if not host or not re.fullmatch(r"[\w.\-\[\]:]+", host):
        raise InvalidURL(f"no usable host in {url!r}")
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"  # IPv6 literal
    netloc = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    pairs = [
        (name, value)
        for name, value in parse_qsl(parts.query, keep_blank_values=True)
        if name and not _is_dropped_param(name)
    ]
    query = urlencode(sorted(pairs), quote_via=quote, safe=_QUERY_SAFE)
    return urlunsplit((scheme, netloc, _normalize_path(parts.path), query, ""))


def article_id_for(url: str) -> str:
    """Stable id of an article: sha256 of its canonical URL, first 32 hex digits."""
    return hashlib.sha256(canonicalize_url(url).encode("utf-8")).hexdigest()[:32]


# The bundled public-suffix snapshot; never fetched, never cached on disk.
_TLD = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


@lru_cache(maxsize=65536)
def registered_domain(url: str) -> str:
    """Registered domain of a URL ('news.example.co.uk' -> 'example.co.uk'); the host for IPs."""
    try:
        host = (urlsplit(url.strip()).hostname or "").strip(".").lower()
    except ValueError:
        host = ""
    if not host:
        return ""
    parts = _TLD.extract_str(host)
    if parts.domain and parts.suffix:
        return f"{parts.domain}.{parts.suffix}"
    if re.fullmatch(r"[\d.]+|\[.*\]", host):
        return host  # an IP address
    # An unlisted suffix (.example, .test, an intranet name): the last two labels.
    return ".".join(host.split(".")[-2:])


_URL_DATE = re.compile(r"(?<![0-9])((?:19|20)\d{2})[/_.\-]?(0[1-9]|1[0-2])[/_.\-]?(0[1-9]|[12]\d|3[01])(?![0-9])")
_URL_DATE_SLASHED = re.compile(r"/((?:19|20)\d{2})/(0?[1-9]|1[0-2])/(0?[1-9]|[12]\d|3[01])(?:/|$)")


# A section between the year and the month: /2010/POLITICS/08/13/ (CNN's old layout and others).
_URL_DATE_SECTIONED = re.compile(
    r"/((?:19|20)\d{2})/[A-Za-z][\w\-]{0,30}/(0?[1-9]|1[0-2])/(0?[1-9]|[12]\d|3[01])(?:/|$)"
)


def date_from_url(url: str) -> datetime | None:
    """A publication date written in the URL path (/2020/05/17/, /2010/politics/05/17/,
    2020-05-17, 20200517), or None."""
    try:
        path = urlsplit(url).path
    except ValueError:
        return None
    for pattern in (_URL_DATE_SLASHED, _URL_DATE_SECTIONED, _URL_DATE):
        match = pattern.search(path)
        if match:
            try:
                year, month, day = (int(g) for g in match.groups())
                return datetime(year, month, day, tzinfo=UTC)
            except ValueError:
                continue
    return None


_URL_MONTH = re.compile(r"/((?:19|20)\d{2})/(0[1-9]|1[0-2])/")


def month_from_url(url: str) -> tuple[int, int] | None:
    """(year, month) written in the path as /YYYY/MM/, as weaker evidence than a full date."""
    try:
        match = _URL_MONTH.search(urlsplit(url).path)
    except ValueError:
        return None
    return (int(match.group(1)), int(match.group(2))) if match else None


def is_home_page(url: str) -> bool:
    """True for a site's front page: no path beyond '/', an index file or a language code."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    path = parts.path.strip("/").lower()
    return (
        path in ("", "index.html", "index.htm", "index.php", "home", "en", "de", "fr", "es", "it", "ru")
        and not parts.query
    )


def host_name_label(url: str) -> str | None:
    """The first label of the host that is not 'www'/'m'/'amp' ('zahlen.wordpress.com' -> 'zahlen')."""
    try:
        host = (urlsplit(url).hostname or "").lower()
    except ValueError:
        return None
    for label in host.split("."):
        if label and label not in ("www", "www2", "www3", "m", "mobile", "amp", "news", "blog", "de", "en"):
            return label
    return None


# -- archive replay URLs ---------------------------------------------------------------------
# How Wayback-style archives (web.archive.org, pywb, OpenWayback) write a replay URL:
#     {prefix}/{timestamp}[{modifier}]/{original}
# `prefix` is the archive's base (`https://web.archive.org/web`, `http://host:8080/coll`),
# `timestamp` 4-14 digits (any prefix of YYYYMMDDhhmmss), `modifier` two letters and `_`
# (`id_`, `mp_`, `if_`), and `original` the captured URL: written with its scheme (archives
# and proxies may collapse `https://` to `https:/`), or without one as `host.name/path` (a
# dotted host name followed by a path). Anything else after the digits is no replay URL: a
# news URL with a date segment (`/politik/20200207/merkel.html`) ends in a file or slug,
# not in a URL.
# A host name ends in a top-level domain, not in a file extension (.pl and .do are both): in
# `/news/2020/index.html/amp` the dotted name after the digits is a file, not a host.
_FILE_EXTENSIONS = "html?|shtml|xhtml|php\\d?|aspx?|jspx?|cfm|cgi|cms|xml|json|rss|pdf|jpe?g|png|gif|txt|action"
_REPLAY = re.compile(
    r"^(?P<prefix>https?://[^/\s]+(?:/[^/\s]+)*?)/(?P<timestamp>\d{4,14})(?P<modifier>[a-z]{2}_)?/"
    r"(?P<original>(?:https?:/+[^/\s?#]+|[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?!(?:" + _FILE_EXTENSIONS + r")[:/])"
    r"[a-z][a-z0-9-]*(?::\d+)?/).*)$",
    re.IGNORECASE,
)
_SCHEME = re.compile(r"^(https?):/+", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class ReplayURL:
    """The parts of an archive replay URL (see the rule above)."""

    prefix: str  # the archive's base, no trailing slash
    timestamp: str  # as written: 4-14 digits
    modifier: str  # "id_", "mp_", ... or "" when absent
    original: str  # the captured URL, `scheme://` restored (`http://` when it had none)


def parse_replay_url(url: str) -> ReplayURL | None:
    """The parts of a replay URL, or None when `url` is not one.

    'https://web.archive.org/web/2013id_/example.net/x' ->
    ReplayURL('https://web.archive.org/web', '2013', 'id_', 'http://example.net/x')
    """
    match = _REPLAY.match(url.strip()) if isinstance(url, str) else None
    if not match:
        return None
    original = _SCHEME.sub(r"\1://", match["original"])
    if not _SCHEME.match(original):
        original = "http://" + original
    return ReplayURL(match["prefix"], match["timestamp"], match["modifier"] or "", original)


def parse_capture_timestamp(timestamp: str) -> datetime | None:
    """A 14-digit archive timestamp as a UTC datetime; None for shorter (partial) or impossible ones."""
    if len(timestamp) != 14 or not timestamp.isdigit():
        return None
    try:
        return datetime.strptime(timestamp, "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    except ValueError:
        return None


def unwrap_archive_url(url: str) -> tuple[str, str | None]:
    """(original URL, archive URL) for a replay URL; (url, None) for anything else.

    'https://web.archive.org/web/20120216182711/http://www.example.com/a' ->
    ('http://www.example.com/a', 'https://web.archive.org/web/20120216182711/http://www.example.com/a')
    """
    replay = parse_replay_url(url)
    if replay is None:
        return url, None
    return replay.original, url.strip()


def archive_timestamp(replay_url: str) -> datetime | None:
    """The capture time a 14-digit replay timestamp names (UTC), or None."""
    replay = parse_replay_url(replay_url)
    return parse_capture_timestamp(replay.timestamp) if replay else None


def original_url_from_link(link: str | None) -> str | None:
    """The `rel="original"` target of a Memento `Link` header, or None.

    '<http://a.example/x>; rel="original", <...>; rel="timemap"' -> 'http://a.example/x'
    """
    if not link:
        return None
    for target in _header_links(link):
        if "original" in target.get("rel", "").split() and target.get("url"):
            return target["url"]
    return None


def _header_links(value: str) -> list[dict[str, str]]:
    """A `Link` header's entries as {'url': ..., param: value} (what requests.utils.parse_header_links gives)."""
    quotes = " '\""
    value = value.strip(quotes)
    links: list[dict[str, str]] = []
    if not value:
        return links
    for entry in re.split(", *<", value):
        url, _, params = entry.partition(";")
        link = {"url": url.strip("<> '\"")}
        for param in params.split(";") if params else ():
            key, equals, param_value = param.partition("=")
            if not equals or "=" in param_value:
                break
            link[key.strip(quotes)] = param_value.strip(quotes)
        links.append(link)
    return links
