"""An independent judge of security-group rules, packet by packet, on moto's raw answers.

Written from AWS's documentation of ``DescribeSecurityGroupRules`` and nothing in
``tierguard``: protocol ``-1`` is every protocol, ``FromPort``/``ToPort`` bound TCP/UDP
ports (``-1``: all), a rule's peer is a CIDR (contains the address) or a referenced group
(the far end's interface carries it). Used to check the attribution, never by it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

NUMBERS = {"tcp": 6, "udp": 17, "icmp": 1, "icmpv6": 58}


@dataclass(frozen=True)
class RawRule:
    id: str
    group: str
    egress: bool
    protocol: int
    first: int
    last: int
    cidr: str | None
    group_peer: str | None

    def admits(self, protocol: int, port: int | None, far: str, far_groups: Sequence[str]) -> bool:
        if self.protocol not in (-1, protocol):
            return False
        bounded = protocol in (6, 17) and self.protocol != -1 and self.first != -1
        if bounded and (port is None or not self.first <= port <= self.last):
            return False
        if self.cidr is not None:
            address = ipaddress.ip_address(far)
            network = ipaddress.ip_network(self.cidr)
            return address.version == network.version and address in network
        return self.group_peer is not None and self.group_peer in far_groups


def raw_rules(ec2: Any) -> list[RawRule]:
    found = []
    for r in ec2.describe_security_group_rules()["SecurityGroupRules"]:
        text = str(r["IpProtocol"]).lower()
        found.append(
            RawRule(
                id=r["SecurityGroupRuleId"],
                group=r["GroupId"],
                egress=bool(r["IsEgress"]),
                protocol=-1
                if text == "-1"
                else NUMBERS.get(text, int(text) if text.isdigit() else -2),
                first=int(r.get("FromPort", -1)),
                last=int(r.get("ToPort", -1)),
                cidr=r.get("CidrIpv4") or r.get("CidrIpv6"),
                group_peer=(r.get("ReferencedGroupInfo") or {}).get("GroupId"),
            )
        )
    return found


def interface_groups(ec2: Any) -> tuple[Mapping[str, list[str]], Mapping[str, list[str]]]:
    """Interface id → its groups, and private address → the groups of its interfaces."""
    by_id: dict[str, list[str]] = {}
    by_address: dict[str, list[str]] = {}
    for eni in ec2.describe_network_interfaces()["NetworkInterfaces"]:
        groups = [g["GroupId"] for g in eni["Groups"]]
        by_id[eni["NetworkInterfaceId"]] = groups
        by_address.setdefault(eni["PrivateIpAddress"], []).extend(groups)
    return by_id, by_address
