"""Tier peers: a planned rule names its peer by tier; EC2 names it by group id.

AWS: a rule that references a security group holds that group's id
(``ReferencedGroupInfo.GroupId``), and a group referencing itself holds its own id.
``PlannedSgRule.deployed`` turns the plan's tier names into those ids and
``planned_form`` reads them back; the audit's drift and the driver's verification each
use one direction, so the two must be exact inverses or one of them reports drift that
is not there (or misses drift that is).
"""

from __future__ import annotations

from typing import Any

from tierguard.plan import NetworkPlan, PlannedSgRule, planned_form
from tierguard.program import plan_from_raw
from tierguard.rules import Direction, PrefixListPeer, SecurityGroupPeer, SgRule

GROUP_IDS = {"web": "sg-0aaaaaaaaaaaaaaa1", "app": "sg-0aaaaaaaaaaaaaaa2"}
OUTSIDE = "sg-0bbbbbbbbbbbbbbb3"
PREFIX_LIST = "pl-0123456789abcdef0"


def plan() -> NetworkPlan:
    raw: dict[str, Any] = {
        "name": "t",
        "vpc": {"cidr": "10.20.0.0/16", "az_count": 1},
        "subnet_groups": {"app": {}},
        "tiers": {
            "web": {"ingress": [{"service": "https", "internet": "dual"}]},
            "app": {
                "subnet_group": "app",
                "ingress": [
                    {"protocol": "tcp", "ports": 8080, "tier": "web"},
                    {"protocol": "tcp", "ports": 7000, "self": True},
                    {"service": "https", "security_group_id": OUTSIDE},
                    {"service": "https", "prefix_list_id": PREFIX_LIST},
                ],
            },
        },
    }
    return plan_from_raw(raw, region="us-east-1", stack="dev")


def app_rule(name: str) -> PlannedSgRule:
    [found] = [r for r in plan().tiers["app"].rules if r.name == f"t-app-in-{name}"]
    return found


def deployed(planned: PlannedSgRule) -> SgRule:
    rule = planned.deployed(GROUP_IDS)
    assert rule is not None
    return rule


def test_every_rule_reads_back_as_planned() -> None:
    """deployed then planned_form is the identity, for every kind of peer."""
    tier_of = {group: tier for tier, group in GROUP_IDS.items()}
    rules = [r for tier in plan().tiers.values() for r in tier.rules]
    assert len(rules) == 8  # 2 internet, web, self, outside, prefix list; web and app egress
    for planned in rules:
        rule = deployed(planned)
        assert rule.group == GROUP_IDS[planned.tier]
        assert planned_form(rule, tier_of) == (planned.rule, planned.tier_peer)


def test_a_tier_peer_becomes_its_groups_id() -> None:
    """Another tier by its group's id; the tier itself by its own id, as a self-reference."""
    assert deployed(app_rule("tcp-8080-tier-web")).peer == SecurityGroupPeer(GROUP_IDS["web"])
    assert deployed(app_rule("tcp-7000-self")).peer == SecurityGroupPeer(
        GROUP_IDS["app"], is_self=True
    )


def test_outside_peers_are_already_what_ec2_holds() -> None:
    """An outside group's id and a prefix list stay as written; only the group changes."""
    for name, peer in (
        (f"tcp-443-{OUTSIDE}", SecurityGroupPeer(OUTSIDE)),
        (f"tcp-443-{PREFIX_LIST}", PrefixListPeer(PREFIX_LIST)),
    ):
        planned = app_rule(name)
        assert planned.peer_tier is None
        rule = deployed(planned)
        assert (rule.group, rule.direction, rule.peer) == (
            GROUP_IDS["app"],
            Direction.INGRESS,
            peer,
        )


def test_a_rule_whose_group_is_missing_does_not_resolve() -> None:
    """Without either tier's group there is no id to compare app's rule from web with."""
    from_web = app_rule("tcp-8080-tier-web")
    assert from_web.deployed({"app": GROUP_IDS["app"]}) is None
    assert from_web.deployed({"web": GROUP_IDS["web"]}) is None
