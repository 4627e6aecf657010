"""boto3 answers → the records of ``tierguard.deployed.inventory``, through the shared
shape-free constructors.

Pure: it reads the dictionaries boto3 returns (typed with the ``mypy_boto3_*`` stubs, at
type-checking time only) and never calls AWS. Each reader raises ``ValueError`` for a
value AWS should never have stored; the readers record it as a note and go on.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING

from tierguard.deployed.inventory import (
    Address,
    GroupRule,
    NetworkAcl,
    NetworkInterface,
    RouteTable,
    SecurityGroup,
    Subnet,
)
from tierguard.rules import AclEntry, Direction, Peer, Traffic, parse_cidr_lenient
from tierguard.rules.acl import IMPLICIT_DENY_NUMBER
from tierguard.rules.normalize import acl_entry, acl_traffic, sg_peers, sg_rules, sg_traffic
from tierguard.rules.protocols import ICMP, ICMPV6

if TYPE_CHECKING:
    from mypy_boto3_ec2.type_defs import (
        NetworkAclEntryTypeDef,
        NetworkAclTypeDef,
        NetworkInterfaceTypeDef,
        RouteTableTypeDef,
        SecurityGroupRuleTypeDef,
        SecurityGroupTypeDef,
        SubnetTypeDef,
        TagTypeDef,
    )

#: ICMP and ICMPv6 as ``DescribeNetworkAcls`` spells them.
_ICMP_PROTOCOLS = (str(ICMP), str(ICMPV6))

#: The implicit ``*`` entries (IPv4 32767, IPv6 32768) AWS lists last in every ACL.
FIRST_IMPLICIT_RULE_NUMBER = IMPLICIT_DENY_NUMBER


def tags_of(tags: Iterable[TagTypeDef] | None) -> dict[str, str]:
    """``[{"Key": k, "Value": v}]`` → ``{k: v}``."""
    return {t["Key"]: t.get("Value", "") for t in tags or () if "Key" in t}


def group_rule(answer: SecurityGroupRuleTypeDef) -> GroupRule:
    """One entry of ``describe_security_group_rules``: exactly one peer per ``sgr-…``."""
    group = answer.get("GroupId", "")
    rule_id = answer.get("SecurityGroupRuleId", "")
    referenced = answer.get("ReferencedGroupInfo", {}).get("GroupId")
    peers = sg_peers(
        group=group,
        cidrs=[c for c in (answer.get("CidrIpv4"),) if c],
        ipv6_cidrs=[c for c in (answer.get("CidrIpv6"),) if c],
        prefix_lists=[p for p in (answer.get("PrefixListId"),) if p],
        security_groups=[referenced] if referenced else [],
    )
    if len(peers) != 1:
        raise ValueError(f"rule {rule_id} of {group} names {len(peers)} peers, not one")
    traffic = sg_traffic(answer.get("IpProtocol"), answer.get("FromPort"), answer.get("ToPort"))
    direction = Direction.EGRESS if answer.get("IsEgress") else Direction.INGRESS
    description = answer.get("Description") or None
    (rule,) = sg_rules(
        group=group, direction=direction, traffic=traffic, peers=peers, description=description
    )
    return GroupRule(rule_id, rule, tags_of(answer.get("Tags")))


RuleKey = tuple[Direction, Traffic, Peer]


def permission_descriptions(answer: SecurityGroupTypeDef) -> dict[RuleKey, str]:
    """Each described rule's description, from the group's ``IpPermissions``/``…Egress``.

    moto's ``describe_security_group_rules`` leaves out the description of rules that
    reference a group (``describe_security_groups`` has it; AWS gives it in both), so the
    collector fills a missing one in from here.
    """
    group = answer.get("GroupId", "")
    found: dict[RuleKey, str] = {}
    for direction, permissions in (
        (Direction.INGRESS, answer.get("IpPermissions", [])),
        (Direction.EGRESS, answer.get("IpPermissionsEgress", [])),
    ):
        for permission in permissions:
            try:
                traffic = sg_traffic(
                    permission.get("IpProtocol"),
                    permission.get("FromPort"),
                    permission.get("ToPort"),
                )
            except ValueError:
                continue
            described: list[tuple[list[Peer], str | None]] = []
            described += [
                (sg_peers(group=group, cidrs=[r["CidrIp"]]), r.get("Description"))
                for r in permission.get("IpRanges", [])
                if "CidrIp" in r
            ]
            described += [
                (sg_peers(group=group, ipv6_cidrs=[r["CidrIpv6"]]), r.get("Description"))
                for r in permission.get("Ipv6Ranges", [])
                if "CidrIpv6" in r
            ]
            described += [
                (sg_peers(group=group, prefix_lists=[r["PrefixListId"]]), r.get("Description"))
                for r in permission.get("PrefixListIds", [])
                if "PrefixListId" in r
            ]
            described += [
                (sg_peers(group=group, security_groups=[r["GroupId"]]), r.get("Description"))
                for r in permission.get("UserIdGroupPairs", [])
                if "GroupId" in r
            ]
            for peers, text in described:
                if text:
                    found.update({(direction, traffic, peer): text for peer in peers})
    return found


def with_description(rule: GroupRule, descriptions: Mapping[RuleKey, str]) -> GroupRule:
    """``rule`` with its description filled in from ``permission_descriptions`` if missing."""
    if rule.rule.description:
        return rule
    text = descriptions.get((rule.rule.direction, rule.rule.traffic, rule.rule.peer))
    if text is None:
        return rule
    return replace(rule, rule=replace(rule.rule, description=text))


def security_group(answer: SecurityGroupTypeDef, rules: Iterable[GroupRule]) -> SecurityGroup:
    """A group from ``describe_security_groups`` with its rules (read separately, by id)."""
    descriptions = permission_descriptions(answer)
    read = tuple(rules)
    rules = [with_description(r, descriptions) for r in read]
    return SecurityGroup(
        id=answer.get("GroupId", ""),
        name=answer.get("GroupName", ""),
        description=answer.get("Description", ""),
        vpc_id=answer.get("VpcId"),
        rules=tuple(rules),
        tags=tags_of(answer.get("Tags")),
        descriptions_filled_in=any(a is not b for a, b in zip(read, rules, strict=True)),
    )


def acl_entry_of(answer: NetworkAclEntryTypeDef) -> AclEntry | None:
    """One numbered entry; ``None`` for the implicit ``*`` deny, which the evaluator applies
    to every ACL itself (moto lists no ``*`` entries for custom ACLs, AWS always does)."""
    number = answer.get("RuleNumber", 0)
    if number >= FIRST_IMPLICIT_RULE_NUMBER:
        return None
    ports = answer.get("PortRange", {})
    icmp = answer.get("IcmpTypeCode", {})
    traffic = acl_traffic(
        answer.get("Protocol"),
        ports.get("From"),
        ports.get("To"),
        icmp.get("Type"),
        icmp.get("Code"),
    )
    cidr = answer.get("CidrBlock") or answer.get("Ipv6CidrBlock")
    if not cidr:
        raise ValueError(f"entry {number} has neither CidrBlock nor Ipv6CidrBlock")
    return acl_entry(
        number=number,
        egress=bool(answer.get("Egress")),
        action=answer.get("RuleAction"),
        traffic=traffic,
        cidr=cidr,
    )


def network_acl(answer: NetworkAclTypeDef, entries: Iterable[AclEntry]) -> NetworkAcl:
    return NetworkAcl(
        id=answer.get("NetworkAclId", ""),
        vpc_id=answer.get("VpcId"),
        is_default=bool(answer.get("IsDefault")),
        subnet_ids=tuple(
            a["SubnetId"] for a in answer.get("Associations", []) if a.get("SubnetId")
        ),
        entries=tuple(entries),
        tags=tags_of(answer.get("Tags")),
        icmp_unreported=frozenset(
            (bool(e.get("Egress")), e.get("RuleNumber", 0))
            for e in answer.get("Entries", [])
            if e.get("Protocol") in _ICMP_PROTOCOLS and "IcmpTypeCode" not in e
        ),
    )


def _address(text: str | None) -> Address | None:
    if not text:
        return None
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def network_interface(answer: NetworkInterfaceTypeDef) -> NetworkInterface:
    ipv6 = (_address(a.get("Ipv6Address")) for a in answer.get("Ipv6Addresses", []))
    return NetworkInterface(
        id=answer.get("NetworkInterfaceId", ""),
        subnet_id=answer.get("SubnetId"),
        vpc_id=answer.get("VpcId"),
        groups=tuple(g["GroupId"] for g in answer.get("Groups", []) if g.get("GroupId")),
        private_address=_address(answer.get("PrivateIpAddress")),
        public_address=_address(answer.get("Association", {}).get("PublicIp")),
        ipv6_addresses=tuple(a for a in ipv6 if a is not None),
        description=answer.get("Description", ""),
        interface_type=answer.get("InterfaceType", "interface"),
        instance_id=answer.get("Attachment", {}).get("InstanceId"),
        requester_managed=bool(answer.get("RequesterManaged")),
    )


def subnet(answer: SubnetTypeDef) -> Subnet:
    cidr = answer.get("CidrBlock")
    return Subnet(
        id=answer.get("SubnetId", ""),
        vpc_id=answer.get("VpcId"),
        cidr=parse_cidr_lenient(cidr) if cidr else None,
        map_public_ip=bool(answer.get("MapPublicIpOnLaunch")),
    )


def route_table(answer: RouteTableTypeDef) -> RouteTable:
    """A table with the address families it sends to an internet gateway (``igw-…``; an
    egress-only gateway lets nothing in, so it does not count)."""
    versions: set[int] = set()
    for route in answer.get("Routes", []):
        if route.get("State", "active") != "active" or not route.get("GatewayId", "").startswith(
            "igw-"
        ):
            continue
        if route.get("DestinationCidrBlock"):
            versions.add(4)
        if route.get("DestinationIpv6CidrBlock"):
            versions.add(6)
    associations = answer.get("Associations", [])
    return RouteTable(
        id=answer.get("RouteTableId", ""),
        vpc_id=answer.get("VpcId"),
        main=any(a.get("Main") for a in associations),
        subnet_ids=tuple(a["SubnetId"] for a in associations if a.get("SubnetId")),
        internet_versions=frozenset(versions),
    )
