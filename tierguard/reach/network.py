"""A ``Topology`` from what exists (or will exist): groups, where their members sit, ACLs.

The two readers of real resources — the stack's registered resources or a state file
(``tierguard.reach.resources``) and a live account (``tierguard.audit.topology``) —
reduce what they read to these facts; this module alone turns facts into the model, so
both answer with the same semantics. Pure: no Pulumi, no boto3.
"""

from __future__ import annotations

import ipaddress
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from tierguard.reach.topology import (
    AclNode,
    Address,
    LabeledRule,
    Placement,
    TierNode,
    Topology,
)
from tierguard.rules import EPHEMERAL_PORTS, IPNetwork, PortRange


@dataclass(frozen=True)
class Site:
    """A place members of a group sit: a subnet (by key), its addresses, its ACL.

    ``subnet`` is ``None`` when the subnet is not known (somewhere in ``block``, such as
    the group's VPC); ``acl`` is a key of the ACLs given alongside, ``None`` for the VPC's
    default ACL, which allows everything unless the stack manages it.
    """

    subnet: str | None
    block: IPNetwork | None
    acl: str | None = None
    address: Address | None = None
    """A member's exact address when known (a live interface)."""
    ipv6: bool | None = None
    """Whether members have IPv6 (``Placement.ipv6``): ``False`` only when known not to."""


@dataclass(frozen=True)
class GroupFacts:
    """One security group as a tier: the key rules use to name it, and its members' sites."""

    key: str
    name: str
    """The name people know it by (a ``tierguard:tier`` tag, a resource or group name)."""
    qualifier: str
    """Added to ``name`` when two groups would otherwise share it (an id, a parent)."""
    rules: tuple[LabeledRule, ...]
    sites: tuple[Site, ...] = ()


@dataclass(frozen=True)
class NetworkFacts:
    groups: Sequence[GroupFacts]
    acls: Mapping[str, AclNode]
    named_cidrs: Mapping[str, IPNetwork] = field(default_factory=dict)
    prefix_lists: Mapping[str, tuple[IPNetwork, ...]] = field(default_factory=dict)
    ephemeral: PortRange = EPHEMERAL_PORTS


def unique_names(groups: Iterable[GroupFacts]) -> dict[str, str]:
    """Group key → a tier name, qualified only where two groups share a name."""
    chosen = list(groups)
    counts = Counter(g.name for g in chosen)
    return {g.key: g.name if counts[g.name] == 1 else f"{g.name} ({g.qualifier})" for g in chosen}


def placement_of(site: Site) -> Placement:
    """Where a member at ``site`` may be: its own address when known, else anywhere in the
    block (the analysis skips the addresses AWS reserves in a subnet)."""
    block = ipaddress.ip_network(site.address) if site.address is not None else site.block
    return Placement(site.subnet, block, site.acl, site.ipv6)


def build_topology(facts: NetworkFacts) -> Topology:
    """The reachability model of these facts, tiers in the order given; a group without a
    site is nowhere known (CIDR rules cannot match it, the analysis notes unknown ACLs)."""
    names = unique_names(facts.groups)
    tiers = {
        names[group.key]: TierNode(
            name=names[group.key],
            group=group.key,
            placements=tuple(placement_of(site) for site in group.sites)
            or (Placement(None, None),),
            rules=group.rules,
        )
        for group in facts.groups
    }
    used = {site.acl for group in facts.groups for site in group.sites}
    return Topology(
        tiers=tiers,
        acls={key: acl for key, acl in facts.acls.items() if key in used},
        named_cidrs=dict(facts.named_cidrs),
        prefix_lists=dict(facts.prefix_lists),
        ephemeral=facts.ephemeral,
    )
