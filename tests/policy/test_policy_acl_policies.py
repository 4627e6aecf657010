"""Network-ACL stack policies: merged, rule-ordered evaluation, return traffic, hygiene."""

from __future__ import annotations

from typing import Any

from tierguard.policies.acl import (
    ACL_ADMIN_PORTS,
    ACL_ALL_TRAFFIC,
    ACL_ATTACHED,
    ACL_HIGH_RISK_PORTS,
    ACL_RETURN_TRAFFIC,
    ACL_SHADOWED,
)
from tierguard.policies.testing import UNKNOWN, acl_block, resource, run_stack_policy
from tierguard.rules.normalize import (
    DEFAULT_NETWORK_ACL,
    NETWORK_ACL,
    NETWORK_ACL_ASSOCIATION,
    NETWORK_ACL_RULE,
    SUBNET,
)

WORLD = "0.0.0.0/0"


def _acl(
    *ingress: dict[str, Any], egress: list[dict[str, Any]] | None = None, **extra: Any
) -> dict[str, Any]:
    return resource(
        NETWORK_ACL,
        "public-acl",
        {
            "vpcId": "vpc-0123456789abcdef0",
            "ingress": list(ingress),
            "egress": egress or [],
            **extra,
        },
        id="acl-0123456789abcdef0",
    )


def _rule(
    name: str, number: int, action: str, *, egress: bool = False, **fields: Any
) -> dict[str, Any]:
    acl = _acl()
    return resource(
        NETWORK_ACL_RULE,
        name,
        {
            "networkAclId": "acl-0123456789abcdef0",
            "ruleNumber": float(number),
            "egress": egress,
            "ruleAction": action,
            "protocol": "tcp",
            "cidrBlock": WORLD,
            **fields,
        },
        property_dependencies={"networkAclId": [acl["urn"]]},
    )


