"""The exact semantics issue 3 lists, each through normalisation and the policies that use it."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any

import pytest
from pulumi_policy.proxy import UnknownValueError, unknown_checking_proxy

from tierguard.policies.exposure import SG_ADMIN_PORTS, SG_ALL_TRAFFIC
from tierguard.policies.testing import UNKNOWN, run_resource_policy, sg_block
from tierguard.rules import (
    ALL,
    ICMP,
    TCP,
    UDP,
    CidrPeer,
    IcmpMatch,
    PortRange,
    SecurityGroupPeer,
    Traffic,
)
from tierguard.rules.model import PrefixListPeer, SgRule
from tierguard.rules.normalize import (
    DEFAULT_SECURITY_GROUP,
    SECURITY_GROUP,
    SECURITY_GROUP_RULE,
    UNKNOWN_REF,
    VPC_EGRESS_RULE,
    VPC_INGRESS_RULE,
    Reader,
    acl_traffic,
    normalize_prefix_list,
    normalize_security_group,
    sg_traffic,
)

READER = Reader(unknown_errors=(UnknownValueError,))


def _rules(resource_type: str, props: Mapping[str, Any]) -> list[SgRule]:
    result = normalize_security_group(
        resource_type, unknown_checking_proxy(dict(props)), group="g", reader=READER
    )
    return [s.rule for s in result.items]


class TestProtocolSpellings:
    @pytest.mark.parametrize("spelling", [-1, -1.0, "-1", "all", "ALL"])
    def test_every_all_protocols_spelling_means_all(self, spelling: object) -> None:
        """-1, "-1" and all (any case, int or float) all mean every protocol."""
        assert sg_traffic(spelling, 0, 0).protocol == ALL

    @pytest.mark.parametrize(
        ("spelling", "number"),
        [("tcp", TCP), (6, TCP), (6.0, TCP), ("6", TCP), ("udp", UDP), (17, UDP), ("17", UDP)],
    )
    def test_names_and_numbers_are_the_same_protocol(self, spelling: object, number: int) -> None:
        """tcp/6/"6" and udp/17 normalise to the same protocol."""
        assert sg_traffic(spelling, 22, 22).protocol == number

    @pytest.mark.parametrize("spelling", ["icmp", 1, "1", "icmpv6", 58])
    def test_icmp_spellings_carry_a_type_match(self, spelling: object) -> None:
        """icmp/1 and icmpv6/58 carry an ICMP type match, never ports."""
        traffic = sg_traffic(spelling, 8, 0)
        assert traffic.ports is None
        assert traffic.icmp is not None

    @pytest.mark.parametrize("spelling", [-1, "-1", "all", 6, "tcp"])
    def test_the_policy_flags_ssh_for_every_spelling(self, spelling: object) -> None:
        """The admin-port policy flags SSH whatever spelling the protocol has."""
        props = {"ingress": [sg_block(spelling, 22, 22, cidrBlocks=["0.0.0.0/0"])]}
        assert run_resource_policy(SG_ADMIN_PORTS, SECURITY_GROUP, props).violations


class TestPortRanges:
    def test_a_range_covers_every_port_inside_it(self) -> None:
        """20-25 exposes 22: ranges are not matched by their ends."""
        outcome = run_resource_policy(
            SG_ADMIN_PORTS,
            SECURITY_GROUP,
            {"ingress": [sg_block("tcp", 20, 25, cidrBlocks=["0.0.0.0/0"])]},
        )
        assert "22 (SSH)" in outcome.text()

    def test_a_range_beside_the_port_does_not(self) -> None:
        """23-25 does not expose 22."""
        outcome = run_resource_policy(
            SG_ADMIN_PORTS,
            SECURITY_GROUP,
            {"ingress": [sg_block("tcp", 23, 25, cidrBlocks=["0.0.0.0/0"])]},
        )
        assert outcome.clean

    def test_all_protocols_ignores_the_port_fields(self) -> None:
        """With protocol -1 the ports are irrelevant: 443-443 still opens 22 and all traffic."""
        traffic = sg_traffic("-1", 443, 443)
        assert traffic.ports is None
        assert traffic.exposes_port(TCP, 22)
        outcome = run_resource_policy(
            SG_ALL_TRAFFIC,
            SECURITY_GROUP,
            {"ingress": [sg_block("-1", 443, 443, cidrBlocks=["0.0.0.0/0"])]},
        )
        assert "every protocol and port" in outcome.text()

    def test_vpc_rules_with_all_protocols_have_no_ports(self) -> None:
        """aws.vpc rules with ipProtocol -1 carry no fromPort/toPort and still mean all."""
        rules = _rules(VPC_INGRESS_RULE, {"ipProtocol": "-1", "cidrIpv4": "0.0.0.0/0"})
        assert [r.traffic.is_all for r in rules] == [True]


class TestIcmp:
    def test_icmp_type_and_code_are_not_ports(self) -> None:
        """ICMP type 22 code 0 is not port 22: no admin-port finding."""
        props = {"ingress": [sg_block("icmp", 22, 0, cidrBlocks=["0.0.0.0/0"])]}
        assert run_resource_policy(SG_ADMIN_PORTS, SECURITY_GROUP, props).clean

    def test_icmp_any_type_is_not_all_traffic(self) -> None:
        """ICMP -1/-1 from the internet is not 'all ports' (a Checkov false positive)."""
        props = {"ingress": [sg_block("icmp", -1, -1, cidrBlocks=["0.0.0.0/0"])]}
        assert run_resource_policy(SG_ALL_TRAFFIC, SECURITY_GROUP, props).clean

    def test_vpc_rule_ports_are_type_and_code_for_icmp(self) -> None:
        """On aws.vpc rules, fromPort/toPort of an ICMP rule are its type and code."""
        rules = _rules(
            VPC_INGRESS_RULE,
            {"ipProtocol": "icmp", "fromPort": 8.0, "toPort": 0.0, "cidrIpv4": "10.0.0.0/8"},
        )
        assert rules[0].traffic == Traffic.of(ICMP, icmp=IcmpMatch(8, 0))

    def test_acl_icmp_uses_icmp_fields_not_ports(self) -> None:
        """ACL ICMP entries take icmpType/icmpCode; fromPort/toPort are ignored."""
        traffic = acl_traffic("icmp", 22, 22, 8, -1)
        assert traffic.ports is None
        assert traffic.icmp is not None
        assert traffic.icmp.type == 8


class TestInternetSpellings:
    @pytest.mark.parametrize(
        "cidr",
        [
            "::/0",
            "0:0:0:0:0:0:0:0/0",
            "0000:0000:0000:0000:0000:0000:0000:0000/0",
            "::0/0",
            "0::0/0",
        ],
    )
    def test_every_ipv6_spelling_of_the_internet_is_flagged(self, cidr: str) -> None:
        """Every spelling of ::/0 in ipv6CidrBlocks is the internet."""
        props = {"ingress": [sg_block("tcp", 22, ipv6CidrBlocks=[cidr])]}
        outcome = run_resource_policy(SG_ADMIN_PORTS, SECURITY_GROUP, props)
        assert "::/0 (the whole IPv6 internet)" in outcome.text()

    @pytest.mark.parametrize("cidr", ["::/0", "0:0:0:0:0:0:0:0/0"])
    def test_ipv6_internet_on_vpc_rules(self, cidr: str) -> None:
        """cidrIpv6 on aws.vpc rules is judged as well as cidrIpv4."""
        outcome = run_resource_policy(
            SG_ADMIN_PORTS,
            VPC_INGRESS_RULE,
            {"ipProtocol": "tcp", "fromPort": 3389.0, "toPort": 3389.0, "cidrIpv6": cidr},
        )
        assert "3389 (RDP)" in outcome.text()

    def test_ipv4_and_ipv6_fields_are_each_checked(self) -> None:
        """A block with a private IPv4 list and ::/0 in the IPv6 list is still exposed."""
        props = {
            "ingress": [sg_block("tcp", 22, cidrBlocks=["10.0.0.0/8"], ipv6CidrBlocks=["::/0"])]
        }
        outcome = run_resource_policy(SG_ADMIN_PORTS, SECURITY_GROUP, props)
        assert len(outcome.violations) == 1


class TestNonInternetPeers:
    def test_self_security_groups_and_prefix_lists_are_not_the_internet(self) -> None:
        """self, SG references and prefix lists never count as internet sources."""
        props = {
            "ingress": [
                sg_block("-1", 0, 0, self=True),
                sg_block("tcp", 22, securityGroups=["sg-0123456789abcdef0"]),
                sg_block("tcp", 22, prefixListIds=["pl-0123456789abcdef0"]),
            ]
        }
        assert run_resource_policy(SG_ADMIN_PORTS, SECURITY_GROUP, props).clean
        assert run_resource_policy(SG_ALL_TRAFFIC, SECURITY_GROUP, props).clean

    def test_self_never_hides_the_internet_on_the_same_block(self) -> None:
        """self = true next to 0.0.0.0/0 is still internet exposure (checkov#6073)."""
        props = {"ingress": [sg_block("tcp", 22, self=True, cidrBlocks=["0.0.0.0/0"])]}
        rules = _rules(SECURITY_GROUP, props)
        peers = {type(r.peer) for r in rules}
        assert peers == {SecurityGroupPeer, CidrPeer}
        assert run_resource_policy(SG_ADMIN_PORTS, SECURITY_GROUP, props).violations

    def test_self_on_a_separate_rule_never_hides_its_cidrs(self) -> None:
        """The same holds for aws.ec2.SecurityGroupRule with self and cidrBlocks."""
        props = {
            "type": "ingress",
            "protocol": "tcp",
            "fromPort": 22.0,
            "toPort": 22.0,
            "self": True,
            "cidrBlocks": ["0.0.0.0/0"],
            "securityGroupId": "sg-0123456789abcdef0",
        }
        assert run_resource_policy(SG_ADMIN_PORTS, SECURITY_GROUP_RULE, props).violations

    def test_referenced_group_on_vpc_rule_is_not_a_missing_source(self) -> None:
        """referencedSecurityGroupId is a source, not 'no source' (checkov#6624)."""
        props = {
            "ipProtocol": "tcp",
            "fromPort": 80.0,
            "toPort": 80.0,
            "referencedSecurityGroupId": "sg-0123456789abcdef0",
        }
        rules = _rules(VPC_INGRESS_RULE, props)
        assert [type(r.peer) for r in rules] == [SecurityGroupPeer]
        assert run_resource_policy(SG_ALL_TRAFFIC, VPC_INGRESS_RULE, props).clean

    def test_unknown_group_ids_are_still_group_references(self) -> None:
        """At preview an unknown sourceSecurityGroupId is still a group, not a CIDR."""
        rules = _rules(
            SECURITY_GROUP_RULE,
            {
                "type": "ingress",
                "protocol": "tcp",
                "fromPort": 5432.0,
                "toPort": 5432.0,
                "sourceSecurityGroupId": UNKNOWN,
            },
        )
        assert rules[0].peer == SecurityGroupPeer(UNKNOWN_REF)

    def test_one_rule_per_peer(self) -> None:
        """A block with two CIDRs, a prefix list and a group becomes four AWS rules."""
        rules = _rules(
            SECURITY_GROUP,
            {
                "ingress": [
                    sg_block(
                        "tcp",
                        443,
                        cidrBlocks=["10.0.0.0/16", "10.1.0.0/16"],
                        prefixListIds=["pl-0123456789abcdef0"],
                        securityGroups=["sg-0123456789abcdef0"],
                    )
                ]
            },
        )
        assert len(rules) == 4
        assert PrefixListPeer("pl-0123456789abcdef0") in {r.peer for r in rules}


class TestRepresentations:
    @pytest.mark.parametrize(
        ("resource_type", "props"),
        [
            (SECURITY_GROUP, {"ingress": [sg_block("tcp", 22, cidrBlocks=["0.0.0.0/0"])]}),
            (DEFAULT_SECURITY_GROUP, {"ingress": [sg_block("tcp", 22, cidrBlocks=["0.0.0.0/0"])]}),
            (
                SECURITY_GROUP_RULE,
                {
                    "type": "ingress",
                    "protocol": "6",
                    "fromPort": 0.0,
                    "toPort": 1024.0,
                    "cidrBlocks": ["0.0.0.0/0"],
                },
            ),
            (
                VPC_INGRESS_RULE,
                {"ipProtocol": "tcp", "fromPort": 22.0, "toPort": 22.0, "cidrIpv4": "0.0.0.0/0"},
            ),
        ],
    )
    def test_every_way_of_writing_a_rule_is_judged(
        self, resource_type: str, props: dict[str, object]
    ) -> None:
        """Inline, default-group, SecurityGroupRule and aws.vpc rules are all evaluated."""
        assert run_resource_policy(SG_ADMIN_PORTS, resource_type, props).violations

    def test_egress_rules_are_not_ingress_exposure(self) -> None:
        """An egress rule to 0.0.0.0/0 on 22 is not inbound exposure."""
        props = {"ipProtocol": "tcp", "fromPort": 22.0, "toPort": 22.0, "cidrIpv4": "0.0.0.0/0"}
        assert run_resource_policy(SG_ADMIN_PORTS, VPC_EGRESS_RULE, props).clean

    def test_egress_type_on_security_group_rule_is_not_ingress(self) -> None:
        """SecurityGroupRule type=egress is judged as egress."""
        props = {
            "type": "egress",
            "protocol": "-1",
            "fromPort": 0.0,
            "toPort": 0.0,
            "cidrBlocks": ["0.0.0.0/0"],
        }
        assert run_resource_policy(SG_ALL_TRAFFIC, SECURITY_GROUP_RULE, props).clean


class TestPrefixLists:
    def test_entries_are_read_as_networks(self) -> None:
        """A ManagedPrefixList's entries normalise to their CIDR blocks."""
        result = normalize_prefix_list(
            {"entries": [{"cidr": "0.0.0.0/0"}, {"cidr": "2001:db8::/32", "description": "x"}]}
        )
        assert result.items == (
            ipaddress.ip_network("0.0.0.0/0"),
            ipaddress.ip_network("2001:db8::/32"),
        )


class TestUnknowns:
    def test_an_unknown_cidr_is_reported_not_passed(self) -> None:
        """An unknown CIDR at preview yields 'could not be evaluated at preview', no crash."""
        props = {"ingress": [sg_block("tcp", 22, cidrBlocks=[UNKNOWN])]}
        outcome = run_resource_policy(SG_ADMIN_PORTS, SECURITY_GROUP, props)
        assert outcome.violations == []
        assert outcome.not_evaluated
        assert "could not be evaluated at preview" in outcome.not_evaluated[0]
        assert "ingress[0]" in outcome.not_evaluated[0]

    def test_known_blocks_are_judged_next_to_unknown_ones(self) -> None:
        """One unknown block does not hide a violation in another block."""
        props = {
            "ingress": [
                sg_block("tcp", 80, cidrBlocks=[UNKNOWN]),
                sg_block("tcp", 22, cidrBlocks=["0.0.0.0/0"]),
            ]
        }
        outcome = run_resource_policy(SG_ADMIN_PORTS, SECURITY_GROUP, props)
        assert len(outcome.violations) == 1
        assert outcome.not_evaluated

    @pytest.mark.parametrize("field", ["fromPort", "toPort", "protocol"])
    def test_unknown_ports_and_protocols_are_reported(self, field: str) -> None:
        """Unknown ports or protocol are reported as not evaluated."""
        rule = sg_block("tcp", 22, cidrBlocks=["0.0.0.0/0"])
        rule[field] = UNKNOWN
        outcome = run_resource_policy(SG_ADMIN_PORTS, SECURITY_GROUP, {"ingress": [rule]})
        assert outcome.not_evaluated

    def test_an_unknown_rule_list_is_reported(self) -> None:
        """A whole ingress list unknown at preview is reported too."""
        outcome = run_resource_policy(SG_ADMIN_PORTS, SECURITY_GROUP, {"ingress": UNKNOWN})
        assert outcome.not_evaluated

    def test_the_injected_predicate_recognises_raw_sentinels(self) -> None:
        """Without the proxy, a Reader predicate marks sentinel strings unknown."""
        result = normalize_security_group(
            VPC_INGRESS_RULE,
            {"ipProtocol": "tcp", "fromPort": 22.0, "toPort": 22.0, "cidrIpv4": UNKNOWN},
            group="g",
            reader=Reader(is_unknown=lambda v: v == UNKNOWN),
        )
        assert result.items == ()
        assert result.unknowns


class TestInvalidValues:
    def test_a_malformed_cidr_is_skipped_with_a_reason(self) -> None:
        """A CIDR no provider accepts does not crash normalisation."""
        result = normalize_security_group(
            SECURITY_GROUP,
            {"ingress": [sg_block("tcp", 22, cidrBlocks=["not-a-cidr"])]},
            group="g",
        )
        assert result.items == ()
        assert result.unresolved[0].unknown is False

    def test_port_ranges_parse_floats(self) -> None:
        """Ports arrive as floats from the engine and are read as integers."""
        assert sg_traffic("tcp", 1024.0, 65535.0).ports == PortRange(1024, 65535)
