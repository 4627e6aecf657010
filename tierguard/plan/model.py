"""What a plan holds: the resources a config means, each with its name and config path.

A planned security-group rule *is* an ``SgRule`` of the rules model (the group is its
tier; a peer that is a tier is a ``SecurityGroupPeer`` named by that tier), wrapped with
the name it is created under and where in the config it comes from, as a planned ACL
entry wraps an ``AclEntry``. Tier names become group ids in exactly one place:
``PlannedSgRule.deployed`` (plan to AWS) and ``planned_form`` (AWS to plan).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import TypeVar

from tierguard.plan.naming import Naming
from tierguard.rules import (
    EPHEMERAL_PORTS,
    AclEntry,
    Direction,
    IPNetwork,
    PortRange,
    SecurityGroupPeer,
    SgRule,
)

GroupId = TypeVar("GroupId")


def peer_text(rule: SgRule, *, tier_peer: bool) -> str:
    """The peer as messages name it: ``tier app``, ``this tier (self)``, else the peer's
    own text (``0.0.0.0/0``, ``security group sg-…``, ``prefix list pl-…``)."""
    peer = rule.peer
    if isinstance(peer, SecurityGroupPeer) and tier_peer:
        return "this tier (self)" if peer.is_self else f"tier {peer.group}"
    return str(peer)


def rule_text(rule: SgRule, *, tier_peer: bool) -> str:
    """``ingress TCP 3306 from tier app``."""
    return (
        f"{rule.direction} {rule.traffic} {rule.direction.preposition} "
        f"{peer_text(rule, tier_peer=tier_peer)}"
    )


@dataclass(frozen=True)
class PlannedSgRule:
    """One ``aws.vpc.SecurityGroupIngressRule``/``EgressRule`` to create.

    ``rule.group`` is the tier; with ``tier_peer`` the peer is another tier's group (or,
    ``is_self``, the tier's own), named by tier until the groups exist.
    """

    name: str
    rule: SgRule
    origin: str
    automatic: bool = False
    tier_peer: bool = False

    @property
    def tier(self) -> str:
        return self.rule.group

    @property
    def description(self) -> str:
        return self.rule.description or ""

    @property
    def peer_tier(self) -> str | None:
        """The tier whose group is the peer (the rule's own for ``self``), if any."""
        peer = self.rule.peer
        return peer.group if self.tier_peer and isinstance(peer, SecurityGroupPeer) else None

    def referenced_group(self, group_ids: Mapping[str, GroupId]) -> GroupId | str | None:
        """The group the peer is: a tier's from ``group_ids`` (by tier), an outside
        group's own id; ``None`` for a CIDR or prefix-list peer."""
        peer = self.rule.peer
        if not isinstance(peer, SecurityGroupPeer):
            return None
        return group_ids[peer.group] if self.tier_peer else peer.group

    def deployed(self, group_ids: Mapping[str, str]) -> SgRule | None:
        """The rule as EC2 holds it once the tiers' groups exist (``group_ids`` by tier):
        tier names replaced by group ids; ``None`` while a group it needs is missing."""
        group = group_ids.get(self.tier)
        peer = self.rule.peer
        if self.tier_peer and isinstance(peer, SecurityGroupPeer):
            target = group_ids.get(peer.group)
            if target is None:
                return None
            peer = SecurityGroupPeer(target, is_self=peer.is_self)
        return None if group is None else replace(self.rule, group=group, peer=peer)

    def __str__(self) -> str:
        return f"{self.name} ({rule_text(self.rule, tier_peer=self.tier_peer)})"


def planned_form(rule: SgRule, tier_of: Mapping[str, str]) -> tuple[SgRule, bool]:
    """A deployed rule in the plan's terms, the inverse of ``PlannedSgRule.deployed``:
    the ids of the plan's groups (``tier_of``: tier by group id) become tier names.

    Returns the rule and whether its peer is a tier (``PlannedSgRule.tier_peer``).
    """
    peer = rule.peer
    tier_peer = isinstance(peer, SecurityGroupPeer) and peer.group in tier_of
    if isinstance(peer, SecurityGroupPeer) and tier_peer:
        peer = SecurityGroupPeer(tier_of[peer.group], is_self=peer.is_self)
    return replace(rule, group=tier_of.get(rule.group, rule.group), peer=peer), tier_peer


@dataclass(frozen=True)
class PlannedAclEntry:
    """One ``aws.ec2.NetworkAclRule`` to create."""

    name: str
    acl: str
    entry: AclEntry
    origin: str
    automatic: bool = False
    note: str = ""


@dataclass(frozen=True)
class PlannedSubnet:
    """A subnet to create (``cidr`` + AZ) or an existing one (``subnet_id``)."""

    key: str
    group: str
    public: bool
    availability_zone: str | None = None
    cidr: IPNetwork | None = None
    subnet_id: str | None = None


@dataclass(frozen=True)
class TierPlan:
    name: str
    resource_name: str
    description: str
    subnet_group: str | None
    rules: tuple[PlannedSgRule, ...]
    tags: Mapping[str, str]

    def rules_in(self, direction: Direction) -> tuple[PlannedSgRule, ...]:
        return tuple(r for r in self.rules if r.rule.direction is direction)


@dataclass(frozen=True)
class AclPlan:
    name: str
    resource_name: str
    subnet_groups: tuple[str, ...]
    entries: tuple[PlannedAclEntry, ...]


@dataclass(frozen=True)
class NetworkPlan:
    """Everything the program will create, keyed by the names users wrote."""

    name: str
    stack: str
    create_vpc: bool
    vpc_id: str | None
    vpc_cidr: IPNetwork | None
    manage_default_security_group: bool
    subnets: tuple[PlannedSubnet, ...]
    tiers: Mapping[str, TierPlan]
    acls: Mapping[str, AclPlan]
    tags: Mapping[str, str] = field(default_factory=dict)
    named_cidrs: Mapping[str, IPNetwork] = field(default_factory=dict)
    ephemeral_ports: PortRange = EPHEMERAL_PORTS

    @property
    def names(self) -> Naming:
        """How this network's resources are named."""
        return Naming(self.name)

    def subnets_in(self, group: str) -> tuple[PlannedSubnet, ...]:
        return tuple(s for s in self.subnets if s.group == group)

    @property
    def subnet_groups(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(s.group for s in self.subnets))

    def origins(self) -> dict[str, str]:
        """Config path (under ``tierguard:network``) of every planned resource, by name.

        Automatic rules point at the declaration that implied them.
        """
        found: dict[str, str] = {self.names.vpc: "vpc"}
        for subnet in self.subnets:
            found[self.names.subnet(subnet.key)] = f"subnet_groups.{subnet.group}"
        for name, tier in self.tiers.items():
            found[tier.resource_name] = f"tiers.{name}"
            found.update({rule.name: rule.origin for rule in tier.rules})
        for name, acl in self.acls.items():
            found[acl.resource_name] = f"network_acls.{name}"
            found.update({entry.name: entry.origin for entry in acl.entries})
        return found