class TestAclAdminPorts:
    def test_allow_ssh_from_the_world_is_reported_with_rule_number(self) -> None:
        """An allow for TCP 22 from 0.0.0.0/0 is reported, naming rule 100."""
        outcome = run_stack_policy(
            ACL_ADMIN_PORTS, [_acl(acl_block(100, "allow", WORLD, "tcp", 22))]
        )
        text = outcome.text()
        assert "rule 100" in text
        assert "22 (SSH)" in text
        assert outcome.urns == [_acl()["urn"]]

    def test_a_lower_deny_closes_the_port(self) -> None:
        """deny TCP 22 at 90 before allow-all at 100 closes TCP 22 only (prowler PR#1350)."""
        stack = [
            _acl(acl_block(90, "deny", WORLD, "tcp", 22), acl_block(100, "allow", WORLD, "-1"))
        ]
        text = run_stack_policy(ACL_ADMIN_PORTS, stack).text()
        assert "TCP 22" not in text
        assert "UDP 22" in text
        assert "TCP 3389" in text

    def test_order_is_by_number_not_by_position(self) -> None:
        """A deny written after the allow but numbered lower still wins."""
        stack = [
            _acl(
                acl_block(200, "allow", WORLD, "tcp", 0, to_port=65535),
                acl_block(50, "deny", WORLD, "tcp", 0, to_port=65535),
            )
        ]
        assert run_stack_policy(ACL_ADMIN_PORTS, stack).clean

    def test_deny_rules_are_never_flagged(self) -> None:
        """A deny for 22 from the world is not a finding (trivy#3283, CKV_AWS_352)."""
        stack = [_acl(acl_block(100, "deny", WORLD, "tcp", 0, to_port=65535))]
        assert run_stack_policy(ACL_ADMIN_PORTS, stack).clean

    def test_a_separate_rule_is_judged_with_the_inline_entries(self) -> None:
        """A NetworkAclRule deny at 50 closes an inline allow at 100 (merged per ACL)."""
        stack = [
            _acl(acl_block(100, "allow", WORLD, "tcp", 0, to_port=65535)),
            _rule("deny-admin", 50, "deny", fromPort=22.0, toPort=22.0),
            _rule("deny-rdp", 51, "deny", fromPort=3389.0, toPort=3389.0),
        ]
        assert run_stack_policy(ACL_ADMIN_PORTS, stack).clean

    def test_a_separate_allow_rule_is_reported(self) -> None:
        """A NetworkAclRule allowing 3389 from ::/0 is reported."""
        stack = [
            _acl(),
            _rule(
                "rdp",
                100,
                "allow",
                fromPort=3389.0,
                toPort=3389.0,
                cidrBlock=None,
                ipv6CidrBlock="::/0",
            ),
        ]
        text = run_stack_policy(ACL_ADMIN_PORTS, stack).text()
        assert "::/0" in text
        assert "rdp" in text

    def test_address_families_are_configurable(self) -> None:
        """ipTypes=[ipv4] leaves an IPv6 allow for 22 unreported."""
        stack = [_acl(acl_block(100, "allow", "::/0", "tcp", 22))]
        assert run_stack_policy(ACL_ADMIN_PORTS, stack).violations
        config = {"ipTypes": ["ipv4"]}
        assert run_stack_policy(ACL_ADMIN_PORTS, stack, config=config).clean

    def test_a_specific_source_is_not_the_internet(self) -> None:
        """allow 22 from one /32 followed by nothing else is not internet exposure."""
        stack = [_acl(acl_block(100, "allow", "203.0.113.7/32", "tcp", 22))]
        assert run_stack_policy(ACL_ADMIN_PORTS, stack).clean

    def test_a_deny_for_one_address_does_not_close_the_port(self) -> None:
        """deny 22 for a single /32 before allow 22 for the world still exposes SSH."""
        stack = [
            _acl(
                acl_block(90, "deny", "198.51.100.1/32", "tcp", 22),
                acl_block(100, "allow", WORLD, "tcp", 22),
            )
        ]
        assert run_stack_policy(ACL_ADMIN_PORTS, stack).violations

    def test_return_traffic_rules_do_not_count_by_default(self) -> None:
        """3389 open only through the 1024-65535 return allow is left to the security groups."""
        stack = [_acl(acl_block(120, "allow", WORLD, "tcp", 1024, to_port=65535))]
        assert run_stack_policy(ACL_ADMIN_PORTS, stack).clean
        assert run_stack_policy(ACL_HIGH_RISK_PORTS, stack).clean

    def test_return_traffic_rules_count_when_configured(self) -> None:
        """ignoreReturnTrafficRules=false reads the ACL as strictly as Security Hub EC2.21."""
        stack = [_acl(acl_block(120, "allow", WORLD, "tcp", 1024, to_port=65535))]
        config = {"ignoreReturnTrafficRules": False}
        assert "TCP 3389" in run_stack_policy(ACL_ADMIN_PORTS, stack, config=config).text()

    def test_a_range_reaching_below_1024_is_not_a_return_rule(self) -> None:
        """An allow of 0-65535 over TCP is not return traffic: 22 and 3389 are reported."""
        stack = [_acl(acl_block(120, "allow", WORLD, "tcp", 0, to_port=65535))]
        text = run_stack_policy(ACL_ADMIN_PORTS, stack).text()
        assert "TCP 22" in text
        assert "TCP 3389" in text

    def test_the_default_acl_is_judged(self) -> None:
        """A managed DefaultNetworkAcl with allow-all is judged (EC2.21 skips it)."""
        default = resource(
            DEFAULT_NETWORK_ACL,
            "default",
            {"ingress": [acl_block(100, "allow", WORLD, "-1")], "egress": []},
        )
        assert run_stack_policy(ACL_ADMIN_PORTS, [default]).violations

    def test_unknown_entries_are_reported(self) -> None:
        """An entry whose CIDR is unknown at preview is reported as not evaluated."""
        stack = [_acl({**acl_block(100, "allow", WORLD, "tcp", 22), "cidrBlock": UNKNOWN})]
        outcome = run_stack_policy(ACL_ADMIN_PORTS, stack)
        assert outcome.violations == []
        assert "could not be evaluated at preview" in outcome.not_evaluated[0]


class TestAclAllTraffic:
    def test_allow_all_protocols_from_the_world(self) -> None:
        """Protocol -1 allow from 0.0.0.0/0 is reported."""
        outcome = run_stack_policy(ACL_ALL_TRAFFIC, [_acl(acl_block(100, "allow", WORLD, "-1"))])
        assert "all protocols" in outcome.text()

    def test_all_tcp_ports_count_too(self) -> None:
        """tcp 0-65535 allow is every TCP port (Checkov misses from_port=0)."""
        outcome = run_stack_policy(
            ACL_ALL_TRAFFIC, [_acl(acl_block(100, "allow", WORLD, "tcp", 0, to_port=65535))]
        )
        assert "every TCP port" in outcome.text()

    def test_https_and_return_traffic_are_not_all_traffic(self) -> None:
        """443 plus the ephemeral range is not 'all'."""
        stack = [
            _acl(
                acl_block(100, "allow", WORLD, "tcp", 443),
                acl_block(110, "allow", WORLD, "tcp", 1024, to_port=65535),
            )
        ]
        assert run_stack_policy(ACL_ALL_TRAFFIC, stack).clean


