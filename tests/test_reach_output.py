"""What ``tierguard reach`` prints for one connection, and its JSON, line by line.

The explanations are of the dev stack (``Pulumi.dev.yaml``), so every expected line is
derived by hand from its config and AWS's first-match ACL evaluation: the public ACL's
ingress rule 50 denies all traffic from ``blocked`` (198.51.100.0/24), 100 allows HTTPS,
110 HTTP, 120 TCP 1024-65535 and 130 SSH from ``admins``, all over IPv4 only; its egress
rule 100 allows all traffic to 0.0.0.0/0; nothing matches an IPv6 address, so the implicit
deny drops it. The first example is the README's ("Who can reach what"). The JSON keys are
the README's documented shape.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from io import StringIO

import pytest
from rich.console import Console

from tests.test_reach import dev_network, topology
from tests.test_reach_render import EVERY_VERDICT, HTTPS, INTERNET, PING, WEB
from tierguard.reach import Topology, explain, source_named
from tierguard.reach.analysis import OTHER, Explanation, Matrix, Reach, ReachFinding, Verdict
from tierguard.reach.intents import check_intents, evaluate_intents, parse_intents
from tierguard.reach.render import (
    dot,
    explanation_json,
    intents_json,
    matrix_json,
    mermaid,
    print_explanation,
    print_matrix,
)
from tierguard.rules import ALL, TCP, PortRange

HTTPS_RULE = "allowed by dev-alb-in-tcp-443-internet-ipv4 (“HTTPS from the internet (IPv4)”)"
REPLIES_PASS = "replies to client ports 1024-65535 pass"


def dev() -> Topology:
    return topology(dev_network())


def explained(source: str, target: str, port: int) -> Explanation:
    topo = dev()
    return explain(topo, source_named(topo, source), topo.tiers[target], TCP, port)


def printed(explanation: Explanation) -> list[str]:
    out = StringIO()
    print_explanation(explanation, Console(file=out, width=300, color_system=None))
    return out.getvalue().splitlines()


class TestPrintedExplanation:
    def test_a_range_split_by_the_acl_prints_each_part_indented_under_its_verdict(self) -> None:
        """The README's example: the /23 is half blocked (rule 50), half allowed (rule 100)."""
        assert printed(explained("198.51.100.0/23", "alb", 443)) == [
            "198.51.100.0/23 → tier alb on tcp 443: reachable only in part",
            "  only from 198.51.100.0/24: NOT reachable",
            f"    ✓ security group of tier alb, ingress: {HTTPS_RULE}",
            "    ✗ network ACL public, ingress: network ACL public ingress rule #50 "
            "(deny all traffic 198.51.100.0/24) drops it",
            f"    ✓ network ACL public, egress (replies): {REPLIES_PASS}",
            "  only from 198.51.101.0/24: reachable",
            f"    ✓ security group of tier alb, ingress: {HTTPS_RULE}",
            "    ✓ network ACL public, ingress: network ACL public ingress rule #100 "
            "(allow TCP 443 0.0.0.0/0) allows it",
            f"    ✓ network ACL public, egress (replies): {REPLIES_PASS}",
        ]

    def test_one_case_prints_its_steps_directly_under_the_question(self) -> None:
        """SSH from the admin range: rules 50-120 do not match port 22 from 203.0.113.0/24,
        rule 130 does; the egress rule 100 lets the replies out."""
        assert printed(explained("admins", "web", 22)) == [
            "admins (203.0.113.0/24) → tier web on tcp 22: reachable",
            "  ✓ security group of tier web, ingress: allowed by dev-web-in-tcp-22-203.0.113.0_24"
            " (“SSH from the admin range only”)",
            "  ✓ network ACL public, ingress: network ACL public ingress rule #130 "
            "(allow TCP 22 203.0.113.0/24) allows it",
            f"  ✓ network ACL public, egress (replies): {REPLIES_PASS}",
        ]

    def test_every_failing_check_is_marked_and_the_answer_is_not_reachable(self) -> None:
        """Over IPv6 nothing admits HTTPS: the subnets have no IPv6 block, the group admits
        IPv4 only, and the ACL's entries are all IPv4, so the implicit deny drops the
        request and the replies."""
        assert printed(explained("internet-ipv6", "alb", 443)) == [
            "internet (IPv6) → tier alb on tcp 443: NOT reachable",
            "  ✗ addresses of tier alb: its subnet has no IPv6 CIDR block: its members have no "
            "IPv6 address, so no IPv6 traffic reaches them",
            "  ✗ security group of tier alb, ingress: no ingress rule allows tcp 443 from "
            "internet (IPv6)",
            "  ✗ network ACL public, ingress: network ACL public ingress: no rule matches, "
            "the implicit deny (*) drops it",
            "  ✗ network ACL public, egress (replies): replies to client ports 1024-65535 are "
            "dropped: network ACL public egress: no rule matches, the implicit deny (*) drops it",
        ]


