"""Reachability: the seed scenarios' matrices, explanations, and a brute-force oracle."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from tests.conftest import PROJECT_DIR
from tierguard.config.stackfile import load_stack
from tierguard.program import plan_from_raw
from tierguard.reach import (
    Topology,
    Verdict,
    analyze,
    explain,
    source_named,
    topology_from_plan,
)
from tierguard.reach.render import dot, matrix_json, mermaid
from tierguard.rules import (
    TCP,
)


def dev_network() -> dict[str, Any]:
    network = load_stack(PROJECT_DIR, "dev").config["tierguard:network"]
    assert isinstance(network, dict)
    return copy.deepcopy(network)


def topology(network: dict[str, Any]) -> Topology:
    return topology_from_plan(plan_from_raw(network, region="us-east-1", stack="dev"))


def open_ports(topo: Topology, source: str, target: str) -> set[str]:
    return {f.label for f in analyze(topo).reach(source, target).open}


class TestDevStackMatrix:
    """The three-tier chain with the admin range and the public ACL."""

    def test_internet_reaches_the_alb_on_443_only(self) -> None:
        """Over IPv4, HTTPS on the load balancer from all but the blocked range, and SSH on
        web only from the admin range (which is part of the internet); nothing over IPv6."""
        topo = topology(dev_network())
        matrix = analyze(topo)
        [https] = matrix.reach("internet-ipv4", "alb").open
        assert (https.label, https.partial, https.detail) == (
            "tcp 443",
            True,
            "except from 198.51.100.0/24",
        )
        [ssh] = matrix.reach("internet-ipv4", "web").open
        assert (ssh.label, ssh.detail) == ("tcp 22", "only from 203.0.113.0/24")
        for tier in ("app", "database"):
            assert open_ports(topo, "internet-ipv4", tier) == set()
        assert all(open_ports(topo, "internet-ipv6", t) == set() for t in topo.tiers)

    def test_the_database_is_reachable_only_from_app_on_3306(self) -> None:
        """Every other source gets nothing at all from the database tier."""
        matrix = analyze(topology(dev_network()))
        reaching = {
            (s.name, f.label)
            for s in matrix.sources
            for f in matrix.reach(s.name, "database").findings
        }
        assert reaching == {("app", "tcp 3306")}

    def test_the_chain_hops(self) -> None:
        """alb → web on 80, web → app on 8080, admins → web on 22."""
        topo = topology(dev_network())
        assert open_ports(topo, "alb", "web") == {"tcp 80"}
        assert open_ports(topo, "web", "app") == {"tcp 8080"}
        assert open_ports(topo, "admins", "web") == {"tcp 22"}

    def test_blocked_range_is_stopped_by_acl_rule_50(self) -> None:
        """The security group would let 198.51.100.0/24 in; ACL rule 50 drops it."""
        cell = analyze(topology(dev_network())).reach("blocked", "alb")
        assert cell.open == ()
        [finding] = cell.findings
        assert finding.verdict is Verdict.BLOCKED
        assert finding.label == "tcp 443"
        assert "network ACL public ingress rule #50" in finding.detail

    def test_explanation_names_the_allowing_rule_and_the_blocking_entry(self) -> None:
        """Like Reachability Analyzer: which SG rule allows, which ACL entry blocks."""
        topo = topology(dev_network())
        explanation = explain(topo, source_named(topo, "198.51.100.7"), topo.tiers["alb"], TCP, 443)
        assert not explanation.reachable
        checks = {s.layer: (s.passed, s.detail) for s in explanation.steps}
        assert checks["security group of tier alb, ingress"][0]
        assert (
            "dev-alb-in-tcp-443-internet-ipv4" in checks["security group of tier alb, ingress"][1]
        )
        assert checks["network ACL public, ingress"] == (
            False,
            "network ACL public ingress rule #50 (deny all traffic 198.51.100.0/24) drops it",
        )


class TestStatelessReturnPath:
    def without_return(self) -> dict[str, Any]:
        """The dev stack with automatic return rules off and outbound limited to port 80."""
        network = dev_network()
        acl = network["network_acls"]["public"]
        acl["return_traffic"] = False
        acl["egress"] = [{"rule": 100, "protocol": "tcp", "ports": 80, "internet": "ipv4"}]
        return network

    def test_removing_the_ephemeral_return_rule_breaks_https(self) -> None:
        """HTTPS gets in, but the replies to client ports are dropped: one-way."""
        cell = analyze(topology(self.without_return())).reach("internet-ipv4", "alb")
        [finding] = [f for f in cell.findings if f.verdict is not Verdict.BLOCKED]
        assert finding.verdict is Verdict.ONE_WAY
        assert finding.label == "tcp 443"
        assert "replies to client ports 1024-65535 are dropped" in finding.detail
        assert "implicit deny" in finding.detail

    def test_the_explanation_says_the_replies_are_dropped(self) -> None:
        """The failing step is the ACL's egress for replies, by the implicit deny."""
        topo = topology(self.without_return())
        explanation = explain(
            topo, source_named(topo, "internet-ipv4"), topo.tiers["alb"], TCP, 443
        )
        assert not explanation.reachable
        [failed] = [s for s in explanation.steps if not s.passed]
        assert failed.layer == "network ACL public, egress (replies)"
        assert "implicit deny (*)" in failed.detail

    def test_automatic_return_rules_restore_it(self) -> None:
        """With return_traffic on (the default), the same config is reachable again."""
        network = self.without_return()
        network["network_acls"]["public"]["return_traffic"] = True
        assert open_ports(topology(network), "internet-ipv4", "alb") == {"tcp 443"}


