"""The reachability ``Topology`` of what is really there, built from an audited region.

Groups are keyed by their ``sg-…`` id (rules' ``SecurityGroupPeer`` name ids). A tier is
named by its ``tierguard:tier`` tag for tierguard-managed groups, otherwise by the group
name, with the id added whenever a name would repeat. A tier's members are represented by
the first interface carrying the group (its subnet decides the ACL, its private address
the CIDR rules; IPv6 reaches it only if some interface of the group has an IPv6 address);
a group nothing carries has no address, which the analysis reports.
ACLs are keyed by subnet id.
"""

from __future__ import annotations

from collections.abc import Iterable

from tierguard.deployed import tags as tag
from tierguard.deployed.inventory import NetworkInterface, RegionInventory, SecurityGroup
from tierguard.reach.network import GroupFacts, NetworkFacts, Site, build_topology, unique_names
from tierguard.reach.topology import AclNode, LabeledRule, Topology


def _facts(group: SecurityGroup, sites: tuple[Site, ...] = ()) -> GroupFacts:
    return GroupFacts(
        key=group.id,
        name=group.tags.get(tag.TIER) or group.name or group.id,
        qualifier=group.id,
        rules=tuple(LabeledRule(r.id, r.rule) for r in group.rules),
        sites=sites,
    )


def tier_names(groups: Iterable[SecurityGroup]) -> dict[str, str]:
    """Group id → a unique tier name."""
    return unique_names(_facts(g) for g in groups)


def topology_from_inventory(
    inventory: RegionInventory, *, vpc_id: str | None = None, include_unused: bool = True
) -> Topology:
    """Every group of the region (or of one VPC) as a tier, with the ACLs of its subnets."""
    groups = [g for g in inventory.groups if vpc_id is None or g.vpc_id == vpc_id]
    first: dict[str, NetworkInterface] = {}
    ipv6: set[str] = set()
    for interface in sorted(inventory.interfaces, key=lambda e: e.id):
        for group_id in interface.groups:
            first.setdefault(group_id, interface)
            if interface.ipv6_addresses:
                ipv6.add(group_id)
    if not include_unused:
        groups = [g for g in groups if g.id in first]
    blocks = {s.id: s.cidr for s in inventory.subnets}
    acls = {acl.id: AclNode(acl.label, acl.entries) for acl in inventory.acl_by_subnet.values()}
    acl_of = {subnet: acl.id for subnet, acl in inventory.acl_by_subnet.items()}
    facts = []
    for group in groups:
        eni = first.get(group.id)
        sites: tuple[Site, ...] = ()
        if eni is not None:
            subnet = eni.subnet_id
            sites = (
                Site(
                    subnet=subnet,
                    block=blocks.get(subnet) if subnet else None,
                    acl=acl_of.get(subnet) if subnet else None,
                    address=eni.private_address,
                    # AWS lists every IPv6 address an interface has: none on any of the
                    # group's interfaces, and no IPv6 reaches its members.
                    ipv6=group.id in ipv6,
                ),
            )
        facts.append(_facts(group, sites))
    return build_topology(NetworkFacts(groups=facts, acls=acls))
