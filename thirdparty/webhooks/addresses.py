"""Which addresses a webhook may be sent to: only globally routable unicast ones (SSRF guard).

``ipaddress``'s ``is_global`` first, then what it lets through on Python 3.11: multicast, the shared address
space 100.64.0.0/10, cloud metadata addresses, and IPv6 forms that carry an IPv4 address (IPv4-mapped and
-compatible, 6to4 2002::/16, Teredo 2001::/32, local-use NAT64 64:ff9b:1::/48), refused whatever they carry.
The well-known NAT64 prefix 64:ff9b::/96 (what a DNS64 resolver answers) is judged by the IPv4 it embeds.
Pure standard library: no Django here.
"""

from __future__ import annotations

import ipaddress
import socket

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

SHARED_ADDRESS_SPACE = ipaddress.ip_network("100.64.0.0/10")
CLOUD_METADATA = frozenset(
    ipaddress.ip_address(a)
    for a in ("169.254.169.254", "169.254.170.2", "100.100.100.200", "fd00:ec2::254", "fd00:ec2::23")
)
# Not globally reachable (IANA special-purpose registries) though Python 3.11 calls them global.
NOT_GLOBAL_EXTRA = (ipaddress.ip_network("192.0.0.0/24"), ipaddress.ip_network("192.88.99.0/24"))
NAT64_WELL_KNOWN = ipaddress.ip_network("64:ff9b::/96")
EMBEDDED_IPV4 = {
    "IPv4-compatible": ipaddress.ip_network("::/96"),
    "IPv4-mapped": ipaddress.ip_network("::ffff:0:0/96"),
    "IPv4-translated": ipaddress.ip_network("::ffff:0:0:0/96"),
    "6to4": ipaddress.ip_network("2002::/16"),
    "Teredo": ipaddress.ip_network("2001::/32"),
    "local NAT64": ipaddress.ip_network("64:ff9b:1::/48"),
}


def address_refusal(address: Address) -> str | None:
    """Why a webhook may not go to ``address``, or None when it may."""
    if address in CLOUD_METADATA:
        return f"{address} is a cloud metadata address."
    if isinstance(address, ipaddress.IPv6Address) and address.scope_id:
        return f"{address} is a scoped (link-local) address."
    if address.version == 4 and address in SHARED_ADDRESS_SPACE:
        return f"{address} is in the shared address space (carrier-grade NAT)."
    if address.is_multicast or not address.is_global or any(address in n for n in NOT_GLOBAL_EXTRA):
        return f"{address} is a private or local address."
    if address in NAT64_WELL_KNOWN:  # a DNS64 resolver's answer for an IPv4-only host: judge that host
        embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        refusal = address_refusal(embedded)
        return None if refusal is None else f"{address} is NAT64 for {embedded}: {refusal}"
    for name, network in EMBEDDED_IPV4.items():
        if address in network:
            return f"{address} carries an IPv4 address ({name}); use a plain public address."
    return None


def resolve(host: str, port: int) -> list[Address]:
    """Every address ``host`` resolves to (TCP), once; raises OSError when it does not resolve."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses: list[Address] = []
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise OSError(f"{host} resolves to no address.")
    return addresses
