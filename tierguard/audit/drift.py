"""Drift: the stack's plan against what the account holds, for what tierguard manages.

Managed resources are found by the tags the components put on them: groups by
``tierguard:network``/``tierguard:stack``/``tierguard:tier``, ACLs by ``…:acl``, and each
rule carries its plan name as ``Name``. A rule matches a planned one when direction,
traffic and peer are equal (tier references resolved to the tier's ``sg-…`` id); then
only its description can differ. A rule that matches nothing but carries a planned
rule's name was changed in place; any other is in AWS only (added by hand); a planned
rule nobody matched is missing. ACL entries are matched by direction and rule number.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from tierguard.audit.findings import (
    DRIFT_ADDED,
    DRIFT_CHANGED,
    DRIFT_MISSING,
    MISSING,
    Finding,
    Resource,
)
from tierguard.audit.hygiene import rule_text
from tierguard.audit.inventory import (
    TAG_ACL,
    TAG_NETWORK,
    TAG_STACK,
    TAG_TIER,
    GroupRule,
    NetworkAcl,
    RegionInventory,
    SecurityGroup,
)
from tierguard.plan import AclPlan, NetworkPlan, PlannedAclEntry, PlannedSgRule, TierPeer, TierPlan
from tierguard.rules import AclEntry, CidrPeer, Direction, Peer, SecurityGroupPeer, Traffic

PeerKey = tuple[str, str]
RuleKey = tuple[Direction, Traffic, PeerKey]


def _peer_key(peer: Peer) -> PeerKey:
    if isinstance(peer, CidrPeer):
        return ("cidr", peer.network.compressed)
    if isinstance(peer, SecurityGroupPeer):
        return ("sg", peer.group)
    return ("pl", peer.prefix_list)


@dataclass(frozen=True)
class Managed:
    """The account's resources that carry this stack's tags."""

    groups: Mapping[str, SecurityGroup]
    """By tier name."""
    acls: Mapping[str, NetworkAcl]
    """By ACL name."""


def managed(inventory: RegionInventory, plan: NetworkPlan) -> Managed:
    def ours(tags: Mapping[str, str]) -> bool:
        return tags.get(TAG_NETWORK) == plan.name and tags.get(TAG_STACK) == plan.stack

    return Managed(
        groups={
            g.tags[TAG_TIER]: g for g in inventory.groups if ours(g.tags) and TAG_TIER in g.tags
        },
        acls={a.tags[TAG_ACL]: a for a in inventory.acls if ours(a.tags) and TAG_ACL in a.tags},
    )


def _planned_peer(rule: PlannedSgRule, groups: Mapping[str, SecurityGroup]) -> Peer | None:
    """The peer as AWS shows it; ``None`` when the referenced tier's group is missing."""
    peer = rule.peer
    if isinstance(peer, TierPeer):
        group = groups.get(rule.tier if peer.is_self else peer.tier)
        return SecurityGroupPeer(group.id) if group is not None else None
    return peer


def _planned_text(rule: PlannedSgRule) -> str:
    word = "from" if rule.direction is Direction.INGRESS else "to"
    return f"{rule.name} ({rule.direction.value} {rule.traffic} {word} {rule.peer})"


def _group_drift(
    region: str, tier: TierPlan, group: SecurityGroup, groups: Mapping[str, SecurityGroup]
) -> Iterator[Finding]:
    resource = Resource(region, "security-group", group.id, group.name)
    planned: dict[RuleKey, PlannedSgRule] = {}
    unresolved: list[PlannedSgRule] = []
    for rule in tier.rules:
        peer = _planned_peer(rule, groups)
        if peer is None:
            unresolved.append(rule)
        else:
            planned[rule.direction, rule.traffic, _peer_key(peer)] = rule
    leftovers: list[GroupRule] = []
    for actual in group.rules:
        key = (actual.rule.direction, actual.rule.traffic, _peer_key(actual.rule.peer))
        match = planned.pop(key, None)
        if match is None:
            leftovers.append(actual)
            continue
        if (actual.rule.description or "") != match.description:
            yield Finding(
                DRIFT_CHANGED,
                resource,
                f"Rule {rule_text(actual)} of {group.label} has "
                + (
                    f"the description {actual.rule.description!r}"
                    if actual.rule.description
                    else "no description"
                )
                + f"; the plan ({match.name}) says {match.description!r}",
                "Descriptions are how reviewers know why a rule exists; an edit outside the "
                "stack is lost on the next deployment",
                "change the description in the stack config, or run `pulumi up` to restore it",
                (Resource(region, "security-group-rule", actual.id, match.name),),
            )
    by_name = {r.name: r for r in (*planned.values(), *unresolved)}
    for actual in leftovers:
        name = actual.tags.get("Name", "")
        was = by_name.pop(name, None)
        rule_resource = Resource(region, "security-group-rule", actual.id, name)
        if was is not None:
            yield Finding(
                DRIFT_CHANGED,
                resource,
                f"Rule {rule_text(actual)} of {group.label} is the stack's {name}, which the "
                f"plan has as {_planned_text(was)}",
                "It was modified outside Pulumi, so the account no longer matches what was "
                "reviewed",
                "restore it with `pulumi up`, or change the stack config if the new rule is "
                "intended",
                (rule_resource,),
            )
            continue
        said = f" (description {actual.rule.description!r})" if actual.rule.description else ""
        yield Finding(
            DRIFT_ADDED,
            resource,
            f"Rule {rule_text(actual)} of {group.label}, the group of tier {tier.name}, is "
            f"not in the stack's plan{said}",
            "It was added outside Pulumi: nobody reviewed it, the policy pack never saw it, "
            "and the reachability report of the stack does not include it",
            "remove it (`aws ec2 revoke-security-group-ingress --security-group-rule-ids "
            f"{actual.id}`, or egress) or add it to the stack config",
            (rule_resource,),
        )
    for missing in by_name.values():
        yield Finding(
            DRIFT_MISSING,
            resource,
            f"Planned rule {_planned_text(missing)} of tier {tier.name} is not in {group.label}",
            "Traffic the stack is meant to allow is dropped, so something is broken or was "
            "worked around elsewhere",
            "run `pulumi up` to recreate it, or remove it from the stack config",
            (Resource(region, "security-group-rule", MISSING, missing.name),),
        )


