"""Drift: the stack's plan against what the account holds, told as audit findings.

The comparison is ``tierguard.deployed.compare`` (the one the driver's verification uses);
this module says what each difference means for a reviewer and how to fix it.
"""

from __future__ import annotations

from collections.abc import Iterator

from tierguard.audit.findings import (
    DRIFT_ADDED,
    DRIFT_CHANGED,
    DRIFT_MISSING,
    MISSING,
    AuditFinding,
    Resource,
)
from tierguard.audit.hygiene import rule_text
from tierguard.deployed import tags as tag
from tierguard.deployed.compare import AclComparison, GroupComparison, compare
from tierguard.deployed.inventory import RegionInventory
from tierguard.plan import NetworkPlan
from tierguard.rules import AclEntry


def _group_drift(region: str, compared: GroupComparison) -> Iterator[AuditFinding]:
    tier, group = compared.tier, compared.group
    resource = Resource(region, "security-group", group.id, group.name)
    for match, actual in compared.redescribed:
        yield AuditFinding(
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
    for was, actual in compared.replaced:
        name = was.name
        yield AuditFinding(
            DRIFT_CHANGED,
            resource,
            f"Rule {rule_text(actual)} of {group.label} is the stack's {name}, which the "
            f"plan has as {was}",
            "It was modified outside Pulumi, so the account no longer matches what was reviewed",
            "restore it with `pulumi up`, or change the stack config if the new rule is intended",
            (Resource(region, "security-group-rule", actual.id, name),),
        )
    for actual in compared.unplanned:
        rule_resource = Resource(
            region, "security-group-rule", actual.id, actual.tags.get(tag.NAME, "")
        )
        said = f" (description {actual.rule.description!r})" if actual.rule.description else ""
        yield AuditFinding(
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
    for missing in compared.missing:
        yield AuditFinding(
            DRIFT_MISSING,
            resource,
            f"Planned rule {missing!s} of tier {tier.name} is not in {group.label}",
            "Traffic the stack is meant to allow is dropped, so something is broken or was "
            "worked around elsewhere",
            "run `pulumi up` to recreate it, or remove it from the stack config",
            (Resource(region, "security-group-rule", MISSING, missing.name),),
        )


def _entry_text(entry: AclEntry) -> str:
    way = "egress" if entry.egress else "ingress"
    return f"{way} #{entry.number} {entry.action.value} {entry.traffic} {entry.cidr.compressed}"


def _acl_drift(region: str, compared: AclComparison) -> Iterator[AuditFinding]:
    acl = compared.acl
    resource = Resource(region, "network-acl", acl.id, acl.tags.get(tag.NAME, ""))

    def entry_resource(entry: AclEntry) -> Resource:
        way = "egress" if entry.egress else "ingress"
        return Resource(region, "network-acl-entry", f"{acl.id}/{way}/{entry.number}")

    for entry in compared.unplanned:
        yield AuditFinding(
            DRIFT_ADDED,
            resource,
            f"Entry {_entry_text(entry)} of {acl.label} is not in the stack's plan",
            "It was added outside Pulumi; an allow entry here may open what the plan "
            "keeps closed, a deny may break what it allows",
            "delete it (`aws ec2 delete-network-acl-entry`) or add it to the stack config",
            (entry_resource(entry),),
        )
    for match, entry in compared.changed:
        yield AuditFinding(
            DRIFT_CHANGED,
            resource,
            f"Entry {_entry_text(entry)} of {acl.label} differs from the plan's "
            f"{match.name}: {_entry_text(match.entry)}",
            "It was changed outside Pulumi, so the subnet's traffic no longer matches "
            "what was reviewed",
            "restore it with `pulumi up`, or change the stack config if intended",
            (entry_resource(entry),),
        )
    for missing in compared.missing:
        yield AuditFinding(
            DRIFT_MISSING,
            resource,
            f"Planned entry {missing.name} ({_entry_text(missing.entry)}) is not in {acl.label}",
            "Without it the subnet drops (or, for a deny, admits) traffic the stack decides",
            "run `pulumi up` to recreate it, or remove it from the stack config",
            (Resource(region, "network-acl-entry", MISSING, missing.name),),
        )


def drift_findings(inventory: RegionInventory, plan: NetworkPlan) -> Iterator[AuditFinding]:
    """Every difference between ``plan`` and the region's resources tagged for it."""
    compared = compare(plan, inventory.groups, inventory.acls)
    region = inventory.region
    stack = f"stack {plan.stack} (network {plan.name})"
    for tier in compared.missing_tiers:
        yield AuditFinding(
            DRIFT_MISSING,
            Resource(region, "security-group", MISSING, tier.resource_name),
            f"No security group tagged as tier {tier.name} of {stack} exists in {region}",
            "The tier's members cannot be given their group, or were given another one",
            "deploy the stack (`pulumi up`), or check that the audited region and "
            "account are the stack's",
        )
    for group_comparison in compared.groups:
        yield from _group_drift(region, group_comparison)
    for name, group in compared.unplanned_groups:
        yield AuditFinding(
            DRIFT_ADDED,
            Resource(region, "security-group", group.id, group.name),
            f"Security group {group.label} is tagged as tier {name} of {stack}, which "
            "has no such tier",
            "A group left behind (or made by hand with the stack's tags) is managed by no one",
            "delete it if nothing uses it, or add the tier to the stack config",
        )
    for acl_plan in compared.missing_acls:
        yield AuditFinding(
            DRIFT_MISSING,
            Resource(region, "network-acl", MISSING, acl_plan.resource_name),
            f"No network ACL tagged as {acl_plan.name} of {stack} exists in {region}",
            "The subnets it should protect use another ACL (often the default, which "
            "allows everything)",
            "deploy the stack (`pulumi up`)",
        )
    for acl_comparison in compared.acls:
        yield from _acl_drift(region, acl_comparison)
