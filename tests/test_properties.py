"""Properties over generated valid configs: counts, stable names, return paths, no crash."""

from __future__ import annotations

import dataclasses
import random
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import ACL_RULE, EGRESS, INGRESS, RunConfig
from tierguard.plan import NetworkPlan
from tierguard.program import plan_from_raw
from tierguard.rules import TCP, UDP, Direction, Packet, evaluate_acl
from tierguard.rules.services import BUILTIN_SERVICES

TIER_NAMES = ["alb", "web", "app", "db", "cache"]
SERVICES = ["https", "http", "ssh", "mysql", "dns", "rdp", "ping", "redis"]
CIDRS = ["203.0.113.0/24", "10.0.0.0/8", "2001:db8::/32", "198.51.100.0/24"]


@st.composite
def sg_rule(draw: st.DrawFn, tiers: list[str]) -> dict[str, Any]:
    rule: dict[str, Any] = {}
    if draw(st.booleans()):
        rule["service"] = draw(st.sampled_from(SERVICES))
    else:
        rule["protocol"] = draw(st.sampled_from(["tcp", "udp"]))
        first = draw(st.integers(1, 65000))
        rule["ports"] = draw(
            st.sampled_from([str(first), f"{first}-{first + draw(st.integers(0, 500))}"])
        )
    peer = draw(st.sampled_from(["internet", "cidr", "tier", "self"]))
    if peer == "internet":
        rule["internet"] = draw(st.sampled_from(["ipv4", "ipv6", "dual"]))
    elif peer == "cidr":
        rule["cidr"] = draw(st.sampled_from(CIDRS))
    elif peer == "tier":
        rule["tier"] = draw(st.sampled_from(tiers))
    else:
        rule["self"] = True
    return rule


@st.composite
def acl_rules(draw: st.DrawFn) -> list[dict[str, Any]]:
    numbers = draw(st.lists(st.integers(1, 31000), min_size=0, max_size=8, unique=True))
    rules = []
    for number in numbers:
        rule: dict[str, Any] = {
            "rule": number,
            "action": draw(st.sampled_from(["allow", "allow", "deny"])),
        }
        kind = draw(st.sampled_from(["tcp", "udp", "all", "https"]))
        if kind == "https":
            rule["service"] = "https"
        else:
            rule["protocol"] = kind
            if kind != "all":
                first = draw(st.integers(0, 65000))
                rule["ports"] = f"{first}-{first + draw(st.integers(0, 400))}"
        rule["cidr"] = draw(
            st.sampled_from(["0.0.0.0/0", "10.1.0.0/16", "198.51.100.0/24", "::/0"])
        )
        rules.append(rule)
    return rules


