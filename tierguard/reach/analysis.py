"""Reachability: which connections a source can open to a tier, and why (or why not).

A connection needs, in order: the target group's ingress allowing it (and, for a tier
source, the source group's egress); the network ACLs on the way in (source subnet
egress, target subnet ingress); and, because ACLs are stateless, the same ACLs letting
the replies back on the client's ephemeral ports. Security groups are stateful and need
no return rule. Ports are computed as exact sets (interval arithmetic over the ACL's
first-match order), so no port is guessed.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from tierguard.reach.topology import (
    AclNode,
    Address,
    LabeledRule,
    Source,
    TierNode,
    Topology,
    sources_of,
)
from tierguard.rules import (
    ALL,
    ALL_PORTS,
    ICMP,
    ICMPV6,
    TCP,
    UDP,
    CidrPeer,
    Direction,
    Packet,
    Peer,
    PortRange,
    PrefixListPeer,
    SecurityGroupPeer,
    evaluate_acl,
)
from tierguard.rules.acl import allowed_ports, uncovered
from tierguard.rules.ports import intersect_ranges, merge_ranges, spell_ranges
from tierguard.rules.protocols import protocol_has_ports, protocol_name

#: Protocols the matrix reports: TCP and UDP by port, ICMP by echo request.
REPORTED = (TCP, UDP, ICMP, ICMPV6)
_ECHO = {ICMP: (8, 0), ICMPV6: (128, 129)}
_ECHO_REPLY = {ICMP: 0, ICMPV6: 129}
_NOWHERE = ipaddress.IPv4Address(0)

Allowance = dict[int, tuple[PortRange, ...]]


class Verdict(StrEnum):
    OPEN = "open"
    """Connections open and replies come back."""
    ONE_WAY = "one-way"
    """The request gets in but an ACL drops the replies: connections time out."""
    BLOCKED = "blocked"
    """The security groups allow it, but an ACL drops the request."""


@dataclass(frozen=True)
class Finding:
    protocol: int
    ports: tuple[PortRange, ...]
    verdict: Verdict
    detail: str = ""

    @property
    def label(self) -> str:
        name = protocol_name(self.protocol)
        return f"{name} {spell_ranges(self.ports)}" if self.ports else name


@dataclass(frozen=True)
class Reach:
    source: Source
    target: str
    findings: tuple[Finding, ...]

    @property
    def open(self) -> tuple[Finding, ...]:
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


# -- security groups --------------------------------------------------------------------


def _peer_has(peer: Peer, address: Address | None, group: str | None, topology: Topology) -> bool:
    """Whether the far end (an address and/or a group) is covered by a rule's peer."""
    if isinstance(peer, CidrPeer):
        return (
            address is not None
            and address.version == peer.network.version
            and address in peer.network
        )
    if isinstance(peer, SecurityGroupPeer):
        return group is not None and group == peer.group
    if isinstance(peer, PrefixListPeer):
        entries = topology.prefix_lists.get(peer.prefix_list, ())
        return address is not None and any(
            address.version == n.version and address in n for n in entries
        )
    return False


def _allowance(rules: Iterable[LabeledRule]) -> Allowance:
    collected: dict[int, list[PortRange]] = {}
    for labeled in rules:
        traffic = labeled.rule.traffic
        protocols = (*REPORTED, ALL) if traffic.is_all else (traffic.protocol,)
        for protocol in protocols:
            collected.setdefault(protocol, []).append(traffic.ports or ALL_PORTS)
    return {p: merge_ranges(r) for p, r in collected.items()}


def _ports_for(allowance: Allowance, protocol: int) -> tuple[PortRange, ...]:
    return allowance.get(protocol, ())


def _source_group(source: Source, topology: Topology) -> str | None:
    return topology.tiers[source.tier].group if source.tier else None


