"""What "exposed to the internet" means, shared by the policy pack and the audit.

The port lists (Security Hub EC2.19, Prowler, admin and data-store ports), what counts as
the internet (a CIDR of prefix length 0 in either family, in any spelling), which ports a
rule's traffic opens, and how ports are named in messages. Pure: no Pulumi, no boto3.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from tierguard.rules.model import CidrPeer, SgRule, Traffic
from tierguard.rules.ports import PortRange
from tierguard.rules.protocols import TCP, UDP
from tierguard.rules.services import BUILTIN_SERVICES

#: Security Hub EC2.19's fixed list of high-risk ports.
EC2_19_PORTS = (
    20, 21, 22, 23, 25, 110, 135, 143, 445, 1433, 1434, 3000, 3306, 3389, 4333, 5000,
    5432, 5500, 5601, 8080, 8088, 8888, 9200, 9300,
)  # fmt: skip
#: Prowler's high-risk list, its per-service SG checks and its instance-port checks.
PROWLER_PORTS = (
    20, 21, 22, 23, 25, 88, 110, 135, 139, 143, 389, 445, 464, 636, 749, 750, 1433, 1434,
    1521, 2483, 2484, 3000, 3306, 3389, 4333, 5000, 5432, 5500, 5601, 6379, 7000, 7001,
    7199, 8080, 8088, 8888, 9042, 9092, 9160, 9200, 9300, 11211, 27017, 27018,
)  # fmt: skip
ADMIN_PORTS = (22, 3389)
#: The protocols whose ports count by default: admin ports over TCP and UDP, high-risk
#: ports over TCP (the pack's defaults, and the audit's fixed reading).
ADMIN_PROTOCOLS = (TCP, UDP)
HIGH_RISK_PROTOCOLS = (TCP,)
#: The widest public block that still counts as one party's range, by address family
#: (Prowler's ``ec2_securitygroup_allow_wide_open_public_ipv4`` draws the IPv4 line at /24).
#: Wider than this, a block is "part of the internet", not an admin or partner range.
NARROWEST_WIDE_PREFIX = {4: 24, 6: 48}
#: EC2.19 plus Prowler, minus the admin ports (they have their own, separately tunable policy).
HIGH_RISK_PORTS = tuple(sorted((set(EC2_19_PORTS) | set(PROWLER_PORTS)) - set(ADMIN_PORTS)))
#: Ports of data stores: databases, caches, search and queues.
DATA_STORE_PORTS = (
    1433, 1434, 1521, 2483, 2484, 3306, 5432, 6379, 7000, 7001, 7199, 9042, 9092, 9160, 9200,
    9300, 11211, 27017, 27018,
)  # fmt: skip

_EXTRA_LABELS = {
    20: "FTP data",
    21: "FTP",
    23: "Telnet",
    88: "Kerberos",
    110: "POP3",
    135: "MS RPC",
    139: "NetBIOS",
    143: "IMAP",
    445: "SMB/CIFS",
    464: "Kerberos",
    1434: "MSSQL browser",
    2483: "Oracle",
    2484: "Oracle TLS",
    4333: "mSQL",
    5000: "UPnP/dev servers",
    5500: "VNC",
    5601: "Kibana",
    7000: "Cassandra",
    7001: "Cassandra TLS",
    7199: "Cassandra JMX",
    8088: "Hadoop YARN",
    8888: "Cassandra/Jupyter",
    9160: "Cassandra Thrift",
    9300: "Elasticsearch transport",
    27018: "MongoDB",
}


def _labels() -> dict[int, str]:
    labels = dict(_EXTRA_LABELS)
    for service in BUILTIN_SERVICES.values():
        for traffic in service.traffic:
            if traffic.ports is not None and traffic.ports.first == traffic.ports.last:
                labels.setdefault(traffic.ports.first, service.label)
    return labels


PORT_LABELS = _labels()


def port_label(port: int) -> str:
    label = PORT_LABELS.get(port)
    return f"{port} ({label})" if label else str(port)


def ports_text(ports: Sequence[int], limit: int = 8) -> str:
    shown = ", ".join(port_label(p) for p in ports[:limit])
    more = len(ports) - limit
    return shown + (f" and {more} more" if more > 0 else "")


def peer_text(rule: SgRule) -> str:
    peer = rule.peer
    if isinstance(peer, CidrPeer) and peer.is_internet:
        family = "IPv4" if peer.network.version == 4 else "IPv6"
        return f"{peer} (the whole {family} internet)"
    return str(peer)


def internet(rule: SgRule) -> bool:
    return isinstance(rule.peer, CidrPeer) and rule.peer.is_internet


def exposed_ports(traffic: Traffic, ports: Iterable[int], protocols: Iterable[int]) -> list[int]:
    """Which of ``ports`` the traffic opens over any of ``protocols`` (all-protocols: all)."""
    wanted = tuple(protocols)
    return sorted({p for p in ports for proto in wanted if traffic.exposes_port(proto, p)})


def opens_all_ports(traffic: Traffic) -> bool:
    """All protocols, or a TCP/UDP range covering every port above 0."""
    if traffic.is_all:
        return True
    return (
        traffic.protocol in (TCP, UDP)
        and traffic.ports is not None
        and traffic.ports.covers(PortRange(1, 65535))
    )
