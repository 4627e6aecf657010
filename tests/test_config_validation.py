"""Bad input gets one line per problem naming the config path, the value and what is valid."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tierguard.errors import ConfigError
from tierguard.program import plan_from_raw

BASE: dict[str, Any] = {
    "vpc": {"cidr": "10.0.0.0/16"},
    "subnet_groups": {"public": {"public": True}, "app": {}},
    "tiers": {
        "web": {
            "subnet_group": "public",
            "ingress": [
                {"service": "https", "internet": "ipv4"},
                {"service": "ssh", "cidr": "203.0.113.0/24"},
            ],
        },
        "app": {
            "subnet_group": "app",
            "ingress": [{"protocol": "tcp", "ports": 8080, "tier": "web"}],
        },
    },
    "network_acls": {
        "public": {
            "subnet_groups": ["public"],
            "ingress": [{"rule": 100, "service": "https", "internet": "ipv4"}],
        }
    },
}


def problems(network: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        plan_from_raw(network, region="us-east-1", stack="test")
    return [str(p) for p in caught.value.problems]


def with_change(path: str, value: Any) -> dict[str, Any]:
    """A copy of BASE with one value replaced, addressed like 'tiers.web.ingress.1.cidr'."""
    network = copy.deepcopy(BASE)
    *parents, last = path.split(".")
    node: Any = network
    for part in parents:
        node = node[int(part)] if part.isdigit() else node[part]
    if last.isdigit():
        node[int(last)] = value
    else:
        node[last] = value
    return network


def test_the_base_config_is_valid() -> None:
    """The fixture every case below breaks in one place is itself valid."""
    plan = plan_from_raw(BASE, region="us-east-1", stack="test")
    assert set(plan.tiers) == {"web", "app"}


class TestValueErrors:
    @pytest.mark.parametrize(
        ("path", "value", "expected"),
        [
            (
                "tiers.web.ingress.1.cidr",
                "10.0.0.5/8",
                "tierguard:network.tiers.web.ingress[1].cidr: '10.0.0.5/8' has host bits set "
                "(did you mean 10.0.0.0/8?)",
            ),
            (
                "tiers.web.ingress.1.cidr",
                "10.0.0.300/8",
                "tierguard:network.tiers.web.ingress[1].cidr: '10.0.0.300/8' is not a valid IPv4 "
                "or IPv6 CIDR block (for example 10.0.0.0/16 or 2001:db8::/32)",
            ),
            (
                "tiers.app.ingress.0.ports",
                70000,
                "tierguard:network.tiers.app.ingress[0].ports: port 70000 is outside 0-65535",
            ),
            (
                "tiers.app.ingress.0.ports",
                "9000-8000",
                "tierguard:network.tiers.app.ingress[0].ports: range 9000-8000 starts after it "
                "ends (did you mean 8000-9000?)",
            ),
            (
                "tiers.app.ingress.0",
                {"protocol": "icmp", "ports": 8, "tier": "web"},
                "tierguard:network.tiers.app.ingress[0].ports: '8': ICMP has no ports; use "
                "icmp_type and icmp_code instead",
            ),
            (
                "tiers.app.ingress.0",
                {"protocol": "all", "ports": "0-100", "tier": "web"},
                "tierguard:network.tiers.app.ingress[0].ports: '0-100': protocol 'all' already "
                "covers every port; remove ports",
            ),
            (
                "tiers.app.ingress.0",
                {"protocol": "tcp", "tier": "web"},
                "tierguard:network.tiers.app.ingress[0]: protocol tcp needs ports",
            ),
            (
                "tiers.app.ingress.0",
                {"protocol": "tcp", "ports": 80, "tier": "web", "cidr": "10.0.0.0/8"},
                "tierguard:network.tiers.app.ingress[0]: give exactly one of internet, cidr, "
                "named_cidr, tier, security_group_id, prefix_list_id or self: true "
                "(found: cidr, tier)",
            ),
            (
                "network_acls.public.ingress.0.rule",
                40000,
                "tierguard:network.network_acls.public.ingress[0].rule: rule 40000 is outside "
                "1-32766",
            ),
            (
                "tiers.web.ingress.0.description",
                "Managed by Pulumi",
                "tierguard:network.tiers.web.ingress[0].description: 'Managed by Pulumi' is a "
                "placeholder",
            ),
            (
                "tiers.web.ingress.0.description",
                "HTTPS <public>",
                "tierguard:network.tiers.web.ingress[0].description: 'HTTPS <public>' contains "
                "'<>', which EC2 rejects",
            ),
            (
                "tiers.web.ingress.0.security_group_id",
                "sg-XYZ",
                "tierguard:network.tiers.web.ingress[0].security_group_id: 'sg-XYZ' is not a "
                "valid value; expected a security group id",
            ),
            (
                "network_acls.public.ingress.0.internet",
                "dual",
                "tierguard:network.network_acls.public.ingress[0].internet: 'dual': an ACL entry "
                "holds one address family",
            ),
        ],
    )
    def test_one_bad_value_gives_one_precise_line(
        self, path: str, value: Any, expected: str
    ) -> None:
        """The message names the path the user wrote, the value, and the valid alternative."""
        found = problems(with_change(path, value))
        assert len(found) == 1, found
        assert found[0].startswith(expected)

    def test_unknown_keys_list_the_valid_ones_and_suggest_the_closest(self) -> None:
        """A typo never silently drops a rule: 'prots' is an error suggesting 'ports'."""
        found = problems(
            with_change("tiers.app.ingress.0", {"protocol": "tcp", "prots": 80, "tier": "web"})
        )
        assert any(
            p.startswith(
                "tierguard:network.tiers.app.ingress[0].prots: unknown key 'prots' "
                "(did you mean 'ports'?); valid keys: cidr, description,"
            )
            for p in found
        )

    def test_invalid_tier_names_are_refused(self) -> None:
        """Names become resource names: upper case and underscores are not allowed."""
        network = copy.deepcopy(BASE)
        network["tiers"]["Web_1"] = network["tiers"].pop("web")
        assert any(
            p.startswith("tierguard:network.tiers.Web_1: 'Web_1' is not a valid name")
            for p in problems(network)
        )

    def test_every_problem_is_reported_at_once(self) -> None:
        """Two independent mistakes give two lines, not one at a time."""
        network = with_change("tiers.web.ingress.1.cidr", "10.0.0.5/8")
        network["tiers"]["app"]["ingress"][0]["ports"] = 70000
        assert len(problems(network)) == 2

    def test_missing_network_key(self) -> None:
        """No description at all says where it belongs."""
        with pytest.raises(ConfigError, match="tierguard:network: is required"):
            plan_from_raw(None, region="us-east-1", stack="test")


class TestCrossReferences:
    def test_unknown_tier(self) -> None:
        """A reference to a tier that does not exist lists the tiers that do."""
        assert problems(with_change("tiers.app.ingress.0.tier", "wbe")) == [
            "tierguard:network.tiers.app.ingress[0].tier: unknown tier 'wbe'; tiers: app, web"
        ]

    def test_unknown_service_suggests_the_closest(self) -> None:
        """'htps' suggests 'https' and points at the custom catalogue."""
        [found] = problems(with_change("tiers.web.ingress.0.service", "htps"))
        assert found.startswith(
            "tierguard:network.tiers.web.ingress[0].service: unknown service 'htps' "
            "(did you mean 'https'?); known services:"
        )
        assert found.endswith("or add it under services")

    def test_unknown_subnet_group(self) -> None:
        """Tiers and ACLs may only name declared subnet groups."""
        assert problems(with_change("network_acls.public.subnet_groups", ["pubic"])) == [
            "tierguard:network.network_acls.public.subnet_groups[0]: unknown subnet group "
            "'pubic'; subnet_groups: app, public"
        ]

    def test_a_subnet_group_has_one_acl(self) -> None:
        """Two ACLs on one subnet group is refused, as AWS allows one ACL per subnet."""
        network = copy.deepcopy(BASE)
        network["network_acls"]["other"] = {"subnet_groups": ["public"]}
        [found] = problems(network)
        assert "already uses ACL 'public'; a subnet has exactly one network ACL" in found

    def test_duplicate_rules_are_refused(self) -> None:
        """Writing 443 twice (by service and by port) is a duplicate EC2 would reject."""
        network = copy.deepcopy(BASE)
        network["tiers"]["web"]["ingress"].append(
            {"protocol": "tcp", "ports": 443, "internet": "ipv4"}
        )
        [found] = problems(network)
        assert found.startswith(
            "tierguard:network.tiers.web.ingress[2]: duplicates tiers.web.ingress[0]"
        )

    def test_duplicate_acl_rule_numbers_are_refused(self) -> None:
        """Rule numbers are unique per direction."""
        network = copy.deepcopy(BASE)
        network["network_acls"]["public"]["ingress"].append(
            {"rule": 100, "service": "http", "internet": "ipv4"}
        )
        assert problems(network) == [
            "tierguard:network.network_acls.public.ingress[1].rule: rule 100 is already used by "
            "network_acls.public.ingress[0]; rule numbers must be unique per direction"
        ]

    def test_same_number_in_both_directions_is_fine(self) -> None:
        """Ingress 100 and egress 100 are different entries."""
        network = copy.deepcopy(BASE)
        network["network_acls"]["public"]["egress"] = [
            {"rule": 100, "protocol": "all", "internet": "ipv4"}
        ]
        plan_from_raw(network, region="us-east-1", stack="test")


class TestQuotas:
    def test_security_group_rule_quota_per_direction_and_family(self) -> None:
        """61 IPv4 ingress rules exceed the default 60; IPv6 ones count separately."""
        network = copy.deepcopy(BASE)
        network["tiers"]["web"]["ingress"] = [
            {"protocol": "tcp", "ports": 1000 + i, "internet": "ipv4"} for i in range(61)
        ]
        [found] = problems(network)
        assert found.startswith("tierguard:network.tiers.web.ingress: plans 61 IPv4 ingress rules")
        assert "the quota is 60" in found
        network["quotas"] = {"security_group_rules": 61}
        plan_from_raw(network, region="us-east-1", stack="test")

    def test_acl_quota_counts_the_implicit_deny_and_return_rules(self) -> None:
        """19 ingress entries + '*' fit the default 20; the automatic return rule counts too."""
        network = copy.deepcopy(BASE)
        network["network_acls"]["public"]["ingress"] = [
            {"rule": 100 + i, "protocol": "tcp", "ports": 2000 + i, "cidr": f"10.{i}.0.0/16"}
            for i in range(19)
        ]
        network["network_acls"]["public"]["return_traffic"] = False
        plan_from_raw(network, region="us-east-1", stack="test")
        network["network_acls"]["public"]["ingress"].append(
            {"rule": 300, "protocol": "udp", "ports": 53, "cidr": "10.99.0.0/16"}
        )
        [found] = problems(network)
        assert found.startswith(
            "tierguard:network.network_acls.public.ingress: plans 20 IPv4 ingress entries plus "
            "the implicit deny = 21; the quota is 20"
        )

    def test_acl_quota_cannot_exceed_the_aws_maximum(self) -> None:
        """AWS caps ACL entries at 40 per direction."""
        [found] = problems(with_change("quotas", {"network_acl_rules": 41}))
        assert found.startswith("tierguard:network.quotas.network_acl_rules:")


class TestVpc:
    def test_existing_vpc_needs_subnet_ids(self) -> None:
        """An existing VPC cannot have subnets created for it."""
        network = with_change("vpc", {"id": "vpc-0123456789abcdef0"})
        found = problems(network)
        assert (
            "tierguard:network.subnet_groups.public.subnet_ids: is required: vpc.id 'vpc-0123456789abcdef0' is an existing VPC"
            in found
        )

    def test_explicit_subnet_blocks_must_fit_the_vpc(self) -> None:
        """A block outside the VPC is named with the VPC block."""
        network = copy.deepcopy(BASE)
        network["subnet_groups"]["app"] = {"cidrs": ["10.0.50.0/24", "192.168.0.0/24"]}
        assert problems(network) == [
            "tierguard:network.subnet_groups.app.cidrs[1]: 192.168.0.0/24 is not inside the VPC "
            "block 10.0.0.0/16"
        ]

    def test_vpc_needs_cidr_or_id(self) -> None:
        """An empty vpc block says what to give."""
        assert problems(with_change("vpc", {})) == [
            "tierguard:network.vpc: give cidr (tierguard creates the VPC) or id (an existing VPC)"
        ]
