"""One model for every way a rule can be written: SG rules, ACL entries, packets.

Pulumi inputs (inline ``ingress`` blocks, ``SecurityGroupRule``, ``vpc`` rule resources),
boto3 answers (``IpPermissions``, ``NetworkAcls[].Entries``) and tierguard's own config all
normalise into ``SgRule`` and ``AclEntry``; questions are asked with ``Packet``.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, replace
from enum import StrEnum

from tierguard.rules.addresses import IPNetwork, canonical_cidr, is_internet
from tierguard.rules.ports import ALL_PORTS, IcmpMatch, PortRange
from tierguard.rules.protocols import ALL, ICMP, ICMPV6, is_icmp, protocol_has_ports, protocol_name


class Direction(StrEnum):
    INGRESS = "ingress"
    EGRESS = "egress"

    @classmethod
    def of(cls, *, egress: bool) -> Direction:
        """The direction AWS's ``egress`` flag (ACL entries, flow records) means."""
        return cls.EGRESS if egress else cls.INGRESS

    @property
    def opposite(self) -> Direction:
        """The direction replies travel in."""
        return Direction.of(egress=self is Direction.INGRESS)

    @property
    def preposition(self) -> str:
        """How the far end is named: traffic ``from`` a source, ``to`` a destination."""
        return "from" if self is Direction.INGRESS else "to"


class AclAction(StrEnum):
    ALLOW = "allow"
    DENY = "deny"


@dataclass(frozen=True)
class Traffic:
    """What a rule matches: a protocol and, where the protocol has them, ports or ICMP type.

    Normalised so that equal meaning means equal value: all-protocols carries no ports,
    a protocol without ports (ESP, GRE, …) carries none either, ICMP carries a type match.
    """

    protocol: int
    ports: PortRange | None = None
    icmp: IcmpMatch | None = None

    @classmethod
    def of(
        cls, protocol: int, ports: PortRange | None = None, icmp: IcmpMatch | None = None
    ) -> Traffic:
        """Build the normalised form, dropping what AWS ignores for the protocol."""
        if protocol == ALL or not (protocol_has_ports(protocol) or is_icmp(protocol)):
            return cls(protocol)
        if is_icmp(protocol):
            return cls(protocol, icmp=icmp or IcmpMatch())
        return cls(protocol, ports=ports or ALL_PORTS)

    @property
    def is_all(self) -> bool:
        return self.protocol == ALL

    def matches(self, packet: Packet) -> bool:
        """Whether a single packet falls under this traffic selector."""
        if self.protocol == ALL:
            return True
        if packet.protocol != self.protocol:
            return False
        if self.ports is not None:
            return packet.port is not None and packet.port in self.ports
        if self.icmp is not None:
            return packet.icmp_type is not None and self.icmp.matches(
                packet.icmp_type, packet.icmp_code if packet.icmp_code is not None else 0
            )
        return True

    def exposes_port(self, protocol: int, port: int) -> bool:
        """Whether TCP/UDP ``port`` is opened: all-protocols opens every port; ICMP none."""
        if self.protocol == ALL:
            return True
        return self.protocol == protocol and self.ports is not None and port in self.ports

    def covers(self, other: Traffic) -> bool:
        """Whether everything ``other`` matches is matched by this selector too."""
        if self.protocol == ALL:
            return True
        if self.protocol != other.protocol:
            return False
        if self.ports is not None and other.ports is not None:
            return self.ports.covers(other.ports)
        if self.icmp is not None and other.icmp is not None:
            return self.icmp.covers(other.icmp)
        return True

    def overlaps(self, other: Traffic) -> bool:
        if ALL in (self.protocol, other.protocol):
            return True
        if self.protocol != other.protocol:
            return False
        if self.ports is not None and other.ports is not None:
            return self.ports.overlaps(other.ports)
        if self.icmp is not None and other.icmp is not None:
            return self.icmp.covers(other.icmp) or other.icmp.covers(self.icmp)
        return True

    @property
    def key(self) -> str:
        """A compact, name-safe spelling: ``tcp-443``, ``udp-1024-65535``, ``icmp-8``, ``all``."""
        name = protocol_name(self.protocol)
        if self.ports is not None:
            return f"{name}-{self.ports.key}"
        if self.icmp is not None and not self.icmp.is_any:
            return f"{name}-{self.icmp.key}"
        return name

    def __str__(self) -> str:
        if self.protocol == ALL:
            return "all traffic"
        name = protocol_name(self.protocol).upper() if self.protocol != ICMPV6 else "ICMPv6"
        if self.ports is not None:
            return f"{name} {self.ports}"
        if self.icmp is not None:
            return f"{name} {self.icmp}"
        return f"protocol {name}"


@dataclass(frozen=True)
class CidrPeer:
    """An address block on the other end of a rule."""

    network: IPNetwork

    @property
    def is_internet(self) -> bool:
        return is_internet(self.network)

    def __str__(self) -> str:
        return canonical_cidr(self.network)


@dataclass(frozen=True)
class SecurityGroupPeer:
    """Members of a security group (``self`` when it names the rule's own group)."""

    group: str
    is_self: bool = False

    def __str__(self) -> str:
        return "self" if self.is_self else f"security group {self.group}"


@dataclass(frozen=True)
class PrefixListPeer:
    """A managed prefix list; never the internet as such, its entries may be resolved."""

    prefix_list: str

    def __str__(self) -> str:
        return f"prefix list {self.prefix_list}"


Peer = CidrPeer | SecurityGroupPeer | PrefixListPeer


@dataclass(frozen=True)
class SgRule:
    """One security-group rule with exactly one peer (AWS's own unit, ``sgr-…``)."""

    group: str
    direction: Direction
    traffic: Traffic
    peer: Peer
    description: str | None = None

    @property
    def identity(self) -> SgRule:
        """The rule without its description: what EC2 calls the same rule."""
        return replace(self, description=None)

    @property
    def flow(self) -> str:
        """``TCP 22 from 0.0.0.0/0``: what the rule lets through, and from (to) whom."""
        return f"{self.traffic} {self.direction.preposition} {self.peer}"

    def __str__(self) -> str:
        """``ingress TCP 22 from 0.0.0.0/0``."""
        return f"{self.direction} {self.flow}"


@dataclass(frozen=True)
class AclEntry:
    """One numbered network-ACL entry; lower numbers are evaluated first."""

    number: int
    egress: bool
    action: AclAction
    traffic: Traffic
    cidr: IPNetwork

    @property
    def direction(self) -> Direction:
        return Direction.of(egress=self.egress)

    def __str__(self) -> str:
        """``allow TCP 22 from 203.0.113.0/24``."""
        return f"{self.action} {self.traffic} {self.direction.preposition} {self.cidr.compressed}"


@dataclass(frozen=True)
class Packet:
    """A single packet as an ACL sees it: protocol, port or ICMP type, the far address."""

    protocol: int
    address: ipaddress.IPv4Address | ipaddress.IPv6Address
    port: int | None = None
    icmp_type: int | None = None
    icmp_code: int | None = None

    def __post_init__(self) -> None:
        if self.protocol in (ICMP, ICMPV6) and self.port is not None:
            raise ValueError("ICMP packets have a type and code, not a port")
