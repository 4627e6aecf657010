"""Reachability of any Pulumi AWS program, from its resources in the engine's shape.

The resources come from an offline run of the program (what the engine's
``AnalyzeStack`` carries after ``up``, ``tierguard.offline.engine``) or from a state file
(``pulumi stack export``), as ``{"urn", "type", "name", "id", "parent", "dependencies",
"propertyDependencies", "inputs"}`` documents (or ``properties`` as ``AnalyzeStack``
names them). They are read through the
pack's own stack view (``tierguard.policies.graph``), so reachability links rules to
groups, entries to ACLs and resources to subnets exactly as the stack policies do:

* every security group is a tier, named by its ``tierguard:tier`` tag or resource name
  (an ACL by its ``tierguard:acl`` tag or resource name);
  its rules are all of them — inline ``ingress``/``egress``, ``aws.ec2.SecurityGroupRule``
  and ``aws.vpc`` rule resources — with group references resolved to tiers;
* a tier's members sit in the subnets of the resources that use the group (instances,
  interfaces, load balancers, database instances through their subnet group, …); a group
  tierguard created says where its members go with a ``tierguard:subnet-group`` tag; a
  group nothing places is somewhere in its VPC;
* a subnet's ACL is the one its ``subnetIds`` or ``NetworkAclAssociation`` names, with
  inline and ``NetworkAclRule`` entries; a subnet the stack associates with none uses
  its VPC's default ACL, which allows everything.

This module reads engine shapes (it imports the policy SDK through the graph); the
model and its evaluation stay pure in ``tierguard.reach.topology``/``analysis``.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pulumi_policy import PolicyResource

from tierguard.deployed import tags as tag
from tierguard.policies.base import ENGINE_READER
from tierguard.policies.graph import GroupView, StackResources, StackView, known, read
from tierguard.policies.testing import policy_resources
from tierguard.reach.network import GroupFacts, NetworkFacts, Site, build_topology, unique_names
from tierguard.reach.topology import AclNode, LabeledRule, Topology
from tierguard.rules import IPNetwork, SecurityGroupPeer, SgRule
from tierguard.rules.normalize import DEFAULT_SECURITY_GROUP, SUBNET, UNKNOWN_REF


@dataclass(frozen=True)
class ResourceTopology:
    """The model, and what could not be read from the resources (unknown values)."""

    topology: Topology
    notes: tuple[str, ...]


def _tags(resource: PolicyResource) -> Mapping[str, Any]:
    tags = known(resource.props, "tags")
    return tags if isinstance(tags, Mapping) else {}


def _block(resource: PolicyResource) -> IPNetwork | None:
    text = known(resource.props, "cidrBlock")
    if not isinstance(text, str):
        return None
    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError:
        return None


def _has_ipv6(subnet: PolicyResource) -> bool | None:
    """Whether a subnet has an IPv6 CIDR block: one is given (``ipv6CidrBlock``, which an
    IPv6-only subnet needs too) or none is; ``None`` while the value is not known."""
    try:
        return bool(read(subnet.props, "ipv6CidrBlock"))
    except ENGINE_READER.unknown_errors:
        return None


class _Reader:
    """One pass over a stack view: subnets, placements, tiers."""

    def __init__(self, view: StackView) -> None:
        self.view = view
        self.subnets = {r.urn: r for r in view.of_type(SUBNET)}
        self.acl_of = {subnet: acl.key for subnet, acl in view.acl_of_subnet.items()}
        self.notes: list[str] = []

    def site(self, subnet: str) -> Site:
        resource = self.subnets.get(subnet)
        if resource is None and subnet not in self.acl_of:
            note = (
                f"subnet {subnet} is not in the program: its addresses and network ACL are "
                "not known (answers assume the VPC's default ACL, which allows all)"
            )
            if note not in self.notes:
                self.notes.append(note)
        if resource is None:
            return Site(subnet=subnet, block=None, acl=self.acl_of.get(subnet))
        return Site(
            subnet=subnet,
            block=_block(resource),
            acl=self.acl_of.get(subnet),
            ipv6=_has_ipv6(resource),
        )

    def subnets_of(self, resource: PolicyResource) -> set[str]:
        """Where a resource is placed, through a subnet group it names too (RDS, caches)."""
        found = self.view.subnets_of(resource)
        for deps in resource.property_dependencies.values():
            for dep in deps:
                if dep.resource_type.endswith("SubnetGroup"):
                    found |= self.view.subnets_of(dep)
        return found

    def vpc_site(self, group: GroupView) -> Site:
        blocks = self.view.vpc_blocks(group)
        return Site(subnet=None, block=blocks[0] if blocks else None)

    def sites(self) -> dict[str, list[Site]]:
        """Group URN → where its members sit, from what uses it or its subnet-group tag."""
        found: dict[str, list[Site]] = {key: [] for key in self.view.groups}
        for urn, groups in sorted(self.view.attachments.items()):
            subnets = self.subnets_of(self.view.by_urn[urn])
            for key in sorted(groups):
                if subnets:
                    found[key].extend(self.site(s) for s in sorted(subnets))
                else:
                    found[key].append(self.vpc_site(self.view.groups[key]))
        for key, group in self.view.groups.items():
            wanted = _tags(group.resource).get(tag.SUBNET_GROUP)
            if wanted is not None and not found[key]:
                found[key].extend(
                    self.site(urn)
                    for urn, subnet in sorted(self.subnets.items())
                    if _tags(subnet).get(tag.SUBNET_GROUP) == wanted
                )
        return {key: list(dict.fromkeys(sites)) for key, sites in found.items()}


def _rules(group: GroupView, tier_of: Mapping[str, str]) -> tuple[LabeledRule, ...]:
    """The group's rules, security-group peers named by tier (ids outside the stack kept)."""
    labeled: list[LabeledRule] = []
    for located in group.rules:
        rule = located.rule
        peer = rule.peer
        if not isinstance(peer, SecurityGroupPeer):
            labeled.append(LabeledRule(located.where, rule))
            continue
        targets = located.peer_groups or (peer.group,)
        for target in targets:
            if target == UNKNOWN_REF:
                continue
            resolved = SgRule(
                tier_of.get(group.key, group.key),
                rule.direction,
                rule.traffic,
                SecurityGroupPeer(tier_of.get(target, target), is_self=peer.is_self),
                rule.description,
            )
            labeled.append(LabeledRule(located.where, resolved))
    return tuple(labeled)


