"""Per-resource security-group policies: violating and clean cases, and the anchors'
known false positives and negatives (policy-checks.md §3.1 and §6)."""

from __future__ import annotations

from pulumi_policy import EnforcementLevel

from tierguard.policies.descriptions import SG_GROUP_DESCRIPTION, SG_RULE_DESCRIPTIONS
from tierguard.policies.egress import SG_UNRESTRICTED_EGRESS
from tierguard.policies.exposure import (
    SG_ADMIN_PORTS,
    SG_ALL_TRAFFIC,
    SG_AUTHORIZED_PORTS,
    SG_HIGH_RISK_PORTS,
    SG_WIDE_PUBLIC_CIDR,
)
from tierguard.policies.testing import run_resource_policy, sg_block
from tierguard.rules.exposure import ADMIN_PORTS, EC2_19_PORTS, HIGH_RISK_PORTS, PROWLER_PORTS
from tierguard.rules.normalize import (
    SECURITY_GROUP,
    SECURITY_GROUP_RULE,
    VPC_EGRESS_RULE,
    VPC_INGRESS_RULE,
)

WORLD = ["0.0.0.0/0"]


def _sg(
    *blocks: dict[str, object], egress: list[dict[str, object]] | None = None
) -> dict[str, object]:
    return {"description": "web tier", "ingress": list(blocks), "egress": egress or []}


class TestAdminPorts:
    def test_ssh_from_the_world_is_mandatory_violation(self) -> None:
        """SSH from 0.0.0.0/0 is reported, and the policy is mandatory by default."""
        outcome = run_resource_policy(
            SG_ADMIN_PORTS, SECURITY_GROUP, _sg(sg_block("tcp", 22, cidrBlocks=WORLD))
        )
        assert len(outcome.violations) == 1
        assert SG_ADMIN_PORTS.enforcement_level is EnforcementLevel.MANDATORY

    def test_message_says_what_why_and_how(self) -> None:
        """The message names the rule, port, protocol and source, why, and the fix."""
        text = run_resource_policy(
            SG_ADMIN_PORTS, SECURITY_GROUP, _sg(sg_block("tcp", 3389, cidrBlocks=WORLD)), name="web"
        ).text()
        for part in (
            "web ingress[0]",
            "TCP 3389",
            "0.0.0.0/0",
            "3389 (RDP)",
            "brute-forced",
            "Fix:",
        ):
            assert part in text

    def test_ssh_from_an_admin_cidr_is_clean(self) -> None:
        """SSH from a /32 is not internet exposure."""
        props = _sg(sg_block("tcp", 22, cidrBlocks=["203.0.113.10/32"]))
        assert run_resource_policy(SG_ADMIN_PORTS, SECURITY_GROUP, props).clean

    def test_public_cidr_that_is_not_the_internet_is_clean(self) -> None:
        """1.2.3.0/24 is a public block, not 'the internet' (trivy-checks PR#100)."""
        props = _sg(sg_block("tcp", 22, cidrBlocks=["1.2.3.0/24"]))
        assert run_resource_policy(SG_ADMIN_PORTS, SECURITY_GROUP, props).clean

    def test_gre_is_not_ssh(self) -> None:
        """Protocol 47 (GRE) from the world does not expose port 22 (prowler#964)."""
        props = _sg(sg_block(47, 0, 0, cidrBlocks=WORLD))
        assert run_resource_policy(SG_ADMIN_PORTS, SECURITY_GROUP, props).clean

    def test_udp_counts_by_default_like_ec2_53(self) -> None:
        """UDP 3389 from the world counts (EC2.53 counts TCP, UDP and ALL)."""
        props = _sg(sg_block("udp", 3389, cidrBlocks=WORLD))
        assert run_resource_policy(SG_ADMIN_PORTS, SECURITY_GROUP, props).violations

    def test_protocols_can_be_limited_to_tcp(self) -> None:
        """With protocols=[tcp], UDP 22 is not reported (Prowler's semantics)."""
        props = _sg(sg_block("udp", 22, cidrBlocks=WORLD))
        outcome = run_resource_policy(
            SG_ADMIN_PORTS, SECURITY_GROUP, props, config={"protocols": ["tcp"]}
        )
        assert outcome.clean

    def test_address_families_are_configurable(self) -> None:
        """ipTypes=[ipv4] judges only IPv4 sources, like Security Hub EC2.53."""
        props = _sg(sg_block("tcp", 22, ipv6CidrBlocks=["::/0"]))
        assert run_resource_policy(SG_ADMIN_PORTS, SECURITY_GROUP, props).violations
        config = {"ipTypes": ["ipv4"]}
        assert run_resource_policy(SG_ADMIN_PORTS, SECURITY_GROUP, props, config=config).clean

    def test_admin_ports_are_configurable(self) -> None:
        """adminPorts from the pack config replaces the default list (floats accepted)."""
        props = _sg(sg_block("tcp", 5985, 5986, cidrBlocks=WORLD))
        assert run_resource_policy(SG_ADMIN_PORTS, SECURITY_GROUP, props).clean
        outcome = run_resource_policy(
            SG_ADMIN_PORTS, SECURITY_GROUP, props, config={"adminPorts": [5985.0]}
        )
        assert "5985" in outcome.text()

    def test_ingress_rule_without_cidr_is_not_exposure(self) -> None:
        """A prefix-list-only aws.vpc rule is no 'missing source' (checkov#6624)."""
        props = {
            "ipProtocol": "tcp",
            "fromPort": 22.0,
            "toPort": 22.0,
            "prefixListId": "pl-0123456789abcdef0",
        }
        assert run_resource_policy(SG_ADMIN_PORTS, VPC_INGRESS_RULE, props).clean

    def test_null_ipv6_list_does_not_crash(self) -> None:
        """ipv6CidrBlocks of None is read as empty (checkov PR#1776)."""
        props = _sg(sg_block("tcp", 22, cidrBlocks=["0.0.0.0/0"], ipv6CidrBlocks=None))
        assert run_resource_policy(SG_ADMIN_PORTS, SECURITY_GROUP, props).violations

    def test_other_resource_types_are_ignored(self) -> None:
        """The policy only judges security-group types."""
        props = {"cidrBlock": "0.0.0.0/0", "fromPort": 22.0}
        assert run_resource_policy(SG_ADMIN_PORTS, "aws:ec2/route:Route", props).clean


