"""Nothing reaches a tier over IPv6 when its subnets provably have no IPv6 CIDR block.

AWS (VPC user guide, "IPv6 support for your VPC"; EC2 "IPv6 addresses"): an instance
gets an IPv6 address only from its subnet's IPv6 CIDR block; an instance without one
can neither send nor receive IPv6 traffic, whatever its security group admits. A subnet
has an IPv6 block only when one is associated (``ipv6CidrBlock`` on a Pulumi subnet).
Where that is not known (an existing VPC's subnets, a value still unknown) the tier is
judged as if it had one: a wrong "not reachable" is worse than a cautious "reachable".
"""

from __future__ import annotations

import ipaddress
import json
from pathlib import Path
from typing import Any

import yaml

from tests.conftest import PROJECT_DIR
from tierguard.audit.topology import topology_from_inventory
from tierguard.cli._stack import load_program
from tierguard.cli.reach import program_topology, registered
from tierguard.deployed.inventory import (
    GroupRule,
    NetworkInterface,
    RegionInventory,
    SecurityGroup,
    Subnet,
)
from tierguard.offline.state import read_state
from tierguard.program import plan_from_raw
from tierguard.reach import Topology, analyze, explain, source_named, topology_from_plan
from tierguard.reach.resources import topology_from_resources
from tierguard.rules import TCP, CidrPeer, Direction, PortRange, SgRule, Traffic, parse_cidr

DUAL_STACK_WEB: dict[str, Any] = {
    "name": "t",
    "vpc": {"cidr": "10.0.0.0/16", "az_count": 1},
    "subnet_groups": {"pub": {"public": True}},
    "tiers": {
        "web": {
            "subnet_group": "pub",
            "ingress": [{"protocol": "tcp", "ports": 443, "internet": "dual"}],
        }
    },
}


def labels(topo: Topology, source: str, target: str) -> set[str]:
    cell = analyze(topo, [source_named(topo, source)]).reach(source, target)
    return {f"{f.verdict.value} {f.label}" for f in cell.findings}


def test_a_planned_tier_gets_nothing_over_ipv6_its_subnets_do_not_have() -> None:
    """tierguard's VPC and subnets get no IPv6 block: ``internet: dual`` opens HTTPS to
    the IPv4 internet only."""
    topo = topology_from_plan(plan_from_raw(DUAL_STACK_WEB, region="us-east-1", stack="t"))
    assert labels(topo, "internet-ipv4", "web") == {"open tcp 443"}
    assert labels(topo, "internet-ipv6", "web") == set()


def test_the_explanation_says_the_subnet_has_no_ipv6() -> None:
    topo = topology_from_plan(plan_from_raw(DUAL_STACK_WEB, region="us-east-1", stack="t"))
    answer = explain(topo, source_named(topo, "internet-ipv6"), topo.tiers["web"], TCP, 443)
    assert (answer.reachable, answer.partly) == (False, False)
    failing = [s for s in answer.steps if not s.passed]
    assert len(failing) == 1
    assert "no IPv6 CIDR block" in failing[0].detail


def test_the_programs_resources_say_the_same(tmp_path: Path) -> None:
    """``tierguard reach`` on a stack reads the registered subnets: no ``ipv6CidrBlock``."""
    path = tmp_path / "Pulumi.t.yaml"
    path.write_text(
        yaml.safe_dump({"config": {"aws:region": "us-east-1", "tierguard:network": DUAL_STACK_WEB}})
    )
    loaded = load_program(PROJECT_DIR, "t", path)
    topo = program_topology(loaded, registered(loaded)).topology
    assert labels(topo, "internet-ipv4", "web") == {"open tcp 443"}
    assert labels(topo, "internet-ipv6", "web") == set()


def test_an_existing_vpcs_subnets_are_not_known_to_lack_ipv6() -> None:
    """The existing-VPC example names subnets by id: their blocks are not known, so its
    dual-stack HTTPS still reaches the load balancer over IPv6."""
    loaded = load_program(
        PROJECT_DIR, "existing-vpc", PROJECT_DIR / "examples/Pulumi.existing-vpc.yaml"
    )
    topo = program_topology(loaded, registered(loaded)).topology
    assert "open tcp 443" in labels(topo, "internet-ipv6", "lb")


def state(tmp_path: Path, subnet_ipv6: object) -> list[Any]:
    """The ssh-open-instance state, SSH opened to ``::/0`` too, the subnet's
    ``ipv6CidrBlock`` output set to ``subnet_ipv6``."""
    doc = json.loads((PROJECT_DIR / "tests/data/ssh-open-instance.stack.json").read_text())
    for resource in doc["deployment"]["resources"]:
        outputs = resource.get("outputs") or {}
        if resource["type"] == "aws:ec2/securityGroup:SecurityGroup":
            outputs["ingress"][0]["ipv6CidrBlocks"] = ["::/0"]
        if resource["type"] == "aws:ec2/subnet:Subnet":
            outputs["ipv6CidrBlock"] = subnet_ipv6
    path = tmp_path / "state.json"
    path.write_text(json.dumps(doc))
    return list(read_state(path).resources)


def test_a_state_files_subnet_without_an_ipv6_block_is_not_reached_over_ipv6(
    tmp_path: Path,
) -> None:
    topo = topology_from_resources(state(tmp_path, "")).topology
    assert labels(topo, "internet-ipv4", "k8s-node") == {"open tcp 22, 6443"}
    assert labels(topo, "internet-ipv6", "k8s-node") == set()


def test_a_state_files_subnet_with_an_ipv6_block_is_reached_over_ipv6(tmp_path: Path) -> None:
    topo = topology_from_resources(state(tmp_path, "2600:1f18:1234:5600::/64")).topology
    assert labels(topo, "internet-ipv6", "k8s-node") == {"open tcp 22"}


def live_region(*ipv6: str) -> RegionInventory:
    """A live group admitting SSH from ``::/0``, carried by one interface with ``ipv6``
    addresses (``DescribeNetworkInterfaces`` lists every one an interface has)."""
    rule = SgRule(
        "sg-1",
        Direction.INGRESS,
        Traffic.of(TCP, PortRange.single(22)),
        CidrPeer(parse_cidr("::/0")),
        "ssh",
    )
    group = SecurityGroup("sg-1", "ssh", "ssh", "vpc-1", (GroupRule("sgr-1", rule),))
    eni = NetworkInterface(
        "eni-1",
        "subnet-1",
        "vpc-1",
        ("sg-1",),
        private_address=ipaddress.ip_address("10.0.1.5"),
        ipv6_addresses=tuple(ipaddress.ip_address(a) for a in ipv6),
    )
    return RegionInventory(
        "r", (group,), (eni,), (), (Subnet("subnet-1", "vpc-1", parse_cidr("10.0.1.0/24")),)
    )


def test_a_live_group_whose_interfaces_have_no_ipv6_address_is_not_reached_over_ipv6() -> None:
    assert labels(topology_from_inventory(live_region()), "internet-ipv6", "ssh") == set()


def test_a_live_group_with_an_ipv6_address_is_reached_over_ipv6() -> None:
    topo = topology_from_inventory(live_region("2001:db8::5"))
    assert labels(topo, "internet-ipv6", "ssh") == {"open tcp 22"}