class TestRenderers:
    def test_json_shape(self) -> None:
        """Every (source, target) pair is present with open/blocked/oneWay lists."""
        doc = matrix_json(analyze(topology(dev_network())))
        assert [s["name"] for s in doc["sources"]][:2] == ["internet-ipv4", "internet-ipv6"]
        assert len(doc["reach"]) == len(doc["sources"]) * len(doc["targets"])
        blocked = next(r for r in doc["reach"] if r["from"] == "blocked" and r["to"] == "alb")
        assert blocked["open"] == []
        assert blocked["blocked"][0]["protocol"] == "tcp"
        assert blocked["blocked"][0]["ports"] == "443"
        assert "#50" in blocked["blocked"][0]["why"]

    def test_mermaid_marks_blocked_edges(self) -> None:
        """Open edges are arrows with ports; ACL-blocked ones end in a cross."""
        text = mermaid(analyze(topology(dev_network())))
        assert text.startswith("flowchart LR\n")
        assert '  n_internet_ipv4 -->|"tcp 443*"| n_alb' in text  # * all but the blocked range
        assert '  n_blocked -.-x|"blocked: tcp 443"| n_alb' in text
        assert '  n_app -->|"tcp 3306"| n_database' in text

    def test_dot_marks_blocked_edges(self) -> None:
        """DOT output draws blocked flows red and dashed."""
        text = dot(analyze(topology(dev_network())))
        assert text.startswith("digraph reachability {")
        assert 'n_blocked -> n_alb [label="blocked: tcp 443", style=dashed, color=red' in text


def test_reach_cli_explains_and_refuses_bad_sources(tmp_path: Path) -> None:
    """`tierguard reach` answers one question and refuses unknown sources with exit 2."""
    import subprocess
    import sys

    ok = subprocess.run(
        [
            sys.executable,
            "-m",
            "tierguard",
            "reach",
            "--cwd",
            str(PROJECT_DIR),
            "--from",
            "blocked",
            "--to",
            "alb",
            "--port",
            "443",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr
    assert "NOT reachable" in ok.stdout
    assert "rule #50" in ok.stdout
    bad = subprocess.run(
        [
            sys.executable,
            "-m",
            "tierguard",
            "reach",
            "--cwd",
            str(PROJECT_DIR),
            "--from",
            "nowhere",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 2
    assert bad.stderr.startswith(
        "error: --from 'nowhere' is not a source; use one of internet-ipv4, internet-ipv6, admins, blocked, alb"
    )
    diagram = tmp_path / "reach.dot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "tierguard",
            "reach",
            "--cwd",
            str(PROJECT_DIR),
            "--diagram",
            str(diagram),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert diagram.read_text().startswith("digraph reachability {")
