"""Generated networks of a chosen size, for benchmarks.

``network_config(rules)`` gives a ``tierguard:network`` value whose plan has about
``rules`` rule resources (SG rules plus ACL entries): tiers of 40 ingress rules each
(some referencing the previous tier, so automatic egress appears), one subnet group and
ACL per tier with ten entries per direction.
"""

from __future__ import annotations

import ipaddress
import math
from typing import Any

from tierguard.reach import AclNode, LabeledRule, Placement, TierNode, Topology
from tierguard.rules import (
    TCP,
    AclAction,
    AclEntry,
    CidrPeer,
    Direction,
    PortRange,
    SecurityGroupPeer,
    SgRule,
    Traffic,
)

SG_RULES_PER_TIER = 40
ACL_ENTRIES_PER_DIRECTION = 10


def _tier_rules(index: int) -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = []
    for n in range(SG_RULES_PER_TIER):
        port = 1000 + n
        if index > 0 and n % 4 == 0:
            rules.append({"protocol": "tcp", "ports": port, "tier": f"t{index - 1}"})
        else:
            rules.append(
                {"protocol": "tcp", "ports": port, "cidr": f"10.{100 + n % 100}.{index % 256}.0/24"}
            )
    return rules


def _acl_rules(index: int) -> list[dict[str, Any]]:
    return [
        {
            "rule": 100 + 10 * n,
            "protocol": "tcp",
            "ports": 2000 + n,
            "cidr": f"172.16.{index % 256}.0/24",
        }
        for n in range(ACL_ENTRIES_PER_DIRECTION)
    ]


def tiers_for(rules: int) -> int:
    per_tier = SG_RULES_PER_TIER * 1.1 + 2 * ACL_ENTRIES_PER_DIRECTION + 1
    return max(1, math.ceil(rules / per_tier))


def network_config(rules: int) -> dict[str, Any]:
    tiers = tiers_for(rules)
    return {
        "name": "bench",
        "vpc": {"cidr": "10.0.0.0/16", "az_count": 1},
        "subnet_groups": {f"g{i}": {"prefix_length": 24} for i in range(tiers)},
        "tiers": {
            f"t{i}": {"subnet_group": f"g{i}", "ingress": _tier_rules(i)} for i in range(tiers)
        },
        "network_acls": {
            f"a{i}": {
                "subnet_groups": [f"g{i}"],
                "ingress": _acl_rules(i),
                "egress": _acl_rules(i),
            }
            for i in range(tiers)
        },
        "quotas": {"security_group_rules": 100, "network_acl_rules": 40},
    }


def topology(rules: int) -> Topology:
    """A reachability topology of ``rules`` SG rules and ACL entries, built directly."""
    tier_count = max(1, rules // 60)
    tiers: dict[str, TierNode] = {}
    acls: dict[str, AclNode] = {}
    for i in range(tier_count):
        name = f"t{i}"
        labeled = []
        for n in range(50):
            peer: CidrPeer | SecurityGroupPeer = (
                SecurityGroupPeer(f"t{i - 1}")
                if i and n % 5 == 0
                else CidrPeer(ipaddress.ip_network(f"10.{n}.{i % 256}.0/24"))
            )
            rule = SgRule(
                name, Direction.INGRESS, Traffic.of(TCP, PortRange.single(1000 + n)), peer
            )
            labeled.append(LabeledRule(f"{name}-{n}", rule))
        entries = tuple(
            AclEntry(
                100 + n,
                n % 2 == 1,
                AclAction.ALLOW if n % 3 else AclAction.DENY,
                Traffic.of(TCP, PortRange(1000 + n, 1100 + n)),
                ipaddress.ip_network(f"10.{n}.0.0/16"),
            )
            for n in range(10)
        )
        address = ipaddress.ip_network(f"10.200.{i % 256}.{10 + i // 256}/32")
        tiers[name] = TierNode(name, name, (Placement(f"g{i}", address, f"g{i}"),), tuple(labeled))
        acls[f"g{i}"] = AclNode(f"a{i}", entries)
    return Topology(tiers=tiers, acls=acls)
