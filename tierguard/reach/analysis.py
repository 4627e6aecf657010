"""Reachability: which connections a source can open to a tier, and why (or why not).

A connection needs, in order: the target group's ingress allowing it (and, for a tier
source, the source group's egress); the network ACLs it crosses (source subnet egress,
target subnet ingress) — none at all when both ends are in the same subnet, since an ACL
sits only at a subnet's boundary; and, because ACLs are stateless, the same ACLs letting
the replies back where the protocol has replies (TCP/UDP to the client's ephemeral
ports, ICMP queries their reply message; see ``rules.values``). Security groups are
stateful and need no return rule.

A source is a set of address ranges and a tier a set of subnets, so one question is
really many *situations*: each part of the range that rules or ACL entries tell apart,
each subnet a member may be in. Each is evaluated at one address (exact, because nothing
distinguishes addresses inside a part) and the answers are combined; where they differ,
the finding says for which parts or subnets it holds. Values (ports, ICMP messages) are
exact sets computed by interval arithmetic over first-match ACL order; protocols are
those the rules name, TCP, UDP, the family's ICMP, and "every other protocol".
"""

from __future__ import annotations

import ipaddress
import itertools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from tierguard.reach.topology import (
    AclNode,
    Address,
    LabeledRule,
    Placement,
    Source,
    TierNode,
    Topology,
    sources_of,
)
from tierguard.rules import (
    ALL,
    ICMP,
    ICMPV6,
    TCP,
    UDP,
    CidrPeer,
    Direction,
    IPNetwork,
    PortRange,
    PrefixListPeer,
    SecurityGroupPeer,
    evaluate_acl,
)
from tierguard.rules.acl import allowed_ports, uncovered
from tierguard.rules.ports import intersect_ranges, merge_ranges
from tierguard.rules.protocols import is_icmp, protocol_has_ports, protocol_name
from tierguard.rules.values import (
    CODES,
    full_range,
    has_family,
    packet_at,
    reply_message,
    spell_values,
    traffic_values,
)

#: Stands for every protocol the rules on the way do not name (ESP, GRE, …): they are all
#: treated alike by every rule, so one of them answers for all.
OTHER = 256
_BASE = (TCP, UDP, ICMP, ICMPV6)
_MAX_BLOCKS = 4


class Verdict(StrEnum):
    OPEN = "open"
    """Connections open and replies (where the protocol has them) come back."""
    ONE_WAY = "one-way"
    """The request gets in but an ACL drops the replies: connections time out."""
    BLOCKED = "blocked"
    """The security groups allow it, but an ACL drops the request."""


def protocol_label(protocol: int) -> str:
    return "other protocols" if protocol == OTHER else protocol_name(protocol)


@dataclass(frozen=True)
class ReachFinding:
    """What one class of traffic (a protocol and its ports) gets from a source to a tier."""

    protocol: int
    """An IANA number, ``ALL`` for every protocol, or ``OTHER`` for those not listed."""
    ports: tuple[PortRange, ...]
    """Ports (TCP/UDP) or messages (ICMP, see ``rules.values``); empty for the rest."""
    verdict: Verdict
    detail: str = ""
    partial: bool = False
    """Holds only for part of the source range, of the clients' ephemeral ports (their
    replies are dropped) or some subnets (``detail`` says which)."""
    sources: int | None = None
    """How many source addresses it holds for (``None``: the source's addresses are
    unknown), so a caller can tell "part of the internet" from "one admin block"."""

    @property
    def label(self) -> str:
        name = protocol_label(self.protocol)
        values = spell_values(self.protocol, self.ports) if self.ports else ""
        if is_icmp(self.protocol) and values == "all types":
            return name
        return f"{name} {values}" if values else name


@dataclass(frozen=True)
class Reach:
    source: Source
    target: str
    findings: tuple[ReachFinding, ...]

    @property
    def open(self) -> tuple[ReachFinding, ...]:
        return tuple(f for f in self.findings if f.verdict is Verdict.OPEN)

    def summary(self) -> str:
        return ", ".join(f.label for f in self.open) or "—"


