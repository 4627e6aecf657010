"""Intents over protocols without ports, every protocol, and ICMP types at their edges.

One tier ``web`` in 10.0.0.0/28 whose group admits something from 0.0.0.0/0. Expected
verdicts follow from AWS's semantics: protocol ``-1`` is every IP protocol; an ICMP rule
names a type and a code (``-1`` every code), so a rule for type 4 opens nothing of type 3
and a rule for code 255 of type 3 opens part of type 3; ESP (50) and GRE (47) have no
ports, so a rule for one says nothing about the other; a group's rule over 0.0.0.0/0
admits IPv4 only. An intent's ICMP ``ports`` are types, each with all its codes (README,
"Intents as code").
"""

from __future__ import annotations

import ipaddress
from typing import Any

from tests import reach_oracle as oracle
from tests.test_reach_oracle import topology_of
from tierguard.reach import Topology
from tierguard.reach.intents import check_intents, parse_intents, with_stack_intents

WORLD = ipaddress.ip_network("0.0.0.0/0")


def web(*rules: oracle.Rule, acl: list[oracle.Entry] | None = None) -> Topology:
    subnet = oracle.Subnet("s0", ipaddress.ip_network("10.0.0.0/28"), "edge" if acl else None)
    tier = oracle.Tier("web", [subnet], list(rules))
    acls = {"edge": acl} if acl else {}
    return topology_of(
        oracle.Network(ipaddress.ip_network("10.0.0.0/16"), {"web": tier}, acls, (30, 40))
    )


def broken(topology: Topology, **intent: Any) -> list[str]:
    return [v.message for v in check_intents(topology, parse_intents([{"to": "web", **intent}]))]


class TestEveryProtocol:
    def test_a_rule_for_every_protocol_breaks_must_not_reach_on_any(self) -> None:
        """Everything open from the IPv4 internet is one ``all`` finding; the path shown is
        a TCP connection's, which both rules (all TCP, every protocol) admit."""
        topology = web(oracle.Rule(oracle.TCP, 0, 65535, WORLD), oracle.Rule(-1, cidr=WORLD))
        assert broken(topology, **{"from": "internet", "must": "not-reach"}) == [
            "internet (IPv4) reaches tier web on all — path: ✓ security group of tier web, "
            "ingress: allowed by web-ingress-0 (“no description”); web-ingress-1 "
            "(“no description”)"
        ]

    def test_only_other_protocols_getting_in_is_named_without_a_path(self) -> None:
        """The ACL denies TCP, UDP and ICMP and allows the rest: what gets in is the class
        of "other protocols", which has no single packet to walk."""
        entries = [
            oracle.Entry(90, False, False, oracle.Rule(oracle.TCP, 0, 65535, WORLD)),
            oracle.Entry(91, False, False, oracle.Rule(oracle.UDP, 0, 65535, WORLD)),
            oracle.Entry(92, False, False, oracle.Rule(oracle.ICMP, -1, -1, WORLD)),
            oracle.Entry(100, False, True, oracle.Rule(-1, cidr=WORLD)),
            oracle.Entry(100, True, True, oracle.Rule(-1, cidr=WORLD)),
        ]
        topology = web(oracle.Rule(-1, cidr=WORLD), acl=entries)
        assert broken(topology, **{"from": "internet", "must": "not-reach"}) == [
            "internet (IPv4) reaches tier web on other protocols"
        ]


class TestProtocolsWithoutPorts:
    def test_must_reach_over_esp_holds_when_a_rule_admits_esp(self) -> None:
        topology = web(oracle.Rule(50, cidr=WORLD))
        assert (
            broken(topology, **{"from": "198.51.100.0/24", "must": "reach", "protocol": 50}) == []
        )

    def test_a_rule_for_esp_does_not_reach_over_gre(self) -> None:
        topology = web(oracle.Rule(50, cidr=WORLD))
        assert broken(topology, **{"from": "198.51.100.0/24", "must": "reach", "protocol": 47}) == [
            "198.51.100.0/24 does not reach tier web on 47 (no security group rule allows it)"
        ]