def _sg_rules_for(
    source: Source, target: TierNode, topology: Topology
) -> tuple[list[LabeledRule], list[LabeledRule] | None]:
    """The target's ingress rules admitting the source, and (tier sources) the source's
    egress rules reaching the target; ``None`` when the source has no group."""
    group = _source_group(source, topology)
    index = topology.index
    ingress = index[target.name, Direction.INGRESS].matching(
        source.address, group, topology.prefix_lists
    )
    if source.tier is None:
        return ingress, None
    egress = index[source.tier, Direction.EGRESS].matching(
        target.address, target.group, topology.prefix_lists
    )
    return ingress, egress


# -- network ACLs -----------------------------------------------------------------------


def _acl_ports(
    acl: AclNode | None, *, egress: bool, protocol: int, far: Address | None
) -> tuple[PortRange, ...]:
    """Ports an ACL lets through towards/from ``far``; no ACL (default) or an unknown
    address leaves everything open (the unknown case is noted by the caller)."""
    if acl is None or far is None:
        return (ALL_PORTS,)
    return merge_ranges(allowed_ports(acl.entries, egress=egress, protocol=protocol, address=far))


def _acl_packet_allowed(acl: AclNode | None, *, egress: bool, packet: Packet | None) -> bool:
    if acl is None or packet is None:
        return True
    return evaluate_acl(acl.entries, egress=egress, packet=packet).allowed


def _who_decides(acl: AclNode, *, egress: bool, packet: Packet) -> str:
    decision = evaluate_acl(acl.entries, egress=egress, packet=packet)
    way = "egress" if egress else "ingress"
    if decision.entry is None:
        return f"network ACL {acl.name} {way}: no rule matches, the implicit deny (*) drops it"
    entry = decision.entry
    return (
        f"network ACL {acl.name} {way} rule #{entry.number} "
        f"({entry.action.value} {entry.traffic} {entry.cidr.compressed}) "
        f"{'allows' if decision.allowed else 'drops'} it"
    )


def _packet(
    protocol: int, address: Address | None, *, port: int | None = None, reply: bool = False
) -> Packet | None:
    if address is None:
        return None
    if protocol in _ECHO:
        icmp_type = _ECHO_REPLY[protocol] if reply else _ECHO[protocol][0]
        return Packet(protocol, address, icmp_type=icmp_type, icmp_code=0)
    return Packet(protocol, address, port=port if protocol_has_ports(protocol) else None)


class _Path:
    """One source → target pair with the ACLs and addresses on the way."""

    def __init__(self, topology: Topology, source: Source, target: TierNode) -> None:
        self.topology = topology
        self.source = source
        self.target = target
        self.target_acl = topology.acl_of(target)
        self.source_acl = topology.acl_of(topology.tiers[source.tier]) if source.tier else None
        self.notes: list[str] = []
        if self.target_acl is not None and source.address is None:
            self.notes.append(
                f"{source} has no known address: ACL {self.target_acl.name} not evaluated"
            )
        if self.source_acl is not None and target.address is None:
            self.notes.append(
                f"tier {target.name} has no known address: ACL {self.source_acl.name} not evaluated"
            )

    def forward(self, protocol: int) -> tuple[PortRange, ...]:
        """Request ports both ACLs let through (TCP/UDP)."""
        into = _acl_ports(self.target_acl, egress=False, protocol=protocol, far=self.source.address)
        out_of = _acl_ports(
            self.source_acl, egress=True, protocol=protocol, far=self.target.address
        )
        return intersect_ranges(into, out_of)

    def replies(self, protocol: int) -> tuple[PortRange, ...]:
        """Client ports the replies may use through both ACLs (stateless return path)."""
        back_out = _acl_ports(
            self.target_acl, egress=True, protocol=protocol, far=self.source.address
        )
        back_in = _acl_ports(
            self.source_acl, egress=False, protocol=protocol, far=self.target.address
        )
        return intersect_ranges(intersect_ranges(back_out, back_in), (self.topology.ephemeral,))

    def why_blocked(self, protocol: int, port: int | None) -> str:
        """Which ACL entry drops a request on ``port``."""
        into = _packet(protocol, self.source.address, port=port)
        if (
            self.target_acl is not None
            and into is not None
            and not _acl_packet_allowed(self.target_acl, egress=False, packet=into)
        ):
            return _who_decides(self.target_acl, egress=False, packet=into)
        out = _packet(protocol, self.target.address, port=port)
        assert self.source_acl is not None
        assert out is not None
        return _who_decides(self.source_acl, egress=True, packet=out)

    def why_no_reply(self, protocol: int, port: int | None) -> str:
        """Which ACL entry drops a reply to client ``port``."""
        back = _packet(protocol, self.source.address, port=port, reply=True)
        if (
            self.target_acl is not None
            and back is not None
            and not _acl_packet_allowed(self.target_acl, egress=True, packet=back)
        ):
            return _who_decides(self.target_acl, egress=True, packet=back)
        into = _packet(protocol, self.target.address, port=port, reply=True)
        assert self.source_acl is not None
        assert into is not None
        return _who_decides(self.source_acl, egress=False, packet=into)

    def icmp(self, protocol: int) -> tuple[bool, bool]:
        """(request passes both ACLs, reply passes both ACLs) for an echo request."""
        request = _acl_packet_allowed(
            self.target_acl, egress=False, packet=_packet(protocol, self.source.address)
        ) and _acl_packet_allowed(
            self.source_acl, egress=True, packet=_packet(protocol, self.target.address)
        )
        reply = _acl_packet_allowed(
            self.target_acl, egress=True, packet=_packet(protocol, self.source.address, reply=True)
        ) and _acl_packet_allowed(
            self.source_acl, egress=False, packet=_packet(protocol, self.target.address, reply=True)
        )
        return request, reply


