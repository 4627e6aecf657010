"""What the plan refuses, and where it says the problem is (the config path to fix).

Each case is a configuration AWS (or the layout it implies) cannot accept: a subnet
outside or overlapping the VPC block, more subnets than fit, an ACL entry with two
protocols (an entry has one), no rule number left below the ``*`` rule (32766 is the
highest a user may use), and references to names that do not exist.
"""

from __future__ import annotations

from typing import Any

import pytest

from tierguard.errors import ConfigError
from tierguard.program import plan_from_raw


def base(**extra: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "name": "t",
        "vpc": {"cidr": "10.20.0.0/16", "az_count": 2},
        "subnet_groups": {"app": {}},
        "tiers": {
            "app": {"subnet_group": "app", "ingress": [{"service": "https", "cidr": "10.0.0.0/8"}]}
        },
    }
    raw.update(extra)
    return raw


def problems(raw: dict[str, Any]) -> list[str]:
    """Each problem as ``path: message``, the path relative to ``tierguard:network``."""
    with pytest.raises(ConfigError) as caught:
        plan_from_raw(raw, region="us-east-1", stack="dev")
    return [str(p).removeprefix("tierguard:network.") for p in caught.value.problems]


class TestSubnets:
    def test_a_subnet_outside_the_vpc_or_overlapping_another(self) -> None:
        """Each CIDR is checked against the VPC block and the subnets before it."""
        raw = base(
            subnet_groups={
                "app": {"cidrs": ["10.20.0.0/24", "10.99.0.0/24"]},
                "data": {"cidrs": ["10.20.0.0/25", "10.20.1.0/24"]},
            }
        )
        assert problems(raw) == [
            "subnet_groups.app.cidrs[1]: 10.99.0.0/24 is not inside the VPC block 10.20.0.0/16",
            "subnet_groups.data.cidrs[0]: 10.20.0.0/25 overlaps another subnet",
        ]

    def test_one_cidr_per_availability_zone(self) -> None:
        """Two zones need two CIDRs."""
        [problem] = problems(base(subnet_groups={"app": {"cidrs": ["10.20.0.0/24"]}}))
        assert problem.startswith("subnet_groups.app.cidrs: ")

    def test_subnet_ids_belong_to_an_existing_vpc(self) -> None:
        """A created VPC has no subnet ids to name yet."""
        [problem] = problems(
            base(subnet_groups={"app": {"subnet_ids": ["subnet-0123456789abcdef0"]}})
        )
        assert problem == (
            "subnet_groups.app.subnet_ids: only with an existing vpc.id; tierguard creates these subnets"
        )

    def test_a_prefix_larger_than_the_vpc(self) -> None:
        """A /16 subnet cannot be carved from a /20."""
        raw = base(subnet_groups={"app": {"prefix_length": 16}})
        raw["vpc"]["cidr"] = "10.20.0.0/20"
        assert problems(raw) == [
            "subnet_groups.app.prefix_length: /16 is larger than the VPC block 10.20.0.0/20"
        ]

    def test_no_room_left(self) -> None:
        """Two /17 subnets fill a /16: a second group's two /17s do not fit."""
        raw = base(subnet_groups={"app": {"prefix_length": 17}, "data": {"prefix_length": 17}})
        assert problems(raw) == [
            "subnet_groups.data: no room left in 10.20.0.0/16 for 2 more /17 subnets"
        ]

    def test_a_tier_in_an_unknown_subnet_group(self) -> None:
        """The path is the tier's subnet_group."""
        raw = base()
        raw["tiers"]["app"]["subnet_group"] = "nowhere"
        assert any(p.startswith("tiers.app.subnet_group: ") for p in problems(raw))


class TestNames:
    def test_an_unknown_named_cidr_lists_the_known_ones(self) -> None:
        """In a tier rule and in an ACL entry alike."""
        raw = base(
            named_cidrs={"office": "203.0.113.0/24"},
            network_acls={
                "app": {
                    "subnet_groups": ["app"],
                    "ingress": [{"rule": 100, "service": "https", "named_cidr": "home"}],
                }
            },
        )
        raw["tiers"]["app"]["ingress"] = [{"service": "ssh", "named_cidr": "vpn"}]
        assert problems(raw) == [
            "tiers.app.ingress[0].named_cidr: unknown named CIDR 'vpn'; named_cidrs: office",
            "network_acls.app.ingress[0].named_cidr: unknown named CIDR 'home'; named_cidrs: office",
        ]


class TestAclEntries:
    def test_a_service_with_two_protocols_is_two_entries(self) -> None:
        """DNS is TCP and UDP 53; an ACL entry has one protocol."""
        raw = base(
            network_acls={
                "app": {
                    "subnet_groups": ["app"],
                    "ingress": [{"rule": 100, "service": "dns", "cidr": "10.0.0.0/8"}],
                }
            }
        )
        [problem] = problems(raw)
        assert problem.startswith(
            "network_acls.app.ingress[0].service: service 'dns' needs 2 protocols"
        )

    def test_no_rule_number_left_for_return_rules(self) -> None:
        """Return rules numbered from 32766 up: the first fits, the second has no number."""
        raw = base(
            return_rule_base=32766,
            network_acls={
                "app": {
                    "subnet_groups": ["app"],
                    "ingress": [
                        {"rule": 100, "service": "https", "internet": "ipv4"},
                        {"rule": 110, "service": "https", "internet": "ipv6"},
                    ],
                }
            },
        )
        assert problems(raw) == [
            "network_acls.app: no free rule number left for automatic return rules at or above "
            "return_rule_base=32766; lower it"
        ]

    def test_a_referenced_group_is_a_peer(self) -> None:
        """``security_group_id`` names an existing group as the peer."""
        raw = base()
        raw["tiers"]["app"]["ingress"] = [
            {"service": "https", "security_group_id": "sg-0123456789abcdef0"}
        ]
        plan = plan_from_raw(raw, region="us-east-1", stack="dev")
        [rule] = plan.tiers["app"].rules_in(plan.tiers["app"].rules[0].rule.direction)
        assert str(rule.rule.peer) == "security group sg-0123456789abcdef0"
        assert rule.peer_tier is None

    def test_every_planned_resource_has_an_origin(self) -> None:
        """Errors from the engine name the config path of the resource that failed."""
        plan = plan_from_raw(base(), region="us-east-1", stack="dev")
        origins = plan.origins()
        assert origins["t-vpc"] == "vpc"
        assert origins[plan.tiers["app"].resource_name] == "tiers.app"
        assert {origins[r.name] for r in plan.tiers["app"].rules} >= {"tiers.app.ingress[0]"}
        assert sorted(k for k, v in origins.items() if v == "subnet_groups.app") == [
            f"t-{s.key}" for s in plan.subnets
        ]
