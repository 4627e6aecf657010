"""Addresses to tiers without an account: the stack's plan standing in for the inventory.

The plan knows each tier's rules, each subnet's CIDR and each ACL's subnets; it does not
know the interfaces. They are inferred from the flows: an interface id (or, when the
format has no ``interface-id``, an address) whose local address lies in a planned subnet
becomes an interface of that subnet carrying the groups of the tiers placed in the
subnet's group. A tier's group is keyed by the tier name and its rules by their planned
names (what the ``Name`` tag would say), so the report and the suggested diff read the
same as with an account.

Tiers sharing a subnet group (a load balancer and web servers in the public subnets)
cannot be told apart by address: such an interface carries all their groups, so their
rules are judged together. That can only over-claim "used" — a rule said unused had no
admitting flow under any assignment of addresses to those tiers — and the report says
which tiers were judged together.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping

from tierguard.deployed import tags as tag
from tierguard.deployed.inventory import (
    GroupRule,
    NetworkAcl,
    NetworkInterface,
    RegionInventory,
    SecurityGroup,
    Subnet,
)
from tierguard.errors import UsageError
from tierguard.plan import NetworkPlan, PlannedSubnet
from tierguard.rules import IPNetwork
from tierguard.usage.flows import Address, Flow


def _groups(plan: NetworkPlan, vpc: str) -> tuple[SecurityGroup, ...]:
    found = []
    for name, tier in plan.tiers.items():
        # Planned rules as they are: a tier's group id here is its name.
        rules = [GroupRule(p.name, p.rule, {tag.NAME: p.name}) for p in tier.rules]
        found.append(
            SecurityGroup(
                id=name,
                name=tier.resource_name,
                description=tier.description,
                vpc_id=vpc,
                rules=tuple(rules),
                tags={tag.TIER: name, tag.STACK: plan.stack},
            )
        )
    return tuple(found)


def _blocks(plan: NetworkPlan) -> list[tuple[IPNetwork, PlannedSubnet]]:
    missing = [s.key for s in plan.subnets if s.cidr is None]
    if missing:
        raise UsageError(
            f"--from-plan: subnet {missing[0]!r} has no CIDR in the stack's plan (an existing "
            "subnet given by id); read the account instead (drop --from-plan)"
        )
    return [(s.cidr, s) for s in plan.subnets if s.cidr is not None]


class _Locator:
    """Address → the planned subnet holding it and the tiers placed there."""

    def __init__(self, plan: NetworkPlan) -> None:
        self.blocks = _blocks(plan)
        self.tiers: dict[str, tuple[str, ...]] = defaultdict(tuple)
        for name, tier in plan.tiers.items():
            if tier.subnet_group is not None:
                self.tiers[tier.subnet_group] += (name,)

    def subnet(self, address: Address) -> PlannedSubnet | None:
        return next(
            (
                s
                for block, s in self.blocks
                if block.version == address.version and address in block
            ),
            None,
        )

    def placed(self, address: Address) -> bool:
        subnet = self.subnet(address)
        return subnet is not None and bool(self.tiers.get(subnet.group))


def _local_address(flow: Flow, locate: _Locator) -> list[Address]:
    """The end(s) of ``flow`` that may be the logging interface's own address."""
    if flow.ingress is not None:
        return [(flow.pkt_dst or flow.dst) if flow.ingress else (flow.pkt_src or flow.src)]
    return [a for a in (flow.dst, flow.src) if locate.placed(a)]


def _interfaces(flows: Iterable[Flow], locate: _Locator, vpc: str) -> tuple[NetworkInterface, ...]:
    by_id: dict[str, Counter[Address]] = defaultdict(Counter)
    bare: set[Address] = set()
    for flow in flows:
        candidates = _local_address(flow, locate)
        if flow.interface_id is None:
            bare.update(a for a in candidates if locate.placed(a))
        else:
            by_id[flow.interface_id].update(candidates)
    found = []
    for eni, counts in sorted(by_id.items()):
        # The interface's own address is in every one of its flows: the most frequent end.
        address = next((a for a, _ in counts.most_common() if locate.placed(a)), None)
        if address is not None:
            found.append(_interface(eni, address, locate, vpc))
    found.extend(_interface(f"ip:{a}", a, locate, vpc) for a in sorted(bare, key=str))
    return tuple(found)


def _interface(eni: str, address: Address, locate: _Locator, vpc: str) -> NetworkInterface:
    subnet = locate.subnet(address)
    assert subnet is not None
    return NetworkInterface(
        id=eni,
        subnet_id=subnet.key,
        vpc_id=vpc,
        groups=locate.tiers[subnet.group],
        private_address=address if address.version == 4 else None,
        ipv6_addresses=(address,) if address.version == 6 else (),
        description="inferred from the flow logs and the plan's subnets",
    )


def plan_inventory(plan: NetworkPlan, flows: Iterable[Flow], region: str) -> RegionInventory:
    """The inventory the plan implies, with interfaces inferred from ``flows``."""
    vpc = plan.vpc_id or f"{plan.name} (planned)"
    locate = _Locator(plan)
    acls = tuple(
        NetworkAcl(
            id=acl.name,
            vpc_id=vpc,
            is_default=False,
            subnet_ids=tuple(s.key for g in acl.subnet_groups for s in plan.subnets_in(g)),
            entries=tuple(e.entry for e in acl.entries),
            tags={tag.ACL: acl.name, tag.NAME: acl.resource_name},
        )
        for acl in plan.acls.values()
    )
    return RegionInventory(
        region=region,
        groups=_groups(plan, vpc),
        interfaces=_interfaces(flows, locate, vpc),
        acls=acls,
        subnets=tuple(Subnet(s.key, vpc, cidr) for cidr, s in locate.blocks),
        notes=tuple(shared_tiers_notes(locate.tiers)),
    )


def shared_tiers_notes(tiers: Mapping[str, tuple[str, ...]]) -> list[str]:
    return [
        f"tiers {', '.join(names)} share subnet group {group!r}: addresses there cannot say "
        "which tier they are, so those tiers' rules are judged together"
        for group, names in sorted(tiers.items())
        if len(names) > 1
    ]