def _dedupe(rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Keep one rule per (traffic, peer) so the config is valid (duplicates are errors)."""
    seen: set[str] = set()
    kept = []
    for rule in rules:
        key = repr(sorted(rule.items()))
        if key not in seen:
            seen.add(key)
            kept.append(rule)
    return kept


@st.composite
def networks(draw: st.DrawFn) -> dict[str, Any]:
    tiers = draw(st.lists(st.sampled_from(TIER_NAMES), min_size=1, max_size=4, unique=True))
    network: dict[str, Any] = {
        "vpc": {"cidr": "10.0.0.0/16", "az_count": draw(st.integers(1, 3))},
        "subnet_groups": {"public": {"public": True}, "private": {}},
        "auto_egress": draw(st.booleans()),
        "tiers": {name: {"ingress": draw(st.lists(sg_rule(tiers), max_size=4))} for name in tiers},
        "network_acls": {
            "public": {
                "subnet_groups": ["public"],
                "ingress": draw(acl_rules()),
                "egress": draw(acl_rules()),
            }
        },
    }
    return network


def _valid(network: dict[str, Any]) -> NetworkPlan | None:
    """Generated configs can still collide semantically (e.g. https twice); skip those."""
    from tierguard.errors import ConfigError

    try:
        return plan_from_raw(network, region="us-east-1", stack="prop")
    except ConfigError:
        return None


def _declared_expansion(network: dict[str, Any]) -> int:
    total = 0
    for tier in network["tiers"].values():
        for rule in tier["ingress"]:
            protocols = len(BUILTIN_SERVICES[rule["service"]].traffic) if "service" in rule else 1
            peers = 2 if rule.get("internet") == "dual" else 1
            total += protocols * peers
    return total


def _shuffled(network: dict[str, Any], seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    items = list(network["tiers"].items())
    rng.shuffle(items)
    tiers = {}
    for name, tier in items:
        ingress = list(tier["ingress"])
        rng.shuffle(ingress)
        tiers[name] = {"ingress": ingress}
    acls = {}
    for name, acl in network["network_acls"].items():
        ingress, egress = list(acl["ingress"]), list(acl["egress"])
        rng.shuffle(ingress)
        rng.shuffle(egress)
        acls[name] = {**acl, "ingress": ingress, "egress": egress}
    return {**network, "tiers": tiers, "network_acls": acls}


def _rules_by_name(plan: NetworkPlan) -> dict[str, Any]:
    """What each named resource means (its config path, the origin, may move)."""
    found: dict[str, Any] = {
        r.name: dataclasses.replace(r, origin="") for t in plan.tiers.values() for r in t.rules
    }
    found.update({e.name: e.entry for a in plan.acls.values() for e in a.entries})
    return found


class TestPlanProperties:
    @settings(max_examples=200, deadline=None)
    @given(network=networks(), seed=st.integers(0, 1000))
    def test_one_rule_per_declared_rule_plus_promised_egress(
        self, network: dict[str, Any], seed: int
    ) -> None:
        """Declared rules expand to exactly one resource per (protocol, peer); auto egress
        adds one per distinct tier-to-tier flow when on, none when off."""
        for tier in network["tiers"].values():
            tier["ingress"] = _dedupe(tier["ingress"])
        plan = _valid(network)
        if plan is None:
            return
        ingress = [
            r for t in plan.tiers.values() for r in t.rules if r.rule.direction is Direction.INGRESS
        ]
        egress = [
            r for t in plan.tiers.values() for r in t.rules if r.rule.direction is Direction.EGRESS
        ]
        assert len(ingress) == _declared_expansion(network)
        expected_egress = (
            {(r.peer_tier, r.rule.traffic, r.tier) for r in ingress if r.peer_tier is not None}
            if network["auto_egress"]
            else set()
        )
        assert len(egress) == len(expected_egress)
        assert all(r.automatic for r in egress)

    @settings(max_examples=200, deadline=None)
    @given(network=networks(), seed=st.integers(0, 1000))
    def test_names_are_unique_and_stable_under_reordering(
        self, network: dict[str, Any], seed: int
    ) -> None:
        """Reordering tiers and rules changes no resource name and no resource's meaning."""
        for tier in network["tiers"].values():
            tier["ingress"] = _dedupe(tier["ingress"])
        plan = _valid(network)
        if plan is None:
            return
        names = [r.name for t in plan.tiers.values() for r in t.rules]
        assert len(names) == len(set(names))
        reordered = _valid(_shuffled(network, seed))
        assert reordered is not None
        # Declared content is identical; return rules are numbered in rule order, so only
        # their set of flows must match.
        first, second = _rules_by_name(plan), _rules_by_name(reordered)
        declared = {
            k: v
            for k, v in first.items()
            if not k.split("-")[-1].isdigit() or int(k.split("-")[-1]) < 32000
        }
        assert {k: second[k] for k in declared} == declared

    @settings(max_examples=200, deadline=None)
    @given(network=networks())
    def test_every_allowed_flow_has_its_return_path(self, network: dict[str, Any]) -> None:
        """The stateless pitfall cannot happen: a TCP/UDP packet an allow rule lets in (or
        out) has its reply from the ephemeral range allowed the other way — unless the
        user's own deny, evaluated first, blocks that reply."""
        for tier in network["tiers"].values():
            tier["ingress"] = _dedupe(tier["ingress"])
        plan = _valid(network)
        if plan is None:
            return
        entries = [e.entry for e in plan.acls["public"].entries]
        user = [e.entry for e in plan.acls["public"].entries if not e.automatic]
        for entry in user:
            if entry.action.value != "allow":
                continue
            protocols = [TCP, UDP] if entry.traffic.is_all else [entry.traffic.protocol]
            for protocol in protocols:
                port = entry.traffic.ports.first if entry.traffic.ports else 443
                address = entry.cidr[1] if entry.cidr.num_addresses > 1 else entry.cidr[0]
                packet = Packet(protocol, address, port=port)
                if not evaluate_acl(entries, egress=entry.egress, packet=packet).allowed:
                    continue  # an earlier user rule decides this packet
                reply = Packet(protocol, address, port=50000)
                decision = evaluate_acl(entries, egress=not entry.egress, packet=reply)
                assert decision.allowed or (
                    decision.entry is not None and decision.entry.action.value == "deny"
                ), f"no return path for {entry} (decided by rule {decision.rule_label})"


class TestProgramProperties:
    @settings(
        max_examples=15,
        deadline=None,
        # differing_executors: `make mutation` forks each run of it from one process.
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.differing_executors,
        ],
    )
    @given(network=networks())
    def test_the_program_registers_exactly_the_plan(
        self, network: dict[str, Any], run_config: RunConfig
    ) -> None:
        """Under the mock engine, one resource per planned rule and entry, with the planned
        names, and nothing crashes."""
        for tier in network["tiers"].values():
            tier["ingress"] = _dedupe(tier["ingress"])
        plan = _valid(network)
        if plan is None:
            return
        run = run_config(network, stack="prop")
        registered = {
            r.name for r in run.of_type(INGRESS) + run.of_type(EGRESS) + run.of_type(ACL_RULE)
        }
        assert registered == set(_rules_by_name(plan))
        assert len(run.of_type(INGRESS) + run.of_type(EGRESS) + run.of_type(ACL_RULE)) == len(
            registered
        )
