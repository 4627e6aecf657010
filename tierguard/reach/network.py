"""A ``Topology`` from what exists (or will exist): groups, where their members sit, ACLs.

The two readers of real resources — the stack's registered resources or a state file
(``tierguard.reach.resources``) and a live account (``tierguard.audit.topology``) —
reduce what they read to these facts; this module alone turns facts into the model, so
both answer with the same semantics. Pure: no Pulumi, no boto3.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from tierguard.reach.topology import AclNode, Address, LabeledRule, TierNode, Topology
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


def member_address(site: Site) -> Address | None:
    """An address a member at ``site`` has: its own, else one AWS could assign in the block
    (past the four addresses AWS reserves at the start of every subnet)."""
    if site.address is not None:
        return site.address
    if site.block is None:
        return None
    block = site.block
    return block.network_address + 10 if block.num_addresses > 16 else block.network_address


def build_topology(facts: NetworkFacts) -> Topology:
    """The reachability model of these facts, tiers in the order given; a group without a
    site has no address (the analysis says so)."""
    names = unique_names(facts.groups)
    tiers: dict[str, TierNode] = {}
    acls: dict[str, AclNode] = {}
    for group in facts.groups:
        site = group.sites[0] if group.sites else None
        place = None
        if site is not None:
            place = site.subnet or site.acl
            if place is not None and site.acl is not None and site.acl in facts.acls:
                acls[place] = facts.acls[site.acl]
        tiers[names[group.key]] = TierNode(
            name=names[group.key],
            group=group.key,
            subnet_group=place,
            address=member_address(site) if site is not None else None,
            rules=group.rules,
        )
    return Topology(
        tiers=tiers,
        acls=acls,
        named_cidrs=dict(facts.named_cidrs),
        prefix_lists=dict(facts.prefix_lists),
        ephemeral=facts.ephemeral,
    )
