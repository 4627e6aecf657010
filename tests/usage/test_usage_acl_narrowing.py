"""Narrowed ACL entries, judged by a brute-force oracle over moto's raw answers.

The oracle is written from AWS's documentation of network ACLs and nothing in tierguard:
entries are evaluated in rule-number order per direction, the first whose protocol
(``-1``: all), port range (TCP/UDP destination port) and CIDR match decides, else the
implicit deny; an ACL applies to traffic entering or leaving its subnets. For every entry
the report calls wider, the ACL with that entry replaced by the suggested ones must let
through every observed flow the old entry let through, and — over the observed packets and
a sampled space of addresses and ports — nothing the old ACL did not.
"""

from __future__ import annotations

import ipaddress
import random
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from tests.audit.builders import Account
from tests.usage.oracle import NUMBERS
from tests.usage.scenario import Deployed, dev_intents
from tests.usage.test_usage_attribution import flows_of, random_flows
from tierguard.usage.attribute import Network, attribute
from tierguard.usage.flows import Flow
from tierguard.usage.generate import records
from tierguard.usage.verdicts import AclEntryUsage, Verdict, usage_report

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class RawEntry:
    number: int
    egress: bool
    allow: bool
    protocol: int
    first: int | None
    last: int | None
    cidr: str

    def matches(self, protocol: int, port: int | None, far: Address) -> bool:
        if self.protocol not in (-1, protocol):
            return False
        bounded = protocol in (6, 17) and self.protocol != -1 and self.first is not None
        if bounded and (port is None or not (self.first or 0) <= port <= (self.last or 0)):
            return False
        network = ipaddress.ip_network(self.cidr)
        return far.version == network.version and far in network


def raw_entries(ec2: Any, acl_id: str) -> list[RawEntry]:
    (acl,) = ec2.describe_network_acls(NetworkAclIds=[acl_id])["NetworkAcls"]
    found = []
    for e in acl["Entries"]:
        text = str(e["Protocol"]).lower()
        ports = e.get("PortRange")
        found.append(
            RawEntry(
                number=int(e["RuleNumber"]),
                egress=bool(e["Egress"]),
                allow=e["RuleAction"] == "allow",
                protocol=-1 if text == "-1" else NUMBERS.get(text, int(text)),
                first=None if ports is None else int(ports["From"]),
                last=None if ports is None else int(ports["To"]),
                cidr=e.get("CidrBlock") or e["Ipv6CidrBlock"],
            )
        )
    return found


def first_match(
    entries: Iterable[RawEntry], egress: bool, protocol: int, port: int | None, far: Address
) -> RawEntry | None:
    for entry in sorted((e for e in entries if e.egress == egress), key=lambda e: e.number):
        if entry.number < 32767 and entry.matches(protocol, port, far):
            return entry
    return None  # the implicit deny (moto lists it as 32767)


def allows(
    entries: Iterable[RawEntry], egress: bool, protocol: int, port: int | None, far: Address
) -> bool:
    entry = first_match(entries, egress, protocol, port, far)
    return entry is not None and entry.allow


def suggested(usage: AclEntryUsage) -> list[RawEntry]:
    """The suggestion as the report's JSON says it (protocol names, ``a-b`` ports)."""
    doc = usage.to_json()
    found = []
    entries: list[dict[str, Any]] = doc["suggestion"]  # type: ignore[assignment]
    for e in entries:
        ports = e["ports"]
        first, _, last = (ports or "").partition("-")
        found.append(
            RawEntry(
                number=e["rule_number"],
                egress=doc["direction"] == "egress",
                allow=True,
                protocol=-1 if e["protocol"] == "all" else NUMBERS.get(e["protocol"], -2),
                first=int(first) if ports and first != "all" else None,
                last=int(last or first) if ports and first != "all" else None,
                cidr=e["cidr"],
            )
        )
    return found


