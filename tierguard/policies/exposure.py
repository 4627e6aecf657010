"""Security-group ingress from the internet: admin ports, all traffic, high-risk ports,
unauthorised ports and wide public blocks, for every way a rule can be written.

Only a CIDR peer of prefix length 0 (``0.0.0.0/0``, ``::/0`` in any spelling) is "the
internet"; ``self``, security-group references and prefix lists are not, and a ``self``
on the same block never hides the CIDRs next to it. Prefix lists defined in the same stack
are resolved by the stack policy in ``tierguard.policies.stack``.
"""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import EnforcementLevel, Severity

from tierguard.policies.base import (
    Metadata,
    PolicyViolation,
    ResourceContext,
    TierguardResourcePolicy,
)
from tierguard.policies.common import describe_rule, read_sg_rules, rule_text
from tierguard.policies.compliance import Compliance
from tierguard.policies.config import (
    IP_TYPES_SCHEMA,
    integer,
    port_list,
    protocol_list,
    string_list,
)
from tierguard.rules import ALL, TCP, UDP, Direction, PortRange
from tierguard.rules.addresses import contains
from tierguard.rules.exposure import (
    ADMIN_PORTS,
    ADMIN_PROTOCOLS,
    HIGH_RISK_PORTS,
    HIGH_RISK_PROTOCOLS,
    NARROWEST_WIDE_PREFIX,
    exposed_ports,
    internet,
    opens_all_ports,
    ports_text,
)
from tierguard.rules.model import CidrPeer
from tierguard.rules.normalize import SG_TYPES
from tierguard.rules.protocols import protocol_name

PROTOCOLS_SCHEMA = protocol_list(
    "Protocols whose ports count (tcp, udp; all-protocol rules always count).", ADMIN_PROTOCOLS
)


def check_admin_ports(ctx: ResourceContext) -> Iterator[PolicyViolation]:
    ports = ctx.settings.ports("adminPorts")
    protocols = ctx.settings.protocols("protocols")
    versions = ctx.settings.ip_versions("ipTypes")
    for sourced in read_sg_rules(ctx):
        rule = sourced.rule
        if rule.direction is not Direction.INGRESS or not internet(rule):
            continue
        if isinstance(rule.peer, CidrPeer) and rule.peer.network.version not in versions:
            continue
        hit = exposed_ports(rule.traffic, ports, protocols)
        if hit:
            yield PolicyViolation(
                f"{describe_rule(ctx.name, sourced)}, exposing remote-administration "
                f"port {ports_text(hit)} to anyone",
                why="Admin ports open to the internet are scanned and brute-forced within minutes.",
                rule=rule_text(sourced.rule),
            )


def check_all_traffic(ctx: ResourceContext) -> Iterator[PolicyViolation]:
    for sourced in read_sg_rules(ctx):
        rule = sourced.rule
        if rule.direction is not Direction.INGRESS or not internet(rule):
            continue
        if opens_all_ports(rule.traffic):
            what = "every protocol and port" if rule.traffic.is_all else "every port"
            yield PolicyViolation(
                f"{describe_rule(ctx.name, sourced)}: {what} of the members is reachable "
                "from anywhere",
                why="That includes services never meant to be public.",
                rule=rule_text(sourced.rule),
            )


def check_high_risk_ports(ctx: ResourceContext) -> Iterator[PolicyViolation]:
    ports = ctx.settings.ports("highRiskPorts")
    protocols = ctx.settings.protocols("protocols")
    for sourced in read_sg_rules(ctx):
        rule = sourced.rule
        if rule.direction is not Direction.INGRESS or not internet(rule):
            continue
        hit = exposed_ports(rule.traffic, ports, protocols)
        if hit:
            yield PolicyViolation(
                f"{describe_rule(ctx.name, sourced)}, exposing high-risk port(s) {ports_text(hit)}",
                why="These serve databases, file sharing, legacy cleartext protocols or admin "
                "consoles that are routinely attacked when public.",
                rule=rule_text(sourced.rule),
            )


