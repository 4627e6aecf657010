"""The narrowest rules that still admit every observed flow, and nothing the old rule did not.

Sources collapse to the fewest prefixes (at most ``max_prefixes``) that contain every
observed address, always inside the rule's own block; ports collapse to at most
``max_ranges`` ranges of observed ports, inside the rule's range. A source is only worth
narrowing when the prefixes cover a small part of the block (traffic from everywhere to
an internet-facing port stays ``0.0.0.0/0``).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass, replace

from tierguard.rules import ALL, AclAction, AclEntry, IPNetwork, PortRange, Traffic
from tierguard.rules.ports import merge_ranges
from tierguard.rules.protocols import protocol_has_ports
from tierguard.usage.flows import Address

MAX_PREFIXES = 4
MAX_RANGES = 4
#: Narrow a source only when the prefixes hold at most 1/2**8 of its addresses.
MIN_SOURCE_SHRINK_BITS = 8


def _supernet(a: IPNetwork, b: IPNetwork) -> IPNetwork:
    """The smallest block holding both (same family)."""
    prefix = min(a.prefixlen, b.prefixlen)
    while not (
        b.network_address in a.supernet(new_prefix=prefix)
        and a.network_address in b.supernet(new_prefix=prefix)
    ):
        prefix -= 1
    return a.supernet(new_prefix=prefix)


def collapse_addresses(
    addresses: Iterable[Address], within: IPNetwork, max_prefixes: int = MAX_PREFIXES
) -> tuple[IPNetwork, ...]:
    """At most ``max_prefixes`` blocks inside ``within`` holding every address given.

    Neighbours (in address order) are merged where their common block is smallest, so the
    result is as tight as a greedy merge gets; every block stays inside ``within`` because
    the common block of two of its addresses is.
    """
    hosts = sorted(
        {ipaddress.ip_network(a) for a in addresses if a.version == within.version},
        key=lambda n: int(n.network_address),
    )
    blocks: list[IPNetwork] = list(ipaddress.collapse_addresses(hosts))  # type: ignore[type-var]
    while len(blocks) > max_prefixes:
        best = min(
            range(len(blocks) - 1),
            key=lambda i: _supernet(blocks[i], blocks[i + 1]).num_addresses,
        )
        merged = _supernet(blocks[best], blocks[best + 1])
        rest = [b for b in blocks if not b.subnet_of(merged)]  # type: ignore[arg-type]
        blocks = sorted([*rest, merged], key=lambda n: int(n.network_address))
    return tuple(blocks)


def collapse_ports(
    ports: Iterable[int], within: PortRange, max_ranges: int = MAX_RANGES
) -> tuple[PortRange, ...]:
    """At most ``max_ranges`` ranges inside ``within`` holding every port given; the
    smallest gaps between observed ports are closed first."""
    ranges = list(merge_ranges(PortRange.single(p) for p in ports if p in within))
    while len(ranges) > max_ranges:
        gap = min(range(len(ranges) - 1), key=lambda i: ranges[i + 1].first - ranges[i].last)
        ranges[gap : gap + 2] = [PortRange(ranges[gap].first, ranges[gap + 1].last)]
    return tuple(ranges)


@dataclass(frozen=True)
class Suggestion:
    """Rules to replace one rule with: each traffic selector from each source."""

    traffic: tuple[Traffic, ...]
    sources: tuple[IPNetwork, ...] | None
    """``None``: keep the rule's own peer (a group, a prefix list, or a source not worth
    narrowing)."""

    def to_json(self) -> dict[str, object]:
        return {
            "traffic": [t.key for t in self.traffic],
            "peers": None if self.sources is None else [s.compressed for s in self.sources],
        }


def suggest(
    traffic: Traffic,
    source: IPNetwork | None,
    seen: Iterable[tuple[int, int | None, Address]],
) -> Suggestion | None:
    """The narrower replacement for a rule of ``traffic`` from ``source`` (a CIDR peer, else
    ``None``) given what it admitted — ``(protocol, port, far address)`` — or ``None``
    when the rule is already as narrow as its traffic allows (or it saw nothing)."""
    observed = list(seen)
    if not observed:
        return None
    protocols = sorted({p for p, _, _ in observed})
    narrowed: list[Traffic] = []
    for protocol in protocols:
        if traffic.protocol not in (ALL, protocol):
            continue
        if protocol_has_ports(protocol):
            within = traffic.ports if traffic.ports is not None else PortRange(0, 65535)
            ports = [port for p, port, _ in observed if p == protocol and port is not None]
            narrowed.extend(Traffic.of(protocol, ports=r) for r in collapse_ports(ports, within))
        elif traffic.protocol == ALL:
            narrowed.append(Traffic.of(protocol))
        else:
            narrowed.append(traffic)  # ICMP type is not logged: keep the rule's own match
    sources: tuple[IPNetwork, ...] | None = None
    if source is not None:
        blocks = collapse_addresses((a for _, _, a in observed), source)
        held = sum(b.num_addresses for b in blocks)
        if held * 2**MIN_SOURCE_SHRINK_BITS <= source.num_addresses:
            sources = blocks
    same_traffic = narrowed == [traffic]
    if same_traffic and sources is None:
        return None
    return Suggestion(tuple(narrowed), sources)


def suggest_entry(
    entry: AclEntry,
    seen: Iterable[tuple[int, int | None, Address]],
    *,
    next_number: int,
) -> tuple[AclEntry, ...] | None:
    """Allow entries replacing the allow ``entry`` at its place in the order, given what it
    let through — ``(protocol, destination port, far address)``, the port ``None`` for a
    reply (stateless ACLs see replies: their ports are ephemeral, so a protocol that
    carried replies keeps the entry's range) — or ``None`` when it cannot be narrower.

    Replacements are numbered from the entry's own number up to ``next_number`` (the next
    entry in that direction, exclusive); each holds a subset of the entry's traffic and
    block, so a packet they let through was let through before (same earlier entries;
    the old entry matched it), and a packet only the old entry matched falls on to the
    later entries as it would have with the entry removed. Fewer prefixes and ranges are
    used when the numbers run out.
    """
    if entry.action is not AclAction.ALLOW:
        return None  # a narrower deny lets more through
    observed = list(seen)
    if not observed:
        return None
    replied = {p for p, port, _ in observed if port is None and protocol_has_ports(p)}
    requests = [(p, port, a) for p, port, a in observed if p not in replied]
    slots = next_number - entry.number
    for limit in range(MAX_PREFIXES, 0, -1):
        traffic = _narrowed_traffic(entry.traffic, requests, replied, limit)
        blocks = collapse_addresses((a for _, _, a in observed), entry.cidr, limit)
        held = sum(b.num_addresses for b in blocks)
        if held * 2**MIN_SOURCE_SHRINK_BITS > entry.cidr.num_addresses:
            blocks = (entry.cidr,)
        if len(traffic) * len(blocks) <= slots:
            break
    else:
        return None
    if list(traffic) == [entry.traffic] and blocks == (entry.cidr,):
        return None
    numbers = iter(range(entry.number, next_number))
    return tuple(
        replace(entry, number=next(numbers), traffic=t, cidr=b) for t in traffic for b in blocks
    )


def _narrowed_traffic(
    traffic: Traffic,
    requests: list[tuple[int, int | None, Address]],
    replied: set[int],
    limit: int,
) -> tuple[Traffic, ...]:
    protocols = sorted({p for p, _, _ in requests} | replied)
    found: list[Traffic] = []
    for protocol in protocols:
        if traffic.protocol not in (ALL, protocol):
            continue
        if protocol in replied:
            within = traffic.ports if traffic.protocol == protocol else None
            found.append(Traffic.of(protocol, ports=within))
        elif protocol_has_ports(protocol):
            within = traffic.ports if traffic.ports is not None else PortRange(0, 65535)
            ports = [port for p, port, _ in requests if p == protocol and port is not None]
            found.extend(
                Traffic.of(protocol, ports=r) for r in collapse_ports(ports, within, limit)
            )
        elif traffic.protocol == ALL:
            found.append(Traffic.of(protocol))
        else:
            found.append(traffic)  # ICMP type is not logged: keep the entry's own match
    return tuple(found)
