"""Realistic VPC Flow Logs for a stack, for tests and demos, with the intent kept.

Each ``Intent`` is a kind of traffic someone meant to happen (customers to the load
balancer, a tier calling the next, an admin session, a probe) and how it should end:
accepted, or dropped at the server's or the client's side. ``records`` writes what AWS
would log for it — a record per interface and direction, both ends when both are in the
VPC, replies from the service port back to the client's ephemeral port, ``tcp-flags`` of
the opening (SYN) and answering (SYN-ACK) sides — and tags every record with its intent
and side, so tests know the expected attribution without asking the code under test.
"""

from __future__ import annotations

import gzip
import hashlib
import ipaddress
import random
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from tierguard.plan import NetworkPlan, PlannedSgRule
from tierguard.rules import CidrPeer, Direction
from tierguard.usage.flowlogs import DEFAULT_FORMAT
from tierguard.usage.flows import SYN, SYN_ACK, Address

#: The version-2 default format, in AWS's order.
DEFAULT_FIELDS = DEFAULT_FORMAT
ACCOUNT = "123456789012"
#: Linux's default ephemeral range (``net.ipv4.ip_local_port_range``).
EPHEMERAL = (32768, 60999)


class Outcome(StrEnum):
    ACCEPTED = "accepted"
    DROPPED_AT_SERVER = "dropped at server"
    """Inbound at the server's interface: its ACL or its group drops the request."""
    DROPPED_AT_CLIENT = "dropped at client"
    """Outbound at the client's interface: its group (no egress rule) or ACL drops it."""


@dataclass(frozen=True)
class Endpoint:
    address: Address
    interface_id: str | None = None
    """``None``: outside the VPC (nothing is logged there)."""


@dataclass(frozen=True)
class Intent:
    name: str
    clients: Sequence[Endpoint]
    servers: Sequence[Endpoint]
    protocol: int
    port: int | None
    outcome: Outcome
    connections: int


@dataclass(frozen=True)
class Record:
    """One flow-log record, with the generator's knowledge of why it exists."""

    interface_id: str
    src: Address
    dst: Address
    src_port: int | None
    dst_port: int | None
    protocol: int
    packets: int
    bytes: int
    start: int
    end: int
    action: str
    ingress: bool
    tcp_flags: int | None
    intent: str = ""
    request: bool = True
    """The opening side of the connection (``False``: a reply)."""
    status: str = "OK"
    extra: dict[str, str] = field(default_factory=dict, compare=False, hash=False)

    def field(self, name: str) -> str:
        """The value AWS writes for ``name`` (``-`` where it has none)."""
        if self.status != "OK" and name not in ("version", "account-id", "interface-id"):
            return {"start": str(self.start), "end": str(self.end), "log-status": self.status}.get(
                name, "-"
            )
        values: dict[str, object] = {
            "version": 5,
            "account-id": ACCOUNT,
            "interface-id": self.interface_id,
            "srcaddr": self.src.compressed,
            "dstaddr": self.dst.compressed,
            "pkt-srcaddr": self.src.compressed,
            "pkt-dstaddr": self.dst.compressed,
            "srcport": self.src_port,
            "dstport": self.dst_port,
            "protocol": self.protocol,
            "packets": self.packets,
            "bytes": self.bytes,
            "start": self.start,
            "end": self.end,
            "action": self.action,
            "log-status": self.status,
            "flow-direction": "ingress" if self.ingress else "egress",
            "tcp-flags": self.tcp_flags,
            "type": "IPv4" if self.src.version == 4 else "IPv6",
        }
        value = self.extra.get(name, values.get(name))
        return "-" if value is None else str(value)


def records(
    intents: Iterable[Intent], *, seed: int = 0, start: int = 1_764_547_200
) -> list[Record]:
    """Every record the intents produce, in time order within a 1-hour window."""
    rng = random.Random(seed)
    found: list[Record] = []
    for intent in intents:
        for _ in range(intent.connections):
            client = rng.choice(intent.clients)
            server = rng.choice(intent.servers)
            found.extend(_connection(intent, client, server, rng, start))
    found.sort(key=lambda r: (r.start, r.interface_id))
    return found


def _connection(
    intent: Intent, client: Endpoint, server: Endpoint, rng: random.Random, start: int
) -> Iterator[Record]:
    ports = intent.port is not None
    sport = rng.randint(*EPHEMERAL) if ports else None
    dport = intent.port if ports else None
    if not ports:
        sport = dport = 0 if intent.protocol in (1, 58) else None
    t0 = start + rng.randrange(0, 3540)
    t1 = t0 + rng.randrange(1, 60)
    tcp = intent.protocol == 6
    packets = rng.randint(3, 40)
    size = packets * rng.randint(60, 1400)

    def record(at: Endpoint, *, request: bool, ingress: bool, action: str) -> Record:
        src, dst = (client, server) if request else (server, client)
        assert at.interface_id is not None
        return Record(
            interface_id=at.interface_id,
            src=src.address,
            dst=dst.address,
            src_port=sport if request else dport,
            dst_port=dport if request else sport,
            protocol=intent.protocol,
            packets=packets if action == "ACCEPT" else rng.randint(1, 3),
            bytes=size if action == "ACCEPT" else 60 * rng.randint(1, 3),
            start=t0,
            end=t1,
            action=action,
            ingress=ingress,
            tcp_flags=(SYN if request else SYN_ACK) if tcp else None,
            intent=intent.name,
            request=request,
        )

    if intent.outcome is Outcome.DROPPED_AT_CLIENT:
        if client.interface_id is not None:
            yield record(client, request=True, ingress=False, action="REJECT")
        return
    if client.interface_id is not None:
        yield record(client, request=True, ingress=False, action="ACCEPT")
    if intent.outcome is Outcome.DROPPED_AT_SERVER:
        if server.interface_id is not None:
            yield record(server, request=True, ingress=True, action="REJECT")
        return
    if server.interface_id is not None:
        yield record(server, request=True, ingress=True, action="ACCEPT")
        yield record(server, request=False, ingress=False, action="ACCEPT")
    if client.interface_id is not None:
        yield record(client, request=False, ingress=True, action="ACCEPT")


