"""Every Pulumi AWS spelling of a security-group rule or network-ACL entry, in one model.

Two layers:

* shape-free constructors (``sg_traffic``, ``acl_traffic``, ``sg_rules``, ``acl_entry``)
  that take plain values, so the audit can feed boto3 answers through the same code;
* readers for the engine's view of each Pulumi resource type (camelCase keys, numbers as
  floats, ``Mapping``/``Sequence`` proxies rather than ``dict``/``list``).

Readers never decide what an unknown preview value means. Each rule block is read inside
``try``; an exception of one of the caller's ``unknown_errors`` types (the policy layer
passes ``pulumi_policy.proxy.UnknownValueError``) or a value the caller's ``is_unknown``
predicate flags makes that block ``Unresolved`` instead of a rule, and the caller reports
it. Values no provider would accept (a malformed CIDR, a port past 65535) are returned as
``Unresolved`` too, with the reason, rather than raising.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Generic, TypeVar

from tierguard.rules.addresses import IPNetwork, parse_cidr_lenient
from tierguard.rules.model import (
    AclAction,
    AclEntry,
    CidrPeer,
    Direction,
    Peer,
    PrefixListPeer,
    SecurityGroupPeer,
    SgRule,
    Traffic,
)
from tierguard.rules.ports import IcmpMatch, PortRange
from tierguard.rules.protocols import ALL, is_icmp, parse_protocol, protocol_has_ports

SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
DEFAULT_SECURITY_GROUP = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
SECURITY_GROUP_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
VPC_INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
VPC_EGRESS_RULE = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
NETWORK_ACL = "aws:ec2/networkAcl:NetworkAcl"
DEFAULT_NETWORK_ACL = "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl"
NETWORK_ACL_RULE = "aws:ec2/networkAclRule:NetworkAclRule"
NETWORK_ACL_ASSOCIATION = "aws:ec2/networkAclAssociation:NetworkAclAssociation"
MANAGED_PREFIX_LIST = "aws:ec2/managedPrefixList:ManagedPrefixList"
VPC = "aws:ec2/vpc:Vpc"
SUBNET = "aws:ec2/subnet:Subnet"

#: Types whose props carry rules inline (``ingress``/``egress`` lists).
GROUP_TYPES = frozenset({SECURITY_GROUP, DEFAULT_SECURITY_GROUP})
#: Types that are one rule of a group named by ``securityGroupId``.
RULE_TYPES = frozenset({SECURITY_GROUP_RULE, VPC_INGRESS_RULE, VPC_EGRESS_RULE})
SG_TYPES = GROUP_TYPES | RULE_TYPES
ACL_TYPES = frozenset({NETWORK_ACL, DEFAULT_NETWORK_ACL})

T = TypeVar("T")

#: The id of a security group or prefix list that is unknown until apply.
UNKNOWN_REF = "(known after apply)"


@dataclass(frozen=True)
class Unresolved:
    """A rule block that could not be turned into rules: where it is and why."""

    path: str
    reason: str
    unknown: bool = True
    """``True``: the value is unknown (preview); ``False``: it is invalid."""

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


@dataclass(frozen=True)
class Normalized(Generic[T]):
    """What a resource's props mean, plus the blocks that could not be read."""

    items: tuple[T, ...] = ()
    unresolved: tuple[Unresolved, ...] = ()

    @property
    def unknowns(self) -> tuple[Unresolved, ...]:
        return tuple(u for u in self.unresolved if u.unknown)


@dataclass(frozen=True)
class SourcedRule:
    """An ``SgRule`` with where it was written (``ingress[1]``, or ``""`` for a resource)."""

    rule: SgRule
    path: str


@dataclass(frozen=True)
class SourcedEntry:
    """An ``AclEntry`` with where it was written."""

    entry: AclEntry
    path: str


def _never(_: object) -> bool:
    return False


@dataclass(frozen=True)
class Reader:
    """How to recognise unknown values; the policy layer injects the engine's notion."""

    unknown_errors: tuple[type[BaseException], ...] = ()
    is_unknown: Callable[[object], bool] = _never


class _Unknown(Exception):
    """Raised internally when ``Reader.is_unknown`` flags a value."""