def reach(topology: Topology, source: Source, target: TierNode) -> Reach:
    """Every protocol/port set ``source`` can (or could, but for an ACL) open to ``target``."""
    ingress, egress = _sg_rules_for(source, target, topology)
    allowed = _allowance(ingress)
    if egress is not None:
        outbound = _allowance(egress)
        allowed = {
            p: intersect_ranges(_ports_for(allowed, p), _ports_for(outbound, p))
            for p in set(allowed) | set(outbound)
        }
    path = _Path(topology, source, target)
    findings: list[Finding] = []
    note = "; ".join(path.notes)
    for protocol in REPORTED:
        sg_ports = _ports_for(allowed, protocol)
        if not sg_ports:
            continue
        if protocol in _ECHO:
            request, reply = path.icmp(protocol)
            if not request:
                findings.append(
                    Finding(protocol, (), Verdict.BLOCKED, path.why_blocked(protocol, None))
                )
            elif not reply:
                findings.append(
                    Finding(protocol, (), Verdict.ONE_WAY, path.why_no_reply(protocol, None))
                )
            else:
                findings.append(Finding(protocol, (), Verdict.OPEN, note))
            continue
        passing = intersect_ranges(sg_ports, path.forward(protocol))
        for gap in (g for block in sg_ports for g in uncovered(block, passing)):
            findings.append(
                Finding(protocol, (gap,), Verdict.BLOCKED, path.why_blocked(protocol, gap.first))
            )
        if not passing:
            continue
        replies = path.replies(protocol)
        missing = list(uncovered(topology.ephemeral, replies))
        if not replies:
            why = path.why_no_reply(protocol, topology.ephemeral.first)
            detail = f"replies to client ports {topology.ephemeral.key} are dropped: {why}"
            findings.append(Finding(protocol, passing, Verdict.ONE_WAY, detail))
        elif missing:
            why = path.why_no_reply(protocol, missing[0].first)
            detail = (
                f"replies only reach client ports {spell_ranges(replies)}; clients using "
                f"{spell_ranges(missing)} time out ({why})"
            )
            findings.append(
                Finding(protocol, passing, Verdict.OPEN, "; ".join(filter(None, [detail, note])))
            )
        else:
            findings.append(Finding(protocol, passing, Verdict.OPEN, note))
    return Reach(source, target.name, tuple(findings))


