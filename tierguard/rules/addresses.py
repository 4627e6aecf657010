"""CIDR blocks for both address families, in every spelling AWS accepts.

``ipaddress`` already reads IPv6 long forms (``0:0:0:0:0:0:0:0/0``), leading zeros in
IPv6 groups and mixed case; this module adds the messages a user needs and the one
definition of "the internet" every consumer shares.
"""

from __future__ import annotations

import ipaddress

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

#: "The internet" as a rule names it: the whole address space of each family, by version.
INTERNET: dict[int, IPNetwork] = {
    4: ipaddress.IPv4Network("0.0.0.0/0"),
    6: ipaddress.IPv6Network("::/0"),
}


def parse_cidr(text: object) -> IPNetwork:
    """Parse a CIDR exactly as a user must write it: an address, a prefix, no host bits.

    Raises ``ValueError`` naming the problem and, for host bits, the network meant.
    """
    if not isinstance(text, str):
        raise ValueError(f"{text!r} is not a CIDR block; write it as a string like 10.0.0.0/16")
    value = text.strip()
    if "%" in value:
        prefix = value.rpartition("/")[2] if "/" in value else "64"
        raise ValueError(
            f"{text!r} has a zone (%…); rules and ACLs take a plain CIDR block such as "
            f"{value.split('%')[0]}/{prefix}"
        )
    if "/" not in value:
        raise ValueError(
            f"{text!r} has no prefix length; write a CIDR block such as {value}/32 "
            "(or /128 for IPv6)"
        )
    try:
        return ipaddress.ip_network(value, strict=True)
    except ValueError:
        pass
    try:
        loose = ipaddress.ip_network(value, strict=False)
    except ValueError:
        raise ValueError(
            f"{text!r} is not a valid IPv4 or IPv6 CIDR block (for example 10.0.0.0/16 "
            "or 2001:db8::/32)"
        ) from None
    raise ValueError(f"{text!r} has host bits set (did you mean {loose}?)")


def parse_cidr_lenient(text: str) -> IPNetwork:
    """Parse a CIDR as AWS or a provider may hand it back, tolerating host bits.

    Policies and the audit judge what exists, so ``10.0.0.5/8`` is read as the
    ``10.0.0.0/8`` AWS would apply rather than rejected.
    """
    return ipaddress.ip_network(text.strip(), strict=False)


def canonical_cidr(network: IPNetwork) -> str:
    """The compressed spelling: ``::/0`` for every long form of the IPv6 default route."""
    return network.compressed


def is_internet(network: IPNetwork) -> bool:
    """Whether the block is the whole address space of its family (``0.0.0.0/0``, ``::/0``)."""
    return network == INTERNET[network.version]


def family_name(network: IPNetwork) -> str:
    return "IPv4" if network.version == 4 else "IPv6"


def contains(outer: IPNetwork, inner: IPNetwork) -> bool:
    """Whether every address of ``inner`` is in ``outer`` (``False`` across families)."""
    if isinstance(outer, ipaddress.IPv4Network) and isinstance(inner, ipaddress.IPv4Network):
        return inner.subnet_of(outer)
    if isinstance(outer, ipaddress.IPv6Network) and isinstance(inner, ipaddress.IPv6Network):
        return inner.subnet_of(outer)
    return False
