"""Reachability is exactly AWS: one regression test per class of disagreement of issue 10.

Expected values come from AWS's documented behaviour (see the "Networking facts" of
``docs``/the reference): a network ACL sits at a subnet boundary; ICMP rules carry a type
and code and only queries (echo 8 → 0, …) have replies; ``-1`` covers every IP protocol;
ICMP is IPv4-only and ICMPv6 IPv6-only; members without a known subnet still have
addresses in the VPC CIDR; a range source is judged over all of its addresses.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import PROJECT_DIR, invoke
from tierguard.config.stackfile import load_stack
from tierguard.program import plan_from_raw
from tierguard.reach import Topology, Verdict, analyze, explain, source_named, topology_from_plan
from tierguard.reach.analysis import OTHER, reach
from tierguard.rules import ICMP, TCP


def topology(network: dict[str, Any]) -> Topology:
    return topology_from_plan(plan_from_raw(network, region="us-east-1", stack="t"))


def cell(topo: Topology, source: str, target: str) -> dict[str, set[str]]:
    """Labels by verdict for one cell."""
    found: dict[str, set[str]] = {}
    for f in analyze(topo, [source_named(topo, source)]).reach(source, target).findings:
        found.setdefault(f.verdict.value, set()).add(f.label)
    return found


def shared_subnet(az_count: int) -> dict[str, Any]:
    """The repro of class 1: web and api share the app subnet group, whose ACL only
    admits HTTPS; api admits 8080 from web and from itself."""
    return {
        "name": "t",
        "vpc": {"cidr": "10.0.0.0/16", "az_count": az_count},
        "subnet_groups": {"app": {}},
        "tiers": {
            "web": {"subnet_group": "app"},
            "api": {
                "subnet_group": "app",
                "ingress": [
                    {"protocol": "tcp", "ports": 8080, "tier": "web"},
                    {"protocol": "tcp", "ports": 9000, "self": True},
                ],
            },
        },
        "network_acls": {
            "app": {
                "subnet_groups": ["app"],
                "ingress": [{"rule": 100, "service": "https", "internet": "ipv4"}],
            }
        },
    }


class TestClass1AclsOnlyAtSubnetBoundaries:
    def test_two_tiers_in_one_subnet_cross_no_acl(self) -> None:
        """One AZ: web and api share the subnet, so the ACL (HTTPS only) is not crossed."""
        topo = topology(shared_subnet(1))
        assert cell(topo, "web", "api") == {"open": {"tcp 8080"}}
        assert cell(topo, "api", "api") == {"open": {"tcp 9000"}}

    def test_the_explanation_says_no_acl_is_crossed(self) -> None:
        topo = topology(shared_subnet(1))
        answer = explain(topo, source_named(topo, "web"), topo.tiers["api"], TCP, 8080)
        assert answer.reachable
        assert [s.layer for s in answer.steps][-1] == "network ACLs"
        assert "crosses no network ACL" in answer.steps[-1].detail

    def test_two_azs_depend_on_the_subnet_each_member_lands_in(self) -> None:
        """Two AZs: members in the same subnet connect; across subnets the ACL's implicit
        deny drops 8080, and the answer says which placement gives which verdict."""
        topo = topology(shared_subnet(2))
        [opened] = reach(topo, source_named(topo, "web"), topo.tiers["api"]).open
        assert opened.partial
        assert opened.detail == "only when both members are in the same subnet"
        blocked = [
            f
            for f in reach(topo, source_named(topo, "web"), topo.tiers["api"]).findings
            if f.verdict is Verdict.BLOCKED
        ]
        assert blocked
        assert all("implicit deny" in f.detail for f in blocked)
        explanation = explain(topo, source_named(topo, "web"), topo.tiers["api"], TCP, 8080)
        assert explanation.partly
        assert {c.reachable for c in explanation.cases} == {True, False}


def icmp_network(sg: dict[str, Any], acl_in: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "name": "t",
        "vpc": {"cidr": "10.0.0.0/16", "az_count": 1},
        "subnet_groups": {"pub": {}},
        "tiers": {"host": {"subnet_group": "pub", "ingress": [sg]}},
        "network_acls": {
            "pub": {
                "subnet_groups": ["pub"],
                "ingress": acl_in,
                "egress": [{"rule": 100, "protocol": "all", "internet": "ipv4"}],
            }
        },
    }


ECHO_ONLY = [{"rule": 100, "protocol": "icmp", "icmp_type": 8, "internet": "ipv4"}]


class TestClass2IcmpTypeAndCode:
    def test_a_type_11_rule_behind_an_echo_only_acl_is_blocked(self) -> None:
        """The SG admits time-exceeded (11); the ACL admits only echo: nothing gets in."""
        sg = {"protocol": "icmp", "icmp_type": 11, "cidr": "0.0.0.0/0"}
        found = cell(topology(icmp_network(sg, ECHO_ONLY)), "internet-ipv4", "host")
        assert found == {"blocked": {"icmp 11"}}

    def test_an_echo_rule_behind_an_echo_acl_is_open_with_its_reply(self) -> None:
        """Echo request in, echo reply (type 0) back out through the all-traffic egress."""
        sg = {"protocol": "icmp", "icmp_type": 8, "cidr": "0.0.0.0/0"}
        assert cell(topology(icmp_network(sg, ECHO_ONLY)), "internet-ipv4", "host") == {
            "open": {"icmp 8"}
        }

    def test_echo_is_one_way_when_the_reply_is_dropped(self) -> None:
        """Egress lets only type 3 out: the echo reply (0) is dropped, so ping times out."""
        network = icmp_network({"protocol": "icmp", "icmp_type": 8, "cidr": "0.0.0.0/0"}, ECHO_ONLY)
        network["network_acls"]["pub"]["egress"] = [
            {"rule": 100, "protocol": "icmp", "icmp_type": 3, "internet": "ipv4"}
        ]
        [finding] = reach(
            (topo := topology(network)), source_named(topo, "internet-ipv4"), topo.tiers["host"]
        ).findings
        assert (finding.verdict, finding.label) == (Verdict.ONE_WAY, "icmp 8")
        assert "the reply (type 0) is dropped" in finding.detail

    def test_a_message_without_a_reply_is_never_one_way(self) -> None:
        """Destination unreachable 3/4 (fragmentation needed) has no reply: it is open even
        though the egress drops everything."""
        sg = {"protocol": "icmp", "icmp_type": 3, "icmp_code": 4, "cidr": "0.0.0.0/0"}
        network = icmp_network(
            sg, [{"rule": 100, "protocol": "icmp", "icmp_type": 3, "internet": "ipv4"}]
        )
        network["network_acls"]["pub"]["egress"] = []
        assert cell(topology(network), "internet-ipv4", "host") == {"open": {"icmp 3:4"}}

    def test_egress_of_type_3_does_not_meet_ingress_of_type_8(self) -> None:
        """Between tiers both groups must allow the same message."""
        network = {
            "name": "t",
            "vpc": {"cidr": "10.0.0.0/16", "az_count": 1},
            "auto_egress": False,
            "tiers": {
                "a": {"egress": [{"protocol": "icmp", "icmp_type": 3, "tier": "b"}]},
                "b": {"ingress": [{"protocol": "icmp", "icmp_type": 8, "tier": "a"}]},
            },
        }
        assert cell(topology(network), "a", "b") == {}

    def test_reach_port_with_icmp_means_the_type(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """``--port 11 --protocol icmp`` asks about type 11 and agrees with the matrix."""
        sg = {"protocol": "icmp", "icmp_type": 11, "cidr": "0.0.0.0/0"}
        stack = write_stack(tmp_path, icmp_network(sg, ECHO_ONLY))
        args = ["reach", "--stack-file", str(stack), "--from", "internet-ipv4", "--to", "host"]
        code, out, _ = invoke(
            [*args, "--port", "11", "--protocol", "icmp", "--json"], capsys, monkeypatch
        )
        doc = json.loads(out)
        assert (code, doc["what"], doc["reachable"]) == (0, "icmp type 11", False)
        [case] = doc["cases"]
        assert case["steps"][0]["passed"]  # the group admits type 11
        assert "implicit deny" in case["steps"][-1]["detail"]
        code, out, _ = invoke(
            [*args, "--port", "8", "--protocol", "icmp", "--json"], capsys, monkeypatch
        )
        assert json.loads(out)["cases"][0]["steps"][0]["passed"] is False


def write_stack(tmp_path: Path, network: dict[str, Any]) -> Path:
    path = tmp_path / "Pulumi.t.yaml"
    path.write_text(
        yaml.safe_dump({"config": {"aws:region": "us-east-1", "tierguard:network": network}})
    )
    return path


class TestClass3MembersWithoutASubnetGroup:
    def test_they_match_cidr_rules_by_their_vpc_address(self) -> None:
        """A tier without a subnet group is still inside 10.0.0.0/16: a rule from that
        block, or from 0.0.0.0/0, admits it."""
        network = {
            "name": "t",
            "vpc": {"cidr": "10.0.0.0/16", "az_count": 1},
            "tiers": {
                "batch": {"egress": [{"protocol": "tcp", "ports": "all", "cidr": "0.0.0.0/0"}]},
                "db": {"ingress": [{"protocol": "tcp", "ports": 5432, "cidr": "10.0.0.0/16"}]},
                "web": {"ingress": [{"protocol": "tcp", "ports": 443, "cidr": "0.0.0.0/0"}]},
            },
        }
        topo = topology(network)
        assert cell(topo, "batch", "db") == {"open": {"tcp 5432"}}
        assert cell(topo, "batch", "web") == {"open": {"tcp 443"}}
        assert cell(topo, "internet-ipv4", "db") == {}


class TestClass4EveryIpProtocol:
    def network(self, protocol: str) -> dict[str, Any]:
        return {
            "name": "t",
            "vpc": {"cidr": "10.0.0.0/16", "az_count": 1},
            "named_cidrs": {"peer": "192.0.2.0/24"},
            "tiers": {"vpn": {"ingress": [{"protocol": protocol, "named_cidr": "peer"}]}},
        }

    def test_esp_from_a_peer_range_is_reported(self) -> None:
        """Protocol 50 (ESP) has no ports: the whole protocol is open from the peer."""
        assert cell(topology(self.network("50")), "peer", "vpn") == {"open": {"50"}}

    def test_all_covers_esp_and_gre(self) -> None:
        """``all`` is one finding, and asking for ESP or GRE alone finds it open."""
        topo = topology(self.network("all"))
        assert cell(topo, "peer", "vpn") == {"open": {"all"}}
        for number in (47, 50):
            found = reach(topo, source_named(topo, "peer"), topo.tiers["vpn"], (number,))
            assert [(f.protocol, f.verdict) for f in found.findings] == [(number, Verdict.OPEN)]

    def test_an_acl_denying_gre_leaves_the_other_protocols_open(self) -> None:
        network = self.network("all")
        network["subnet_groups"] = {"edge": {}}
        network["tiers"]["vpn"]["subnet_group"] = "edge"
        network["network_acls"] = {
            "edge": {
                "subnet_groups": ["edge"],
                "ingress": [
                    {"rule": 10, "action": "deny", "protocol": 47, "named_cidr": "peer"},
                    {"rule": 20, "protocol": "all", "named_cidr": "peer"},
                ],
                "egress": [{"rule": 10, "protocol": "all", "named_cidr": "peer"}],
            }
        }
        findings = reach(
            (topo := topology(network)), source_named(topo, "peer"), topo.tiers["vpn"]
        ).findings
        by = {f.protocol: f.verdict for f in findings}
        assert by[47] is Verdict.BLOCKED
        assert by[OTHER] is by[TCP] is by[ICMP] is Verdict.OPEN


class TestClass5IcmpOfTheRightFamily:
    def test_icmpv6_is_never_listed_for_ipv4_and_icmp_never_for_ipv6(self) -> None:
        """An existing VPC (it may have an IPv6 block: tierguard's own get none)."""
        network = {
            "name": "t",
            "vpc": {"id": "vpc-0a1b2c3d4e5f60718", "cidr": "10.0.0.0/16"},
            "tiers": {
                "a": {},
                "b": {
                    "ingress": [
                        {"protocol": "all", "internet": "ipv4"},
                        {"protocol": "all", "internet": "ipv6"},
                        {"protocol": "icmpv6", "tier": "a"},
                    ]
                },
            },
        }
        topo = topology(network)
        v4 = reach(topo, source_named(topo, "internet-ipv4"), topo.tiers["b"], (ICMP, 58))
        v6 = reach(topo, source_named(topo, "internet-ipv6"), topo.tiers["b"], (ICMP, 58))
        assert [f.protocol for f in v4.findings] == [ICMP]
        assert [f.protocol for f in v6.findings] == [58]
        assert cell(topo, "a", "b") == {}  # tiers have IPv4 addresses only


class TestClass6TheInternetNeverVanishes:
    def dev(self) -> dict[str, Any]:
        network = copy.deepcopy(load_stack(PROJECT_DIR, "dev").config["tierguard:network"])
        assert isinstance(network, dict)
        network["named_cidrs"].update({"lo": "0.0.0.0/1", "hi": "128.0.0.0/1"})
        return network

    def test_halves_of_the_address_space_do_not_hide_the_internet(self) -> None:
        topo = topology(self.dev())
        found = cell(topo, "internet-ipv4", "alb")
        assert found["open"] == {"tcp 443"}

    def test_reach_explains_443_from_the_internet_as_reachable_except_the_blocked_range(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        stack = write_stack(tmp_path, self.dev())
        code, out, _ = invoke(
            [
                "reach",
                "--stack-file",
                str(stack),
                "--from",
                "internet-ipv4",
                "--to",
                "alb",
                "--port",
                "443",
            ],
            capsys,
            monkeypatch,
        )
        assert code == 0
        assert "reachable only in part" in out
        assert "except from 198.51.100.0/24: reachable" in out


class TestClass7ARangeIsJudgedOverAllOfIt:
    def test_half_of_a_range_reaches(
        self, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """198.51.100.0/23: the lower /24 is the blocked range, the upper half gets in."""
        code, out, _ = invoke(
            [
                "reach",
                "--cwd",
                str(PROJECT_DIR),
                "--from",
                "198.51.100.0/23",
                "--to",
                "alb",
                "--port",
                "443",
                "--json",
            ],
            capsys,
            monkeypatch,
        )
        doc = json.loads(out)
        assert (code, doc["reachable"], doc["partly"]) == (0, False, True)
        assert {(c["where"], c["reachable"]) for c in doc["cases"]} == {
            ("only from 198.51.100.0/24", False),
            ("only from 198.51.101.0/24", True),
        }

    def test_host_bits_are_refused(
        self, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        code, out, err = invoke(
            ["reach", "--cwd", str(PROJECT_DIR), "--from", "10.0.0.5/8"], capsys, monkeypatch
        )
        assert (code, out) == (2, "")
        assert "'10.0.0.5/8' has host bits set (did you mean 10.0.0.0/8?)" in err
        assert "Traceback" not in err

    def test_protocol_is_honoured_without_port(
        self, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """``--protocol udp`` shows UDP only: the dev stack opens none to the ALB."""
        base = ["reach", "--cwd", str(PROJECT_DIR), "--from", "admins", "--to", "alb", "--json"]
        code, out, _ = invoke([*base, "--protocol", "udp"], capsys, monkeypatch)
        [only] = json.loads(out)["reach"]
        assert (code, only["open"], only["blocked"]) == (0, [], [])
        code, out, _ = invoke([*base, "--protocol", "tcp"], capsys, monkeypatch)
        [only] = json.loads(out)["reach"]
        assert [o["ports"] for o in only["open"]] == ["443"]