class TestExplanationJson:
    def test_the_documented_keys_carry_each_case_and_step(self) -> None:
        doc = explanation_json(explained("198.51.100.0/23", "alb", 443))
        sg = {"check": "security group of tier alb, ingress", "passed": True, "detail": HTTPS_RULE}
        replies = {
            "check": "network ACL public, egress (replies)",
            "passed": True,
            "detail": REPLIES_PASS,
        }
        assert doc == {
            "from": "198.51.100.0/23",
            "to": "alb",
            "protocol": "tcp",
            "what": "tcp 443",
            "reachable": False,
            "partly": True,
            "cases": [
                {
                    "where": "only from 198.51.100.0/24",
                    "reachable": False,
                    "steps": [
                        sg,
                        {
                            "check": "network ACL public, ingress",
                            "passed": False,
                            "detail": "network ACL public ingress rule #50 "
                            "(deny all traffic 198.51.100.0/24) drops it",
                        },
                        replies,
                    ],
                },
                {
                    "where": "only from 198.51.101.0/24",
                    "reachable": True,
                    "steps": [
                        sg,
                        {
                            "check": "network ACL public, ingress",
                            "passed": True,
                            "detail": "network ACL public ingress rule #100 "
                            "(allow TCP 443 0.0.0.0/0) allows it",
                        },
                        replies,
                    ],
                },
            ],
        }

    def test_a_named_source_is_given_by_name_and_a_whole_answer_has_an_empty_where(
        self,
    ) -> None:
        doc = explanation_json(explained("admins", "web", 22))
        assert (doc["from"], doc["to"], doc["reachable"], doc["partly"]) == (
            "admins",
            "web",
            True,
            False,
        )
        assert [(c["where"], c["reachable"]) for c in doc["cases"]] == [("", True)]


