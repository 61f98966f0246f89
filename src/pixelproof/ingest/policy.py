"""Which network destinations a server-side fetch may reach.

A URL typed by a user makes our server connect somewhere on their behalf (SSRF). We only
connect to public unicast addresses unless a deployment explicitly trusts a host or network
through ``url_allow``. Every refusal says which rule applied, so the user can tell a typo
from a policy.
"""

import ipaddress
from dataclasses import dataclass

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

CLOUD_METADATA_HOSTS = frozenset(
    {"metadata.google.internal", "metadata.goog", "metadata", "instance-data", "instance-data.ec2.internal"}
)
CLOUD_METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "169.254.170.2", "100.100.100.200", "fd00:ec2::254")
)

# Most specific first: the first match names the reason.
_SPECIAL_NETWORKS: tuple[tuple[IPNetwork, str], ...] = tuple(
    (ipaddress.ip_network(net), reason)
    for net, reason in (
        ("255.255.255.255/32", "broadcast"),
        ("0.0.0.0/8", "unspecified / this-network (0.0.0.0/8)"),
        ("10.0.0.0/8", "private (RFC 1918)"),
        ("172.16.0.0/12", "private (RFC 1918)"),
        ("192.168.0.0/16", "private (RFC 1918)"),
        ("100.64.0.0/10", "shared address space / CGNAT (100.64.0.0/10)"),
        ("127.0.0.0/8", "loopback"),
        ("169.254.0.0/16", "link-local"),
        ("192.0.0.0/24", "IETF protocol assignments (192.0.0.0/24)"),
        ("192.0.2.0/24", "documentation (TEST-NET-1)"),
        ("198.51.100.0/24", "documentation (TEST-NET-2)"),
        ("203.0.113.0/24", "documentation (TEST-NET-3)"),
        ("192.88.99.0/24", "6to4 relay anycast"),
        ("198.18.0.0/15", "benchmarking (198.18.0.0/15)"),
        ("224.0.0.0/4", "multicast"),
        ("240.0.0.0/4", "reserved (240.0.0.0/4)"),
        ("::/128", "unspecified (::)"),
        ("::1/128", "loopback"),
        ("::ffff:0:0/96", "IPv4-mapped IPv6"),
        ("::ffff:0:0:0/96", "IPv4-translated IPv6"),
        ("::/96", "IPv4-compatible IPv6"),
        ("64:ff9b:1::/48", "local-use NAT64 (64:ff9b:1::/48)"),
        ("100::/64", "discard-only (100::/64)"),
        ("2001::/32", "Teredo tunnel"),
        ("2001:db8::/32", "documentation (2001:db8::/32)"),
        ("3fff::/20", "documentation (3fff::/20)"),
        ("2001::/23", "IETF special-purpose (2001::/23)"),
        ("fc00::/7", "private / unique local (fc00::/7)"),
        ("fe80::/10", "link-local"),
        ("fec0::/10", "site-local"),
        ("ff00::/8", "multicast"),
    )
)

# Prefixes that carry an IPv4 address inside an IPv6 one: judged by the address they embed.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_6TO4 = ipaddress.ip_network("2002::/16")


def _embedded_ipv4(ip: IPAddress) -> tuple[str, ipaddress.IPv4Address] | None:
    if ip.version != 6:
        return None
    if ip in _NAT64:
        return "NAT64", ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip in _6TO4:
        return "6to4", ip.sixtofour
    return None


def refusal_reason(ip: IPAddress) -> str | None:
    """Why a fetch must not connect to ``ip``; None for a public unicast address."""
    ip = type(ip)(int(ip))  # drop an IPv6 zone id: it does not change the address class
    if ip in CLOUD_METADATA_ADDRESSES:
        return "cloud metadata endpoint"
    embedded = _embedded_ipv4(ip)
    if embedded:
        kind, inner = embedded
        inner_reason = refusal_reason(inner)
        return f"{kind} address embedding {inner} ({inner_reason})" if inner_reason else None
    for network, reason in _SPECIAL_NETWORKS:
        if ip.version == network.version and ip in network:
            return reason
    if not ip.is_global:
        return "not globally routable"
    return None


@dataclass(frozen=True)
class AllowList:
    """Hosts and networks a deployment trusts: they skip the address and port checks."""

    hosts: frozenset[str] = frozenset()
    networks: tuple[IPNetwork, ...] = ()

    @classmethod
    def parse(cls, entries: tuple[str, ...]) -> "AllowList":
        hosts, networks = set(), []
        for entry in entries:
            entry = entry.strip().lower()
            try:
                networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
            except ValueError:
                hosts.add(entry.rstrip("."))
        return cls(frozenset(hosts), tuple(networks))

    def allows_host(self, host: str) -> bool:
        return host.rstrip(".") in self.hosts

    def allows_address(self, ip: IPAddress) -> bool:
        return any(ip.version == net.version and ip in net for net in self.networks)
