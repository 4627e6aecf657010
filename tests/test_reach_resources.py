"""The network a program's resources describe, read in process from its state file.

The state files (``tests/data/``, see ``tests/test_reach_state.py``) are of the
hand-written programs in ``examples/``; every expected tier, placement and verdict is read
off the program's source by hand with AWS's semantics: a security group's rules are its
inline ones and the rule resources naming it; members sit in the subnets of what uses the
group (a load balancer's ``subnets``, an interface's ``subnetId``, an RDS instance through
its DB subnet group); a subnet without an associated ACL has the VPC's default ACL, which
allows everything; rules referencing a group admit its members only; a group created by
the provider has no egress unless the program gives it some (the provider removes AWS's
default allow-all egress rule).
"""

from __future__ import annotations

import copy
import ipaddress
from pathlib import Path
from typing import Any

from tierguard.offline.state import read_state
from tierguard.reach import Topology, Verdict, analyze
from tierguard.reach.render import cell_text
from tierguard.reach.resources import ResourceTopology, topology_from_resources

DATA = Path(__file__).resolve().parent / "data"


def resources(example: str) -> list[dict[str, Any]]:
    return [copy.deepcopy(r) for r in read_state(DATA / f"{example}.stack.json").resources]


def placed(topology: Topology) -> dict[str, list[tuple[str, str, str | None]]]:
    """Tier → (subnet label, block, ACL name) of each placement."""
    return {
        name: [
            (
                p.label,
                str(p.block),
                acl.name if (acl := topology.acl_at(p)) is not None else None,
            )
            for p in tier.placements
        ]
        for name, tier in topology.tiers.items()
    }


def table(topology: Topology) -> dict[tuple[str, str], str]:
    matrix = analyze(topology)
    return {key: cell_text(cell) for key, cell in matrix.cells.items()}


