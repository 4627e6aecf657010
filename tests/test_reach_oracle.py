"""The reachability analysis agrees, cell by cell, with a packet-by-packet oracle.

Random networks (tiers in one or two subnets or none, shared and separate ACLs, SG rules
by CIDR, by group and ``self``, every protocol kind, ICMP types and codes, IPv4 and IPv6)
are evaluated twice: by ``tierguard.reach`` and by ``tests.reach_oracle``, which tries
every concrete source address, member address, subnet, protocol, port / ICMP message and
client port one packet at a time. For every (source, tier, protocol, value) the verdicts
the analysis reports must be exactly those the oracle finds somewhere, and a finding is
marked partial exactly when the oracle finds other verdicts elsewhere in the range, in
other subnets or from other client ports.
"""

from __future__ import annotations

import ipaddress
import os
import sys
import time
from dataclasses import dataclass
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests import reach_oracle as oracle
from tierguard.reach import AclNode, LabeledRule, Placement, TierNode, Topology, sources_of
from tierguard.reach.analysis import OTHER, ReachFinding, reach
from tierguard.rules import (
    ALL,
    AclAction,
    AclEntry,
    CidrPeer,
    Direction,
    IcmpMatch,
    PortRange,
    SecurityGroupPeer,
    SgRule,
    Traffic,
)

V4 = [
    "0.0.0.0/0",
    "0.0.0.0/0",
    "0.0.0.0/1",
    "128.0.0.0/1",
    "198.51.100.0/24",
    "198.51.100.64/26",
    "10.0.0.0/16",
    "10.0.0.0/29",
    "10.0.0.16/28",
]
V6 = ["::/0", "2001:db8::/32"]
PEER = ipaddress.ip_network("198.51.100.0/25")
VPC = ipaddress.ip_network("10.0.0.0/16")
SUBNETS = ("10.0.0.0/28", "10.0.0.16/28", "10.0.1.0/28")
EPHEMERAL = (30, 40)
#: Weighted so ICMP (types, codes, replies) and all-protocol entries meet often.
PROTOCOLS = [oracle.TCP, oracle.UDP, oracle.ICMP, oracle.ICMP, oracle.ICMPV6, 47, 50, -1, -1]
ICMP_TYPES = [-1, 0, 3, 8, 11, 13, 128, 129]
PROBE_PROTOCOLS = [oracle.TCP, oracle.UDP, oracle.ICMP, oracle.ICMPV6, 47, 50, 132]
PROBE_PORTS = [*range(47), 65535]
PROBE_MESSAGES = [(t, c) for t in (0, 3, 8, 11, 13, 14, 128, 129, 200) for c in (0, 4, 9)]
FIXED_PROBES = ["1.1.1.1", "8.8.8.8", "128.0.0.1", "223.255.255.254", "10.0.200.1", "2600::1"]


@st.composite
def rules(draw: st.DrawFn, groups: list[str], *, acl: bool = False) -> oracle.Rule:
    protocol = draw(st.sampled_from(PROTOCOLS))
    peer: dict[str, Any] = {}
    if acl or draw(st.integers(0, 2)) > 0:
        family = draw(st.sampled_from([V4, V4, V4, V6]))
        peer["cidr"] = ipaddress.ip_network(draw(st.sampled_from(family)))
    else:
        peer["group"] = draw(st.sampled_from(groups))
    low = high = -1
    if protocol in (oracle.TCP, oracle.UDP):
        low = draw(st.integers(0, 44))
        high = low + draw(st.integers(0, 10))
    elif protocol in (oracle.ICMP, oracle.ICMPV6):
        low = draw(st.sampled_from(ICMP_TYPES))
        high = -1 if low == -1 else draw(st.sampled_from([-1, -1, 0, 4]))
    return oracle.Rule(protocol, low, high, peer.get("cidr"), peer.get("group"))


