"""Attribution of flows to rules, checked against the traffic's intent and an oracle.

The expected uses come from the stack file (``scenario.USES``) and from the generator's
record of what it wrote; the oracle (``oracle.py``) judges rules packet by packet on
moto's raw answers. Neither asks the code under test.
"""

from __future__ import annotations

import ipaddress
import random
from collections import Counter
from collections.abc import Iterable

from tests.audit.builders import Account
from tests.usage.oracle import interface_groups, raw_rules
from tests.usage.scenario import USES, Deployed, dev_intents
from tierguard.usage.attribute import Network, attribute
from tierguard.usage.flows import Action, Flow
from tierguard.usage.generate import Record, records
from tierguard.usage.verdicts import UsageReport, Verdict, usage_report


def flows_of(found: Iterable[Record], *, with_flags: bool = True) -> list[Flow]:
    """Records as the reader hands them on: one flow per record here (no summing)."""
    return [
        Flow(
            src=r.src,
            dst=r.dst,
            protocol=r.protocol,
            action=Action(r.action),
            src_port=r.src_port,
            dst_port=r.dst_port,
            interface_id=r.interface_id,
            tcp_flags=r.tcp_flags if with_flags else None,
            records=1,
            packets=r.packets,
            bytes=r.bytes,
        )
        for r in found
        if r.status == "OK"
    ]


def report_for(dev: Deployed, found: list[Record], *, with_flags: bool = True) -> UsageReport:
    network = Network(dev.inventory)
    return usage_report(
        network, attribute(network, flows_of(found, with_flags=with_flags)), (None, None)
    )


def expected_hits(dev: Deployed, found: list[Record]) -> Counter[str]:
    """Rule id → request records its intent meant it to admit, at its tier, its direction."""
    eni_tier = {e.interface_id: t for t, ends in dev.endpoints.items() for e in ends}
    want: Counter[str] = Counter()
    for rec in found:
        if rec.action != "ACCEPT" or not rec.request:
            continue
        for name in USES.get(rec.intent, ()):
            tier = name.split("-")[1]
            ingress = name.split("-")[2] == "in"
            if eni_tier[rec.interface_id] == tier and rec.ingress == ingress:
                want[dev.rule_ids[name]] += 1
    return want


def test_every_rule_counts_exactly_the_requests_meant_for_it(dev: Deployed) -> None:
    found = records(dev_intents(dev), seed=1)
    report = report_for(dev, found)
    hits = {r.rule_id: r.use.records for r in report.rules if r.use.records}
    assert hits == dict(expected_hits(dev, found))
    tiers = set(dev.group_ids.values())
    assert set(dev.rule_ids.values()) == {r.rule_id for r in report.rules if r.group_id in tiers}


def test_without_tcp_flags_the_opening_side_is_still_found(dev: Deployed) -> None:
    found = records(dev_intents(dev), seed=2)
    report = report_for(dev, found, with_flags=False)
    hits = {r.rule_id: r.use.records for r in report.rules if r.use.records}
    assert hits == dict(expected_hits(dev, found))
    replies = sum(1 for r in found if r.action == "ACCEPT" and not r.request)
    assert report.counts["replies"] == replies


def test_a_rule_no_traffic_used_is_unused_and_its_acl_entry_too(dev: Deployed) -> None:
    report = report_for(dev, records(dev_intents(dev, admin_sessions=0), seed=3))
    verdicts = {r.rule_id: r.verdict for r in report.rules}
    assert verdicts[dev.rule_ids["dev-web-in-tcp-22-203.0.113.0_24"]] is Verdict.UNUSED
    tiers = set(dev.group_ids.values())
    unused = {
        r.rule_id for r in report.rules if r.verdict is Verdict.UNUSED and r.group_id in tiers
    }
    assert unused == {dev.rule_ids["dev-web-in-tcp-22-203.0.113.0_24"]}
    acl = {
        (e.ref.egress, e.ref.number): e.verdict
        for e in report.acl_entries
        if e.ref.acl_id == dev.acl_id
    }
    assert acl[False, "130"] is Verdict.UNUSED  # SSH from the admin range
    assert acl[False, "100"] is Verdict.WIDER  # HTTPS from the internet: from two /24s only
    assert acl[False, "50"] is Verdict.USED  # the blocked range, dropped


def test_internet_rule_used_from_two_prefixes_is_wider_with_the_prefixes(dev: Deployed) -> None:
    report = report_for(dev, records(dev_intents(dev), seed=4))
    https = next(
        r for r in report.rules if r.rule_id == dev.rule_ids["dev-alb-in-tcp-443-internet-ipv4"]
    )
    assert https.verdict is Verdict.WIDER
    assert https.suggestion is not None
    # Customers are .10, .20, .30 of two /24s; at most four prefixes: .20 and .30 share
    # .16/28 (16-31), .10 stays alone (joining it to .16/28 would need a /27).
    assert [s.compressed for s in https.suggestion.sources or ()] == [
        "100.64.7.10/32",
        "100.64.7.16/28",
        "100.64.9.10/32",
        "100.64.9.16/28",
    ]
    ssh = next(
        r for r in report.rules if r.rule_id == dev.rule_ids["dev-web-in-tcp-22-203.0.113.0_24"]
    )
    assert ssh.verdict is Verdict.WIDER
    assert ssh.suggestion is not None
    assert [s.compressed for s in ssh.suggestion.sources or ()] == ["203.0.113.10/32"]
    tier_rule = next(
        r for r in report.rules if r.rule_id == dev.rule_ids["dev-web-in-tcp-80-tier-alb"]
    )
    assert tier_rule.verdict is Verdict.USED  # one port, a group: nothing narrower