class TestMatrixJson:
    """The hand-built matrix of ``tests/test_reach_render.py``: each finding is placed
    under its verdict; ``ports`` spells ports or ICMP types (README), ``null`` where the
    protocol has none; ``why`` only for what does not open; ``notes`` the open ones' details."""

    def test_sources_and_targets(self) -> None:
        doc = matrix_json(EVERY_VERDICT)
        assert doc["sources"] == [
            {
                "name": "internet-ipv4",
                "label": "internet (IPv4)",
                "addresses": ["0.0.0.0/0"],
                "tier": None,
            },
            {
                "name": "admins",
                "label": "admins (203.0.113.0/24)",
                "addresses": ["203.0.113.0/24"],
                "tier": None,
            },
            {"name": "web", "label": "tier web", "addresses": [], "tier": "web"},
        ]
        assert doc["targets"] == ["web", "app"]

    def test_every_cell_by_verdict(self) -> None:
        doc = matrix_json(EVERY_VERDICT)
        nothing: dict[str, list[object]] = {"open": [], "blocked": [], "oneWay": [], "notes": []}
        assert doc["reach"] == [
            {
                "from": "internet-ipv4",
                "to": "web",
                "open": [{"protocol": "tcp", "ports": "443", "partial": True}],
                "blocked": [],
                "oneWay": [],
                "notes": ["except from 198.51.100.0/24"],
            },
            {"from": "internet-ipv4", "to": "app", **nothing},
            {
                "from": "admins",
                "to": "web",
                "open": [{"protocol": "tcp", "ports": "443", "partial": False}],
                "blocked": [
                    {"protocol": "tcp", "ports": "22", "partial": False, "why": "rule #90 drops it"}
                ],
                "oneWay": [],
                "notes": [],
            },
            {"from": "admins", "to": "app", **nothing},
            {"from": "web", "to": "web", **nothing},
            {
                "from": "web",
                "to": "app",
                "open": [{"protocol": "icmp", "ports": "8", "partial": False}],
                "blocked": [],
                "oneWay": [
                    {"protocol": "udp", "ports": "53", "partial": False, "why": '"replies" dropped'}
                ],
                "notes": [],
            },
        ]

    def test_protocols_without_ports_have_null_ports(self) -> None:
        """``all`` (everything open) and "other protocols" carry no port list."""
        findings = (
            ReachFinding(ALL, (), Verdict.OPEN),
            ReachFinding(OTHER, (), Verdict.ONE_WAY, detail="why not"),
        )
        cell = Reach(INTERNET, "web", findings)
        doc = matrix_json(Matrix((INTERNET,), ("web",), {("internet-ipv4", "web"): cell}))
        assert doc["reach"][0]["open"] == [{"protocol": "all", "ports": None, "partial": False}]
        assert doc["reach"][0]["oneWay"] == [
            {"protocol": "other protocols", "ports": None, "partial": False, "why": "why not"}
        ]

    def test_a_range_of_ports_and_codes_is_spelled_as_in_the_table(self) -> None:
        ports = ReachFinding(TCP, (PortRange(80, 80), PortRange(8000, 8080)), Verdict.BLOCKED)
        cell = Reach(WEB, "app", (ports,))
        doc = matrix_json(Matrix((WEB,), ("app",), {("web", "app"): cell}))
        assert doc["reach"][0]["blocked"] == [
            {"protocol": "tcp", "ports": "80, 8000-8080", "partial": False, "why": ""}
        ]


class TestIntentsJson:
    def test_each_intent_with_whether_it_holds_and_why_not(self) -> None:
        """In the dev stack the blocked range's HTTPS is dropped by ACL rule 50 (so it holds),
        while the admin range opens SSH to web (so "admins must not reach web" is broken)."""
        intents = parse_intents(
            [
                {"from": "blocked", "must": "not-reach"},
                {"from": "admins", "to": "web", "must": "not-reach", "protocol": "tcp"},
            ]
        )
        topo = dev()
        results = evaluate_intents(topo, intents)
        [violation] = check_intents(topo, intents)
        assert intents_json(results) == [
            {
                "intent": "blocked must not reach any tier on any protocol",
                "holds": True,
                "violations": [],
            },
            {
                "intent": "admins must not reach tier web on tcp",
                "holds": False,
                "violations": [violation.message],
            },
        ]
        assert violation.message.startswith("admins (203.0.113.0/24) reaches tier web on tcp 22")