@dataclass(frozen=True)
class Matrix:
    sources: tuple[Source, ...]
    targets: tuple[str, ...]
    cells: Mapping[tuple[str, str], Reach]

    def reach(self, source: str, target: str) -> Reach:
        return self.cells[source, target]


# -- situations -------------------------------------------------------------------------


@dataclass(frozen=True)
class _End:
    """One end of a connection in one situation: an address part, a subnet, a group."""

    first: int | None
    """First address of the part (the representative); ``None``: the address is unknown."""
    last: int | None
    version: int
    placement: Placement | None
    acl: AclNode | None
    group: str | None

    @property
    def address(self) -> Address | None:
        if self.first is None:
            return None
        return (
            ipaddress.ip_address(self.first)
            if self.version == 4
            else ipaddress.IPv6Address(self.first)
        )


def _interval(block: IPNetwork, *, subnet: bool) -> tuple[int, int]:
    first, last = int(block.network_address), int(block.broadcast_address)
    if subnet and block.version == 4 and block.num_addresses >= 16:
        # AWS reserves the first four addresses and the last one of every subnet.
        return first + 4, last - 1
    return first, last


def _cuts(networks: Iterable[IPNetwork], version: int) -> list[int]:
    return sorted(
        {
            edge
            for n in networks
            if n.version == version
            for edge in (int(n.network_address), int(n.broadcast_address) + 1)
        }
    )


def _split(first: int, last: int, cuts: Sequence[int]) -> list[tuple[int, int]]:
    """The parts of [first, last] that no cut divides."""
    edges = [first, *(c for c in cuts if first < c <= last), last + 1]
    return [(a, b - 1) for a, b in itertools.pairwise(edges)]


def _peer_networks(rules: Iterable[LabeledRule], topology: Topology) -> Iterator[IPNetwork]:
    for labeled in rules:
        peer = labeled.rule.peer
        if isinstance(peer, CidrPeer):
            yield peer.network
        elif isinstance(peer, PrefixListPeer):
            yield from topology.prefix_lists.get(peer.prefix_list, ())


def _rules(tier: TierNode, direction: Direction) -> list[LabeledRule]:
    return [r for r in tier.rules if r.rule.direction is direction]


def _same_subnet(source: Placement | None, target: Placement | None) -> bool:
    """Both ends in one known subnet: no network ACL between them."""
    return (
        source is not None
        and target is not None
        and source.subnet is not None
        and source.subnet == target.subnet
    )


@dataclass(frozen=True)
class _Situation:
    source: _End
    target: _End

    @property
    def same_subnet(self) -> bool:
        return _same_subnet(self.source.placement, self.target.placement)

    @property
    def source_acl(self) -> AclNode | None:
        return None if self.same_subnet else self.source.acl

    @property
    def target_acl(self) -> AclNode | None:
        return None if self.same_subnet else self.target.acl


def _source_ends(topology: Topology, source: Source) -> list[tuple[_End, tuple[int, int] | None]]:
    """Each place the source may be, with its whole address interval (to split later)."""
    if source.tier is None:
        return [
            (
                _End(None, None, block.version, None, None, None),
                (int(block.network_address), int(block.broadcast_address)),
            )
            for block in source.blocks
        ]
    return _tier_ends(topology, topology.tiers[source.tier])


def _tier_ends(topology: Topology, tier: TierNode) -> list[tuple[_End, tuple[int, int] | None]]:
    ends: list[tuple[_End, tuple[int, int] | None]] = []
    for placement in tier.placements:
        block = placement.block
        version = block.version if block is not None else 4
        interval = (
            _interval(block, subnet=placement.subnet is not None) if block is not None else None
        )
        ends.append(
            (
                _End(None, None, version, placement, topology.acl_at(placement), tier.group),
                interval,
            )
        )
    return ends


def _parts(end: _End, interval: tuple[int, int] | None, cuts: list[int]) -> list[_End]:
    if interval is None:
        return [end]
    return [
        _End(a, b, end.version, end.placement, end.acl, end.group)
        for a, b in _split(interval[0], interval[1], cuts)
    ]


