"""Who can reach what through the rules and entries read back from AWS, placed as planned.

``topology_from_deployed`` keeps the plan's subnets and ACL placement and takes the
rules (groups and references by ``sg-…`` id) and ACL entries actually read back. The dev
stack's public ACL (``Pulumi.dev.yaml``) denies 198.51.100.0/24 at #50 and allows HTTPS at
#100 and HTTP at #110 from 0.0.0.0/0, and all traffic out at #100; ``ephemeral_ports`` is
set to Linux's 32768-60999, so the replies checked are to those client ports.
"""

from __future__ import annotations

import ipaddress
from io import StringIO

from rich.console import Console

from tests.test_reach import dev_network
from tierguard.plan import NetworkPlan
from tierguard.program import plan_from_raw
from tierguard.reach import Topology, analyze, explain, source_named
from tierguard.reach.render import cell_text, print_explanation
from tierguard.reach.topology import topology_from_deployed
from tierguard.rules import (
    TCP,
    AclEntry,
    CidrPeer,
    Direction,
    PortRange,
    SecurityGroupPeer,
    SgRule,
    Traffic,
)

WORLD = CidrPeer(ipaddress.ip_network("0.0.0.0/0"))
GROUPS = {"alb": "sg-0a", "web": "sg-0b"}
RULES = (
    SgRule("sg-0a", Direction.INGRESS, Traffic.of(TCP, PortRange(443, 443)), WORLD, "HTTPS"),
    SgRule(
        "sg-0b", Direction.INGRESS, Traffic.of(TCP, PortRange(80, 80)), SecurityGroupPeer("sg-0a")
    ),
    SgRule(
        "sg-0a", Direction.EGRESS, Traffic.of(TCP, PortRange(80, 80)), SecurityGroupPeer("sg-0b")
    ),
    # a group of another stack: none of this plan's tiers
    SgRule("sg-9z", Direction.INGRESS, Traffic.of(TCP, PortRange(22, 22)), WORLD),
)


def plan() -> NetworkPlan:
    network = dev_network()
    network["ephemeral_ports"] = "32768-60999"
    return plan_from_raw(network, region="us-east-1", stack="dev")


def planned_entries(dev: NetworkPlan) -> dict[str, tuple[AclEntry, ...]]:
    return {a.name: tuple(e.entry for e in a.entries) for a in dev.acls.values()}


def deployed(acl_entries: dict[str, tuple[AclEntry, ...]] | None = None) -> Topology:
    dev = plan()
    entries = planned_entries(dev) if acl_entries is None else acl_entries
    return topology_from_deployed(dev, groups=GROUPS, rules=RULES, acl_entries=entries)


def printed(topology: Topology, source: str, target: str, port: int) -> list[str]:
    answer = explain(topology, source_named(topology, source), topology.tiers[target], TCP, port)
    out = StringIO()
    print_explanation(answer, Console(file=out, width=300, color_system=None))
    return out.getvalue().splitlines()


def test_each_tier_has_the_rules_read_back_from_its_group() -> None:
    tiers = deployed().tiers
    assert {name: (t.group, [r.name for r in t.rules]) for name, t in tiers.items()} == {
        "alb": (
            "sg-0a",
            ["sg-0a ingress tcp-443 0.0.0.0/0", "sg-0a egress tcp-80 security group sg-0b"],
        ),
        "web": ("sg-0b", ["sg-0b ingress tcp-80 security group sg-0a"]),
        "app": ("app", []),  # no group read back: nothing admits anything
        "database": ("database", []),
    }


def test_the_explanation_names_the_read_back_rule_and_the_acl_entry() -> None:
    assert printed(deployed(), "admins", "alb", 443) == [
        "admins (203.0.113.0/24) → tier alb on tcp 443: reachable",
        "  ✓ security group of tier alb, ingress: allowed by sg-0a ingress tcp-443 0.0.0.0/0 "
        "(“HTTPS”)",
        "  ✓ network ACL public, ingress: network ACL public ingress rule #100 "
        "(allow TCP 443 0.0.0.0/0) allows it",
        "  ✓ network ACL public, egress (replies): replies to client ports 32768-60999 pass",
    ]


def test_who_reaches_what_follows_the_read_back_rules() -> None:
    cells = {key: cell_text(c) for key, c in analyze(deployed()).cells.items()}
    assert {key: text for key, text in cells.items() if text != "—"} == {
        ("internet-ipv4", "alb"): "tcp 443*, ✗ tcp 443*",
        ("admins", "alb"): "tcp 443",
        ("blocked", "alb"): "✗ tcp 443",
        ("alb", "web"): "tcp 80",
    }


def test_an_acl_not_read_back_leaves_its_subnets_on_the_vpc_default_acl() -> None:
    """An ACL that is not found no longer guards its subnets: AWS associates them with the
    VPC's default ACL, which allows all traffic in and out unless someone changed it. So
    the blocked range reaches the load balancer too (rule #50 is gone with its ACL)."""
    topology = deployed(acl_entries={})
    assert topology.acls == {}
    cells = {key: cell_text(c) for key, c in analyze(topology).cells.items()}
    assert cells["internet-ipv4", "alb"] == "tcp 443"
    assert cells["blocked", "alb"] == "tcp 443"


def test_an_acl_read_back_without_entries_drops_everything() -> None:
    """An ACL with no entries left has only AWS's implicit deny (*)."""
    topology = deployed(acl_entries={"public": ()})
    cell = analyze(topology).reach("admins", "alb")
    assert [(f.label, f.verdict.value) for f in cell.findings] == [("tcp 443", "blocked")]
    assert cell.findings[0].detail == (
        "network ACL public ingress: no rule matches, the implicit deny (*) drops it"
    )