def topology_from_resources(
    resources: Sequence[Mapping[str, Any]],
    *,
    named_cidrs: Mapping[str, IPNetwork] | None = None,
    order: Sequence[str] = (),
) -> ResourceTopology:
    """The network the resources describe. ``order`` lists tier names to show first (a
    tierguard stack's tiers as configured); the others follow by name."""
    source = StackResources(policy_resources(resources))
    found = topology_from_view(StackView(source), named_cidrs=named_cidrs, order=order)
    return ResourceTopology(found.topology, (*source.unknowns, *found.notes))


def topology_from_view(
    view: StackView,
    *,
    named_cidrs: Mapping[str, IPNetwork] | None = None,
    order: Sequence[str] = (),
) -> ResourceTopology:
    """The same, from a stack view (a stack policy's, whose context collects unknowns)."""
    reader = _Reader(view)
    sites = reader.sites()
    groups = {
        key: group
        for key, group in view.groups.items()
        if sites[key] or group.resource.resource_type != DEFAULT_SECURITY_GROUP
    }
    named = unique_names(
        GroupFacts(
            key=key,
            name=str(_tags(g.resource).get(tag.TIER) or g.name),
            qualifier=key,
            rules=(),
        )
        for key, g in groups.items()
    )
    rank = {name: index for index, name in enumerate(order)}
    facts = [
        GroupFacts(
            key=named[key],
            name=named[key],
            qualifier=key,
            rules=_rules(group, named),
            sites=tuple(sites[key]) or (reader.vpc_site(group),),
        )
        for key, group in sorted(
            groups.items(), key=lambda kv: (rank.get(named[kv[0]], len(rank)), named[kv[0]])
        )
    ]
    acls = {
        key: AclNode(str(_tags(acl.resource).get(tag.ACL) or acl.name), tuple(acl.acl_entries))
        for key, acl in view.acls.items()
    }
    prefix_lists = {key: value for key, value in view.prefix_lists.items() if value is not None}
    topology = build_topology(
        NetworkFacts(
            groups=facts, acls=acls, named_cidrs=dict(named_cidrs or {}), prefix_lists=prefix_lists
        )
    )
    return ResourceTopology(topology, tuple(reader.notes))
