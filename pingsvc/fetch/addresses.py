"""Which addresses and ports a fetch may connect to: the SSRF guard, as pure functions plus
the one DNS resolution whose answer the connection is pinned to (see client.Session).
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from pingsvc.errors import FetchError, RefusedAddress
from pingsvc.fetch.policy import FetchPolicy

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Ranges Python's ipaddress does not mark non-global on every supported version, or whose
# reason deserves its own words. Order matters: the first match names the reason.
_NAMED_NETWORKS: tuple[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, str], ...] = (
    (ipaddress.ip_network("0.0.0.0/8"), "a 'this network' address (0.0.0.0/8)"),
    (ipaddress.ip_network("100.64.0.0/10"), "a carrier-grade NAT address (100.64.0.0/10)"),
    (ipaddress.ip_network("169.254.0.0/16"), "a link-local address (cloud metadata services)"),
    (ipaddress.ip_network("192.0.0.0/24"), "an IETF protocol assignment address"),
    (ipaddress.ip_network("192.88.99.0/24"), "a 6to4 relay anycast address"),
    (ipaddress.ip_network("64:ff9b:1::/48"), "a local-use NAT64 address"),
    (ipaddress.ip_network("fec0::/10"), "a site-local address (fec0::/10)"),
    (ipaddress.ip_network("5f00::/16"), "an IPv6 segment routing address"),
    (ipaddress.ip_network("3fff::/20"), "a documentation address"),
    (ipaddress.ip_network("2001:20::/28"), "an ORCHIDv2 overlay address"),
    (ipaddress.ip_network("::/96"), "an IPv4-compatible IPv6 address (deprecated)"),
)
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


def address_refusal(ip: IPAddress) -> str | None:
    """Why pingsvc must not connect to `ip`, or None for a public unicast address. Pure."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.scope_id:
            return "an IPv6 address with a zone (link-local)"
        embedded = ip.ipv4_mapped or ip.sixtofour
        if embedded is not None:
            return address_refusal(embedded)
        if ip in _NAT64:
            return address_refusal(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    if ip.is_unspecified:
        return "an unspecified address (0.0.0.0 or ::)"
    if ip.is_loopback:
        return "a loopback address"
    for network, reason in _NAMED_NETWORKS:
        if ip.version == network.version and ip in network:
            return reason
    if ip.is_link_local:
        return "a link-local address (such as cloud metadata services)"
    if ip.is_multicast:
        return "a multicast address"
    if ip.is_reserved:
        return "a reserved address"
    if ip.is_private:
        return "a private network address"
    if not ip.is_global:
        return "a non-public address"
    return None


def url_refusal(url: str, policy: FetchPolicy) -> str | None:
    """Why the guard will refuse to connect to normalised `url`, as far as that is known
    without a DNS lookup: its port, an address written as the host, or a name that is
    loopback by definition (RFC 6761 `localhost`). None: it may pass (resolve decides). Pure."""
    parts = urlsplit(url)
    host = (parts.hostname or "").strip("[]").lower()
    port = parts.port or (443 if parts.scheme == "https" else 80)
    if policy.allows(host, port):
        return None
    if not policy.allows_port(port):
        allowed = ", ".join(str(p) for p in sorted(policy.ports))
        return f"it uses port {port}; only ports {allowed} are called"
    if host == "localhost" or host.endswith(".localhost"):
        return "its host is a loopback name"
    try:
        ip = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return None
    reason = address_refusal(ip)
    return f"its host is {reason}" if reason else None


def resolve(host: str, port: int, policy: FetchPolicy) -> str:
    """Resolve `host` once and return the address to connect to, refusing forbidden ones.

    Every address the name resolves to must be allowed: a name that mixes public and private
    addresses is refused, so no later resolution can pick the private one. An allow entry may
    name the host as written (trusting its DNS) or the address it resolves to.
    """
    bare = host.strip("[]").lower()
    if not policy.allows_port(port):
        raise RefusedAddress(_port_refusal(port, policy))
    try:
        infos = socket.getaddrinfo(bare, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchError(
            f"the source host name {bare!r} could not be resolved", kind="not_found"
        ) from exc
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]
    if not addresses:
        raise FetchError(f"the source host name {bare!r} has no address")
    if not policy.allows(bare, port):
        for ip in addresses:
            if policy.allows(str(ip), port):
                continue
            reason = address_refusal(ip)
            if reason is not None:
                raise RefusedAddress(f"the source host {bare!r} resolves to {reason} ({ip})")
            if port not in policy.ports:
                raise RefusedAddress(_port_refusal(port, policy))
    chosen = addresses[0]
    return f"[{chosen}]" if chosen.version == 6 else str(chosen)


def _port_refusal(port: int, policy: FetchPolicy) -> str:
    allowed = ", ".join(str(p) for p in sorted(policy.ports))
    return (
        f"the source uses port {port}; only ports {allowed} may be fetched "
        "(PINGSVC_FETCH_ALLOW can allow a host:port)"
    )