def test_rejections_name_what_dropped_them(dev: Deployed) -> None:
    report = report_for(dev, records(dev_intents(dev), seed=5))
    acl = dev.acl_id
    seen = {(r.far.compressed, r.port, r.dropped_by, r.internal) for r, _ in report.rejected}
    assert ("198.51.100.7", 22, f"acl {acl} #50", False) in seen
    assert ("45.33.32.156", 3389, "security group", False) in seen
    assert ("45.33.32.156", 23, f"acl {acl} *", False) in seen
    internal = {(r.where, r.port, r.dropped_by) for r, _ in report.rejected if r.internal}
    assert internal == {("web", 3306, "security group")}


def random_flows(dev: Deployed, rng: random.Random, count: int) -> list[Flow]:
    """Flows between random tier members and outsiders, on random ports, as openings."""
    members = [e for ends in dev.endpoints.values() for e in ends]
    outsiders = [
        ipaddress.ip_address(a) for a in ("203.0.113.9", "100.64.7.1", "8.8.8.8", "10.99.0.1")
    ]
    found = []
    for _ in range(count):
        here = rng.choice(members)
        other = rng.choice([*(m.address for m in members), *outsiders])
        ingress = rng.random() < 0.5
        port = rng.choice([22, 23, 80, 443, 3306, 8080, rng.randint(1, 65535)])
        protocol = rng.choice([6, 6, 6, 17, 1])
        src, dst = (other, here.address) if ingress else (here.address, other)
        found.append(
            Flow(
                src=src,
                dst=dst,
                protocol=protocol,
                action=Action.ACCEPT,
                src_port=rng.randint(32768, 60999) if protocol != 1 else 0,
                dst_port=port if protocol != 1 else 0,
                interface_id=here.interface_id,
                tcp_flags=2 if protocol == 6 else None,
            )
        )
    return found


def test_oracle_every_admitted_opening_has_a_used_rule_and_no_unused_rule_admits_one(
    dev: Deployed, account: Account
) -> None:
    rules = raw_rules(account.ec2)
    eni_groups, address_groups = interface_groups(account.ec2)
    rng = random.Random(7)
    flows = random_flows(dev, rng, 3000)
    network = Network(dev.inventory)
    report = usage_report(network, attribute(network, flows), (None, None))
    verdict = {r.rule_id: r.verdict for r in report.rules}
    admitted_by: dict[str, int] = Counter()
    for flow in flows:
        assert flow.interface_id is not None
        ingress = flow.dst in {
            e.address
            for ends in dev.endpoints.values()
            for e in ends
            if e.interface_id == flow.interface_id
        }
        far = flow.src if ingress else flow.dst
        groups = eni_groups[flow.interface_id]
        admitting = [
            r.id
            for r in rules
            if r.group in groups
            and r.egress != ingress
            and r.admits(
                flow.protocol, flow.dst_port, far.compressed, address_groups.get(far.compressed, [])
            )
        ]
        for rule_id in admitting:
            admitted_by[rule_id] += 1
        if admitting:  # AWS would accept it: some rule it names must be reported used
            assert any(verdict[r] in (Verdict.USED, Verdict.WIDER) for r in admitting), flow
    for rule_id, v in verdict.items():
        if v is Verdict.UNUSED:
            assert admitted_by[rule_id] == 0, rule_id
        else:
            assert admitted_by[rule_id] > 0, rule_id
    hits = {r.rule_id: r.use.records for r in report.rules}
    assert hits == {r: admitted_by[r] for r in hits}


def test_oracle_suggestions_admit_every_observed_flow_and_nothing_the_rule_did_not(
    dev: Deployed, account: Account
) -> None:
    rules = {r.id: r for r in raw_rules(account.ec2)}
    flows = random_flows(dev, random.Random(11), 3000)
    flows += flows_of(records(dev_intents(dev), seed=12))
    network = Network(dev.inventory)
    report = usage_report(network, attribute(network, flows), (None, None))
    wider = [r for r in report.rules if r.verdict is Verdict.WIDER]
    assert wider, "the scenario must exercise narrowing"
    for usage in wider:
        raw = rules[usage.rule_id]
        suggestion = usage.suggestion
        assert suggestion is not None
        sources = [s.compressed for s in suggestion.sources] if suggestion.sources else [raw.cidr]
        for traffic in suggestion.traffic:
            ports = traffic.ports
            if raw.protocol != -1:
                assert traffic.protocol == raw.protocol
            if ports is not None and raw.first != -1 and raw.protocol != -1:
                assert raw.first <= ports.first
                assert ports.last <= raw.last
        for source in sources:
            if raw.cidr is not None and source is not None:
                assert ipaddress.ip_network(source).subnet_of(ipaddress.ip_network(raw.cidr))  # type: ignore[arg-type]
        for protocol, port, far in usage.use.seen:
            assert any(
                t.protocol in (-1, protocol)
                and (
                    t.ports is None or (port is not None and t.ports.first <= port <= t.ports.last)
                )
                for t in suggestion.traffic
            )
            if suggestion.sources:
                assert any(far in s for s in suggestion.sources if s.version == far.version)