class _Invalid(Exception):
    """Raised internally for a value no provider would accept."""


@dataclass
class _Collector(Generic[T]):
    reader: Reader
    items: list[T] = field(default_factory=list)
    unresolved: list[Unresolved] = field(default_factory=list)

    def run(self, path: str, build: Callable[[], Iterable[T]]) -> None:
        try:
            built = list(build())
        except _Unknown as exc:
            self.unresolved.append(Unresolved(path, str(exc) or "unknown during preview"))
        except _Invalid as exc:
            self.unresolved.append(Unresolved(path, str(exc), unknown=False))
        except self.reader.unknown_errors as exc:
            detail = getattr(exc, "message", "") or "unknown during preview"
            self.unresolved.append(Unresolved(path, str(detail)))
        else:
            self.items.extend(built)

    def result(self) -> Normalized[T]:
        return Normalized(tuple(self.items), tuple(self.unresolved))


# --------------------------------------------------------------------------------------
# Shape-free constructors (shared with the audit).


def _number(value: object, what: str) -> int:
    if isinstance(value, bool):
        raise _Invalid(f"{what} {value!r} is not a number")
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            pass
    raise _Invalid(f"{what} {value!r} is not a number")


def _protocol(value: object) -> int:
    try:
        return parse_protocol(value)
    except ValueError as exc:
        raise _Invalid(str(exc)) from None


def _icmp(icmp_type: int, icmp_code: int) -> IcmpMatch:
    if icmp_type == -1:
        icmp_code = -1
    try:
        return IcmpMatch(icmp_type, icmp_code)
    except ValueError as exc:
        raise _Invalid(str(exc)) from None


def _ports(first: int, last: int) -> PortRange:
    try:
        return PortRange(first, last)
    except ValueError as exc:
        raise _Invalid(str(exc)) from None


def sg_traffic(protocol: object, from_port: object = None, to_port: object = None) -> Traffic:
    """The traffic of a security-group rule as AWS reads it.

    All protocols (``-1``/``all``) carry no ports whatever the port fields say; for ICMP the
    port fields are type and code (``-1`` = any); other non-TCP/UDP protocols have no ports.
    Raises ``ValueError`` for a value AWS would refuse.
    """
    try:
        return _sg_traffic(protocol, from_port, to_port)
    except _Invalid as exc:
        raise ValueError(str(exc)) from None


def _sg_traffic(protocol: object, from_port: object, to_port: object) -> Traffic:
    number = _protocol(protocol)
    if number == ALL:
        return Traffic.of(ALL)
    if is_icmp(number):
        icmp_type = -1 if from_port is None else _number(from_port, "ICMP type")
        icmp_code = -1 if to_port is None else _number(to_port, "ICMP code")
        return Traffic.of(number, icmp=_icmp(icmp_type, icmp_code))
    if not protocol_has_ports(number):
        return Traffic.of(number)
    if from_port is None or to_port is None:
        raise _Invalid(f"protocol {protocol!r} needs fromPort and toPort")
    first, last = _number(from_port, "fromPort"), _number(to_port, "toPort")
    if first == -1 and last == -1:
        return Traffic.of(number)
    return Traffic.of(number, _ports(first, last))


def acl_traffic(
    protocol: object,
    from_port: object = None,
    to_port: object = None,
    icmp_type: object = None,
    icmp_code: object = None,
) -> Traffic:
    """The traffic of a network-ACL entry: ICMP uses ``icmpType``/``icmpCode``, never ports.

    Raises ``ValueError`` for a value AWS would refuse.
    """
    try:
        return _acl_traffic(protocol, from_port, to_port, icmp_type, icmp_code)
    except _Invalid as exc:
        raise ValueError(str(exc)) from None


def _acl_traffic(
    protocol: object, from_port: object, to_port: object, icmp_type: object, icmp_code: object
) -> Traffic:
    number = _protocol(protocol)
    if number == ALL:
        return Traffic.of(ALL)
    if is_icmp(number):
        kind = -1 if icmp_type is None else _number(icmp_type, "icmpType")
        code = -1 if icmp_code is None else _number(icmp_code, "icmpCode")
        return Traffic.of(number, icmp=_icmp(kind, code))
    if not protocol_has_ports(number):
        return Traffic.of(number)
    first = 0 if from_port is None else _number(from_port, "fromPort")
    last = 65535 if to_port is None else _number(to_port, "toPort")
    return Traffic.of(number, _ports(first, last))


