"""The provider arguments of each planned rule and entry, as the components pass them.

Apart from the components (which import ``pulumi_aws``) so that ``tierguard check``, which
derives the same registrations from the plan (``tierguard.offline.planned``), loads no
provider SDK.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Required, TypedDict

from tierguard.plan import PlannedAclEntry, PlannedSgRule
from tierguard.rules import ALL, CidrPeer, PrefixListPeer
from tierguard.rules.protocols import is_icmp, protocol_name

if TYPE_CHECKING:
    import pulumi


class EntryArgs(TypedDict, total=False):
    """The provider arguments an entry sets, typed as ``NetworkAclRule`` takes them."""

    rule_number: Required[int]
    egress: Required[bool]
    rule_action: Required[str]
    protocol: Required[str]
    cidr_block: str
    ipv6_cidr_block: str
    from_port: int
    to_port: int
    icmp_type: int
    icmp_code: int


def entry_args(planned: PlannedAclEntry) -> EntryArgs:
    """Provider arguments for one entry; protocols as numbers, as EC2 returns them."""
    entry = planned.entry
    traffic = entry.traffic
    args: EntryArgs = {
        "rule_number": entry.number,
        "egress": entry.egress,
        "rule_action": entry.action.value,
        "protocol": str(traffic.protocol),
    }
    if entry.cidr.version == 4:
        args["cidr_block"] = entry.cidr.compressed
    else:
        args["ipv6_cidr_block"] = entry.cidr.compressed
    if traffic.protocol == ALL:
        return args
    if traffic.ports is not None:
        args["from_port"] = traffic.ports.first
        args["to_port"] = traffic.ports.last
    elif traffic.icmp is not None:
        args["icmp_type"] = traffic.icmp.type
        args["icmp_code"] = traffic.icmp.code
    return args


class RuleArgs(TypedDict, total=False):
    """The provider arguments a rule sets, typed as ``SecurityGroupIngressRule`` and
    ``SecurityGroupEgressRule`` take them (the two share every one)."""

    ip_protocol: Required[str]
    description: Required[str]
    from_port: int
    to_port: int
    cidr_ipv4: str
    cidr_ipv6: str
    referenced_security_group_id: pulumi.Input[str]
    prefix_list_id: str


def rule_args(planned: PlannedSgRule, group_ids: Mapping[str, pulumi.Input[str]]) -> RuleArgs:
    """Provider arguments for one rule: exactly one peer; ports only where AWS has them.

    For ``-1`` the ports are omitted (setting them gives a perpetual diff and
    ``InvalidParameterValue``); for ICMP, ``from_port``/``to_port`` carry type and code.
    """
    traffic = planned.rule.traffic
    args: RuleArgs = {
        "ip_protocol": "-1" if traffic.protocol == ALL else protocol_name(traffic.protocol),
        "description": planned.description,
    }
    if traffic.ports is not None:
        args["from_port"] = traffic.ports.first
        args["to_port"] = traffic.ports.last
    elif traffic.icmp is not None and is_icmp(traffic.protocol):
        args["from_port"] = traffic.icmp.type
        args["to_port"] = traffic.icmp.code
    peer = planned.rule.peer
    group = planned.referenced_group(group_ids)
    if isinstance(peer, CidrPeer) and peer.network.version == 4:
        args["cidr_ipv4"] = peer.network.compressed
    elif isinstance(peer, CidrPeer):
        args["cidr_ipv6"] = peer.network.compressed
    elif group is not None:
        args["referenced_security_group_id"] = group
    elif isinstance(peer, PrefixListPeer):
        args["prefix_list_id"] = peer.prefix_list
    return args
