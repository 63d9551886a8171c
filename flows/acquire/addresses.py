"""Which hosts a run may connect to: no private addresses unless the user trusts them.

Pages, sitemaps and redirects come from strangers, so a URL must not make the crawler reach
the machine it runs on or its network (loopback, private ranges, link-local such as the cloud
metadata address 169.254.169.254, multicast, unspecified or reserved addresses). A host is
checked after DNS resolution, whatever its spelling (`2130706433`, `0177.0.0.1`, `0x7f.1`,
`127.1`, `[::ffff:127.0.0.1]`, `localhost`, a name that resolves to 10.0.0.5), and the
connection is then made to the very address that was checked (`GuardedAdapter`: no second
lookup that a rebinding DNS server could answer differently). Host header, TLS SNI and
certificate checks still use the URL's host name.

The user's own archive prefix (`--archive`, a source's `archive`) is trusted; the option
`--allow-private-hosts` (config `allow_private_hosts = true`) allows every address.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
import urllib3
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.util.connection import create_connection

from flows.acquire import deadlines

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_DEFAULT_PORTS = {"http": 80, "https": 443}
# Names that always mean this machine (RFC 6761), refused without asking DNS.
_LOCAL_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback")


class AddressRefused(Exception):  # noqa: N818 - a refusal, not a failure of the program
    """The host is (or resolves to) an address the run may not connect to."""

    def __init__(self, host: str, detail: str) -> None:
        super().__init__(f"{host}: {detail}")
        self.host = host
        self.detail = detail


def not_public(address: IPAddress) -> str | None:
    """Why an address is not one to connect to ('loopback', 'private', ...), or None."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is not None:
            return not_public(embedded)
        if address.teredo is not None:
            return not_public(address.teredo[1])
        if address in _NAT64:
            return not_public(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    for kind in ("loopback", "unspecified", "link_local", "multicast", "private", "reserved"):
        if getattr(address, f"is_{kind}"):
            return kind.replace("_", "-")
    if not address.is_global:
        return "reserved"
    return None


_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


def literal_address(host: str) -> IPAddress | None:
    """The address a host written as a number stands for, in any spelling a resolver accepts
    (`127.0.0.1`, `2130706433`, `0177.0.0.1`, `0x7f.1`, `127.1`, `::ffff:127.0.0.1`), or None."""
    host = host.strip("[]").rstrip(".")
    try:
        return ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        pass
    if not host or not all(part.isascii() and part.isalnum() for part in host.split(".")):
        return None
    try:  # the resolver's own numeric forms (inet_aton): no DNS is asked
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        return None


def refusal_without_dns(host: str) -> str | None:
    """Why `host` is refused before any lookup (a local name or a non-public number), or None."""
    name = host.strip("[]").rstrip(".").lower()
    if name in _LOCAL_NAMES or name.endswith(".localhost"):
        return "names this machine"
    address = literal_address(name)
    if address is not None:
        kind = not_public(address)
        if kind:
            return f"is a {kind} address ({address})"
    return None


def resolve_public(host: str, port: int) -> list[tuple[Any, ...]]:
    """getaddrinfo's answers for `host`, once every address was checked; raises AddressRefused
    when any of them is not public (a name with one private answer is not fetched at all)."""
    reason = refusal_without_dns(host)
    if reason:
        raise AddressRefused(host, reason)
    answers = socket.getaddrinfo(host.strip("[]"), port, type=socket.SOCK_STREAM)
    for _family, _type, _proto, _name, sockaddr in answers:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        kind = not_public(address)
        if kind:
            raise AddressRefused(host, f"resolves to a {kind} address ({address})")
    return answers


@dataclass(frozen=True, slots=True)
class AddressPolicy:
    """Which hosts may be connected to: public addresses, the trusted origins, or everything."""

    allow_private: bool = False
    trusted_origins: frozenset[tuple[str, str, int]] = frozenset()

    @classmethod
    def of(cls, *, allow_private: bool = False, trusted: tuple[str, ...] | list[str] = ()) -> AddressPolicy:
        """`trusted`: URL prefixes (the archive) whose scheme, host and port are trusted."""
        origins = {origin for origin in map(_origin, trusted) if origin is not None}
        return cls(allow_private=allow_private, trusted_origins=frozenset(origins))

    def trusts(self, scheme: str, host: str, port: int | None) -> bool:
        if self.allow_private:
            return True
        port = port or _DEFAULT_PORTS.get(scheme, 0)
        return (scheme, host.strip("[]").rstrip(".").lower(), port) in self.trusted_origins

    def refusal(self, url: str) -> str | None:
        """Why fetching `url` is refused, judged without DNS (the connection checks the rest)."""
        origin = _origin(url)
        if origin is None or self.trusts(*origin):
            return None
        reason = refusal_without_dns(origin[1])
        return f"{origin[1]} {reason}" if reason else None


def _origin(url: str) -> tuple[str, str, int] | None:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if not parts.hostname:
        return None
    scheme = parts.scheme.lower()
    return scheme, parts.hostname.rstrip(".").lower(), port or _DEFAULT_PORTS.get(scheme, 0)


def _guarded_new_conn(connection: HTTPConnection, policy: AddressPolicy, scheme: str) -> socket.socket:
    """HTTPConnection._new_conn, connecting only to addresses that were checked."""
    if policy.trusts(scheme, connection.host, connection.port):
        return HTTPConnection._new_conn(connection)
    try:
        answers = resolve_public(connection._dns_host, connection.port)
    except socket.gaierror as error:
        raise urllib3.exceptions.NameResolutionError(connection.host, connection, error) from error
    last_error: OSError | None = None
    for _family, _type, _proto, _name, sockaddr in answers:
        try:  # the checked address itself: create_connection asks no resolver for a literal
            return create_connection(
                (str(sockaddr[0]), connection.port),
                connection.timeout,
                source_address=connection.source_address,
                socket_options=connection.socket_options,
            )
        except TimeoutError as error:
            raise urllib3.exceptions.ConnectTimeoutError(
                connection, f"Connection to {connection.host} timed out. (connect timeout={connection.timeout})"
            ) from error
        except OSError as error:
            last_error = error
    raise urllib3.exceptions.NewConnectionError(connection, f"Failed to establish a new connection: {last_error}")


def _pool_classes(policy: AddressPolicy) -> dict[str, type]:
    class GuardedHTTPConnection(HTTPConnection):
        def _new_conn(self) -> socket.socket:
            return _guarded_new_conn(self, policy, "http")

        def getresponse(self) -> Any:
            deadlines.watch_socket(self.sock)  # the attempt's deadline covers headers and body
            return super().getresponse()

    class GuardedHTTPSConnection(HTTPSConnection):
        def _new_conn(self) -> socket.socket:
            return _guarded_new_conn(self, policy, "https")

        def getresponse(self) -> Any:
            deadlines.watch_socket(self.sock)
            return super().getresponse()

    class GuardedHTTPConnectionPool(HTTPConnectionPool):
        ConnectionCls = GuardedHTTPConnection

    class GuardedHTTPSConnectionPool(HTTPSConnectionPool):
        ConnectionCls = GuardedHTTPSConnection

    return {"http": GuardedHTTPConnectionPool, "https": GuardedHTTPSConnectionPool}


class GuardedAdapter(requests.adapters.HTTPAdapter):
    """A requests transport whose connections go only to checked addresses (see the module).

    Through a proxy (HTTP(S)_PROXY), the proxy connects: the target's name is then checked
    here before the request, but the proxy resolves it again."""

    def __init__(self, policy: AddressPolicy, **kwargs: Any) -> None:
        self.policy = policy
        super().__init__(**kwargs)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _pool_classes(self.policy)

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        proxies = kwargs.get("proxies") or {}
        url = str(request.url)
        if proxies and requests.utils.select_proxy(url, proxies):
            origin = _origin(url)
            if origin is not None and not self.policy.trusts(*origin):
                resolve_public(origin[1], origin[2])
        return super().send(request, *args, **kwargs)