def _cidr(text: object) -> IPNetwork:
    if not isinstance(text, str):
        raise _Invalid(f"{text!r} is not a CIDR block")
    try:
        return parse_cidr_lenient(text)
    except ValueError:
        raise _Invalid(f"{text!r} is not a valid CIDR block") from None


def sg_peers(
    *,
    group: str,
    cidrs: Iterable[str] = (),
    ipv6_cidrs: Iterable[str] = (),
    prefix_lists: Iterable[str] = (),
    security_groups: Iterable[str] = (),
    self_reference: bool = False,
) -> list[Peer]:
    """Every peer a rule names, one per AWS rule; ``self`` never hides the CIDRs beside it."""
    peers: list[Peer] = [CidrPeer(_cidr(c)) for c in (*cidrs, *ipv6_cidrs)]
    peers.extend(PrefixListPeer(p) for p in prefix_lists)
    peers.extend(SecurityGroupPeer(g, is_self=g == group) for g in security_groups)
    if self_reference:
        peers.append(SecurityGroupPeer(group, is_self=True))
    return peers


def sg_rules(
    *,
    group: str,
    direction: Direction,
    traffic: Traffic,
    peers: Iterable[Peer],
    description: str | None = None,
) -> list[SgRule]:
    """One ``SgRule`` per peer, as AWS splits a permission into ``sgr-…`` rules."""
    return [SgRule(group, direction, traffic, peer, description) for peer in peers]


def acl_entry(
    *, number: object, egress: bool, action: object, traffic: Traffic, cidr: str
) -> AclEntry:
    """One numbered ACL entry; raises ``ValueError`` for a value AWS would refuse."""
    try:
        return _acl_entry(number, egress, action, traffic, cidr)
    except _Invalid as exc:
        raise ValueError(str(exc)) from None


def _acl_entry(
    number: object, egress: bool, action: object, traffic: Traffic, cidr: str
) -> AclEntry:
    text = str(action).strip().lower() if isinstance(action, str) else ""
    if text not in ("allow", "deny"):
        raise _Invalid(f"action {action!r} is neither allow nor deny")
    return AclEntry(_number(number, "rule number"), egress, AclAction(text), traffic, _cidr(cidr))


# --------------------------------------------------------------------------------------
# Reading the engine's props.


class _Props:
    """Typed access to one props mapping, raising ``_Unknown``/``_Invalid`` as needed."""

    def __init__(self, props: Mapping[str, Any], reader: Reader) -> None:
        self.props = props
        self.reader = reader

    def _check(self, key: str, value: object) -> object:
        if self.reader.is_unknown(value):
            raise _Unknown(f"{key} is unknown during preview")
        return value

    def get(self, key: str) -> object:
        if key not in self.props:
            return None
        return self._check(key, self.props[key])

    def text(self, key: str) -> str | None:
        value = self.get(key)
        if value is None or value == "":
            return None
        if not isinstance(value, str):
            raise _Invalid(f"{key} {value!r} is not a string")
        return value

    def flag(self, key: str) -> bool:
        value = self.get(key)
        return value is True or (isinstance(value, str) and value.lower() == "true")

    def strings(self, key: str) -> list[str]:
        value = self.get(key)
        if value is None:
            return []
        if isinstance(value, str) or not isinstance(value, Sequence):
            raise _Invalid(f"{key} {value!r} is not a list")
        items = [self._check(f"{key}[{i}]", item) for i, item in enumerate(value)]
        return [item for item in items if isinstance(item, str) and item]

    def refs(self, key: str) -> list[str]:
        """Ids of security groups or prefix lists; an unknown id is still a reference.

        At preview the id of a group created in the same program is unknown, but that it
        names a group (not an address) is known, so it reads as ``UNKNOWN_REF``.
        """
        errors: tuple[type[BaseException], ...] = (_Unknown, *self.reader.unknown_errors)
        try:
            value = self.get(key)
        except errors:
            return [UNKNOWN_REF]
        if value is None or value == "":
            return []
        if isinstance(value, str):
            return [value]
        if not isinstance(value, Sequence):
            raise _Invalid(f"{key} {value!r} is not a list")
        found: list[str] = []
        for index in range(len(value)):
            try:
                item = self._check(f"{key}[{index}]", value[index])
            except errors:
                found.append(UNKNOWN_REF)
                continue
            if isinstance(item, str) and item:
                found.append(item)
        return found

    def blocks(self, key: str) -> list[Mapping[str, Any]]:
        value = self.get(key)
        if value is None:
            return []
        if isinstance(value, str) or not isinstance(value, Sequence):
            raise _Invalid(f"{key} {value!r} is not a list")
        return [b for b in value if isinstance(b, Mapping)]