def _entry_text(entry: AclEntry) -> str:
    way = "egress" if entry.egress else "ingress"
    return f"{way} #{entry.number} {entry.action.value} {entry.traffic} {entry.cidr.compressed}"


def _acl_drift(region: str, plan: AclPlan, acl: NetworkAcl) -> Iterator[Finding]:
    resource = Resource(region, "network-acl", acl.id, acl.tags.get("Name", ""))
    planned: dict[tuple[bool, int], PlannedAclEntry] = {
        (p.entry.egress, p.entry.number): p for p in plan.entries
    }
    for entry in acl.entries:
        match = planned.pop((entry.egress, entry.number), None)
        entry_resource = Resource(
            region,
            "network-acl-entry",
            f"{acl.id}/{'egress' if entry.egress else 'ingress'}/{entry.number}",
        )
        if match is None:
            yield Finding(
                DRIFT_ADDED,
                resource,
                f"Entry {_entry_text(entry)} of {acl.label} is not in the stack's plan",
                "It was added outside Pulumi; an allow entry here may open what the plan "
                "keeps closed, a deny may break what it allows",
                "delete it (`aws ec2 delete-network-acl-entry`) or add it to the stack config",
                (entry_resource,),
            )
        elif match.entry != entry:
            yield Finding(
                DRIFT_CHANGED,
                resource,
                f"Entry {_entry_text(entry)} of {acl.label} differs from the plan's "
                f"{match.name}: {_entry_text(match.entry)}",
                "It was changed outside Pulumi, so the subnet's traffic no longer matches "
                "what was reviewed",
                "restore it with `pulumi up`, or change the stack config if intended",
                (entry_resource,),
            )
    for missing in planned.values():
        yield Finding(
            DRIFT_MISSING,
            resource,
            f"Planned entry {missing.name} ({_entry_text(missing.entry)}) is not in {acl.label}",
            "Without it the subnet drops (or, for a deny, admits) traffic the stack decides",
            "run `pulumi up` to recreate it, or remove it from the stack config",
            (Resource(region, "network-acl-entry", MISSING, missing.name),),
        )


def drift_findings(inventory: RegionInventory, plan: NetworkPlan) -> Iterator[Finding]:
    """Every difference between ``plan`` and the region's resources tagged for it."""
    found = managed(inventory, plan)
    region = inventory.region
    stack = f"stack {plan.stack} (network {plan.name})"
    for name, tier in plan.tiers.items():
        group = found.groups.get(name)
        if group is None:
            yield Finding(
                DRIFT_MISSING,
                Resource(region, "security-group", MISSING, tier.resource_name),
                f"No security group tagged as tier {name} of {stack} exists in {region}",
                "The tier's members cannot be given their group, or were given another one",
                "deploy the stack (`pulumi up`), or check that the audited region and "
                "account are the stack's",
            )
            continue
        yield from _group_drift(region, tier, group, found.groups)
    for name, group in found.groups.items():
        if name not in plan.tiers:
            yield Finding(
                DRIFT_ADDED,
                Resource(region, "security-group", group.id, group.name),
                f"Security group {group.label} is tagged as tier {name} of {stack}, which "
                "has no such tier",
                "A group left behind (or made by hand with the stack's tags) is managed by no one",
                "delete it if nothing uses it, or add the tier to the stack config",
            )
    for name, acl_plan in plan.acls.items():
        acl = found.acls.get(name)
        if acl is None:
            yield Finding(
                DRIFT_MISSING,
                Resource(region, "network-acl", MISSING, acl_plan.resource_name),
                f"No network ACL tagged as {name} of {stack} exists in {region}",
                "The subnets it should protect use another ACL (often the default, which "
                "allows everything)",
                "deploy the stack (`pulumi up`)",
            )
            continue
        yield from _acl_drift(region, acl_plan, acl)