class TestAclHighRiskPorts:
    def test_postgres_from_the_world(self) -> None:
        """An allow covering 5432 from the world is reported."""
        stack = [_acl(acl_block(100, "allow", WORLD, "tcp", 5000, to_port=5500))]
        assert "5432 (PostgreSQL)" in run_stack_policy(ACL_HIGH_RISK_PORTS, stack).text()


class TestReturnTraffic:
    def test_inbound_https_without_outbound_ephemeral(self) -> None:
        """Inbound 443 with no egress back on 1024-65535 is the stateless pitfall."""
        outcome = run_stack_policy(
            ACL_RETURN_TRAFFIC, [_acl(acl_block(100, "allow", WORLD, "tcp", 443))]
        )
        text = outcome.text()
        assert "1024-65535" in text
        assert "implicit deny" in text

    def test_inbound_https_with_return_rule_is_clean(self) -> None:
        """Egress 1024-65535 to the same clients completes the flow."""
        stack = [
            _acl(
                acl_block(100, "allow", WORLD, "tcp", 443),
                egress=[acl_block(100, "allow", WORLD, "tcp", 1024, to_port=65535)],
            )
        ]
        assert run_stack_policy(ACL_RETURN_TRAFFIC, stack).clean

    def test_outbound_calls_need_inbound_return(self) -> None:
        """Egress 443 to the world needs ingress 1024-65535 from it (the reverse)."""
        stack = [_acl(egress=[acl_block(100, "allow", WORLD, "tcp", 443)])]
        assert "ingress allow" in run_stack_policy(ACL_RETURN_TRAFFIC, stack).text()

    def test_a_partial_return_range_names_the_gap(self) -> None:
        """Return allowed only on 32768-65535 leaves 1024-32767 missing."""
        stack = [
            _acl(
                acl_block(100, "allow", WORLD, "tcp", 443),
                egress=[acl_block(100, "allow", WORLD, "tcp", 32768, to_port=65535)],
            )
        ]
        assert "1024-32767" in run_stack_policy(ACL_RETURN_TRAFFIC, stack).text()

    def test_the_ephemeral_range_is_configurable(self) -> None:
        """With ephemeralPorts 32768-65535 (Linux clients), that egress suffices."""
        stack = [
            _acl(
                acl_block(100, "allow", WORLD, "tcp", 443),
                egress=[acl_block(100, "allow", WORLD, "tcp", 32768, to_port=65535)],
            )
        ]
        assert run_stack_policy(
            ACL_RETURN_TRAFFIC, stack, config={"ephemeralPorts": "32768-65535"}
        ).clean

    def test_a_wide_service_range_still_needs_its_replies(self) -> None:
        """AWS: responses to allowed inbound traffic are subject to the outbound rules. An
        inbound allow of an application's 8000-9999 is a service range, not replies (it
        stops below 65535, the top of the clients' ephemeral range), so its replies to
        the clients' 1024-65535 must be allowed out; once a range this wide was taken
        for a return rule and never checked."""
        stack = [_acl(acl_block(100, "allow", "198.51.100.0/24", "tcp", 8000, to_port=9999))]
        text = run_stack_policy(ACL_RETURN_TRAFFIC, stack).text()
        assert "1024-65535" in text
        assert "implicit deny" in text

    def test_replies_need_no_replies(self) -> None:
        """AWS's example ACL lets the replies to the subnet's requests in on 32768-65535;
        that entry is the return path of the outbound 443, not a flow of its own."""
        stack = [
            _acl(
                acl_block(140, "allow", WORLD, "tcp", 32768, to_port=65535),
                egress=[acl_block(100, "allow", WORLD, "tcp", 443)],
            )
        ]
        assert run_stack_policy(
            ACL_RETURN_TRAFFIC, stack, config={"ephemeralPorts": "32768-65535"}
        ).clean

    def test_a_return_blocked_by_an_explicit_deny_names_it(self) -> None:
        """An egress deny before the return allow is named in the message."""
        stack = [
            _acl(
                acl_block(100, "allow", WORLD, "tcp", 443),
                egress=[
                    acl_block(50, "deny", WORLD, "tcp", 1024, to_port=65535),
                    acl_block(100, "allow", WORLD, "tcp", 1024, to_port=65535),
                ],
            )
        ]
        assert "rule 50" in run_stack_policy(ACL_RETURN_TRAFFIC, stack).text()


