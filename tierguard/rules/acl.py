"""Network-ACL evaluation exactly as AWS does it.

Entries of one direction are tried lowest number first; the first whose protocol, ports
and CIDR match decides; when none matches, the implicit ``*`` rule denies. An entry only
ever matches packets of its own address family.
"""

from __future__ import annotations

import ipaddress
import itertools
from collections.abc import Iterable
from dataclasses import dataclass

from tierguard.rules.addresses import IPNetwork, contains
from tierguard.rules.model import AclAction, AclEntry, Packet, Traffic
from tierguard.rules.ports import EPHEMERAL_PORTS, PortRange
from tierguard.rules.protocols import TCP, UDP
from tierguard.rules.values import full_range, packet_at, traffic_values

#: The rule number AWS shows for the implicit deny (``*``) of IPv4 entries.
IMPLICIT_DENY_NUMBER = 32767
#: The highest number an entry of one's own may have (AWS: 1-32766).
MAX_RULE_NUMBER = IMPLICIT_DENY_NUMBER - 1


@dataclass(frozen=True)
class AclDecision:
    """The verdict for one packet and the entry that gave it (``None``: the implicit deny)."""

    action: AclAction
    entry: AclEntry | None

    @property
    def allowed(self) -> bool:
        return self.action is AclAction.ALLOW

    @property
    def rule_label(self) -> str:
        return "*" if self.entry is None else str(self.entry.number)


def ordered(entries: Iterable[AclEntry], *, egress: bool) -> list[AclEntry]:
    """The entries of one direction in evaluation order."""
    return sorted((e for e in entries if e.egress == egress), key=lambda e: e.number)


def covering_entry(entries: Iterable[AclEntry], want: AclEntry) -> AclEntry | None:
    """The first entry, in evaluation order, that matches every packet ``want`` matches.

    Entries touching only part of the flow decide only that part, so the walk passes
    them; the first one covering all of it decides whatever is left (``None``: none does,
    and only the implicit deny stands behind ``want``'s packets).
    """
    for entry in ordered(entries, egress=want.egress):
        if contains(entry.cidr, want.cidr) and entry.traffic.covers(want.traffic):
            return entry
    return None


def is_return_rule(entry: AclEntry | None, ephemeral: PortRange = EPHEMERAL_PORTS) -> bool:
    """Whether ``entry`` is an allow for replies: TCP/UDP to client (ephemeral) ports only.

    AWS: the client picks its source port from its OS's ephemeral range (ELB, NAT
    gateways and Lambda 1024-65535, Linux 32768-61000, Windows Server 2008+ 49152-65535),
    and a stateless ACL needs an allow for it in the reply's direction. Such an entry
    starts at a client port (1024 or above) and reaches the top of ``ephemeral``, the
    range replies use; one stopping below it (``3000-5000``) is a service range, however
    wide.
    """
    if entry is None or entry.action is not AclAction.ALLOW:
        return False
    ports = entry.traffic.ports
    return (
        entry.traffic.protocol in (TCP, UDP)
        and ports is not None
        and ports.first >= EPHEMERAL_PORTS.first
        and ports.last >= ephemeral.last
    )


def return_traffic(entry: AclEntry, protocol: int, ephemeral: PortRange) -> AclEntry:
    """The reply path of ``entry``'s flow over ``protocol``: the other direction, same CIDR.

    Unnumbered (``0``): the caller places it.
    """
    return AclEntry(
        0, not entry.egress, AclAction.ALLOW, Traffic.of(protocol, ephemeral), entry.cidr
    )


def evaluate_acl(entries: Iterable[AclEntry], *, egress: bool, packet: Packet) -> AclDecision:
    """Decide ``packet`` in one direction: first match by rule number, else implicit deny."""
    for entry in ordered(entries, egress=egress):
        if entry.cidr.version != packet.address.version:
            continue
        if packet.address in entry.cidr and entry.traffic.matches(packet):
            return AclDecision(entry.action, entry)
    return AclDecision(AclAction.DENY, None)


