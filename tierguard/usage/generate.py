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
import ipaddress
import random
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

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
