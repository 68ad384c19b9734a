"""One HTTP POST to a subscriber's endpoint, and the rules of where Accord may send one.

No Django and no database here: the caller passes the allowed networks and the timeout,
and this module can run in a thread of its own.

The rules: HTTPS only; no user name or password in the URL; every address the host
resolves to must be public (not private, loopback, link-local, multicast, reserved or
unspecified) unless it lies in one of the `allowed` networks an operator configured; plain
HTTP only to loopback addresses so allowed (a receiver on the same machine, in tests). The
host is resolved and checked at every delivery, and the connection goes to the address
that was checked, so a name that starts resolving to an inside address later (DNS
rebinding) is refused too. Redirects are never followed: a 3xx is a failed delivery.
"""

import http.client
import ipaddress
import socket
import ssl
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

EXCERPT_CHARS = 1000  # of the response body, kept in the delivery log
_READ_AT_MOST = 4 * EXCERPT_CHARS  # bytes read from the response; the rest is never read

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class Refused(Exception):
    """Accord will not send to this endpoint (the message says why, for a person)."""


@dataclass(frozen=True)
class Endpoint:
    scheme: str
    host: str  # ASCII (IDNA), no brackets
    port: int
    target: str  # path and query, as sent
    addresses: tuple[Address, ...]


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    excerpt: str = ""
    error: str = ""
    duration_ms: int = 0

    @property
    def ok(self) -> bool:
        return not self.error and self.status_code is not None and 200 <= self.status_code < 300


def networks(values: Iterable[str]) -> tuple[Network, ...]:
    """Parse CIDR strings (`127.0.0.0/8`, `::1/128`); a bad one raises ValueError."""
    return tuple(ipaddress.ip_network(value.strip(), strict=False) for value in values)


def address_refusal(address: Address, allowed: Sequence[Network]) -> str | None:
    """Why Accord may not send to `address`, or None."""
    if isinstance(address, ipaddress.IPv6Address):
        # An IPv4 address inside an IPv6 one reaches that IPv4 address: ::ffff:10.0.0.1,
        # 6to4 (2002:a00:1::) and NAT64 (64:ff9b::10.0.0.1) are judged as 10.0.0.1.
        inner = address.ipv4_mapped or address.sixtofour
        if inner is None and address in _NAT64:
            inner = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if inner is not None:
            return address_refusal(inner, allowed)
    if any(address in network for network in allowed if network.version == address.version):
        return None
    if address.is_loopback:
        return f"{address} is a loopback address"
    if address.is_link_local:
        return f"{address} is a link-local address"
    if address.is_multicast:
        return f"{address} is a multicast address"
    if address.is_private or not address.is_global:
        return f"{address} is a private or reserved address"
    return None


_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def parse(url: str) -> tuple[str, str, int, str]:
    """(scheme, ASCII host, port, path and query) of a URL Accord may send to, or Refused."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as error:
        raise Refused(f"This is not a usable URL: {error}.") from None
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http"):
        raise Refused("The URL must start with https://.")
    if parts.username is not None or parts.password is not None:
        raise Refused("Leave the user name and password out of the URL; requests are signed.")
    if not parts.hostname:
        raise Refused("The URL has no host name.")
    try:
        host = parts.hostname.encode("idna").decode("ascii")
    except UnicodeError:
        raise Refused(f"“{parts.hostname}” is not a valid host name.") from None
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    return scheme, host, port or (443 if scheme == "https" else 80), target


def resolve(url: str, allowed: Sequence[Network]) -> Endpoint:
    """The endpoint of `url` with every address its host resolves to now, each checked; raises
    Refused if any is not allowed (one inside address is enough to refuse the host)."""
    scheme, host, port, target = parse(url)
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as error:
        raise Refused(f"The host {host} cannot be resolved ({error}).") from None
    addresses = tuple(dict.fromkeys(ipaddress.ip_address(info[4][0]) for info in found))
    if not addresses:
        raise Refused(f"The host {host} has no address.")
    for address in addresses:
        if (why := address_refusal(address, allowed)) is not None:
            raise Refused(f"{host} resolves to {why}; Accord sends only to public addresses.")
    if scheme == "http" and not all(address.is_loopback for address in addresses):
        raise Refused("The URL must start with https://.")
    return Endpoint(scheme, host, port, target, addresses)


def post(
    url: str, body: bytes, headers: dict[str, str], *, timeout: float, allowed: Sequence[Network]
) -> Outcome:
    """POST `body` to `url` (resolved and checked now); never raises, never follows a redirect.
    `timeout` bounds the connection and each read."""
    started = time.monotonic()

    def took() -> int:
        return int((time.monotonic() - started) * 1000)

    try:
        endpoint = resolve(url, allowed)
    except Refused as refused:
        return Outcome(None, error=str(refused), duration_ms=took())
    try:
        connection = _connect(endpoint, timeout)
    except (OSError, ssl.SSLError) as error:
        return Outcome(None, error=f"Could not connect: {_say(error)}", duration_ms=took())
    try:
        connection.request("POST", endpoint.target, body=body, headers=headers)
        response = connection.getresponse()
        raw = response.read(_READ_AT_MOST)
    except (OSError, http.client.HTTPException, ssl.SSLError) as error:
        return Outcome(None, error=f"No answer: {_say(error)}", duration_ms=took())
    finally:
        connection.close()
    excerpt = raw.decode("utf-8", errors="replace")[:EXCERPT_CHARS]
    error = ""
    if 300 <= response.status < 400:
        where = response.getheader("Location", "")[:200]
        error = f"Redirected to {where or 'another address'}; redirects are not followed."
    return Outcome(response.status, excerpt=excerpt, error=error, duration_ms=took())


def _say(error: Exception) -> str:
    return str(error) or type(error).__name__


def _connect(endpoint: Endpoint, timeout: float) -> http.client.HTTPConnection:
    """A connection to the first checked address that answers, speaking to the host's name
    (TLS server name and certificate, Host header)."""
    last: Exception = OSError("no address")
    for address in endpoint.addresses:
        try:
            sock = socket.create_connection((str(address), endpoint.port), timeout=timeout)
        except OSError as error:
            last = error
            continue
        if endpoint.scheme == "https":
            context = ssl.create_default_context()
            try:
                sock = context.wrap_socket(sock, server_hostname=endpoint.host)
            except (OSError, ssl.SSLError):
                sock.close()
                raise
            connection: http.client.HTTPConnection = http.client.HTTPSConnection(
                endpoint.host, endpoint.port, timeout=timeout, context=context
            )
        else:
            connection = http.client.HTTPConnection(endpoint.host, endpoint.port, timeout=timeout)
        connection.sock = sock  # already connected to the checked address
        return connection
    raise last