#: Addresses that are never "the internet at large" (RFC 1918, loopback, link-local, …).
NOT_INTERNET = {
    4: tuple(
        ipaddress.ip_network(n)
        for n in (
            "0.0.0.0/8",
            "10.0.0.0/8",
            "100.64.0.0/10",
            "127.0.0.0/8",
            "169.254.0.0/16",
            "172.16.0.0/12",
            "192.168.0.0/16",
            "224.0.0.0/3",
        )
    ),
    6: tuple(ipaddress.ip_network(n) for n in ("::/8", "fc00::/7", "fe80::/10", "ff00::/8")),
}


def exclude_block(space: list[IPNetwork], cut: IPNetwork) -> list[IPNetwork]:
    remaining: list[IPNetwork] = []
    for block in space:
        if block.version != cut.version or not block.overlaps(cut):
            remaining.append(block)
        elif block.subnet_of(cut):  # type: ignore[arg-type]
            continue
        else:
            remaining.extend(block.address_exclude(cut))  # type: ignore[arg-type]
    return remaining


def representative_address(
    within: IPNetwork, avoid: Iterable[IPNetwork], *, public: bool = True
) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The lowest address of ``within`` that no block of ``avoid`` other than ``within``
    itself contains (``None``: none left).

    Used to ask an ACL about "the internet at large" (or "the rest of a block"): a packet
    from such an address meets only the entries whose CIDR covers all of ``within``.
    With ``public``, private and special-purpose ranges are avoided too.
    """
    cuts = [n for n in avoid if n.version == within.version and n != within]
    if public:
        cuts.extend(NOT_INTERNET[within.version])
    # The lowest address left: walk the disjoint cuts upwards from the first address,
    # linear in the cuts (carving ``within`` into blocks grows with every cut).
    lowest, last = int(within.network_address), int(within.broadcast_address)
    collapsed: list[IPNetwork] = list(ipaddress.collapse_addresses(cuts))  # type: ignore[type-var]
    for cut in sorted(collapsed, key=lambda n: int(n.network_address)):
        if int(cut.network_address) > lowest:
            break
        lowest = max(lowest, int(cut.broadcast_address) + 1)
    return within.network_address.__class__(lowest) if lowest <= last else None


def allowed_ports(
    entries: Iterable[AclEntry],
    *,
    egress: bool,
    protocol: int,
    address: ipaddress.IPv4Address | ipaddress.IPv6Address,
) -> list[PortRange]:
    """The values (TCP/UDP ports, ICMP messages, see ``rules.values``) of ``protocol``
    first-match evaluation lets through for one far address.

    Evaluated once per stretch of values between entry boundaries, so it is exact without
    trying all 65536 ports or messages.
    """
    # Only the entries that hold the address can decide; their edges are the only ones.
    listed = [
        e
        for e in ordered(entries, egress=egress)
        if e.cidr.version == address.version and address in e.cidr
    ]
    whole = full_range(protocol)
    bounds = {whole.first, whole.last + 1}
    for entry in listed:
        values = traffic_values(entry.traffic, protocol)
        if values is not None:
            bounds.update((values.first, values.last + 1))
    edges = sorted(b for b in bounds if whole.first <= b <= whole.last + 1)
    allowed: list[PortRange] = []
    for start, end in itertools.pairwise(edges):
        packet = packet_at(protocol, address, start)
        decision = evaluate_acl(listed, egress=egress, packet=packet)
        if not decision.allowed:
            continue
        if allowed and allowed[-1].last == start - 1:
            allowed[-1] = PortRange(allowed[-1].first, end - 1)
        else:
            allowed.append(PortRange(start, end - 1))
    return allowed


def uncovered(wanted: PortRange, allowed: Iterable[PortRange]) -> list[PortRange]:
    """The parts of ``wanted`` that none of ``allowed`` covers."""
    gaps = [wanted]
    for block in allowed:
        next_gaps: list[PortRange] = []
        for gap in gaps:
            if not gap.overlaps(block):
                next_gaps.append(gap)
                continue
            if gap.first < block.first:
                next_gaps.append(PortRange(gap.first, block.first - 1))
            if block.last < gap.last:
                next_gaps.append(PortRange(block.last + 1, gap.last))
        gaps = next_gaps
    return gaps
