"""The network as reachability sees it: tiers (groups and their rules), ACLs, sources.

Groups are identified by a key that rules' ``SecurityGroupPeer`` refer to: the tier name
when built from a plan, the ``sg-…`` id when built from deployed resources.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property

from tierguard.plan import NetworkPlan
from tierguard.rules import (
    EPHEMERAL_PORTS,
    AclEntry,
    CidrPeer,
    Direction,
    IPNetwork,
    PortRange,
    SecurityGroupPeer,
    SgRule,
    parse_cidr_lenient,
)
from tierguard.rules.acl import NOT_INTERNET, exclude_block
from tierguard.rules.addresses import INTERNET, canonical_cidr, parse_cidr

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class LabeledRule:
    """A rule with the name people know it by (resource name, ``sgr-…`` id)."""

    name: str
    rule: SgRule


@dataclass(frozen=True)
class Placement:
    """One subnet a tier's members may be in: its address block and its network ACL.

    ``subnet`` is ``None`` when the subnet is not known (members somewhere in ``block``,
    such as a tier without a subnet group, whose members are still inside the VPC CIDR);
    ``block`` is ``None`` when not even the addresses are known; ``acl`` is a key of
    ``Topology.acls``, ``None`` for the VPC's default ACL (which allows everything).
    Two members cross network ACLs unless they are in the same known subnet.
    """

    subnet: str | None
    block: IPNetwork | None
    acl: str | None = None
    ipv6: bool | None = None
    """Whether the subnet has an IPv6 CIDR block. ``False`` only when known to have none:
    its members then have no IPv6 address and neither send nor receive IPv6 (AWS);
    ``None`` (not known) is judged as if it had one, never hiding a path."""

    @property
    def label(self) -> str:
        if self.subnet is not None:
            # A resource's URN ends in its name, which is what people know it by.
            return f"subnet {self.subnet.rsplit('::', 1)[-1]}"
        return f"an unknown subnet of {canonical_cidr(self.block)}" if self.block else "anywhere"


def member_placement(subnet: str | None, address: Address | None) -> Placement:
    """A member known by one address (an interface), in a subnet keyed like its ACL."""
    block = ipaddress.ip_network(address) if address is not None else None
    return Placement(subnet or None, block, subnet or None)


@dataclass(frozen=True)
class TierNode:
    """A tier: its group, the subnets its members may be in, and the group's rules."""

    name: str
    group: str
    placements: tuple[Placement, ...]
    rules: tuple[LabeledRule, ...]


@dataclass(frozen=True)
class AclNode:
    """The network ACL of one subnet group."""

    name: str
    entries: tuple[AclEntry, ...]


class RuleIndex:
    """One tier-direction's rules by peer kind, so matching a far end is a dictionary
    lookup plus integer mask tests instead of a scan through ``ipaddress`` objects."""

    def __init__(self, rules: Iterable[LabeledRule]) -> None:
        self.by_group: dict[str, list[LabeledRule]] = {}
        self.by_cidr: list[tuple[int, int, int, LabeledRule]] = []
        self.by_prefix_list: list[tuple[str, LabeledRule]] = []
        for labeled in rules:
            peer = labeled.rule.peer
            if isinstance(peer, CidrPeer):
                network = peer.network
                self.by_cidr.append(
                    (network.version, int(network.netmask), int(network.network_address), labeled)
                )
            elif isinstance(peer, SecurityGroupPeer):
                self.by_group.setdefault(peer.group, []).append(labeled)
            else:
                self.by_prefix_list.append((peer.prefix_list, labeled))

    def matching(
        self,
        address: Address | None,
        group: str | None,
        prefix_lists: Mapping[str, tuple[IPNetwork, ...]],
    ) -> list[LabeledRule]:
        """The rules whose peer covers a far end known by address and/or group."""
        found = list(self.by_group.get(group, ())) if group is not None else []
        if address is not None:
            version, value = address.version, int(address)
            found.extend(
                r for v, mask, net, r in self.by_cidr if v == version and value & mask == net
            )
            found.extend(
                r
                for pl, r in self.by_prefix_list
                if any(
                    address.version == n.version and address in n for n in prefix_lists.get(pl, ())
                )
            )
        return found


@dataclass(frozen=True)
class Topology:
    tiers: Mapping[str, TierNode]
    acls: Mapping[str, AclNode]
    """By the key placements name (a subnet group, a subnet id, an ACL id)."""
    named_cidrs: Mapping[str, IPNetwork] = field(default_factory=dict)
    prefix_lists: Mapping[str, tuple[IPNetwork, ...]] = field(default_factory=dict)
    ephemeral: PortRange = EPHEMERAL_PORTS

    @cached_property
    def index(self) -> dict[tuple[str, Direction], RuleIndex]:
        """Rule indexes per (tier, direction), built once per topology."""
        return {
            (name, direction): RuleIndex(r for r in tier.rules if r.rule.direction is direction)
            for name, tier in self.tiers.items()
            for direction in Direction
        }

    def acl_at(self, placement: Placement) -> AclNode | None:
        return self.acls.get(placement.acl) if placement.acl is not None else None