class TestAllTraffic:
    def test_all_protocols_from_ipv6_world(self) -> None:
        """-1 from ::/0 on an aws.vpc rule is all traffic (CKV_AWS_277, cfn #6108)."""
        props = {"ipProtocol": "-1", "cidrIpv6": "::/0"}
        assert run_resource_policy(SG_ALL_TRAFFIC, VPC_INGRESS_RULE, props).violations

    def test_full_tcp_range_is_all_ports(self) -> None:
        """TCP 0-65535 from the world is every port."""
        props = _sg(sg_block("tcp", 0, 65535, cidrBlocks=WORLD))
        assert "every port" in run_resource_policy(SG_ALL_TRAFFIC, SECURITY_GROUP, props).text()

    def test_a_wide_but_partial_range_is_not_all_ports(self) -> None:
        """TCP 1024-65535 is not all ports."""
        props = _sg(sg_block("tcp", 1024, 65535, cidrBlocks=WORLD))
        assert run_resource_policy(SG_ALL_TRAFFIC, SECURITY_GROUP, props).clean

    def test_all_traffic_within_the_group_is_clean(self) -> None:
        """-1 from self is not internet exposure."""
        props = _sg(sg_block("-1", 0, 0, self=True))
        assert run_resource_policy(SG_ALL_TRAFFIC, SECURITY_GROUP, props).clean


class TestHighRiskPorts:
    def test_default_list_is_the_union_of_the_anchors_minus_admin_ports(self) -> None:
        """The default is EC2.19 plus Prowler's lists, with 22/3389 left to the admin policy."""
        assert set(HIGH_RISK_PORTS) == (set(EC2_19_PORTS) | set(PROWLER_PORTS)) - set(ADMIN_PORTS)
        assert {3306, 5432, 6379, 27017, 9200, 445, 23} <= set(HIGH_RISK_PORTS)

    def test_mysql_from_the_world(self) -> None:
        """MySQL 3306 from 0.0.0.0/0 is reported with its service name."""
        outcome = run_resource_policy(
            SG_HIGH_RISK_PORTS, SECURITY_GROUP, _sg(sg_block("tcp", 3306, cidrBlocks=WORLD))
        )
        assert "3306 (MySQL/Aurora)" in outcome.text()

    def test_a_range_lists_each_risky_port(self) -> None:
        """A range reports which high-risk ports fall inside it."""
        text = run_resource_policy(
            SG_HIGH_RISK_PORTS, SECURITY_GROUP, _sg(sg_block("tcp", 20, 25, cidrBlocks=WORLD))
        ).text()
        assert "20 (FTP data)" in text
        assert "23 (Telnet)" in text
        assert "22 (" not in text

    def test_a_range_between_risky_ports_is_clean(self) -> None:
        """2000-2048 holds no listed port (unlike steampipe#977's off-by-range)."""
        props = _sg(sg_block("tcp", 2000, 2048, cidrBlocks=WORLD))
        assert run_resource_policy(SG_HIGH_RISK_PORTS, SECURITY_GROUP, props).clean

    def test_https_is_not_high_risk(self) -> None:
        """443 from the world is not a high-risk port."""
        assert run_resource_policy(
            SG_HIGH_RISK_PORTS, SECURITY_GROUP, _sg(sg_block("tcp", 443, cidrBlocks=WORLD))
        ).clean