def _block_paths(
    props: _Props, key: str, collector: _Collector[Any]
) -> Iterator[tuple[str, _Props]]:
    """The blocks of a list property, recording an unknown list (or element) as unresolved."""
    blocks: list[Mapping[str, Any]] = []

    def read() -> list[None]:
        blocks.extend(props.blocks(key))
        return []

    collector.run(key, read)
    for index, block in enumerate(blocks):
        yield f"{key}[{index}]", _Props(block, props.reader)


def _group_block_rules(
    block: _Props, *, group: str, direction: Direction, path: str
) -> list[SourcedRule]:
    traffic = _sg_traffic(block.get("protocol"), block.get("fromPort"), block.get("toPort"))
    peers = sg_peers(
        group=group,
        cidrs=block.strings("cidrBlocks"),
        ipv6_cidrs=block.strings("ipv6CidrBlocks"),
        prefix_lists=block.refs("prefixListIds"),
        security_groups=block.refs("securityGroups"),
        self_reference=block.flag("self"),
    )
    rules = sg_rules(
        group=group,
        direction=direction,
        traffic=traffic,
        peers=peers,
        description=block.text("description"),
    )
    return [SourcedRule(rule, path) for rule in rules]


def inline_rule_blocks(props: Mapping[str, Any], reader: Reader = Reader()) -> dict[str, int]:
    """How many inline ``ingress``/``egress`` blocks a group or ACL declares (unknown: -1)."""
    counts: dict[str, int] = {}
    view = _Props(props, reader)
    errors: tuple[type[BaseException], ...] = (_Unknown, _Invalid, *reader.unknown_errors)
    for key in ("ingress", "egress"):
        try:
            counts[key] = len(view.blocks(key))
        except errors:
            counts[key] = -1
    return counts


def normalize_security_group(
    resource_type: str,
    props: Mapping[str, Any],
    *,
    group: str,
    reader: Reader = Reader(),
) -> Normalized[SourcedRule]:
    """The rules any SG representation declares, as ``SgRule`` (one per peer).

    ``group`` names the group the rules belong to: the resource's own name or URN for a
    ``SecurityGroup``; for a separate rule resource, whatever the caller resolved its
    ``securityGroupId`` to. Types that hold no rules give an empty result.
    """
    view = _Props(props, reader)
    collector: _Collector[SourcedRule] = _Collector(reader)
    if resource_type in GROUP_TYPES:
        for direction in Direction:
            for path, block in _block_paths(view, direction.value, collector):
                collector.run(
                    path,
                    partial(_group_block_rules, block, group=group, direction=direction, path=path),
                )
    elif resource_type == SECURITY_GROUP_RULE:
        collector.run("", lambda: _security_group_rule(view, group))
    elif resource_type in (VPC_INGRESS_RULE, VPC_EGRESS_RULE):
        direction = Direction.INGRESS if resource_type == VPC_INGRESS_RULE else Direction.EGRESS
        collector.run("", lambda: _vpc_rule(view, group, direction))
    return collector.result()