def analyze(topology: Topology, sources: Iterable[Source] | None = None) -> Matrix:
    """The whole matrix: every source against every tier."""
    chosen = tuple(sources if sources is not None else sources_of(topology))
    cells = {
        (source.name, name): reach(topology, source, tier)
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
class Explanation:
    source: Source
    target: str
    protocol: int
    port: int | None
    reachable: bool
    steps: tuple[Step, ...]

    @property
    def question(self) -> str:
        what = protocol_name(self.protocol) + (f" {self.port}" if self.port is not None else "")
        return f"{self.source} → tier {self.target} on {what}"


def _rule_text(rules: Iterable[LabeledRule]) -> str:
    return "; ".join(f"{r.name} (“{r.rule.description or 'no description'}”)" for r in rules)


def explain(
    topology: Topology, source: Source, target: TierNode, protocol: int, port: int | None
) -> Explanation:
    """Walk one connection through every check and say which rule decides each."""
    group = _source_group(source, topology)
    probe = Packet(
        protocol,
        source.address or _NOWHERE,
        port=port if protocol_has_ports(protocol) else None,
        icmp_type=_ECHO[protocol][0] if protocol in _ECHO else None,
        icmp_code=0 if protocol in _ECHO else None,
    )
    steps: list[Step] = []
    ingress = [
        r
        for r in target.rules
        if r.rule.direction is Direction.INGRESS
        and r.rule.traffic.matches(probe)
        and _peer_has(r.rule.peer, source.address, group, topology)
    ]
    what = protocol_name(protocol) + (f" {port}" if port is not None else "")
    steps.append(
        Step(
            f"security group of tier {target.name}, ingress",
            bool(ingress),
            f"allowed by {_rule_text(ingress)}"
            if ingress
            else f"no ingress rule allows {what} from {source}",
        )
    )
    if source.tier is not None:
        origin = topology.tiers[source.tier]
        egress = [
            r
            for r in origin.rules
            if r.rule.direction is Direction.EGRESS
            and r.rule.traffic.matches(probe)
            and _peer_has(r.rule.peer, target.address, target.group, topology)
        ]
        steps.append(
            Step(
                f"security group of tier {origin.name}, egress",
                bool(egress),
                f"allowed by {_rule_text(egress)}"
                if egress
                else f"no egress rule allows {what} to tier {target.name}",
            )
        )
    path = _Path(topology, source, target)
    for acl, egress_way, far, reply in (
        (path.source_acl, True, target.address, False),
        (path.target_acl, False, source.address, False),
        (path.target_acl, True, source.address, True),
        (path.source_acl, False, target.address, True),
    ):
        if acl is None:
            continue
        label = f"network ACL {acl.name}, {'egress' if egress_way else 'ingress'}" + (
            " (replies)" if reply else ""
        )
        if far is None:
            steps.append(Step(label, True, "not evaluated: the far address is unknown"))
            continue
        if reply and protocol_has_ports(protocol):
            ports = merge_ranges(
                allowed_ports(acl.entries, egress=egress_way, protocol=protocol, address=far)
            )
            missing = uncovered(topology.ephemeral, ports)
            if not missing:
                steps.append(
                    Step(label, True, f"replies to client ports {topology.ephemeral.key} pass")
                )
            else:
                first_missing = Packet(protocol, far, port=missing[0].first)
                why = _who_decides(acl, egress=egress_way, packet=first_missing)
                steps.append(
                    Step(
                        label,
                        False,
                        f"replies to client ports {spell_ranges(missing)} are dropped: {why}",
                    )
                )
            continue
        packet = _packet(protocol, far, port=port, reply=reply)
        assert packet is not None
        decision = evaluate_acl(acl.entries, egress=egress_way, packet=packet)
        steps.append(
            Step(label, decision.allowed, _who_decides(acl, egress=egress_way, packet=packet))
        )
    return Explanation(
        source, target.name, protocol, port, all(s.passed for s in steps), tuple(steps)
    )
