"""A stack's plan against what is deployed: the one comparison, in AWS's terms.

Used by the driver's verification after ``up`` and by the audit's drift. Managed resources
are found by their tags (``tierguard.deployed.tags``): groups by the stack, network and
tier tags, ACLs by the ACL tag. Planned peers are resolved the one way round, tier → the
tier's deployed ``sg-…`` id, so a deployed rule is compared as AWS holds it. A rule
matches a planned one when direction, traffic and peer are equal; then only its
description can differ. A rule that matches nothing but carries a planned rule's name
(``Name`` tag) was replaced in place; any other is unplanned; a planned rule nobody matched
is missing. ACL entries are matched by direction and rule number.

Pure: it reads records (``tierguard.deployed.inventory``), never AWS. How a difference is
told (a verification line, an audit finding) is the caller's.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from tierguard.deployed import tags
from tierguard.deployed.inventory import GroupRule, NetworkAcl, SecurityGroup
from tierguard.plan import AclPlan, NetworkPlan, PlannedAclEntry, PlannedSgRule, TierPlan
from tierguard.rules import AclEntry, CidrPeer, Direction, Peer, SecurityGroupPeer, Traffic

_PeerKey = tuple[str, str]
_RuleKey = tuple[Direction, Traffic, _PeerKey]

#: Said when a tolerated emulator gap was met (AWS never shows either).
DESCRIPTIONS_GAP = (
    "descriptions of group-reference rules read from DescribeSecurityGroups (the emulator "
    "leaves them out of DescribeSecurityGroupRules)"
)
ICMP_GAP = "ICMP type/code of ACL entries not compared: the emulator drops them"


def _peer_key(peer: Peer) -> _PeerKey:
    """Equal for the same peer however it was read (``self`` is its group's id)."""
    if isinstance(peer, CidrPeer):
        return ("cidr", peer.network.compressed)
    if isinstance(peer, SecurityGroupPeer):
        return ("sg", peer.group)
    return ("pl", peer.prefix_list)


@dataclass(frozen=True)
class Managed:
    """The resources tagged for one stack's network."""

    groups: Mapping[str, SecurityGroup]
    """By the tier tag."""
    acls: Mapping[str, NetworkAcl]
    """By the ACL tag."""

    @property
    def group_ids(self) -> dict[str, str]:
        return {tier: group.id for tier, group in self.groups.items()}


def managed(
    groups: Iterable[SecurityGroup], acls: Iterable[NetworkAcl], plan: NetworkPlan
) -> Managed:
    """Which of ``groups``/``acls`` the components created for ``plan``'s stack (a group
    tagged for the stack without a tier, such as the adopted default group, is not a tier)."""

    def ours(found: Mapping[str, str]) -> bool:
        return tags.is_managed(found, stack=plan.stack, network=plan.name)

    return Managed(
        groups={g.tags[tags.TIER]: g for g in groups if ours(g.tags) and tags.TIER in g.tags},
        acls={a.tags[tags.ACL]: a for a in acls if ours(a.tags) and tags.ACL in a.tags},
    )


@dataclass(frozen=True)
class GroupComparison:
    """One planned tier against its deployed group."""

    tier: TierPlan
    group: SecurityGroup
    redescribed: tuple[tuple[PlannedSgRule, GroupRule], ...] = ()
    """The planned rule is there, with another description."""
    replaced: tuple[tuple[PlannedSgRule, GroupRule], ...] = ()
    """The rule carrying the planned rule's name is another rule now."""
    unplanned: tuple[GroupRule, ...] = ()
    missing: tuple[PlannedSgRule, ...] = ()


@dataclass(frozen=True)
class AclComparison:
    """One planned ACL against the deployed one."""

    plan: AclPlan
    acl: NetworkAcl
    entries: tuple[AclEntry, ...]
    """The deployed entries by direction and number; an ICMP type/code the answer left out
    (``NetworkAcl.icmp_unreported``) taken from the plan."""
    changed: tuple[tuple[PlannedAclEntry, AclEntry], ...] = ()
    unplanned: tuple[AclEntry, ...] = ()
    missing: tuple[PlannedAclEntry, ...] = ()


@dataclass(frozen=True)
class Comparison:
    """Everything that differs between a plan and what its stack's tags find."""

    plan: NetworkPlan
    managed: Managed
    groups: tuple[GroupComparison, ...]
    """Planned tiers whose group was found, in plan order."""
    missing_tiers: tuple[TierPlan, ...]
    unplanned_groups: tuple[tuple[str, SecurityGroup], ...]
    """Groups tagged as a tier the plan does not have, with that tier."""
    acls: tuple[AclComparison, ...]
    missing_acls: tuple[AclPlan, ...]
    unplanned_acls: tuple[tuple[str, NetworkAcl], ...]
    gaps: tuple[str, ...] = ()
    """Emulator gaps tolerated on the way (never met on AWS)."""


def _compare_group(
    tier: TierPlan, group: SecurityGroup, group_ids: Mapping[str, str]
) -> GroupComparison:
    planned: dict[_RuleKey, PlannedSgRule] = {}
    unresolved: list[PlannedSgRule] = []
    for rule in tier.rules:
        deployed = rule.deployed(group_ids)
        if deployed is None:
            unresolved.append(rule)
        else:
            planned[deployed.direction, deployed.traffic, _peer_key(deployed.peer)] = rule
    redescribed: list[tuple[PlannedSgRule, GroupRule]] = []
    leftovers: list[GroupRule] = []
    for actual in group.rules:
        match = planned.pop(
            (actual.rule.direction, actual.rule.traffic, _peer_key(actual.rule.peer)), None
        )
        if match is None:
            leftovers.append(actual)
        elif (actual.rule.description or "") != match.description:
            redescribed.append((match, actual))
    by_name = {r.name: r for r in (*planned.values(), *unresolved)}
    replaced: list[tuple[PlannedSgRule, GroupRule]] = []
    unplanned: list[GroupRule] = []
    for actual in leftovers:
        was = by_name.pop(actual.tags.get(tags.NAME, ""), None)
        if was is None:
            unplanned.append(actual)
        else:
            replaced.append((was, actual))
    return GroupComparison(
        tier, group, tuple(redescribed), tuple(replaced), tuple(unplanned), tuple(by_name.values())
    )


def _compare_acl(plan: AclPlan, acl: NetworkAcl, gaps: set[str]) -> AclComparison:
    planned = {(p.entry.egress, p.entry.number): p for p in plan.entries}
    entries: list[AclEntry] = []
    changed: list[tuple[PlannedAclEntry, AclEntry]] = []
    unplanned: list[AclEntry] = []
    for read in acl.entries:
        key = (read.egress, read.number)
        match = planned.pop(key, None)
        entry = read
        if (
            match is not None
            and key in acl.icmp_unreported
            and match.entry.traffic.protocol == read.traffic.protocol
        ):
            gaps.add(ICMP_GAP)
            entry = replace(read, traffic=match.entry.traffic)
        entries.append(entry)
        if match is None:
            unplanned.append(entry)
        elif match.entry != entry:
            changed.append((match, entry))
    return AclComparison(
        plan,
        acl,
        tuple(sorted(entries, key=lambda e: (e.egress, e.number))),
        tuple(changed),
        tuple(unplanned),
        tuple(planned.values()),
    )


def compare(
    plan: NetworkPlan, groups: Iterable[SecurityGroup], acls: Iterable[NetworkAcl]
) -> Comparison:
    """``plan`` against the groups and ACLs read from its region (any others are ignored)."""
    found = managed(groups, acls, plan)
    group_ids = found.group_ids
    gaps: set[str] = set()
    if any(g.descriptions_filled_in for g in found.groups.values()):
        gaps.add(DESCRIPTIONS_GAP)
    acl_comparisons = tuple(
        _compare_acl(acl_plan, found.acls[name], gaps)
        for name, acl_plan in plan.acls.items()
        if name in found.acls
    )
    return Comparison(
        plan=plan,
        managed=found,
        groups=tuple(
            _compare_group(tier, found.groups[name], group_ids)
            for name, tier in plan.tiers.items()
            if name in found.groups
        ),
        missing_tiers=tuple(t for name, t in plan.tiers.items() if name not in found.groups),
        unplanned_groups=tuple((n, g) for n, g in found.groups.items() if n not in plan.tiers),
        acls=acl_comparisons,
        missing_acls=tuple(a for name, a in plan.acls.items() if name not in found.acls),
        unplanned_acls=tuple((n, a) for n, a in found.acls.items() if n not in plan.acls),
        gaps=tuple(sorted(gaps)),
    )