@st.composite
def networks(draw: st.DrawFn) -> oracle.Network:
    names = ["t0", "t1", "t2"]
    acls: dict[str, list[oracle.Entry]] = {}
    for acl in ("a", "b"):
        numbers = draw(st.lists(st.integers(1, 200), min_size=0, max_size=7, unique=True))
        acls[acl] = [
            oracle.Entry(n, draw(st.booleans()), draw(st.booleans()), draw(rules(names, acl=True)))
            for n in numbers
        ]
    subnets = [
        oracle.Subnet(f"s{i}", ipaddress.ip_network(block), draw(st.sampled_from(["a", "b", None])))
        for i, block in enumerate(SUBNETS)
    ]
    tiers = {}
    for name in names:
        placed = draw(st.lists(st.sampled_from(subnets), max_size=2, unique_by=lambda s: s.name))
        tier = oracle.Tier(name, placed)
        for _ in range(draw(st.integers(1, 4))):
            (tier.ingress if draw(st.booleans()) else tier.egress).append(draw(rules(names)))
        if draw(st.booleans()):
            tier.egress.append(oracle.Rule(-1, cidr=ipaddress.ip_network("0.0.0.0/0")))
        tiers[name] = tier
    return oracle.Network(VPC, tiers, acls, EPHEMERAL)


# -- the same network for the analysis ----------------------------------------------------


def _traffic(rule: oracle.Rule) -> Traffic:
    if rule.protocol in (oracle.TCP, oracle.UDP):
        return Traffic.of(rule.protocol, PortRange(rule.low, rule.high))
    if rule.protocol in (oracle.ICMP, oracle.ICMPV6):
        return Traffic.of(rule.protocol, icmp=IcmpMatch(rule.low, rule.high))
    return Traffic.of(rule.protocol)


def _sg_rule(tier: str, direction: Direction, rule: oracle.Rule) -> SgRule:
    peer = (
        CidrPeer(rule.cidr)
        if rule.cidr is not None
        else SecurityGroupPeer(rule.group or "", is_self=rule.group == tier)
    )
    return SgRule(tier, direction, _traffic(rule), peer)


def topology_of(network: oracle.Network) -> Topology:
    tiers = {}
    for name, tier in network.tiers.items():
        labeled = [
            LabeledRule(f"{name}-{direction.value}-{i}", _sg_rule(name, direction, r))
            for direction, listed in (
                (Direction.INGRESS, tier.ingress),
                (Direction.EGRESS, tier.egress),
            )
            for i, r in enumerate(listed)
        ]
        placements = tuple(Placement(s.name, s.block, s.acl) for s in tier.subnets) or (
            Placement(None, network.vpc),
        )
        tiers[name] = TierNode(name, name, placements, tuple(labeled))
    acls = {
        key: AclNode(
            key,
            tuple(
                AclEntry(
                    e.number,
                    e.egress,
                    AclAction.ALLOW if e.allow else AclAction.DENY,
                    _traffic(e.rule),
                    e.rule.cidr,  # type: ignore[arg-type]
                )
                for e in entries
            ),
        )
        for key, entries in network.acls.items()
    }
    return Topology(
        tiers=tiers, acls=acls, named_cidrs={"peer": PEER}, ephemeral=PortRange(*EPHEMERAL)
    )


# -- comparing ----------------------------------------------------------------------------


def probe_addresses(network: oracle.Network) -> list[oracle.Addr]:
    """Every address where an answer could change: both ends of each block and their
    neighbours, the subnets' first and last usable addresses, a few plain addresses."""
    blocks = [ipaddress.ip_network(c) for c in (*V4, *V6, *SUBNETS)] + [PEER]
    found: set[oracle.Addr] = {ipaddress.ip_address(a) for a in FIXED_PROBES}
    for block in blocks:
        top = 2 ** (32 if block.version == 4 else 128) - 1
        for edge in (int(block.network_address), int(block.broadcast_address)):
            for near in (edge - 1, edge, edge + 1, edge + 4, edge - 1 - 1):
                if 0 <= near <= top:
                    found.add(
                        ipaddress.ip_address(near)
                        if block.version == 4
                        else ipaddress.IPv6Address(near)
                    )
    return sorted(found, key=lambda a: (a.version, int(a)))


def _from(source: str, address: oracle.Addr) -> bool:
    """The oracle's own idea of each outside source's addresses."""
    if source == "peer":
        return address.version == 4 and address in PEER
    return source == f"internet-ipv{address.version}" and oracle.is_internet(address)


def _analysis_value(value: object) -> int:
    """The analysis's number line: ports, ``type * 256 + code``, or 0."""
    if isinstance(value, tuple):
        kind, code = value
        return int(kind) * 256 + int(code)
    return value if isinstance(value, int) else 0