class TestIntentMessages:
    """What ``reach --check`` says breaks an intent over the dev stack: the source as the
    matrix labels it, the tier, the traffic, and why (or the path that gets in)."""

    def broken(self, intent: Mapping[str, object]) -> list[tuple[str, str | None]]:
        return [(v.message, v.target) for v in check_intents(dev(), parse_intents([intent]))]

    def test_must_reach_lists_what_stops_part_of_the_range_and_each_family(self) -> None:
        """HTTPS reaches the ALB from the IPv4 internet except the blocked range (rule 50);
        over IPv6 the group has no rule at all."""
        intent = {"from": "internet", "to": "alb", "must": "reach", "protocol": "tcp"}
        assert self.broken({**intent, "ports": 443}) == [
            (
                "internet (IPv4) does not reach tier alb on tcp 443 (tcp 443 open: except from "
                "198.51.100.0/24; tcp 443 blocked: only from 198.51.100.0/24; network ACL public "
                "ingress rule #50 (deny all traffic 198.51.100.0/24) drops it)",
                "alb",
            ),
            (
                "internet (IPv6) does not reach tier alb on tcp 443 (no security group rule allows it)",
                "alb",
            ),
        ]

    def test_must_reach_names_the_entry_that_blocks_the_whole_range(self) -> None:
        intent = {"from": "blocked", "to": "alb", "must": "reach", "protocol": "tcp", "ports": 443}
        assert self.broken(intent) == [
            (
                "blocked (198.51.100.0/24) does not reach tier alb on tcp 443 (tcp 443 blocked: "
                "network ACL public ingress rule #50 (deny all traffic 198.51.100.0/24) drops it)",
                "alb",
            )
        ]

    def test_must_not_reach_names_where_it_holds_and_the_path_that_gets_in(self) -> None:
        intent = {"from": "internet", "to": "alb", "must": "not-reach"}
        assert self.broken(intent) == [
            (
                "internet (IPv4) reaches tier alb on tcp 443 (except from 198.51.100.0/24) — "
                f"path: ✓ security group of tier alb, ingress: {HTTPS_RULE}; "
                "✓ network ACL public, ingress: network ACL public ingress rule #100 "
                f"(allow TCP 443 0.0.0.0/0) allows it; ✓ network ACL public, egress (replies): "
                f"{REPLIES_PASS}",
                "alb",
            )
        ]

    def test_ports_outside_the_open_ones_do_not_break_must_not_reach(self) -> None:
        """alb → web opens TCP 80 only: 1-79 holds, 80-81 is broken on 80."""
        intent = {"from": "alb", "to": "web", "must": "not-reach", "protocol": "tcp"}
        assert self.broken({**intent, "ports": "1-79"}) == []
        [(message, target)] = self.broken({**intent, "ports": "80-81"})
        assert message.startswith("tier alb reaches tier web on tcp 80 — path: ")
        assert target == "web"

    def test_an_unknown_tier_lists_every_tier(self) -> None:
        assert self.broken({"from": "internet", "to": "db", "must": "not-reach"}) == [
            ("to: 'db' is not a tier; tiers: alb, web, app, database", None)
        ]


class TestTitlesAndEdges:
    def test_the_table_is_titled_as_the_readme_section(self) -> None:
        out = StringIO()
        print_matrix(EVERY_VERDICT, Console(file=out, width=200, color_system=None))
        assert out.getvalue().splitlines()[0].rstrip() == "Who can reach what"

    def test_two_findings_of_one_verdict_share_an_edge_separated_by_commas(self) -> None:
        """README, "Who can reach what": ``tcp 22, 6443`` — one edge, labels comma-separated."""
        cell = Reach(WEB, "app", (HTTPS, PING))
        m = Matrix((WEB,), ("app",), {("web", "app"): cell})
        assert '  n_web -->|"tcp 443, icmp 8"| n_app' in mermaid(m).splitlines()
        assert '  n_web -> n_app [label="tcp 443, icmp 8"];' in dot(m).splitlines()


class TestSourcesByName:
    """``--from`` takes a source's name, an address (one host: /32 or /128) or a block."""

    def test_an_ipv6_address_is_its_own_128_block(self) -> None:
        source = source_named(dev(), "2001:db8::1")
        assert (source.name, source.blocks) == (
            "2001:db8::1/128",
            (ipaddress.ip_network("2001:db8::1/128"),),
        )

    def test_an_ipv4_address_is_its_own_32_block(self) -> None:
        source = source_named(dev(), "198.51.100.7")
        assert (source.name, source.blocks) == (
            "198.51.100.7/32",
            (ipaddress.ip_network("198.51.100.7/32"),),
        )

    def test_an_unknown_name_lists_every_source(self) -> None:
        with pytest.raises(ValueError, match="is not a source") as raised:
            source_named(dev(), "nowhere")
        assert str(raised.value) == (
            "'nowhere' is not a source; use one of internet-ipv4, internet-ipv6, admins, "
            "blocked, alb, web, app, database, or an address or CIDR block"
        )


def test_a_cells_summary_lists_what_opens_or_a_dash() -> None:
    assert Reach(WEB, "app", (HTTPS, PING)).summary() == "tcp 443, icmp 8"
    assert Reach(WEB, "app", ()).summary() == "—"