def by_type(docs: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    return next(d for d in docs if d["type"].endswith(kind) and d["urn"].endswith(f"::{name}"))


class TestGroupRules:
    """``examples/group-rules``: lb → app → db chained by group references."""

    def found(self, **kwargs: Any) -> ResourceTopology:
        return topology_from_resources(resources("group-rules"), **kwargs)

    def test_every_group_is_a_tier_in_the_subnets_of_what_uses_it(self) -> None:
        found = self.found()
        assert found.notes == ()
        assert placed(found.topology) == {
            "app": [("subnet private-a", "10.1.10.0/24", None)],  # through its interface
            "db": [  # through the RDS instance's DB subnet group
                ("subnet data-a", "10.1.20.0/24", None),
                ("subnet data-b", "10.1.21.0/24", None),
            ],
            "lb": [  # the load balancer's two subnets
                ("subnet public-a", "10.1.0.0/24", None),
                ("subnet public-b", "10.1.1.0/24", None),
            ],
        }
        assert found.topology.acls == {}

    def test_references_resolve_to_tiers_and_both_rule_generations_count(self) -> None:
        rules = {
            name: sorted(f"{r.name}: {r.rule}" for r in tier.rules)
            for name, tier in self.found().topology.tiers.items()
        }
        assert rules == {
            "app": [
                "app-from-lb: ingress TCP 8080 from security group lb",
                "app-to-db: egress TCP 5432 to security group db",
            ],
            "db": [
                "db-from-app: ingress TCP 5432 from security group app",
                "db-from-vpc: ingress TCP 5432 from 10.1.0.0/16",
            ],
            "lb": [
                "lb-https-in: ingress TCP 443 from 0.0.0.0/0",
                "lb-to-app: egress TCP 8080 to security group app",
            ],
        }

    def test_who_reaches_what(self) -> None:
        """The world reaches the load balancer on 443 (IPv4 only: the rule's block is
        0.0.0.0/0); lb opens 8080 to app and app 5432 to db, each needing the source's
        egress and the target's ingress; the VPC-wide 5432 rule admits lb's addresses but
        lb's only egress goes to app; nothing has an ACL to stop it."""
        cells = table(self.found().topology)
        assert {key: text for key, text in cells.items() if text != "—"} == {
            ("internet-ipv4", "lb"): "tcp 443",
            ("lb", "app"): "tcp 8080",
            ("app", "db"): "tcp 5432",
        }

    def test_tiers_given_in_order_come_first_the_others_by_name(self) -> None:
        assert list(self.found(order=("lb",)).topology.tiers) == ["lb", "app", "db"]
        assert list(self.found(order=("db", "lb")).topology.tiers) == ["db", "lb", "app"]

    def test_named_cidrs_become_sources(self) -> None:
        office = ipaddress.ip_network("10.1.20.0/23")
        found = self.found(named_cidrs={"office": office})
        matrix = analyze(found.topology)
        assert [s.name for s in matrix.sources][:3] == ["internet-ipv4", "internet-ipv6", "office"]
        # the db's VPC-wide rule admits 10.1.0.0/16, which holds the office range
        assert cell_text(matrix.reach("office", "db")) == "tcp 5432"

    def test_a_tier_tag_names_the_tier(self) -> None:
        docs = resources("group-rules")
        by_type(docs, "SecurityGroup", "db")["inputs"]["tags"] = {"tierguard:tier": "orders"}
        topology = topology_from_resources(docs).topology
        assert sorted(topology.tiers) == ["app", "lb", "orders"]
        assert [f"{r.name}: {r.rule}" for r in topology.tiers["app"].rules] == [
            "app-from-lb: ingress TCP 8080 from security group lb",
            "app-to-db: egress TCP 5432 to security group orders",
        ]

    def test_a_group_nothing_uses_is_somewhere_in_its_vpc(self) -> None:
        """Without the RDS instance the db group places no member: anywhere in 10.1.0.0/16."""
        docs = [d for d in resources("group-rules") if not d["type"].startswith("aws:rds/instance")]
        topology = topology_from_resources(docs).topology
        assert placed(topology)["db"] == [("an unknown subnet of 10.1.0.0/16", "10.1.0.0/16", None)]
        assert table(topology)[("app", "db")] == "tcp 5432"

    def test_a_group_nothing_uses_in_a_vpc_outside_the_program_is_anywhere(self) -> None:
        """The VPC is not in the program either: not even the addresses are known, so only
        the group reference from app can match its members."""
        docs = [
            d
            for d in resources("group-rules")
            if not d["type"].startswith(("aws:rds/instance", "aws:ec2/vpc:"))
        ]
        topology = topology_from_resources(docs).topology
        assert placed(topology)["db"] == [("anywhere", "None", None)]
        assert table(topology)[("app", "db")] == "tcp 5432"

    def test_a_member_without_a_subnet_is_somewhere_in_its_vpc(self) -> None:
        """The interface names no subnet (and no instance says where it is attached): app's
        members are in the VPC, subnet unknown."""
        docs = [d for d in resources("group-rules") if not d["type"].startswith("aws:ec2/instance")]
        eni = by_type(docs, "NetworkInterface", "app-eni")
        del eni["inputs"]["subnetId"]
        eni["propertyDependencies"].pop("subnetId")
        eni["dependencies"] = [d for d in eni["dependencies"] if "subnet" not in d.lower()]
        topology = topology_from_resources(docs).topology
        assert placed(topology)["app"] == [
            ("an unknown subnet of 10.1.0.0/16", "10.1.0.0/16", None)
        ]


class TestAclFromResources:
    """``examples/existing-acl-rule``: inline entries plus a ``NetworkAclRule`` (#90 deny
    SSH), associated with the web subnet; an entry on an ACL outside the program."""

    def test_the_associated_acl_and_its_separate_rule_judge_the_traffic(self) -> None:
        found = topology_from_resources(resources("existing-acl-rule"))
        assert found.notes == ()
        assert placed(found.topology) == {"web": [("subnet web-a", "10.2.1.0/24", "web")]}
        cell = analyze(found.topology).reach("internet-ipv4", "web")
        assert [(f.label, f.verdict, f.detail) for f in cell.findings] == [
            (
                "tcp 22",
                Verdict.BLOCKED,
                "network ACL web ingress rule #90 (deny TCP 22 0.0.0.0/0) drops it",
            ),
            ("tcp 443", Verdict.OPEN, ""),
        ]

    def test_an_acl_tag_names_the_acl(self) -> None:
        docs = resources("existing-acl-rule")
        by_type(docs, "NetworkAcl", "web")["inputs"]["tags"] = {"tierguard:acl": "edge"}
        found = topology_from_resources(docs)
        assert placed(found.topology) == {"web": [("subnet web-a", "10.2.1.0/24", "edge")]}

    def test_a_subnet_outside_the_program_is_noted_and_keeps_the_default_acl(self) -> None:
        """The instance moved to a subnet the program does not create: its addresses and
        ACL are unknown, which the answer says; the default ACL lets everything through."""
        docs = resources("existing-acl-rule")
        instance = by_type(docs, "ec2/instance:Instance", "web-1")
        instance["inputs"]["subnetId"] = "subnet-0123456789abcdef0"
        instance["propertyDependencies"].pop("subnetId", None)
        found = topology_from_resources(docs)
        assert found.notes == (
            "subnet subnet-0123456789abcdef0 is not in the program: its addresses and network "
            "ACL are not known (answers assume the VPC's default ACL, which allows all)",
        )
        assert placed(found.topology) == {
            "web": [("subnet subnet-0123456789abcdef0", "None", None)]
        }
        assert table(found.topology)[("internet-ipv4", "web")] == "tcp 22, 443"