def _security_group_rule(view: _Props, group: str) -> list[SourcedRule]:
    kind = view.text("type")
    if kind not in ("ingress", "egress"):
        raise _Invalid(f"type {kind!r} is neither ingress nor egress")
    traffic = _sg_traffic(view.get("protocol"), view.get("fromPort"), view.get("toPort"))
    peers = sg_peers(
        group=group,
        cidrs=view.strings("cidrBlocks"),
        ipv6_cidrs=view.strings("ipv6CidrBlocks"),
        prefix_lists=view.refs("prefixListIds"),
        security_groups=view.refs("sourceSecurityGroupId"),
        self_reference=view.flag("self"),
    )
    rules = sg_rules(
        group=group,
        direction=Direction(kind),
        traffic=traffic,
        peers=peers,
        description=view.text("description"),
    )
    return [SourcedRule(rule, "") for rule in rules]


def _vpc_rule(view: _Props, group: str, direction: Direction) -> list[SourcedRule]:
    traffic = _sg_traffic(view.get("ipProtocol"), view.get("fromPort"), view.get("toPort"))
    cidrs = [c for c in (view.text("cidrIpv4"), view.text("cidrIpv6")) if c]
    peers = sg_peers(
        group=group,
        cidrs=cidrs,
        prefix_lists=view.refs("prefixListId"),
        security_groups=view.refs("referencedSecurityGroupId"),
    )
    rules = sg_rules(
        group=group,
        direction=direction,
        traffic=traffic,
        peers=peers,
        description=view.text("description"),
    )
    return [SourcedRule(rule, "") for rule in rules]


def _acl_block_entries(block: _Props, *, egress: bool, path: str) -> list[SourcedEntry]:
    traffic = _acl_traffic(
        block.get("protocol"),
        block.get("fromPort"),
        block.get("toPort"),
        block.get("icmpType"),
        block.get("icmpCode"),
    )
    cidrs = [c for c in (block.text("cidrBlock"), block.text("ipv6CidrBlock")) if c]
    if not cidrs:
        raise _Invalid("has neither cidrBlock nor ipv6CidrBlock")
    number, action = block.get("ruleNo"), block.get("action")
    return [SourcedEntry(_acl_entry(number, egress, action, traffic, cidr), path) for cidr in cidrs]


def normalize_network_acl(
    resource_type: str, props: Mapping[str, Any], *, reader: Reader = Reader()
) -> Normalized[SourcedEntry]:
    """The entries a ``NetworkAcl``/``DefaultNetworkAcl`` (inline) or ``NetworkAclRule`` holds."""
    view = _Props(props, reader)
    collector: _Collector[SourcedEntry] = _Collector(reader)
    if resource_type in ACL_TYPES:
        for key, egress in (("ingress", False), ("egress", True)):
            for path, block in _block_paths(view, key, collector):
                collector.run(path, partial(_acl_block_entries, block, egress=egress, path=path))
    elif resource_type == NETWORK_ACL_RULE:
        collector.run("", lambda: _network_acl_rule(view))
    return collector.result()


def _network_acl_rule(view: _Props) -> list[SourcedEntry]:
    traffic = _acl_traffic(
        view.get("protocol"),
        view.get("fromPort"),
        view.get("toPort"),
        view.get("icmpType"),
        view.get("icmpCode"),
    )
    cidrs = [c for c in (view.text("cidrBlock"), view.text("ipv6CidrBlock")) if c]
    if not cidrs:
        raise _Invalid("has neither cidrBlock nor ipv6CidrBlock")
    egress = view.flag("egress")
    number, action = view.get("ruleNumber"), view.get("ruleAction")
    return [SourcedEntry(_acl_entry(number, egress, action, traffic, cidr), "") for cidr in cidrs]


def _prefix_entry(block: _Props) -> list[IPNetwork]:
    return [_cidr(block.text("cidr"))]


def normalize_prefix_list(
    props: Mapping[str, Any], *, reader: Reader = Reader()
) -> Normalized[IPNetwork]:
    """The CIDR blocks of a ``ManagedPrefixList``'s ``entries``."""
    view = _Props(props, reader)
    collector: _Collector[IPNetwork] = _Collector(reader)
    for path, block in _block_paths(view, "entries", collector):
        collector.run(path, partial(_prefix_entry, block))
    return collector.result()
