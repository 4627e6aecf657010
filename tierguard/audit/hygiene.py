"""Hygiene: default groups that allow anything, ACLs protecting nothing, rules nobody
explained, interfaces with more groups than anyone can reason about."""

from __future__ import annotations

from collections.abc import Iterator

from tierguard.audit.findings import (
    ACL_UNATTACHED,
    DEFAULT_SG_ALLOWS,
    ENI_TOO_MANY_GROUPS,
    RULE_NO_DESCRIPTION,
    AuditFinding,
    Resource,
)
from tierguard.deployed import tags as tag
from tierguard.deployed.inventory import GroupRule, RegionInventory
from tierguard.rules import CidrPeer, Direction
from tierguard.rules.descriptions import is_placeholder_description

#: The default quota of security groups per network interface.
MAX_GROUPS_PER_INTERFACE = 5


def rule_text(rule: GroupRule) -> str:
    """``sgr-… (ingress tcp 22 from 0.0.0.0/0)``."""
    return f"{rule.id} ({rule.rule})"


def _listing(rules: list[GroupRule], limit: int = 5) -> str:
    shown = "; ".join(rule_text(r) for r in rules[:limit])
    return shown + (f"; and {len(rules) - limit} more" if len(rules) > limit else "")


def default_group_findings(inventory: RegionInventory) -> Iterator[AuditFinding]:
    # moto gives a new VPC's default group no ingress rule (AWS gives it "all traffic from
    # itself"); both give it "all traffic to 0.0.0.0/0" egress, so either way it is found.
    for group in inventory.groups:
        if not group.is_default or not group.rules:
            continue
        yield AuditFinding(
            DEFAULT_SG_ALLOWS,
            Resource(inventory.region, "security-group", group.id, group.name),
            f"The default security group {group.label} of {group.vpc_id} has "
            f"{len(group.rules)} rule(s): {_listing(list(group.rules))}",
            "Anything launched without an explicit group joins it and gets this access silently",
            "remove every rule from the default group (tierguard's VPC component adopts it "
            "with none) and use dedicated groups",
        )


def acl_findings(inventory: RegionInventory) -> Iterator[AuditFinding]:
    attached = {acl.id for acl in inventory.acl_by_subnet.values()}
    for acl in inventory.acls:
        # A default ACL cannot be deleted; it is unattached whenever every subnet has a
        # custom one, which is the goal.
        if acl.is_default or acl.id in attached:
            continue
        yield AuditFinding(
            ACL_UNATTACHED,
            Resource(inventory.region, "network-acl", acl.id, acl.tags.get(tag.NAME, "")),
            f"Network ACL {acl.label} in {acl.vpc_id} is associated with no subnet",
            "An unattached ACL protects nothing, and whoever attaches it later gets rules "
            "nobody reviewed",
            "associate it with the subnets it was meant for, or delete it",
        )


def is_aws_default_egress(rule: GroupRule) -> bool:
    """AWS's own "all traffic to 0.0.0.0/0 (and ::/0)" egress rule of every new group,
    undescribed: AWS wrote it, not a person, so its missing description is not reported."""
    peer = rule.rule.peer
    return (
        rule.rule.direction is Direction.EGRESS
        and rule.rule.traffic.is_all
        and isinstance(peer, CidrPeer)
        and peer.is_internet
        and not rule.rule.description
    )


def description_findings(inventory: RegionInventory) -> Iterator[AuditFinding]:
    for group in inventory.groups:
        missing = [
            r
            for r in group.rules
            if is_placeholder_description(r.rule.description) and not is_aws_default_egress(r)
        ]
        if group.is_default or not missing:  # a default group's rules should all go
            continue
        yield AuditFinding(
            RULE_NO_DESCRIPTION,
            Resource(inventory.region, "security-group", group.id, group.name),
            f"{len(missing)} rule(s) of {group.label} have no description: {_listing(missing)}",
            "A rule whose reason nobody wrote down is never safely removed",
            "describe each rule's purpose (who needs it and why), e.g. with "
            "`aws ec2 update-security-group-rule-descriptions-ingress`",
            tuple(Resource(inventory.region, "security-group-rule", r.id) for r in missing),
        )


def interface_findings(inventory: RegionInventory) -> Iterator[AuditFinding]:
    for eni in inventory.interfaces:
        if len(eni.groups) <= MAX_GROUPS_PER_INTERFACE:
            continue
        yield AuditFinding(
            ENI_TOO_MANY_GROUPS,
            Resource(inventory.region, "network-interface", eni.id, eni.description),
            f"Interface {eni.label} carries {len(eni.groups)} security groups: "
            f"{', '.join(eni.groups)}",
            "Its access is the union of every rule of every group, which no one reviews as "
            "a whole, and it needs a raised quota",
            "merge the groups into one per role (a tier), at most five per interface",
        )
