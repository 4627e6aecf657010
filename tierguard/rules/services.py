"""The catalogue of named services (``service: https``), after terraform-aws-security-group.

Each name maps to a label used in generated descriptions and to the traffic it opens;
a few services need more than one protocol (DNS over UDP and TCP).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from tierguard.rules import ICMP, TCP, UDP, IcmpMatch, PortRange, Traffic


@dataclass(frozen=True)
class Service:
    """A named service: what descriptions call it and the traffic it needs."""

    label: str
    traffic: tuple[Traffic, ...]


def _tcp(label: str, first: int, last: int | None = None) -> Service:
    return Service(label, (Traffic.of(TCP, PortRange(first, last or first)),))


def _udp(label: str, first: int, last: int | None = None) -> Service:
    return Service(label, (Traffic.of(UDP, PortRange(first, last or first)),))


def _both(label: str, port: int) -> Service:
    ports = PortRange.single(port)
    return Service(label, (Traffic.of(TCP, ports), Traffic.of(UDP, ports)))


BUILTIN_SERVICES: Mapping[str, Service] = {
    "http": _tcp("HTTP", 80),
    "https": _tcp("HTTPS", 443),
    "http-8080": _tcp("HTTP 8080", 8080),
    "https-8443": _tcp("HTTPS 8443", 8443),
    "ssh": _tcp("SSH", 22),
    "rdp": Service(
        "RDP",
        (Traffic.of(TCP, PortRange.single(3389)), Traffic.of(UDP, PortRange.single(3389))),
    ),
    "winrm": _tcp("WinRM", 5985, 5986),
    "mysql": _tcp("MySQL/Aurora", 3306),
    "postgresql": _tcp("PostgreSQL", 5432),
    "mssql": _tcp("MSSQL", 1433),
    "oracle": _tcp("Oracle", 1521),
    "redis": _tcp("Redis", 6379),
    "memcached": _tcp("Memcached", 11211),
    "mongodb": _tcp("MongoDB", 27017),
    "cassandra": _tcp("Cassandra", 9042),
    "elasticsearch": _tcp("Elasticsearch", 9200),
    "kafka": _tcp("Kafka", 9092),
    "zookeeper": _tcp("ZooKeeper", 2181),
    "rabbitmq": _tcp("RabbitMQ", 5672),
    "nfs": _tcp("NFS", 2049),
    "ldap": _tcp("LDAP", 389),
    "ldaps": _tcp("LDAPS", 636),
    "smtp": _tcp("SMTP", 25),
    "smtps": _tcp("SMTPS", 465),
    "smtp-submission": _tcp("SMTP submission", 587),
    "imaps": _tcp("IMAPS", 993),
    "dns": _both("DNS", 53),
    "ntp": _udp("NTP", 123),
    "kubernetes-api": _tcp("Kubernetes API", 6443),
    "etcd": _tcp("etcd", 2379, 2380),
    "prometheus": _tcp("Prometheus", 9090),
    "node-exporter": _tcp("Prometheus node exporter", 9100),
    "grafana": _tcp("Grafana", 3000),
    "consul": _tcp("Consul", 8500),
    "openvpn": _udp("OpenVPN", 1194),
    "wireguard": _udp("WireGuard", 51820),
    "ping": Service("ICMP echo request", (Traffic.of(ICMP, icmp=IcmpMatch(8, -1)),)),
}