def check_authorized_ports(ctx: ResourceContext) -> Iterator[PolicyViolation]:
    allowed = {
        TCP: ctx.settings.ports("authorizedTcpPorts"),
        UDP: ctx.settings.ports("authorizedUdpPorts"),
    }
    protocols = set(ctx.settings.protocols("authorizedProtocols"))
    for sourced in read_sg_rules(ctx):
        rule = sourced.rule
        if rule.direction is not Direction.INGRESS or not internet(rule):
            continue
        traffic = rule.traffic
        problem: str | None = None
        if traffic.protocol == ALL:
            problem = "all protocols"
        elif traffic.protocol in allowed and traffic.ports is not None:
            outside = _outside(traffic.ports, allowed[traffic.protocol])
            if outside:
                problem = f"{protocol_name(traffic.protocol).upper()} port(s) {outside}"
        elif traffic.protocol not in allowed and traffic.protocol not in protocols:
            problem = f"protocol {protocol_name(traffic.protocol)}"
        if problem:
            authorised = ", ".join(
                f"{protocol_name(p).upper()} {list(v)}" for p, v in allowed.items() if v
            )
            yield PolicyViolation(
                f"{describe_rule(ctx.name, sourced)}: {problem} is not on the list of ports "
                f"authorised for the internet ({authorised or 'none'})",
                why="Everything public should be a deliberate, reviewed choice.",
                rule=rule_text(sourced.rule),
            )


def _outside(ports: PortRange, allowed: tuple[int, ...]) -> str:
    if ports.size > 4096:
        return str(ports)
    bad = [p for p in range(ports.first, ports.last + 1) if p not in allowed]
    if not bad:
        return ""
    return ports_text(bad, limit=6)


def check_wide_public_cidr(ctx: ResourceContext) -> Iterator[PolicyViolation]:
    minimum = {4: ctx.settings.integer("minPrefixV4"), 6: ctx.settings.integer("minPrefixV6")}
    approved = ctx.settings.networks("approvedCidrs")
    for sourced in read_sg_rules(ctx):
        rule = sourced.rule
        peer = rule.peer
        if not isinstance(peer, CidrPeer) or peer.is_internet:
            continue
        network = peer.network
        if not network.is_global or network.prefixlen >= minimum[network.version]:
            continue
        if any(contains(a, network) for a in approved):
            continue
        yield PolicyViolation(
            f"{describe_rule(ctx.name, sourced)}: {network} is a public block of "
            f"{network.num_addresses:,} addresses, wider than /{minimum[network.version]}",
            why="Wide public ranges usually mean a guessed or copied range and let in far more "
            "hosts than the partner you meant.",
            rule=rule_text(sourced.rule),
        )


_SCOPE = (
    "Judges aws.ec2.SecurityGroup and DefaultSecurityGroup inline rules, "
    "aws.ec2.SecurityGroupRule and aws.vpc.SecurityGroupIngressRule/EgressRule."
)

SG_ADMIN_PORTS = TierguardResourcePolicy(
    Metadata(
        name="aws-ec2-sg-no-admin-ports-from-internet",
        compliance=Compliance(
            cis=("5.3", "5.4"),
            security_hub=("EC2.53", "EC2.54", "EC2.13", "EC2.14"),
            aws_config=("vpc-sg-port-restriction-check", "restricted-ssh"),
            checkov=("CKV_AWS_24", "CKV_AWS_25"),
            prowler=(
                "ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_22",
                "ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_3389",
            ),
        ),
        description="Security groups must not open remote-administration ports (SSH 22, "
        "RDP 3389) to 0.0.0.0/0 or ::/0. " + _SCOPE,
        enforcement_level=EnforcementLevel.MANDATORY,
        severity=Severity.HIGH,
        remediation="Allow them only from a bastion or VPN security group or an admin CIDR "
        "(e.g. your office /32), or use SSM Session Manager and remove the rule.",
        parameters={
            "adminPorts": port_list("Remote-administration ports.", ADMIN_PORTS),
            "protocols": PROTOCOLS_SCHEMA,
            "ipTypes": IP_TYPES_SCHEMA,
        },
    ),
    check_admin_ports,
    types=SG_TYPES,
)