class TestAuthorizedPorts:
    def test_load_balancer_ports_are_authorised(self) -> None:
        """80 and 443 from the world are fine by default (prowler#2442: LB groups)."""
        props = _sg(sg_block("tcp", 80, cidrBlocks=WORLD), sg_block("tcp", 443, cidrBlocks=WORLD))
        assert run_resource_policy(SG_AUTHORIZED_PORTS, SECURITY_GROUP, props).clean

    def test_other_public_ports_are_advisory_findings(self) -> None:
        """8443 from the world is reported, at advisory level."""
        props = _sg(sg_block("tcp", 8443, ipv6CidrBlocks=["::/0"]))
        assert "8443" in run_resource_policy(SG_AUTHORIZED_PORTS, SECURITY_GROUP, props).text()
        assert SG_AUTHORIZED_PORTS.enforcement_level is EnforcementLevel.ADVISORY

    def test_authorised_lists_are_configurable(self) -> None:
        """Adding 8443 to authorizedTcpPorts clears the finding."""
        props = _sg(sg_block("tcp", 8443, cidrBlocks=WORLD))
        config = {"authorizedTcpPorts": [443, 8443]}
        assert run_resource_policy(SG_AUTHORIZED_PORTS, SECURITY_GROUP, props, config=config).clean

    def test_icmp_needs_authorising(self) -> None:
        """ICMP from the world is reported unless listed in authorizedProtocols."""
        props = _sg(sg_block("icmp", 8, 0, cidrBlocks=WORLD))
        assert run_resource_policy(SG_AUTHORIZED_PORTS, SECURITY_GROUP, props).violations
        config = {"authorizedProtocols": ["icmp"]}
        assert run_resource_policy(SG_AUTHORIZED_PORTS, SECURITY_GROUP, props, config=config).clean


class TestWidePublicCidr:
    def test_a_wide_public_block_is_reported(self) -> None:
        """A /12 public block is wider than /24."""
        props = _sg(sg_block("tcp", 443, cidrBlocks=["104.16.0.0/12"]))
        assert (
            "104.16.0.0/12"
            in run_resource_policy(SG_WIDE_PUBLIC_CIDR, SECURITY_GROUP, props).text()
        )

    def test_wide_ipv6_blocks_are_judged_too(self) -> None:
        """IPv6 public blocks wider than /48 are reported (Prowler checks IPv4 only)."""
        props = _sg(sg_block("tcp", 443, ipv6CidrBlocks=["2400:cb00::/32"]))
        assert run_resource_policy(SG_WIDE_PUBLIC_CIDR, SECURITY_GROUP, props).violations

    def test_private_blocks_and_the_internet_are_not_this_policys_concern(self) -> None:
        """10.0.0.0/8 and 0.0.0.0/0 are left to other policies."""
        props = _sg(sg_block("tcp", 443, cidrBlocks=["10.0.0.0/8", "0.0.0.0/0"]))
        assert run_resource_policy(SG_WIDE_PUBLIC_CIDR, SECURITY_GROUP, props).clean

    def test_approved_cidrs_are_not_reported(self) -> None:
        """A CDN range in approvedCidrs is fine (prowler#6780)."""
        props = _sg(sg_block("tcp", 443, cidrBlocks=["104.16.0.0/13"]))
        config = {"approvedCidrs": ["104.16.0.0/12"]}
        assert run_resource_policy(SG_WIDE_PUBLIC_CIDR, SECURITY_GROUP, props, config=config).clean

    def test_the_threshold_is_configurable(self) -> None:
        """minPrefixV4=12 accepts a /12."""
        props = _sg(sg_block("tcp", 443, cidrBlocks=["104.16.0.0/12"]))
        outcome = run_resource_policy(
            SG_WIDE_PUBLIC_CIDR, SECURITY_GROUP, props, config={"minPrefixV4": 12}
        )
        assert outcome.clean


