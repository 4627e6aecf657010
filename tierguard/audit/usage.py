"""Which security groups are in use, and why: unused groups done right.

A group is in use when a network interface carries it (instances, and in AWS every
service that places interfaces in a VPC), when a load balancer (ELBv2 or classic), an RDS
instance or cluster or a Lambda function names it (read from each service: moto creates
no interfaces for them, and AWS may have none for a stopped database or an idle
function), or when another group's rule references it. A rule referencing its own group
is not a use. Default groups are never "unused" (they cannot be deleted); they have
their own findings.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from tierguard.audit.findings import DEFAULT_SG_IN_USE, SG_UNUSED, AuditFinding, Resource
from tierguard.deployed.inventory import RegionInventory, SecurityGroup
from tierguard.rules import SecurityGroupPeer


@dataclass(frozen=True)
class Use:
    """One reason a group counts as used."""

    kind: str
    """``network interface``, ``ELBv2 load balancer``, ``RDS instance``, ``rule``, …"""
    id: str
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.kind} {self.id}" + (f" ({self.detail})" if self.detail else "")


def group_uses(inventory: RegionInventory) -> dict[str, tuple[Use, ...]]:
    """Every group of the region (also unused ones, with no uses) → why it is used.

    Ids that name no listed group are ignored: an interface may still list a deleted
    group (moto lets a group in use be deleted; AWS refuses).
    """
    uses: dict[str, list[Use]] = {g.id: [] for g in inventory.groups}
    for eni in inventory.interfaces:
        detail = f"instance {eni.instance_id}" if eni.instance_id else eni.description
        for group in eni.groups:
            if group in uses:
                uses[group].append(Use("network interface", eni.id, detail))
    for consumer in inventory.consumers:
        detail = ""
        if consumer.public:
            detail = "publicly accessible" if consumer.kind.startswith("RDS") else "internet-facing"
        for group in consumer.groups:
            if group in uses:
                uses[group].append(Use(consumer.kind, consumer.id, detail))
    for owner in inventory.groups:
        for rule in owner.rules:
            peer = rule.rule.peer
            if not isinstance(peer, SecurityGroupPeer) or peer.group == owner.id:
                continue
            if peer.group in uses:
                uses[peer.group].append(
                    Use(
                        "rule",
                        rule.id,
                        f"{owner.label} allows {rule.rule.traffic} "
                        f"{rule.rule.direction.preposition} it",
                    )
                )
    return {group: tuple(found) for group, found in uses.items()}


def _resource(region: str, group: SecurityGroup) -> Resource:
    return Resource(region, "security-group", group.id, group.name)


def usage_findings(
    inventory: RegionInventory, uses: Mapping[str, tuple[Use, ...]]
) -> Iterator[AuditFinding]:
    for group in inventory.groups:
        found = uses.get(group.id, ())
        if group.is_default:
            carriers = [u for u in found if u.kind != "rule"]
            if carriers:
                shown = "; ".join(str(u) for u in carriers[:5])
                more = f" and {len(carriers) - 5} more" if len(carriers) > 5 else ""
                yield AuditFinding(
                    DEFAULT_SG_IN_USE,
                    _resource(inventory.region, group),
                    f"The default security group {group.label} of {group.vpc_id} is used "
                    f"by {shown}{more}",
                    "Everything launched without an explicit group lands in it, so its "
                    "members share access with whatever is added there later",
                    "give these resources dedicated security groups and remove the default "
                    "group from them",
                )
            continue
        if not found:
            yield AuditFinding(
                SG_UNUSED,
                _resource(inventory.region, group),
                f"Security group {group.label} in {group.vpc_id} is not used: no network "
                "interface, load balancer, RDS instance or cluster, Lambda function or "
                "other group's rule uses it",
                "Unused groups accumulate rules nobody reviews and get attached by mistake",
                "delete it if nothing needs it (services this audit does not read, such as "
                "a launch template or an ECS service with no running task, may still name "
                "it)",
            )