def idle(interface_id: str, *, start: int, status: str = "NODATA") -> Record:
    """A ``NODATA`` (nothing flowed) or ``SKIPDATA`` (records were skipped) record."""
    nowhere = ipaddress.IPv4Address(0)
    return Record(
        interface_id,
        nowhere,
        nowhere,
        None,
        None,
        0,
        0,
        0,
        start,
        start + 60,
        "-",
        True,
        None,
        status=status,
    )


def lines(found: Iterable[Record], fields: Sequence[str] = DEFAULT_FIELDS) -> Iterator[str]:
    for rec in found:
        yield " ".join(rec.field(name) for name in fields)


def write_log(
    path: Path,
    found: Iterable[Record],
    fields: Sequence[str] = DEFAULT_FIELDS,
    *,
    header: bool = True,
    extra_lines: Sequence[str] = (),
) -> Path:
    """Write records as S3 delivery does: gzip text, a header line naming the fields."""
    path.parent.mkdir(parents=True, exist_ok=True)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "wt", encoding="utf-8") as out:
        if header:
            out.write(" ".join(fields) + "\n")
        for line in lines(found, fields):
            out.write(line + "\n")
        for line in extra_lines:
            out.write(line + "\n")
    return path


#: Customers spread over the internet (first octets from 3 to 222, none private): traffic
#: from everywhere, which no narrower source would admit.
CUSTOMERS = tuple(
    ipaddress.ip_address(f"{first}.{(first * 7) % 250 + 1}.{(first * 13) % 250 + 1}.{h}")
    for first in (3, 23, 34, 52, 63, 81, 99, 104, 128, 151, 176, 185, 202, 212, 222)
    for h in (10, 77)
)
SCANNER = ipaddress.ip_address("45.33.32.156")
#: Ports probes knock on (telnet, RDP, SMB, Redis).
PROBED = (23, 3389, 445, 6379)


def plan_endpoints(plan: NetworkPlan, per_subnet: int = 2) -> dict[str, tuple[Endpoint, ...]]:
    """Tier → interfaces placed in its planned subnets (addresses from the subnets' CIDRs,
    tiers sharing a subnet get distinct hosts; interface ids derived from the address)."""
    found: dict[str, tuple[Endpoint, ...]] = {}
    for index, (name, tier) in enumerate(plan.tiers.items()):
        ends: list[Endpoint] = []
        group = tier.subnet_group
        for subnet in plan.subnets_in(group) if group is not None else ():
            if subnet.cidr is None:
                continue
            for i in range(per_subnet):
                address = subnet.cidr[10 + index * 16 + i]
                digest = hashlib.sha256(f"{plan.stack}/{address}".encode()).hexdigest()
                ends.append(Endpoint(address, f"eni-{digest[:17]}"))
        found[name] = tuple(ends)
    return found


def _clients(rule: PlannedSgRule, endpoints: Mapping[str, Sequence[Endpoint]]) -> list[Endpoint]:
    peer = rule.rule.peer
    if rule.peer_tier is not None:
        return list(endpoints.get(rule.peer_tier, ()))
    if isinstance(peer, CidrPeer):
        if peer.is_internet:
            return [Endpoint(a) for a in CUSTOMERS if a.version == peer.network.version]
        net = peer.network
        return [Endpoint(net[min(10, net.num_addresses - 1)])]
    return []


def plan_intents(
    plan: NetworkPlan,
    endpoints: Mapping[str, Sequence[Endpoint]],
    *,
    connections: int = 20,
    idle_cidr_rules: bool = False,
) -> list[Intent]:
    """Traffic every planned ingress rule is there for (on its first port), probes at
    every internet-facing tier on ports nothing opens; ``idle_cidr_rules`` leaves the
    rules for named ranges (admins) without traffic, as in a quiet week."""
    intents = []
    for tier_name, tier in plan.tiers.items():
        servers = endpoints.get(tier_name, ())
        if not servers:
            continue
        facing_internet = False
        for rule in tier.rules_in(Direction.INGRESS):
            peer = rule.rule.peer
            internet = isinstance(peer, CidrPeer) and peer.is_internet
            facing_internet |= internet
            if idle_cidr_rules and isinstance(peer, CidrPeer) and not internet:
                continue
            clients = _clients(rule, endpoints)
            traffic = rule.rule.traffic
            if not clients or traffic.is_all:
                continue
            port = traffic.ports.first if traffic.ports is not None else None
            count = connections * 3 if internet else connections
            intents.append(
                Intent(rule.name, clients, servers, traffic.protocol, port, Outcome.ACCEPTED, count)
            )
        if facing_internet:
            scanner, dropped = [Endpoint(SCANNER)], Outcome.DROPPED_AT_SERVER
            intents.extend(
                Intent(f"probe {tier_name} {p}", scanner, servers, 6, p, dropped, 2) for p in PROBED
            )
    return intents