def _situations(topology: Topology, source: Source, target: TierNode) -> list[_Situation]:
    """Every (source part, target part) pair that the rules and ACL entries tell apart."""
    ingress = _rules(target, Direction.INGRESS)
    egress = _rules(topology.tiers[source.tier], Direction.EGRESS) if source.tier else []
    found: list[_Situation] = []
    for src, src_interval in _source_ends(topology, source):
        for tgt, tgt_interval in _tier_ends(topology, target):
            same = _Situation(src, tgt).same_subnet
            on_source = list(_peer_networks(ingress, topology))
            on_target = list(_peer_networks(egress, topology))
            if not same:
                if tgt.acl is not None:
                    on_source.extend(e.cidr for e in tgt.acl.entries)
                if src.acl is not None:
                    on_target.extend(e.cidr for e in src.acl.entries)
            sources = _parts(src, src_interval, _cuts(on_source, src.version))
            targets = (
                _parts(tgt, tgt_interval, _cuts(on_target, tgt.version))
                if source.tier is not None
                else [tgt]
            )
            found.extend(_Situation(s, t) for s in sources for t in targets)
    return found


# -- one situation ----------------------------------------------------------------------


def _peer_has(peer: object, end: _End, topology: Topology) -> bool:
    """Whether a rule's peer covers the far end (its representative address or group)."""
    if isinstance(peer, SecurityGroupPeer):
        return end.group is not None and peer.group == end.group
    address = end.address
    if address is None:
        return False
    if isinstance(peer, CidrPeer):
        return address.version == peer.network.version and address in peer.network
    if isinstance(peer, PrefixListPeer):
        return any(
            address.version == n.version and address in n
            for n in topology.prefix_lists.get(peer.prefix_list, ())
        )
    return False


def _sg_values(rules: Iterable[LabeledRule], protocol: int) -> tuple[PortRange, ...]:
    return merge_ranges(
        v for r in rules if (v := traffic_values(r.rule.traffic, protocol)) is not None
    )


def _acl_values(
    acl: AclNode | None, *, egress: bool, protocol: int, far: Address | None
) -> tuple[PortRange, ...]:
    """Values an ACL lets through towards/from ``far``; no ACL (or no known far address,
    noted by the caller) leaves everything open."""
    if acl is None or far is None:
        return (full_range(protocol),)
    return merge_ranges(allowed_ports(acl.entries, egress=egress, protocol=protocol, address=far))


def _who_decides(acl: AclNode, *, egress: bool, protocol: int, far: Address, value: int) -> str:
    decision = evaluate_acl(acl.entries, egress=egress, packet=packet_at(protocol, far, value))
    way = "egress" if egress else "ingress"
    if decision.entry is None:
        return f"network ACL {acl.name} {way}: no rule matches, the implicit deny (*) drops it"
    entry = decision.entry
    return (
        f"network ACL {acl.name} {way} rule #{entry.number} "
        f"({entry.action.value} {entry.traffic} {entry.cidr.compressed}) "
        f"{'allows' if decision.allowed else 'drops'} it"
    )


@dataclass(frozen=True)
class _Piece:
    values: PortRange
    verdict: Verdict
    detail: str
    part: bool = False
    """Holds only for some client ports: a value can then have two pieces, one per verdict."""