class TestAclAttached:
    def test_an_acl_without_subnets_is_reported(self) -> None:
        """A NetworkAcl with no subnetIds and no association is unused."""
        outcome = run_stack_policy(ACL_ATTACHED, [_acl(subnetIds=[])])
        assert "associated with no subnet" in outcome.text()

    def test_subnet_ids_attach_it(self) -> None:
        """subnetIds (literal ids) attach the ACL."""
        assert run_stack_policy(ACL_ATTACHED, [_acl(subnetIds=["subnet-0123456789abcdef0"])]).clean

    def test_an_association_resource_attaches_it(self) -> None:
        """A NetworkAclAssociation found via property dependencies attaches it (checkov#1571)."""
        acl = _acl(subnetIds=UNKNOWN)
        subnet = resource(SUBNET, "public-a", {"cidrBlock": "10.0.0.0/24"})
        association = resource(
            NETWORK_ACL_ASSOCIATION,
            "public-a-acl",
            {"networkAclId": UNKNOWN, "subnetId": UNKNOWN},
            property_dependencies={"networkAclId": [acl["urn"]], "subnetId": [subnet["urn"]]},
        )
        outcome = run_stack_policy(ACL_ATTACHED, [acl, subnet, association])
        assert outcome.clean

    def test_unknown_subnets_are_reported_not_passed(self) -> None:
        """subnetIds unknown at preview, with no association, is not evaluated."""
        outcome = run_stack_policy(ACL_ATTACHED, [_acl(subnetIds=UNKNOWN)])
        assert outcome.violations == []
        assert outcome.not_evaluated

    def test_the_default_acl_is_never_unused(self) -> None:
        """The default ACL is not reported (EC2.16 does not either)."""
        assert run_stack_policy(
            ACL_ATTACHED, [resource(DEFAULT_NETWORK_ACL, "default", {"ingress": []})]
        ).clean


class TestShadowedEntries:
    def test_an_allow_after_a_broader_deny_never_takes_effect(self) -> None:
        """allow 22 at 200 after deny all-tcp at 100 is dead (cfn_nag#409)."""
        stack = [
            _acl(
                acl_block(100, "deny", WORLD, "tcp", 0, to_port=65535),
                acl_block(200, "allow", WORLD, "tcp", 22),
            )
        ]
        text = run_stack_policy(ACL_SHADOWED, stack).text()
        assert "rule 200" in text
        assert "never takes effect" in text

    def test_a_narrower_earlier_rule_is_not_shadowing(self) -> None:
        """deny 22 for one /32 then allow 22 for the world is fine."""
        stack = [
            _acl(
                acl_block(100, "deny", "198.51.100.1/32", "tcp", 22),
                acl_block(200, "allow", WORLD, "tcp", 22),
            )
        ]
        assert run_stack_policy(ACL_SHADOWED, stack).clean

    def test_a_duplicate_allow_is_redundant(self) -> None:
        """The same allow twice is redundant."""
        stack = [
            _acl(
                acl_block(100, "allow", WORLD, "tcp", 443),
                acl_block(110, "allow", "10.0.0.0/8", "tcp", 443),
            )
        ]
        assert "redundant" in run_stack_policy(ACL_SHADOWED, stack).text()


class TestAnAclOutsideTheStack:
    """Entries added with NetworkAclRule to an ACL the stack does not declare (its literal
    id): a finding belongs to the rule resource that declared the entry, since there is no
    ACL resource to attach it to."""

    @staticmethod
    def _entry(name: str, number: int, action: str, port: int) -> dict[str, Any]:
        return resource(
            NETWORK_ACL_RULE,
            name,
            {
                "networkAclId": "acl-0fedcba9876543210",
                "ruleNumber": float(number),
                "egress": False,
                "ruleAction": action,
                "protocol": "tcp",
                "fromPort": float(port),
                "toPort": float(port),
                "cidrBlock": WORLD,
            },
        )

    def test_the_finding_names_the_rule_resource_that_opens_the_port(self) -> None:
        stack = [self._entry("no-rdp", 50, "deny", 3389), self._entry("ssh-in", 100, "allow", 22)]
        outcome = run_stack_policy(ACL_ADMIN_PORTS, stack)
        assert outcome.urns == [stack[1]["urn"]]
        assert "22 (SSH)" in outcome.text()