def crossings(
    account: Account, acl_id: str, flows: Iterable[Flow]
) -> Iterator[tuple[bool, int, int | None, Address]]:
    """(egress, protocol, destination port, far address) of each accepted flow that
    entered or left a subnet of the ACL, from moto's subnets, interfaces and associations."""
    ec2 = account.ec2
    (acl,) = ec2.describe_network_acls(NetworkAclIds=[acl_id])["NetworkAcls"]
    subnets = {a["SubnetId"] for a in acl["Associations"]}
    blocks = {
        s["SubnetId"]: ipaddress.ip_network(s["CidrBlock"])
        for s in ec2.describe_subnets()["Subnets"]
    }
    enis = {
        e["NetworkInterfaceId"]: (ipaddress.ip_address(e["PrivateIpAddress"]), e["SubnetId"])
        for e in ec2.describe_network_interfaces()["NetworkInterfaces"]
    }
    for flow in flows:
        if flow.action != "ACCEPT" or flow.interface_id not in enis:
            continue
        own, subnet = enis[flow.interface_id]
        if subnet not in subnets:
            continue
        egress = flow.src == own
        far = flow.dst if egress else flow.src
        if far in blocks[subnet]:
            continue  # inside the subnet: no ACL applies
        port = flow.dst_port if flow.protocol in (6, 17) else None
        yield egress, flow.protocol, port, far


def sampled_space(
    rng: random.Random,
    observed: Sequence[tuple[bool, int, int | None, Address]],
    blocks: Iterable[str],
) -> Iterator[tuple[int, int | None, Address]]:
    addresses = {far for _, _, _, far in observed}
    for block in blocks:
        net = ipaddress.ip_network(block)
        for edge in (int(net.network_address), int(net.broadcast_address)):
            for delta in (-1, 0, 1):
                if 0 <= edge + delta < 2**32:
                    addresses.add(ipaddress.IPv4Address(edge + delta))
    addresses.update(ipaddress.IPv4Address(rng.getrandbits(32)) for _ in range(150))
    addresses.update(ipaddress.IPv4Address(0x0A140000 + rng.getrandbits(16)) for _ in range(150))
    ports = {0, 1, 22, 23, 79, 80, 81, 443, 1023, 1024, 1025, 3306, 8080, 32767, 32768, 65535}
    ports |= {
        p + d for _, _, p, _ in observed if p is not None for d in (-1, 0, 1) if 0 <= p + d <= 65535
    }
    ports |= {rng.randint(0, 65535) for _ in range(40)}
    for address in addresses:
        for protocol in (6, 17):
            for port in rng.sample(sorted(ports), 25):
                yield protocol, port, address
        yield 1, None, address
        yield 50, None, address


def test_oracle_narrowed_entries_pass_every_observed_flow_and_nothing_new(
    dev: Deployed, account: Account
) -> None:
    flows = random_flows(dev, random.Random(13), 3000)
    flows += flows_of(records(dev_intents(dev), seed=14))
    network = Network(dev.inventory)
    report = usage_report(network, attribute(network, flows), (None, None))
    old = raw_entries(account.ec2, dev.acl_id)
    wider = [
        e for e in report.acl_entries if e.ref.acl_id == dev.acl_id and e.verdict is Verdict.WIDER
    ]
    assert len(wider) >= 2, "the scenario must exercise narrowing in both directions"
    observed = list(crossings(account, dev.acl_id, flows))
    rng = random.Random(15)
    for usage in wider:
        number, egress = int(usage.ref.number), usage.ref.egress
        replacement = suggested(usage)
        assert all(e.egress == egress for e in replacement)
        taken = {e.number for e in old if e.egress == egress} - {number}
        assert not taken & {e.number for e in replacement}, "renumbered onto an existing entry"
        new = [e for e in old if (e.number, e.egress) != (number, egress)] + replacement
        passed = 0
        for way, protocol, port, far in observed:
            decider = first_match(old, way, protocol, port, far)
            if way == egress and decider is not None and decider.number == number and decider.allow:
                assert allows(new, way, protocol, port, far), (usage.ref, protocol, port, far)
                passed += 1
        assert passed, usage.ref
        for protocol, port, far in sampled_space(rng, observed, [e.cidr for e in replacement]):
            if allows(new, egress, protocol, port, far):
                assert allows(old, egress, protocol, port, far), (usage.ref, protocol, port, far)


def test_deny_entries_and_entries_with_no_room_are_never_widened(dev: Deployed) -> None:
    report = usage_report(
        Network(dev.inventory),
        attribute(Network(dev.inventory), flows_of(records(dev_intents(dev), seed=16))),
        (None, None),
    )
    for usage in report.acl_entries:
        if usage.action == "deny":
            assert usage.suggestion is None
        for entry in usage.suggestion or ():
            assert entry.action.value == "allow"