class _Evaluation:
    """One situation: the two ends, the ACLs crossed, the rules admitting the far ends."""

    def __init__(self, topology: Topology, source: Source, target: TierNode, at: _Situation):
        self.topology = topology
        self.at = at
        placement = at.target.placement
        self.no_ipv6 = at.source.version == 6 and placement is not None and placement.ipv6 is False
        """IPv6 towards members known to have no IPv6 address: nothing arrives (AWS)."""
        self.ingress = [
            r
            for r in _rules(target, Direction.INGRESS)
            if _peer_has(r.rule.peer, at.source, topology)
        ]
        self.egress = (
            [
                r
                for r in _rules(topology.tiers[source.tier], Direction.EGRESS)
                if _peer_has(r.rule.peer, at.target, topology)
            ]
            if source.tier is not None
            else None
        )

    def sg(self, protocol: int) -> tuple[PortRange, ...]:
        allowed = _sg_values(self.ingress, protocol)
        if self.egress is not None:
            allowed = intersect_ranges(allowed, _sg_values(self.egress, protocol))
        return allowed

    def _through(self, protocol: int, *, reply: bool) -> tuple[PortRange, ...]:
        src, tgt = self.at.source.address, self.at.target.address
        into = _acl_values(self.at.target_acl, egress=reply, protocol=protocol, far=src)
        out = _acl_values(self.at.source_acl, egress=not reply, protocol=protocol, far=tgt)
        return intersect_ranges(into, out)

    def _why(self, protocol: int, value: int, *, reply: bool) -> str:
        """Which ACL entry drops the request (or the reply) carrying ``value``."""
        src, tgt = self.at.source.address, self.at.target.address
        checks = (
            ((self.at.target_acl, True, src), (self.at.source_acl, False, tgt))
            if reply
            else ((self.at.source_acl, True, tgt), (self.at.target_acl, False, src))
        )
        for acl, egress, far in checks:
            if acl is None or far is None:
                continue
            packet = packet_at(protocol, far, value)
            if not evaluate_acl(acl.entries, egress=egress, packet=packet).allowed:
                return _who_decides(acl, egress=egress, protocol=protocol, far=far, value=value)
        return ""

    def client_parts(self, protocol: int, value: int) -> list[tuple[PortRange, ...]]:
        """The client ports whose replies come back and those whose replies are dropped,
        when a request carrying ``value`` gets in and only some replies come back (the
        explanation then has a case for each); else the whole ephemeral range."""
        ephemeral = self.topology.ephemeral
        if not protocol_has_ports(protocol):
            return [(ephemeral,)]
        passing = intersect_ranges(self.sg(protocol), self._through(protocol, reply=False))
        if not any(value in r for r in passing):
            return [(ephemeral,)]
        replies = intersect_ranges(self._through(protocol, reply=True), (ephemeral,))
        missing = tuple(uncovered(ephemeral, replies))
        return [replies, missing] if replies and missing else [(ephemeral,)]

    def pieces(self, probe: int) -> list[_Piece]:
        """The verdict for every value of protocol ``probe`` the groups allow."""
        allowed = self.sg(probe) if not self.no_ipv6 else ()
        if not allowed:
            return []
        passing = intersect_ranges(allowed, self._through(probe, reply=False))
        found = [
            _Piece(gap, Verdict.BLOCKED, self._why(probe, gap.first, reply=False))
            for block in allowed
            for gap in uncovered(block, passing)
        ]
        for block in passing:
            found.extend(self._answered(probe, block))
        return found

    def _answered(self, protocol: int, block: PortRange) -> Iterator[_Piece]:
        """Requests that get in: are their replies (if the protocol has any) let back?"""
        if protocol_has_ports(protocol):
            ephemeral = self.topology.ephemeral
            replies = intersect_ranges(self._through(protocol, reply=True), (ephemeral,))
            missing = uncovered(ephemeral, replies)
            if not replies:
                why = self._why(protocol, ephemeral.first, reply=True)
                detail = f"replies to client ports {ephemeral.key} are dropped: {why}"
                yield _Piece(block, Verdict.ONE_WAY, detail)
            elif missing:
                # Each client's replies go to the one port it picked: some clients connect,
                # the others time out — two answers for the same request.
                why = self._why(protocol, missing[0].first, reply=True)
                lost = spell_values(protocol, tuple(missing))
                yield _Piece(block, Verdict.OPEN, _clients_words(protocol, replies), part=True)
                yield _Piece(
                    block,
                    Verdict.ONE_WAY,
                    f"{_clients_words(protocol, tuple(missing))}: replies to client ports "
                    f"{lost} are dropped: {why}",
                    part=True,
                )
            else:
                yield _Piece(block, Verdict.OPEN, "")
            return
        if not is_icmp(protocol):
            yield _Piece(block, Verdict.OPEN, "")
            return
        through = self._through(protocol, reply=True)
        for kind in range(block.first // CODES, block.last // CODES + 1):
            part = PortRange(max(block.first, kind * CODES), min(block.last, kind * CODES + 255))
            reply = reply_message(protocol, part.first)
            if reply is None or any(reply in r for r in through):
                yield _Piece(part, Verdict.OPEN, "")
            else:
                why = self._why(protocol, reply, reply=True)
                detail = f"the reply (type {reply // CODES}) is dropped: {why}"
                yield _Piece(part, Verdict.ONE_WAY, detail)


# -- combining situations ---------------------------------------------------------------


def _protocols(
    topology: Topology, source: Source, target: TierNode, version: int, only: Iterable[int] | None
) -> list[tuple[int, int]]:
    """(reported protocol, protocol evaluated) pairs for one pair of ends."""
    if only is not None:
        return [(p, p) for p in only if has_family(p, version)]
    named: set[int] = set()
    rules = list(target.rules)
    placements = list(target.placements)
    if source.tier is not None:
        rules.extend(topology.tiers[source.tier].rules)
        placements.extend(topology.tiers[source.tier].placements)
    named.update(r.rule.traffic.protocol for r in rules)
    for placement in placements:
        acl = topology.acl_at(placement)
        if acl is not None:
            named.update(e.traffic.protocol for e in acl.entries)
    named.discard(ALL)
    listed = [p for p in (*_BASE, *sorted(named - set(_BASE))) if has_family(p, version)]
    stand_in = next(p for p in range(256) if p not in named and p not in _BASE)
    return [(p, p) for p in listed] + [(OTHER, stand_in)]


def _span(parts: Iterable[tuple[int, int]], version: int) -> list[IPNetwork]:
    merged: list[list[int]] = []
    for a, b in sorted(parts):
        if merged and a <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    make = ipaddress.IPv4Address if version == 4 else ipaddress.IPv6Address
    return [n for a, b in merged for n in ipaddress.summarize_address_range(make(a), make(b))]


def _blocks_text(blocks: list[IPNetwork]) -> str:
    shown = ", ".join(b.compressed for b in blocks[:_MAX_BLOCKS])
    more = len(blocks) - _MAX_BLOCKS
    return shown + (f" and {more} more block{'s' if more > 1 else ''}" if more > 0 else "")


def _address_words(mine: list[_Situation], here: list[_Situation]) -> list[str]:
    """Which parts of the source range (and of the members' addresses) ``mine`` covers."""
    words: list[str] = []
    for side, label in (("source", "from"), ("target", "to members at")):
        ends = {getattr(s, side) for s in mine}
        whole = {getattr(s, side) for s in here}
        if len(ends) == len(whole) or any(e.first is None or e.last is None for e in whole):
            continue
        version = next(iter(ends)).version
        picked = _span(((e.first, e.last) for e in ends), version)
        rest = _span(((e.first, e.last) for e in whole - ends), version)
        if len(rest) < len(picked):
            words.append(f"except {label} {_blocks_text(rest)}")
        else:
            words.append(f"only {label} {_blocks_text(picked)}")
    return words


def _where(
    chosen: list[_Situation], every: list[_Situation], source: Source, target: TierNode
) -> str:
    """For which parts of the source, which members and which subnets a finding holds."""

    def pair(s: _Situation) -> tuple[Placement | None, Placement | None]:
        return s.source.placement, s.target.placement

    pairs = list(dict.fromkeys(pair(s) for s in every))
    words = {
        p: _address_words([s for s in chosen if pair(s) == p], [s for s in every if pair(s) == p])
        for p in pairs
        if any(pair(s) == p for s in chosen)
    }
    if len(words) == len(pairs) and len({tuple(w) for w in words.values()}) == 1:
        return ", ".join(next(iter(words.values())))
    if all(not w for w in words.values()) and source.tier is not None:
        same = {p for p in pairs if _same_subnet(*p)}
        if set(words) == same:
            return "only when both members are in the same subnet"
        if set(words) == set(pairs) - same:
            return "only when the members are in different subnets"
    clauses = []
    for (src, tgt), said in words.items():
        where = [f"tier {source.tier} is in {src.label}"] if src is not None else []
        if tgt is not None:
            where.append(f"tier {target.name} is in {tgt.label}")
        clauses.append(" ".join([" and ".join(where), *said]))
    return "only when " + ", or ".join(clauses)


def _combine(
    protocol: int,
    results: list[list[_Piece]],
    situations: list[_Situation],
    source: Source,
    target: TierNode,
) -> list[ReachFinding]:
    """One protocol's pieces over every situation, as findings that say where they hold."""
    edges = sorted(
        {e for pieces in results for p in pieces for e in (p.values.first, p.values.last + 1)}
    )
    segments: list[tuple[PortRange, tuple[tuple[tuple[Verdict, str, bool], ...], ...]]] = []
    for a, b in itertools.pairwise(edges):
        key = tuple(
            tuple((p.verdict, p.detail, p.part) for p in pieces if a in p.values)
            for pieces in results
        )
        if not any(key):
            continue
        if segments and segments[-1][1] == key and segments[-1][0].last == a - 1:
            segments[-1] = (PortRange(segments[-1][0].first, b - 1), key)
        else:
            segments.append((PortRange(a, b - 1), key))
    findings: list[ReachFinding] = []
    for values, key in segments:
        for verdict in Verdict:
            mine = [(i, e) for i, k in enumerate(key) for e in k if e[0] is verdict]
            if not mine:
                continue
            chosen = [situations[i] for i, _ in mine]
            _, detail, part = mine[0][1]
            where = (
                "" if len(chosen) == len(situations) else _where(chosen, situations, source, target)
            )
            text = "; ".join(filter(None, [where, detail]))
            findings.append(
                ReachFinding(
                    protocol, (values,), verdict, text, bool(where) or part, _source_count(chosen)
                )
            )
    merged: dict[tuple[Verdict, str, bool, int | None], list[PortRange]] = {}
    for f in findings:
        merged.setdefault((f.verdict, f.detail, f.partial, f.sources), []).extend(f.ports)
    shown = protocol_has_ports(protocol) or is_icmp(protocol)
    return [
        ReachFinding(
            protocol, merge_ranges(ports) if shown else (), verdict, detail, partial, sources
        )
        for (verdict, detail, partial, sources), ports in merged.items()
    ]


def _clients_words(protocol: int, ports: tuple[PortRange, ...]) -> str:
    return f"only from client ports {spell_values(protocol, ports)}"


def _source_count(chosen: list[_Situation]) -> int | None:
    """The number of distinct source addresses among the situations."""
    parts = {(s.source.first, s.source.last) for s in chosen}
    if any(first is None or last is None for first, last in parts):
        return None
    return sum(last - first + 1 for first, last in parts if first is not None and last is not None)


def _notes(situations: list[_Situation], source: Source, target: TierNode) -> list[str]:
    notes: list[str] = []
    for at in situations:
        if at.target_acl is not None and at.source.address is None and source.tier is not None:
            notes.append(f"{source} has no known address: ACL {at.target_acl.name} not evaluated")
        if at.source_acl is not None and at.target.address is None:
            notes.append(
                f"tier {target.name} has no known address: ACL {at.source_acl.name} not evaluated"
            )
    return list(dict.fromkeys(notes))


def reach(
    topology: Topology, source: Source, target: TierNode, protocols: Iterable[int] | None = None
) -> Reach:
    """Every protocol/value set ``source`` can (or could, but for an ACL) open to ``target``.

    ``protocols`` restricts the answer to those protocols (each reported on its own).
    """
    situations = _situations(topology, source, target)
    if not situations:
        return Reach(source, target.name, ())
    evaluations = [_Evaluation(topology, source, target, at) for at in situations]
    versions = sorted({at.source.version for at in situations})
    classes = list(
        dict.fromkeys(
            pair
            for version in versions
            for pair in _protocols(topology, source, target, version, protocols)
        )
    )
    findings: list[ReachFinding] = []
    for protocol, probe in classes:
        results = [
            e.pieces(probe) if has_family(probe, e.at.source.version) else [] for e in evaluations
        ]
        findings.extend(_combine(protocol, results, situations, source, target))
    note = "; ".join(_notes(situations, source, target))
    if note:
        findings = [
            ReachFinding(
                f.protocol,
                f.ports,
                f.verdict,
                "; ".join(filter(None, [f.detail, note])),
                f.partial,
                f.sources,
            )
            if f.verdict is Verdict.OPEN
            else f
            for f in findings
        ]
    if protocols is None:
        findings = _everything(findings, [p for p, _ in classes])
    return Reach(source, target.name, tuple(findings))


def _everything(findings: list[ReachFinding], classes: list[int]) -> list[ReachFinding]:
    """Every protocol wholly open, everywhere, the same way: one ``all`` finding."""
    if len(findings) != len(classes) or {f.protocol for f in findings} != set(classes):
        return findings
    first = findings[0]
    if all(
        f.verdict is Verdict.OPEN
        and f.detail == first.detail
        and not f.partial
        and (not f.ports or f.ports == (full_range(f.protocol),))
        for f in findings
    ):
        return [ReachFinding(ALL, (), Verdict.OPEN, first.detail, sources=first.sources)]
    return findings


def analyze(
    topology: Topology,
    sources: Iterable[Source] | None = None,
    protocols: Iterable[int] | None = None,
) -> Matrix:
    """The whole matrix: every source against every tier."""
    chosen = tuple(sources if sources is not None else sources_of(topology))
    wanted = tuple(protocols) if protocols is not None else None
    cells = {
        (source.name, name): reach(topology, source, tier, wanted)
        for source in chosen
        for name, tier in topology.tiers.items()
    }
    return Matrix(chosen, tuple(topology.tiers), cells)


# -- one question, explained ------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One check on the way, in the spirit of Reachability Analyzer's explanations."""

    layer: str
    passed: bool
    detail: str


@dataclass(frozen=True)
class Case:
    """The walk of one connection for some parts of the source / some subnets."""

    where: str
    reachable: bool
    steps: tuple[Step, ...]


@dataclass(frozen=True)
class Explanation:
    source: Source
    target: str
    protocol: int
    value: int
    cases: tuple[Case, ...]

    @property
    def reachable(self) -> bool:
        """Reachable from every part of the source, whatever subnet members are in."""
        return bool(self.cases) and all(c.reachable for c in self.cases)

    @property
    def partly(self) -> bool:
        return any(c.reachable for c in self.cases) and not self.reachable

    @property
    def steps(self) -> tuple[Step, ...]:
        """The checks of the first case (all of them, when there is one)."""
        return self.cases[0].steps if self.cases else ()

    @property
    def what(self) -> str:
        name = protocol_name(self.protocol)
        if protocol_has_ports(self.protocol):
            return f"{name} {self.value}"
        if is_icmp(self.protocol):
            kind, code = divmod(self.value, CODES)
            return f"{name} type {kind}" + (f" code {code}" if code else "")
        return name

    @property
    def question(self) -> str:
        return f"{self.source} → tier {self.target} on {self.what}"


def _rule_text(rules: Iterable[LabeledRule]) -> str:
    return "; ".join(f"{r.name} (“{r.rule.description or 'no description'}”)" for r in rules)


def _walk(
    evaluation: _Evaluation,
    source: Source,
    target: TierNode,
    protocol: int,
    value: int,
    what: str,
    clients: tuple[PortRange, ...],
) -> tuple[Step, ...]:
    """The checks of one situation, TCP/UDP replies judged for the ``clients`` ports."""
    at = evaluation.at
    steps: list[Step] = []
    if evaluation.no_ipv6:
        steps.append(
            Step(
                f"addresses of tier {target.name}",
                False,
                "its subnet has no IPv6 CIDR block: its members have no IPv6 address, so no "
                "IPv6 traffic reaches them",
            )
        )
    src_address, tgt_address = at.source.address, at.target.address
    probe_from = packet_at(protocol, src_address or ipaddress.IPv4Address(0), value)
    ingress = [r for r in evaluation.ingress if r.rule.traffic.matches(probe_from)]
    steps.append(
        Step(
            f"security group of tier {target.name}, ingress",
            bool(ingress),
            f"allowed by {_rule_text(ingress)}"
            if ingress
            else f"no ingress rule allows {what} from {source}",
        )
    )
    if evaluation.egress is not None:
        egress = [r for r in evaluation.egress if r.rule.traffic.matches(probe_from)]
        steps.append(
            Step(
                f"security group of tier {source.tier}, egress",
                bool(egress),
                f"allowed by {_rule_text(egress)}"
                if egress
                else f"no egress rule allows {what} to tier {target.name}",
            )
        )
    if at.same_subnet:
        assert at.source.placement is not None
        steps.append(
            Step(
                "network ACLs",
                True,
                f"both ends are in {at.source.placement.label}: traffic inside one subnet "
                "crosses no network ACL",
            )
        )
        return tuple(steps)
    reply: int | None = None
    if is_icmp(protocol):
        reply = reply_message(protocol, value)
    for acl, egress_way, far, is_reply in (
        (at.source_acl, True, tgt_address, False),
        (at.target_acl, False, src_address, False),
        (at.target_acl, True, src_address, True),
        (at.source_acl, False, tgt_address, True),
    ):
        if acl is None:
            continue
        label = f"network ACL {acl.name}, {'egress' if egress_way else 'ingress'}" + (
            " (replies)" if is_reply else ""
        )
        if far is None:
            steps.append(Step(label, True, "not evaluated: the far address is unknown"))
            continue
        if is_reply and protocol_has_ports(protocol):
            ports = _acl_values(acl, egress=egress_way, protocol=protocol, far=far)
            missing = [gap for block in clients for gap in uncovered(block, ports)]
            if not missing:
                spelled = spell_values(protocol, clients)
                steps.append(Step(label, True, f"replies to client ports {spelled} pass"))
            else:
                why = _who_decides(
                    acl, egress=egress_way, protocol=protocol, far=far, value=missing[0].first
                )
                steps.append(
                    Step(
                        label,
                        False,
                        f"replies to client ports {spell_values(protocol, tuple(missing))} "
                        f"are dropped: {why}",
                    )
                )
            continue
        if is_reply and reply is None:
            continue  # the message has no reply, and other protocols are judged one way
        carried = reply if is_reply and reply is not None else value
        decision = evaluate_acl(
            acl.entries, egress=egress_way, packet=packet_at(protocol, far, carried)
        )
        steps.append(
            Step(
                label,
                decision.allowed,
                _who_decides(acl, egress=egress_way, protocol=protocol, far=far, value=carried),
            )
        )
    return tuple(steps)


def explain(
    topology: Topology, source: Source, target: TierNode, protocol: int, value: int | None
) -> Explanation:
    """Walk one connection through every check and say which rule decides each.

    ``value`` is the port (TCP/UDP) or the ICMP message ``type * 256 + code``; other
    protocols have none. A source range or a tier in several subnets may get several
    cases; each says where it holds.
    """
    carried = value if value is not None else 0
    explanation = Explanation(source, target.name, protocol, carried, ())
    situations = [
        at
        for at in _situations(topology, source, target)
        if has_family(protocol, at.source.version)
    ]
    walks: dict[tuple[str, tuple[Step, ...]], list[_Situation]] = {}
    for at in situations:
        evaluation = _Evaluation(topology, source, target, at)
        parts = evaluation.client_parts(protocol, carried)
        for clients in parts:
            steps = _walk(evaluation, source, target, protocol, carried, explanation.what, clients)
            words = _clients_words(protocol, clients) if len(parts) > 1 else ""
            walks.setdefault((words, steps), []).append(at)
    cases = tuple(
        Case(
            "; ".join(
                filter(
                    None,
                    [
                        ""
                        if len(chosen) == len(situations)
                        else _where(chosen, situations, source, target),
                        words,
                    ],
                )
            ),
            all(s.passed for s in steps),
            steps,
        )
        for (words, steps), chosen in walks.items()
    )
    return Explanation(source, target.name, protocol, carried, cases)