SG_ALL_TRAFFIC = TierguardResourcePolicy(
    Metadata(
        name="aws-ec2-sg-no-all-traffic-from-internet",
        compliance=Compliance(
            cis=("5.3", "5.4"),  # every port includes the admin ports (Prowler's CIS 5.0 map)
            checkov=("CKV_AWS_277",),
            prowler=("ec2_securitygroup_allow_ingress_from_internet_to_all_ports",),
        ),
        description="Security groups must not allow all protocols, or every TCP/UDP port, "
        "from 0.0.0.0/0 or ::/0. " + _SCOPE,
        enforcement_level=EnforcementLevel.MANDATORY,
        severity=Severity.CRITICAL,
        remediation="Replace the rule with rules for the specific ports the tier serves "
        "(e.g. TCP 443), and use security-group references for traffic between tiers.",
    ),
    check_all_traffic,
    types=SG_TYPES,
)

SG_HIGH_RISK_PORTS = TierguardResourcePolicy(
    Metadata(
        name="aws-ec2-sg-no-high-risk-ports-from-internet",
        compliance=Compliance(
            security_hub=("EC2.19",),
            aws_config=("restricted-common-ports",),
            prowler=("ec2_securitygroup_allow_ingress_from_internet_to_high_risk_tcp_ports",),
        ),
        description="Security groups must not open high-risk ports (Security Hub EC2.19 and "
        "Prowler's lists) to 0.0.0.0/0 or ::/0. " + _SCOPE,
        enforcement_level=EnforcementLevel.MANDATORY,
        severity=Severity.HIGH,
        remediation="Narrow the port range, and reach such services through a security-group "
        "reference from the tier that needs them, or a VPN/private CIDR.",
        parameters={
            "highRiskPorts": port_list(
                "High-risk ports (default: EC2.19 plus Prowler, without the admin ports).",
                HIGH_RISK_PORTS,
            ),
            "protocols": protocol_list("Protocols whose ports count.", HIGH_RISK_PROTOCOLS),
        },
    ),
    check_high_risk_ports,
    types=SG_TYPES,
)

SG_AUTHORIZED_PORTS = TierguardResourcePolicy(
    Metadata(
        name="aws-ec2-sg-public-ingress-authorized-ports-only",
        compliance=Compliance(
            security_hub=("EC2.18",),
            aws_config=("vpc-sg-open-only-to-authorized-ports",),
            prowler=("ec2_securitygroup_allow_ingress_from_internet_to_any_port",),
        ),
        description="Ingress from 0.0.0.0/0 or ::/0 may only use authorised ports (default "
        "TCP 80 and 443), like Security Hub EC2.18. " + _SCOPE,
        enforcement_level=EnforcementLevel.ADVISORY,
        severity=Severity.HIGH,
        remediation="Restrict the rule to authorised ports, or add the port to "
        "authorizedTcpPorts/authorizedUdpPorts in the pack config if it is meant to be public.",
        parameters={
            "authorizedTcpPorts": port_list("TCP ports that may be public.", [80, 443]),
            "authorizedUdpPorts": port_list("UDP ports that may be public.", []),
            "authorizedProtocols": string_list(
                "Other protocols that may be public (e.g. icmp).", []
            ),
        },
    ),
    check_authorized_ports,
    types=SG_TYPES,
)

SG_WIDE_PUBLIC_CIDR = TierguardResourcePolicy(
    Metadata(
        name="aws-ec2-sg-no-wide-public-cidr",
        compliance=Compliance(prowler=("ec2_securitygroup_allow_wide_open_public_ipv4",)),
        description="Security-group rules must not name public blocks wider than /24 (IPv4) "
        "or /48 (IPv6) other than the whole internet, which other policies judge. " + _SCOPE,
        enforcement_level=EnforcementLevel.ADVISORY,
        severity=Severity.MEDIUM,
        remediation="Use the partner's exact ranges (or a managed prefix list), or add the "
        "block to approvedCidrs with a reason.",
        parameters={
            "minPrefixV4": integer(
                "Narrowest allowed IPv4 prefix length.", NARROWEST_WIDE_PREFIX[4], 1, 32
            ),
            "minPrefixV6": integer(
                "Narrowest allowed IPv6 prefix length.", NARROWEST_WIDE_PREFIX[6], 1, 128
            ),
            "approvedCidrs": string_list("Public blocks that are fine however wide.", []),
        },
    ),
    check_wide_public_cidr,
    types=SG_TYPES,
)
