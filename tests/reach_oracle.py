"""A packet-by-packet model of AWS security groups and network ACLs, written from AWS's
documentation and independently of ``tierguard.reach`` and ``tierguard.rules``.

Nothing here imports tierguard: a network is plain tuples and dicts, and every question is
answered by trying one concrete packet (and each concrete reply) at a time:

* a security group is stateful and allows a packet when *any* rule of the direction
  matches its protocol (``-1`` matches every protocol), its port (TCP/UDP) or ICMP
  type and code (``-1`` = any), and its far end (a CIDR containing the far address of the
  same family, or the far end's group);
* a network ACL is stateless: entries of one direction, lowest number first, the first
  entry matching protocol, port/type, and CIDR decides; no match means deny;
* an ACL is crossed only when a packet leaves or enters its subnet: two members of one
  subnet meet no ACL;
* replies exist for TCP and UDP (to the one port the client picked from its ephemeral
  range: ``verdicts`` answers for each client port) and for the ICMP queries
  (echo 8 → 0, timestamp 13 → 14, information 15 → 16, address mask 17 → 18; ICMPv6
  echo 128 → 129); nothing else has a reply;
* ICMP (1) exists only over IPv4 and ICMPv6 (58) only over IPv6;
* AWS reserves the first four and the last address of every subnet; members of a tier
  without a known subnet are somewhere in the VPC block.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Literal

Addr = ipaddress.IPv4Address | ipaddress.IPv6Address
Net = ipaddress.IPv4Network | ipaddress.IPv6Network

TCP, UDP, ICMP, ICMPV6 = 6, 17, 1, 58
REPLY_TYPE = {ICMP: {8: 0, 13: 14, 15: 16, 17: 18}, ICMPV6: {128: 129}}
NOT_INTERNET = [
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
        "::/8",
        "fc00::/7",
        "fe80::/10",
        "ff00::/8",
    )
]


@dataclass(frozen=True)
class Rule:
    """An SG rule or ACL entry: protocol (-1 any), ports or ICMP type/code, peer."""

    protocol: int
    low: int = -1
    """First port, or the ICMP type (-1 any)."""
    high: int = -1
    """Last port, or the ICMP code (-1 any)."""
    cidr: Net | None = None
    group: str | None = None


@dataclass(frozen=True)
class Entry:
    number: int
    egress: bool
    allow: bool
    rule: Rule


@dataclass(frozen=True)
class Subnet:
    name: str
    block: Net
    acl: str | None


@dataclass
class Tier:
    name: str
    subnets: list[Subnet]
    """Empty: in an unknown subnet of the VPC block."""
    ingress: list[Rule] = field(default_factory=list)
    egress: list[Rule] = field(default_factory=list)


@dataclass
class Network:
    vpc: Net
    tiers: dict[str, Tier]
    acls: dict[str, list[Entry]]
    ephemeral: tuple[int, int]


Verdict = Literal["open", "one-way", "blocked"] | None


@dataclass(frozen=True)
class Place:
    """One concrete end: an address and (for a member) its subnet and group."""

    address: Addr
    subnet: Subnet | None
    group: str | None


def _value_matches(rule: Rule, protocol: int, value: tuple[int, int] | int | None) -> bool:
    if rule.protocol == -1:
        return True
    if rule.protocol != protocol:
        return False
    if protocol in (TCP, UDP):
        assert isinstance(value, int)
        return rule.low <= value <= rule.high
    if protocol in (ICMP, ICMPV6):
        assert isinstance(value, tuple)
        kind, code = value
        return rule.low in (-1, kind) and rule.high in (-1, code)
    return True


def _far_matches(rule: Rule, far: Place) -> bool:
    if rule.group is not None:
        return far.group == rule.group
    assert rule.cidr is not None
    return rule.cidr.version == far.address.version and far.address in rule.cidr


def sg_allows(rules: list[Rule], protocol: int, value: object, far: Place) -> bool:
    return any(
        _value_matches(r, protocol, value) and _far_matches(r, far)  # type: ignore[arg-type]
        for r in rules
    )


def acl_allows(
    entries: list[Entry], *, egress: bool, protocol: int, value: object, far: Addr
) -> bool:
    for entry in sorted(entries, key=lambda e: e.number):
        if entry.egress != egress:
            continue
        rule = entry.rule
        assert rule.cidr is not None
        if rule.cidr.version != far.version or far not in rule.cidr:
            continue
        if _value_matches(rule, protocol, value):  # type: ignore[arg-type]
            return entry.allow
    return False


def exists(protocol: int, version: int) -> bool:
    return not ((protocol == ICMP and version == 6) or (protocol == ICMPV6 and version == 4))


def verdicts(
    network: Network,
    source: Place,
    source_tier: Tier | None,
    target: Place,
    target_tier: Tier,
    protocol: int,
    value: object,
) -> set[Verdict]:
    """One packet from ``source`` to ``target`` (and its replies), by hand: the verdicts
    from each client port (a TCP/UDP connection's replies go to the port its client
    picked from the ephemeral range), one verdict for the other protocols."""
    if not sg_allows(target_tier.ingress, protocol, value, source):
        return {None}
    if source_tier is not None and not sg_allows(source_tier.egress, protocol, value, target):
        return {None}
    same = (
        source.subnet is not None
        and target.subnet is not None
        and source.subnet.name == target.subnet.name
    )

    def entries(place: Place) -> list[Entry] | None:
        if same or place.subnet is None or place.subnet.acl is None:
            return None
        return network.acls[place.subnet.acl]

    out_acl, in_acl = entries(source), entries(target)

    def through(request_value: object, *, reply: bool) -> bool:
        first = (in_acl, reply, source.address) if reply else (out_acl, True, target.address)
        second = (out_acl, False, target.address) if reply else (in_acl, False, source.address)
        return all(
            acl is None
            or acl_allows(acl, egress=egress, protocol=protocol, value=request_value, far=far)
            for acl, egress, far in (first, second)
        )

    if not through(value, reply=False):
        return {"blocked"}
    if protocol in (TCP, UDP):
        low, high = network.ephemeral
        return {"open" if through(p, reply=True) else "one-way" for p in range(low, high + 1)}
    if protocol in (ICMP, ICMPV6):
        assert isinstance(value, tuple)
        reply = REPLY_TYPE[protocol].get(value[0])
        if reply is not None and not through((reply, 0), reply=True):
            return {"one-way"}
    return {"open"}


def is_internet(address: Addr) -> bool:
    return not any(address.version == n.version and address in n for n in NOT_INTERNET)


def members(network: Network, tier: Tier, probes: list[Addr]) -> list[Place]:
    """Concrete members: each subnet's usable addresses among the probes."""
    if not tier.subnets:
        return [Place(a, None, tier.name) for a in probes if a.version == 4 and a in network.vpc]
    found: list[Place] = []
    for subnet in tier.subnets:
        first = subnet.block.network_address + 4
        last = subnet.block.broadcast_address - 1
        found.extend(
            Place(a, subnet, tier.name)
            for a in probes
            if a.version == subnet.block.version and first <= a <= last  # type: ignore[operator]
        )
    return found