class TestUnrestrictedEgress:
    def test_allow_all_egress_is_reported(self) -> None:
        """The classic allow-all egress block is reported (CKV_AWS_382)."""
        props = _sg(egress=[sg_block("-1", 0, 0, cidrBlocks=WORLD)])
        assert run_resource_policy(SG_UNRESTRICTED_EGRESS, SECURITY_GROUP, props).violations

    def test_ipv6_allow_all_egress_is_reported(self) -> None:
        """::/0 egress is reported too (the dual-stack bypass)."""
        props = {"ipProtocol": "-1", "cidrIpv6": "::/0"}
        assert run_resource_policy(SG_UNRESTRICTED_EGRESS, VPC_EGRESS_RULE, props).violations

    def test_https_egress_is_clean(self) -> None:
        """TCP 443 egress to the world is a restricted rule."""
        props = _sg(egress=[sg_block("tcp", 443, cidrBlocks=WORLD)])
        assert run_resource_policy(SG_UNRESTRICTED_EGRESS, SECURITY_GROUP, props).clean


class TestRuleDescriptions:
    def test_missing_description_is_mandatory(self) -> None:
        """An inline rule without a description is a mandatory violation."""
        props = _sg(sg_block("tcp", 443, description=None, cidrBlocks=WORLD))
        assert (
            "has no description"
            in run_resource_policy(SG_RULE_DESCRIPTIONS, SECURITY_GROUP, props).text()
        )
        assert SG_RULE_DESCRIPTIONS.enforcement_level is EnforcementLevel.MANDATORY

    def test_tool_defaults_are_placeholders(self) -> None:
        """'Managed by Pulumi' and 'Managed by Terraform' are not descriptions."""
        for text in ("Managed by Pulumi", "managed by terraform", "  "):
            props = _sg(sg_block("tcp", 443, description=text, cidrBlocks=WORLD))
            assert run_resource_policy(SG_RULE_DESCRIPTIONS, SECURITY_GROUP, props).violations

    def test_separate_rule_resources_need_descriptions(self) -> None:
        """SecurityGroupRule and aws.vpc rules are checked too (checkov PR#1654)."""
        rule = {
            "type": "ingress",
            "protocol": "tcp",
            "fromPort": 443.0,
            "toPort": 443.0,
            "cidrBlocks": ["10.0.0.0/8"],
        }
        assert run_resource_policy(SG_RULE_DESCRIPTIONS, SECURITY_GROUP_RULE, rule).violations
        vpc_rule = {
            "ipProtocol": "tcp",
            "fromPort": 443.0,
            "toPort": 443.0,
            "cidrIpv4": "10.0.0.0/8",
            "description": "HTTPS from the VPC",
        }
        assert run_resource_policy(SG_RULE_DESCRIPTIONS, VPC_INGRESS_RULE, vpc_rule).clean

    def test_one_finding_per_block_not_per_peer(self) -> None:
        """A block with three CIDRs and no description is reported once."""
        props = _sg(
            sg_block(
                "tcp",
                443,
                description=None,
                cidrBlocks=["10.0.0.0/16", "10.1.0.0/16", "10.2.0.0/16"],
            )
        )
        assert len(run_resource_policy(SG_RULE_DESCRIPTIONS, SECURITY_GROUP, props).violations) == 1

    def test_pattern_and_extra_placeholders_are_configurable(self) -> None:
        """A required ticket pattern and extra placeholders come from the config."""
        props = _sg(sg_block("tcp", 443, description="HTTPS from the LB", cidrBlocks=WORLD))
        assert run_resource_policy(SG_RULE_DESCRIPTIONS, SECURITY_GROUP, props).clean
        config: dict[str, object] = {"pattern": "[A-Z]+-[0-9]+"}
        assert run_resource_policy(
            SG_RULE_DESCRIPTIONS, SECURITY_GROUP, props, config=config
        ).violations
        config = {"placeholders": ["https from the lb"]}
        assert run_resource_policy(
            SG_RULE_DESCRIPTIONS, SECURITY_GROUP, props, config=config
        ).violations

    def test_characters_ec2_rejects_are_reported(self) -> None:
        """A description EC2 would refuse is reported with the offending characters."""
        props = _sg(sg_block("tcp", 443, description="HTTPS <from> LB", cidrBlocks=WORLD))
        assert "<" in run_resource_policy(SG_RULE_DESCRIPTIONS, SECURITY_GROUP, props).text()


class TestGroupDescription:
    def test_the_pulumi_default_is_reported(self) -> None:
        """A group left with 'Managed by Pulumi' is reported (advisory)."""
        props = {"description": "Managed by Pulumi", "ingress": []}
        assert run_resource_policy(SG_GROUP_DESCRIPTION, SECURITY_GROUP, props).violations
        assert SG_GROUP_DESCRIPTION.enforcement_level is EnforcementLevel.ADVISORY

    def test_a_real_description_is_clean(self) -> None:
        """A group with a purpose in its description passes."""
        props = {"description": "web tier: public load balancer targets", "ingress": []}
        assert run_resource_policy(SG_GROUP_DESCRIPTION, SECURITY_GROUP, props).clean
