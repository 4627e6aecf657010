"""Pure semantics of security-group rules and network-ACL entries.

No Pulumi and no boto3 here: the config validation, the Pulumi program, the policy pack,
the reachability analysis and the audit all normalise into these types and share one
implementation of what a protocol, a port range, an address and an ACL decision mean.
"""

from tierguard.rules.acl import AclDecision, evaluate_acl
from tierguard.rules.addresses import (
    IPNetwork,
    canonical_cidr,
    is_internet,
    parse_cidr,
    parse_cidr_lenient,
)
from tierguard.rules.model import (
    AclAction,
    AclEntry,
    CidrPeer,
    Direction,
    Packet,
    Peer,
    PrefixListPeer,
    SecurityGroupPeer,
    SgRule,
    Traffic,
)
from tierguard.rules.ports import ALL_PORTS, EPHEMERAL_PORTS, IcmpMatch, PortRange, parse_ports
from tierguard.rules.protocols import (
    ALL,
    ICMP,
    ICMPV6,
    TCP,
    UDP,
    parse_protocol,
    protocol_has_ports,
    protocol_name,
)

__all__ = [
    "ALL",
    "ALL_PORTS",
    "EPHEMERAL_PORTS",
    "ICMP",
    "ICMPV6",
    "TCP",
    "UDP",
    "AclAction",
    "AclDecision",
    "AclEntry",
    "CidrPeer",
    "Direction",
    "IPNetwork",
    "IcmpMatch",
    "Packet",
    "Peer",
    "PortRange",
    "PrefixListPeer",
    "SecurityGroupPeer",
    "SgRule",
    "Traffic",
    "canonical_cidr",
    "evaluate_acl",
    "is_internet",
    "parse_cidr",
    "parse_cidr_lenient",
    "parse_ports",
    "parse_protocol",
    "protocol_has_ports",
    "protocol_name",
]