@dataclass(frozen=True)
class Source:
    """Where a connection starts: address ranges outside the VPC, or a tier's members."""

    name: str
    blocks: tuple[IPNetwork, ...] = ()
    """The addresses (outside the VPC) traffic may come from; a tier's are its placements."""
    tier: str | None = None
    label: str = ""

    def __str__(self) -> str:
        return self.label or self.name


def internet(version: int) -> tuple[IPNetwork, ...]:
    """The public address space of one family: everything but private and special ranges."""
    space: list[IPNetwork] = [INTERNET[version]]
    for cut in NOT_INTERNET[version]:
        space = exclude_block(space, cut)
    return tuple(sorted(space, key=lambda n: int(n.network_address)))


def sources_of(topology: Topology) -> list[Source]:
    """The internet over IPv4 and IPv6, each named CIDR, each tier — in that order.

    The internet is the whole public address space, named ranges included: naming a
    range never removes it from the internet (answers say which parts differ).
    """
    sources = [
        Source(f"internet-ipv{version}", internet(version), label=f"internet (IPv{version})")
        for version in (4, 6)
    ]
    sources.extend(
        Source(name, (network,), label=f"{name} ({canonical_cidr(network)})")
        for name, network in topology.named_cidrs.items()
    )
    sources.extend(
        Source(tier.name, tier=tier.name, label=f"tier {tier.name}")
        for tier in topology.tiers.values()
    )
    return sources


def source_named(topology: Topology, text: str) -> Source:
    """A source by name (``internet-ipv4``, a named CIDR, a tier) or an address/CIDR block.

    A block with host bits set (``10.0.0.5/8``) is refused: it names no range exactly.
    """
    for source in sources_of(topology):
        if source.name == text:
            return source
    spelled = text if "/" in text else f"{text}/{32 if ':' not in text else 128}"
    try:
        parse_cidr_lenient(spelled)
    except ValueError:
        names = ", ".join(s.name for s in sources_of(topology))
        raise ValueError(
            f"{text!r} is not a source; use one of {names}, or an address or CIDR block"
        ) from None
    network = parse_cidr(spelled)
    return Source(canonical_cidr(network), (network,))


def _placements(plan: NetworkPlan, group: str | None) -> tuple[Placement, ...]:
    """One placement per subnet of the group; a tier without one is somewhere in the VPC.
    The VPC and subnets tierguard creates get no IPv6 block; an existing VPC's may have."""
    ipv6 = None if not plan.create_vpc else False
    if group is None:
        return (Placement(None, plan.vpc_cidr, ipv6=ipv6),)
    acl = next((a.name for a in plan.acls.values() if group in a.subnet_groups), None)
    return tuple(
        Placement(plan.names.subnet(subnet.key), subnet.cidr, acl, ipv6)
        for subnet in plan.subnets_in(group)
    )


def topology_from_plan(plan: NetworkPlan) -> Topology:
    """The planned network, rules as planned: a tier's group key is its name."""
    tiers: dict[str, TierNode] = {}
    for name, tier in plan.tiers.items():
        rules = tuple(LabeledRule(planned.name, planned.rule) for planned in tier.rules)
        tiers[name] = TierNode(name, name, _placements(plan, tier.subnet_group), rules)
    acls = {
        acl.name: AclNode(acl.name, tuple(e.entry for e in acl.entries))
        for acl in plan.acls.values()
    }
    return Topology(
        tiers=tiers, acls=acls, named_cidrs=dict(plan.named_cidrs), ephemeral=plan.ephemeral_ports
    )


def topology_from_deployed(
    plan: NetworkPlan,
    *,
    groups: Mapping[str, str],
    rules: Iterable[SgRule],
    acl_entries: Mapping[str, Iterable[AclEntry]],
) -> Topology:
    """What is really deployed, placed where the plan put each tier and ACL.

    ``groups`` maps tier names to deployed ``sg-…`` ids; ``rules`` are the rules read back
    (groups and references by id); ``acl_entries`` the entries read back, by ACL name.
    A rule added by hand shows up in the matrix; one deleted by hand disappears. An ACL
    not read back at all guards nothing: its subnets are on the VPC's default ACL.
    """
    planned = topology_from_plan(plan)
    tier_of = {group: tier for tier, group in groups.items()}
    by_tier: dict[str, list[LabeledRule]] = {tier: [] for tier in planned.tiers}
    for rule in rules:
        tier = tier_of.get(rule.group)
        if tier in by_tier:
            label = f"{rule.group} {rule.direction.value} {rule.traffic.key} {rule.peer}"
            by_tier[tier].append(LabeledRule(label, rule))
    # An IPv6 block associated by hand is not read back: not known to be absent.
    tiers = {
        name: TierNode(
            name,
            groups.get(name, name),
            tuple(replace(p, ipv6=None) for p in node.placements),
            tuple(by_tier[name]),
        )
        for name, node in planned.tiers.items()
    }
    acls = {name: AclNode(name, tuple(entries)) for name, entries in acl_entries.items()}
    return Topology(
        tiers=tiers, acls=acls, named_cidrs=planned.named_cidrs, ephemeral=planned.ephemeral
    )
