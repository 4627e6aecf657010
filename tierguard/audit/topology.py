"""The reachability ``Topology`` of what is really there, built from an audited region.

Groups are keyed by their ``sg-…`` id (rules' ``SecurityGroupPeer`` name ids). A tier is
named by its ``tierguard:tier`` tag for tierguard-managed groups, otherwise by the group
name, with the id added whenever a name would repeat. A tier's members are represented by
the first interface carrying the group (its subnet decides the ACL, its private address
the CIDR rules); a group nothing carries has no address, which the analysis reports.
ACLs are keyed by subnet id.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from tierguard.audit.inventory import TAG_TIER, NetworkInterface, RegionInventory, SecurityGroup
from tierguard.reach.topology import AclNode, LabeledRule, TierNode, Topology


def _base_name(group: SecurityGroup) -> str:
    return group.tags.get(TAG_TIER) or group.name or group.id


def tier_names(groups: Iterable[SecurityGroup]) -> dict[str, str]:
    """Group id → a unique tier name."""
    chosen = list(groups)
    counts = Counter(_base_name(g) for g in chosen)
    return {
        g.id: _base_name(g) if counts[_base_name(g)] == 1 else f"{_base_name(g)} ({g.id})"
        for g in chosen
    }


def topology_from_inventory(
    inventory: RegionInventory, *, vpc_id: str | None = None, include_unused: bool = True
) -> Topology:
    """Every group of the region (or of one VPC) as a tier, with the ACLs of its subnets."""
    groups = [g for g in inventory.groups if vpc_id is None or g.vpc_id == vpc_id]
    first: dict[str, NetworkInterface] = {}
    for interface in sorted(inventory.interfaces, key=lambda e: e.id):
        for group_id in interface.groups:
            first.setdefault(group_id, interface)
    if not include_unused:
        groups = [g for g in groups if g.id in first]
    names = tier_names(groups)
    tiers: dict[str, TierNode] = {}
    for group in groups:
        eni = first.get(group.id)
        rules = tuple(LabeledRule(r.id, r.rule) for r in group.rules)
        tiers[names[group.id]] = TierNode(
            name=names[group.id],
            group=group.id,
            subnet_group=eni.subnet_id if eni is not None else None,
            address=eni.private_address if eni is not None else None,
            rules=rules,
        )
    acls = {
        subnet: AclNode(acl.label, acl.entries) for subnet, acl in inventory.acl_by_subnet.items()
    }
    return Topology(tiers=tiers, acls=acls)