class TestIcmpTypes:
    def test_the_next_type_open_does_not_break_must_not_reach_on_this_one(self) -> None:
        topology = web(oracle.Rule(oracle.ICMP, 4, -1, WORLD))
        intent = {"from": "198.51.100.0/24", "must": "not-reach", "protocol": "icmp"}
        assert broken(topology, **intent, ports=3) == []
        assert broken(topology, **intent, ports=4) != []

    def test_the_last_code_of_a_type_breaks_must_not_reach_on_that_type(self) -> None:
        topology = web(oracle.Rule(oracle.ICMP, 3, 255, WORLD))
        intent = {"from": "198.51.100.0/24", "must": "not-reach", "protocol": "icmp", "ports": 3}
        [message] = broken(topology, **intent)
        assert message.startswith("198.51.100.0/24 reaches tier web on icmp 3:255 — path: ")

    def test_must_reach_on_a_type_holds_when_all_its_codes_are_open(self) -> None:
        topology = web(oracle.Rule(oracle.ICMP, 3, -1, WORLD))
        intent = {"from": "198.51.100.0/24", "must": "reach", "protocol": "icmp", "ports": 3}
        assert broken(topology, **intent) == []


class TestTheInternetsFamilies:
    """``from: internet`` is the internet over IPv4 and over IPv6; ICMP exists only over
    IPv4 and ICMPv6 only over IPv6 (RFC 792, RFC 4443), so an intent over one of them is
    about that family's internet alone."""

    def test_must_reach_over_icmp_holds_when_the_ipv4_internet_pings(self) -> None:
        topology = web(oracle.Rule(oracle.ICMP, 8, -1, WORLD))
        intent = {"from": "internet", "must": "reach", "protocol": "icmp", "ports": 8}
        assert broken(topology, **intent) == []

    def test_must_reach_over_icmpv6_is_judged_over_ipv6(self) -> None:
        world6 = ipaddress.ip_network("::/0")
        topology = web(oracle.Rule(oracle.ICMPV6, 128, -1, world6))
        intent = {"from": "internet", "must": "reach", "protocol": "icmpv6", "ports": 128}
        assert broken(topology, **intent) == []
        assert broken(web(), **intent) == [
            "internet (IPv6) does not reach tier web on icmpv6 128 (no security group rule "
            "allows it)"
        ]

    def test_must_reach_on_any_other_protocol_needs_both_families(self) -> None:
        topology = web(oracle.Rule(oracle.TCP, 443, 443, WORLD))
        intent = {"from": "internet", "must": "reach", "protocol": "tcp", "ports": 443}
        assert broken(topology, **intent) == [
            "internet (IPv6) does not reach tier web on tcp 443 (no security group rule allows it)"
        ]


def test_must_reach_over_a_range_says_which_part_is_open() -> None:
    """A rule for 22 alone: "tcp 20-22" is not reached, but not for want of any rule."""
    topology = web(oracle.Rule(oracle.TCP, 22, 22, WORLD))
    intent = {"from": "198.51.100.0/24", "must": "reach", "protocol": "tcp", "ports": "20-22"}
    assert broken(topology, **intent) == [
        "198.51.100.0/24 does not reach tier web on tcp 20-22 (only tcp 22 is open)"
    ]


class TestStackIntentsForThePack:
    """``with_stack_intents``: a stack's ``tierguard:intents`` become the intents policy's
    config unless the pack config already configures it."""

    def test_no_intents_and_no_pack_config_leave_the_packs_defaults(self) -> None:
        assert with_stack_intents(None, {}) is None

    def test_a_pack_config_without_stack_intents_is_kept_as_given(self) -> None:
        config = {"aws-ec2-sg-no-admin-ports-from-internet": {"enforcementLevel": "advisory"}}
        assert with_stack_intents(config, {}) == config

    def test_a_program_without_a_tierguard_network_gives_no_named_cidrs(self) -> None:
        raw = [{"from": "internet", "to": "web", "must": "not-reach"}]
        assert with_stack_intents(None, {"tierguard:intents": raw}) == {
            "tierguard-reachability-intents": {"intents": raw, "namedCidrs": {}}
        }
