"""What an account holds, as the audit reads it: typed, pure, one record per AWS object.

The readers (``tierguard.deployed.read``, the audit's ``collect``) fill these from boto3
answers through ``tierguard.deployed.shapes``; every audit finding, the comparison with a
plan and the reachability topology are computed from them alone, so tests can also build
an inventory by hand.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property

from tierguard.deployed import tags as tag
from tierguard.rules import AclEntry, IPNetwork, SgRule

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class GroupRule:
    """One ``sgr-…`` rule of a group, with its tags (the components name rules by tag)."""

    id: str
    rule: SgRule
    tags: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SecurityGroup:
    id: str
    name: str
    description: str
    vpc_id: str | None
    rules: tuple[GroupRule, ...] = ()
    tags: Mapping[str, str] = field(default_factory=dict)
    descriptions_filled_in: bool = False
    """Some rule's description came from ``IpPermissions`` because
    ``DescribeSecurityGroupRules`` left it out (moto does for group references; AWS never)."""

    @property
    def is_default(self) -> bool:
        """Every VPC has exactly one group named ``default``; it cannot be deleted."""
        return self.name == "default"

    @property
    def label(self) -> str:
        """``web-sg (sg-0abc…)``: how reports name a group."""
        return f"{self.name} ({self.id})"


@dataclass(frozen=True)
class NetworkInterface:
    id: str
    subnet_id: str | None
    vpc_id: str | None
    groups: tuple[str, ...]
    private_address: Address | None = None
    public_address: Address | None = None
    """The IPv4 address the internet sees (an Elastic or auto-assigned public IP)."""
    ipv6_addresses: tuple[Address, ...] = ()
    """IPv6 addresses are globally routable: reachable over ``::/0`` when routed."""
    description: str = ""
    interface_type: str = "interface"
    instance_id: str | None = None
    requester_managed: bool = False

    @property
    def label(self) -> str:
        owner = f" of instance {self.instance_id}" if self.instance_id else ""
        what = f" ({self.description})" if self.description and not owner else ""
        return f"{self.id}{owner}{what}"


@dataclass(frozen=True)
class NetworkAcl:
    id: str
    vpc_id: str | None
    is_default: bool
    subnet_ids: tuple[str, ...]
    entries: tuple[AclEntry, ...]
    """The numbered entries; the implicit ``*`` deny is never listed (it always applies)."""
    tags: Mapping[str, str] = field(default_factory=dict)
    icmp_unreported: frozenset[tuple[bool, int]] = frozenset()
    """``(egress, number)`` of ICMP entries answered without ``IcmpTypeCode``, read as every
    type and code: moto drops them, AWS always sends them."""

    @property
    def label(self) -> str:
        name = self.tags.get(tag.NAME)
        return f"{name} ({self.id})" if name else self.id


@dataclass(frozen=True)
class Subnet:
    id: str
    vpc_id: str | None
    cidr: IPNetwork | None
    map_public_ip: bool = False


@dataclass(frozen=True)
class RouteTable:
    id: str
    vpc_id: str | None
    main: bool
    """The VPC's main table: it routes every subnet with no explicit association."""
    subnet_ids: tuple[str, ...]
    internet_versions: frozenset[int]
    """Address families (4, 6) with an active route to an internet gateway."""


@dataclass(frozen=True)
class Consumer:
    """Something that uses security groups through its own API rather than a visible ENI:
    a load balancer, an RDS instance or cluster, a Lambda function."""

    kind: str
    """``ELBv2 load balancer``, ``classic load balancer``, ``RDS instance``, …"""
    id: str
    groups: tuple[str, ...]
    public: bool | None = None
    """Internet-facing (load balancers, ``PubliclyAccessible`` RDS); ``None``: unknown."""


@dataclass(frozen=True)
class RegionInventory:
    region: str
    groups: tuple[SecurityGroup, ...] = ()
    interfaces: tuple[NetworkInterface, ...] = ()
    acls: tuple[NetworkAcl, ...] = ()
    subnets: tuple[Subnet, ...] = ()
    consumers: tuple[Consumer, ...] = ()
    route_tables: tuple[RouteTable, ...] = ()
    notes: tuple[str, ...] = ()
    """What could not be read (an entry AWS should never have stored), said in reports."""

    @cached_property
    def subnet_by_id(self) -> Mapping[str, Subnet]:
        return {s.id: s for s in self.subnets}

    @cached_property
    def acl_by_subnet(self) -> Mapping[str, NetworkAcl]:
        """The ACL each existing subnet uses.

        Associations naming a subnet that is not listed are ignored: moto keeps them after
        ``delete_subnet`` (AWS removes them), and an ACL is not "in use" through them.
        """
        return {
            subnet: acl
            for acl in self.acls
            for subnet in acl.subnet_ids
            if subnet in self.subnet_by_id
        }

    def route_table_of(self, subnet_id: str) -> RouteTable | None:
        """The table routing a subnet: its explicit association, else its VPC's main one;
        ``None`` when no table was listed for it (a hand-built inventory)."""
        for table in self.route_tables:
            if subnet_id in table.subnet_ids:
                return table
        subnet = self.subnet_by_id.get(subnet_id)
        vpc = subnet.vpc_id if subnet is not None else None
        return next((t for t in self.route_tables if t.main and t.vpc_id == vpc), None)


@dataclass(frozen=True)
class Inventory:
    """Every audited region of one account."""

    regions: tuple[RegionInventory, ...]
    account: str | None = None