def covering(
    findings: tuple[ReachFinding, ...], protocol: int, value: object, *, exists: bool
) -> list[ReachFinding]:
    """The findings about one packet: its protocol's, else (for a protocol the analysis
    does not list on its own: never TCP, UDP or an ICMP) those of "other protocols";
    "all" covers the protocols that exist in the source's address family."""
    own = [f for f in findings if f.protocol == protocol]
    if not own and protocol not in (oracle.TCP, oracle.UDP, oracle.ICMP, oracle.ICMPV6):
        own = [f for f in findings if f.protocol == OTHER]
    number = _analysis_value(value)
    return [
        f
        for f in [*own, *(f for f in findings if f.protocol == ALL and exists)]
        if not f.ports or any(number in r for r in f.ports)
    ]


@dataclass
class Tally:
    cells: int = 0
    points: int = 0
    packets: int = 0
    disagreements: int = 0


def compare(network: oracle.Network, tally: Tally | None = None) -> list[str]:
    """Every disagreement between the analysis and the oracle (empty: they agree)."""
    tally = tally or Tally()
    topo = topology_of(network)
    probes = probe_addresses(network)
    problems: list[str] = []
    for source in sources_of(topo):
        if source.tier is not None:
            tier: oracle.Tier | None = network.tiers[source.tier]
            assert tier is not None
            origins = oracle.members(network, tier, probes)
        else:
            tier = None
            origins = [oracle.Place(a, None, None) for a in probes if _from(source.name, a)]
        for name, target in network.tiers.items():
            tally.cells += 1
            findings = reach(topo, source, topo.tiers[name]).findings
            ends = oracle.members(network, target, probes)
            for protocol in PROBE_PROTOCOLS:
                values: list[object] = (
                    list(PROBE_PORTS)
                    if protocol in (oracle.TCP, oracle.UDP)
                    else list(PROBE_MESSAGES)
                    if protocol in (oracle.ICMP, oracle.ICMPV6)
                    else [None]
                )
                for value in values:
                    seen = {
                        found
                        for origin in origins
                        if oracle.exists(protocol, origin.address.version)
                        for end in ends
                        for found in oracle.verdicts(
                            network, origin, tier, end, target, protocol, value
                        )
                    }
                    tally.points += 1
                    tally.packets += len(origins) * len(ends)
                    possible = any(oracle.exists(protocol, o.address.version) for o in origins)
                    got = covering(findings, protocol, value, exists=possible)
                    verdicts = {f.verdict.value for f in got}
                    wrong_partial = [f for f in got if f.partial != (seen != {f.verdict.value})]
                    if verdicts != seen - {None} or wrong_partial:
                        tally.disagreements += 1
                        problems.append(
                            f"{source.name} → {name} protocol {protocol} value {value}: "
                            f"oracle {sorted(map(str, seen))}, analysis "
                            f"{[(f.label, f.verdict.value, f.partial, f.detail) for f in got]}"
                        )
    return problems


#: Kept small for the suite's time budget; ``python -m tests.test_reach_oracle 500`` runs
#: hundreds and prints the agreement figures.
EXAMPLES = int(os.environ.get("TIERGUARD_ORACLE_EXAMPLES", "25"))


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target],
)
@given(network=networks())
def test_the_analysis_agrees_with_the_packet_by_packet_oracle(network: oracle.Network) -> None:
    """Cell by cell, value by value: the same verdicts, partial exactly where they differ."""
    problems = compare(network)
    assert not problems, "\n".join(problems[:5])


def main(count: int) -> None:
    """Compare on ``count`` random networks and print the agreement figures."""
    tally = Tally()
    disagreeing = 0
    start = time.perf_counter()

    @settings(max_examples=count, deadline=None, database=None, phases=[Phase.generate])
    @given(network=networks())
    def run(network: oracle.Network) -> None:
        nonlocal disagreeing
        if compare(network, tally):
            disagreeing += 1

    run()
    print(
        f"{count} random networks, {tally.cells} cells, {tally.points} (protocol, value) "
        f"points, {tally.packets} packets: {count - disagreeing} networks and "
        f"{tally.points - tally.disagreements} points agree "
        f"({time.perf_counter() - start:.0f} s)"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
