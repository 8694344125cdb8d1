"""Is an IP address public? The one answer for every outbound connection (webhooks,
integrations), given when a URL is saved and again for each address DNS gives at delivery.

``ipaddress.is_global`` alone is not enough: an IPv6 address can carry an IPv4 address that
reaches inside, and ``is_global`` judges only the IPv6 prefix (it says True for
``::127.0.0.1``, ``::ffff:0:7f00:1``, ``64:ff9b::7f00:1``, ``2002:7f00:1::1``,
``::a9fe:a9fe`` and ``fec0::1``). So every IPv4 address an IPv6 address embeds is unwrapped
and must be public itself:

| form | prefix | IPv4 |
| --- | --- | --- |
| IPv4-compatible (deprecated) | ``::/96`` (not ``::``, ``::1``) | low 32 bits |
| IPv4-mapped | ``::ffff:0:0/96`` | low 32 bits |
| IPv4-translated (SIIT) | ``::ffff:0:0:0/96`` | low 32 bits |
| NAT64 well-known prefix | ``64:ff9b::/96`` | low 32 bits |
| 6to4 | ``2002::/16`` | bits 16-47 |
| Teredo | ``2001::/32`` | server and (obfuscated) client |

and two blocks are never public: NAT64 local use (``64:ff9b:1::/48``, where the IPv4 address
sits at a place the operator chose) and site-local (``fec0::/10``, deprecated but routed by
some networks).
"""

from __future__ import annotations

import ipaddress

EMBEDS_LOW_32 = tuple(ipaddress.ip_network(block) for block in (
    "::/96", "::ffff:0:0/96", "::ffff:0:0:0/96", "64:ff9b::/96"))
NEVER_PUBLIC = tuple(ipaddress.ip_network(block) for block in ("64:ff9b:1::/48", "fec0::/10"))


def embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """Every IPv4 address ``ip`` carries, by the forms above."""
    found = []
    if any(ip in block for block in EMBEDS_LOW_32) and int(ip) > 1:  # not :: nor ::1
        found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    if ip.sixtofour is not None:
        found.append(ip.sixtofour)
    if ip.teredo is not None:
        found.extend(ip.teredo)
    return found


def is_public(address: str) -> bool:
    """True when ``address`` (IPv4 or IPv6, as text) reaches only the public internet."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # a zone id names an interface: link-local anyway
    if not ip.is_global or ip.is_multicast:
        return False
    if isinstance(ip, ipaddress.IPv4Address):
        return True
    if any(ip in block for block in NEVER_PUBLIC):
        return False
    return all(inner.is_global and not inner.is_multicast for inner in embedded_ipv4(ip))
