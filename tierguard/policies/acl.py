"""Network ACLs judged as AWS evaluates them.

Inline entries of ``NetworkAcl``/``DefaultNetworkAcl`` and separate ``NetworkAclRule``
resources are merged per ACL, tried lowest rule number first, first match wins, the
implicit ``*`` rule denies. "From the internet" means a packet from an ordinary public
address that no more specific entry singles out: an ``allow 1.2.3.4/32`` is not internet
exposure, a ``deny 0.0.0.0/0`` before an allow closes the port, and a deny is never a
finding.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator

from pulumi_policy import EnforcementLevel, Severity

from tierguard.policies.base import Metadata, PolicyViolation, StackContext, TierguardStackPolicy
from tierguard.policies.common import entry_text
from tierguard.policies.compliance import Compliance
from tierguard.policies.config import IP_TYPES_SCHEMA, port_list, protocol_list
from tierguard.policies.graph import AclView, LocatedEntry, StackView
from tierguard.rules import ALL, TCP, UDP, AclAction, Packet, PortRange, evaluate_acl
from tierguard.rules.acl import (
    allowed_ports,
    is_return_rule,
    representative_address,
    uncovered,
)
from tierguard.rules.addresses import INTERNET, IPNetwork, contains
from tierguard.rules.exposure import (
    ADMIN_PORTS,
    ADMIN_PROTOCOLS,
    HIGH_RISK_PORTS,
    HIGH_RISK_PROTOCOLS,
    port_label,
)
from tierguard.rules.protocols import protocol_name

#: A protocol number (reserved for experiments) that only all-protocol entries match.
_PROBE_PROTOCOL = 253

_SCOPE = (
    "Inline NetworkAcl/DefaultNetworkAcl entries and NetworkAclRule resources are merged "
    "per ACL and evaluated in rule-number order (first match wins, implicit deny)."
)


def _internet_address(
    acl: AclView, space: IPNetwork
) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    avoid = [e.cidr for e in acl.acl_entries if not e.egress]
    return representative_address(space, avoid)


def _port_findings(
    acl: AclView,
    ports: tuple[int, ...],
    protocols: tuple[int, ...],
    kind: str,
    why: str,
    *,
    skip_return_rules: bool,
    versions: frozenset[int] = frozenset({4, 6}),
) -> Iterator[PolicyViolation]:
    for space in INTERNET.values():
        if space.version not in versions:
            continue
        address = _internet_address(acl, space)
        if address is None:
            continue
        by_entry: dict[str, list[str]] = {}
        sources: dict[str, LocatedEntry | None] = {}
        for protocol in protocols:
            if protocol not in (TCP, UDP):
                continue
            allowed = allowed_ports(
                acl.acl_entries, egress=False, protocol=protocol, address=address
            )
            for port in ports:
                if not any(port in block for block in allowed):
                    continue
                decision = evaluate_acl(
                    acl.acl_entries, egress=False, packet=Packet(protocol, address, port)
                )
                if skip_return_rules and is_return_rule(decision.entry):
                    continue
                located = acl.located(decision.entry)
                label = located.where if located else "an entry"
                sources[label] = located
                by_entry.setdefault(label, []).append(
                    f"{protocol_name(protocol).upper()} {port_label(port)}"
                )
        for label, hits in by_entry.items():
            shown = ", ".join(hits[:8]) + (f" and {len(hits) - 8} more" if len(hits) > 8 else "")
            located = sources[label]
            urn, name = acl.subject(located)
            yield PolicyViolation(
                f"network ACL {acl.name}: {label} allows {kind} {shown} in from {space} (the "
                "whole internet)",
                why=f"{why}{acl.unseen_note}",
                rule=entry_text(located.entry) if located else None,
                urn=urn,
                name=name,
            )


def check_acl_admin_ports(ctx: StackContext) -> Iterator[PolicyViolation]:
    view = StackView(ctx)
    ports = ctx.settings.ports("adminPorts")
    protocols = ctx.settings.protocols("protocols")
    for acl in view.acls.values():
        yield from _port_findings(
            acl,
            ports,
            protocols,
            "remote-administration",
            "The ACL is the subnet-wide backstop: with it open, one permissive security "
            "group exposes SSH/RDP to the world.",
            skip_return_rules=bool(ctx.settings.value("ignoreReturnTrafficRules")),
            versions=ctx.settings.ip_versions("ipTypes"),
        )


def check_acl_high_risk_ports(ctx: StackContext) -> Iterator[PolicyViolation]:
    view = StackView(ctx)
    ports = ctx.settings.ports("highRiskPorts")
    protocols = ctx.settings.protocols("protocols")
    for acl in view.acls.values():
        yield from _port_findings(
            acl,
            ports,
            protocols,
            "high-risk",
            "Databases, file sharing and legacy services should never be reachable from the "
            "internet at the subnet edge.",
            skip_return_rules=bool(ctx.settings.value("ignoreReturnTrafficRules")),
        )


def check_acl_all_traffic(ctx: StackContext) -> Iterator[PolicyViolation]:
    view = StackView(ctx)
    for acl in view.acls.values():
        for space in INTERNET.values():
            address = _internet_address(acl, space)
            if address is None:
                continue
            decision = evaluate_acl(
                acl.acl_entries, egress=False, packet=Packet(_PROBE_PROTOCOL, address)
            )
            what = "all protocols"
            if not decision.allowed:
                tcp = allowed_ports(acl.acl_entries, egress=False, protocol=TCP, address=address)
                if not any(b.covers(PortRange(1, 65535)) for b in tcp):
                    continue
                decision = evaluate_acl(
                    acl.acl_entries, egress=False, packet=Packet(TCP, address, 22)
                )
                what = "every TCP port"
            located = acl.located(decision.entry)
            label = located.where if located else "an entry"
            default = " (the default ACL's allow-all rule)" if acl.is_default else ""
            urn, name = acl.subject(located)
            yield PolicyViolation(
                f"network ACL {acl.name}: {label}{default} allows {what} in from {space} (the "
                "whole internet)",
                why=f"The subnet has no network-level boundary at all.{acl.unseen_note}",
                rule=entry_text(located.entry) if located else None,
                urn=urn,
                name=name,
            )


def check_return_traffic(ctx: StackContext) -> Iterator[PolicyViolation]:
    view = StackView(ctx)
    ephemeral = ctx.settings.port_range("ephemeralPorts")
    for acl in view.acls.values():
        if acl.external:
            continue  # the replies may be allowed by entries the stack does not see
        entries = acl.acl_entries
        for located in acl.entries:
            entry = located.entry
            if entry.action.value != "allow":
                continue
            traffic = entry.traffic
            if traffic.protocol == ALL:
                protocol = TCP
            elif traffic.protocol in (TCP, UDP) and traffic.ports is not None:
                protocol = traffic.protocol
                if is_return_rule(entry, ephemeral):
                    continue  # itself the reply path of flows the other way
            else:
                continue
            inner = [
                e.cidr for e in entries if e.cidr != entry.cidr and contains(entry.cidr, e.cidr)
            ]
            address = representative_address(entry.cidr, inner, public=False)
            if address is None:
                continue
            port = traffic.ports.first if traffic.ports is not None else 443
            first = evaluate_acl(
                entries, egress=entry.egress, packet=Packet(protocol, address, port)
            )
            if first.entry is not entry:
                continue  # shadowed; aws-ec2-nacl-no-shadowed-rules reports it
            allowed = allowed_ports(
                entries, egress=not entry.egress, protocol=protocol, address=address
            )
            gaps = uncovered(ephemeral, allowed)
            if not gaps:
                continue
            blocker = evaluate_acl(
                entries, egress=not entry.egress, packet=Packet(protocol, address, gaps[0].first)
            )
            blocked_by = acl.located(blocker.entry)
            by = blocked_by.where if blocked_by else "the implicit deny (*)"
            inbound = not entry.egress
            flow = "in from" if inbound else "out to"
            back = "outbound" if inbound else "inbound"
            reply = entry.direction.opposite
            missing = ", ".join(str(g) for g in gaps[:4])
            yield PolicyViolation(
                f"network ACL {acl.name}: {located.where} allows {traffic} {flow} "
                f"{entry.cidr}, but {back} {protocol_name(protocol).upper()} {missing} "
                f"{reply.preposition} {entry.cidr} (the ephemeral ports replies use) "
                f"is denied by {by}",
                why="ACLs are stateless: without that, the replies are dropped and "
                "connections hang.",
                fix=f"Add an {reply} allow for {protocol_name(protocol).upper()} "
                f"{ephemeral} {reply.preposition} {entry.cidr}, numbered before any "
                "deny that matches it.",
                rule=entry_text(entry),
                urn=acl.key,
                name=acl.name,
            )


def check_acl_attached(ctx: StackContext) -> Iterator[PolicyViolation]:
    view = StackView(ctx)
    for acl in view.acls.values():
        if acl.is_default or acl.subnets or acl.external:
            continue
        if acl.subnets_unknown:
            ctx.unknown(f"{acl.name}: subnetIds is unknown")
            continue
        yield PolicyViolation(
            f"network ACL {acl.name} is associated with no subnet (no subnetIds, no "
            "NetworkAclAssociation)",
            why="Its rules protect nothing while looking like they do.",
            urn=acl.key,
            name=acl.name,
        )


def check_shadowed_entries(ctx: StackContext) -> Iterator[PolicyViolation]:
    view = StackView(ctx)
    for acl in view.acls.values():
        for egress in (False, True):
            ordered = sorted(
                (e for e in acl.entries if e.entry.egress == egress), key=lambda e: e.entry.number
            )
            for index, later in enumerate(ordered):
                for earlier in ordered[:index]:
                    a, b = earlier.entry, later.entry
                    if not contains(a.cidr, b.cidr):
                        continue
                    if not a.traffic.covers(b.traffic):
                        continue
                    verb = "allows" if a.action is AclAction.ALLOW else "denies"
                    if a.action == b.action:
                        effect = f"is redundant: {earlier.where} already {verb} it"
                    else:
                        effect = (
                            f"never takes effect: {earlier.where} already {verb} "
                            f"{a.traffic} for {a.cidr}, so this {b.action.value} is dead"
                        )
                    yield PolicyViolation(
                        f"network ACL {acl.name}: {later.where} ({b}) {effect}",
                        why="Evaluation stops at the first match, so the rule misleads readers "
                        "about what the ACL does.",
                        rule=entry_text(b),
                        urn=acl.subject(later)[0],
                        name=acl.subject(later)[1],
                    )
                    break


_IGNORE_RETURN = {
    "type": "boolean",
    "description": "Do not report ports that are open only through a return-traffic allow "
    "(TCP/UDP from 1024 or above up to 65535): ACLs are stateless and need it; the security "
    "groups guard those ports. Set false for Security Hub EC2.21's stricter reading.",
    "default": True,
}
_DENY_FIRST = (
    "Add a lower-numbered deny for these ports from the internet (0.0.0.0/0 or ::/0), or "
    "narrow the allow to the CIDRs that need them."
)
_PORTS_PROTOCOLS = protocol_list("Protocols whose ports count (tcp, udp).", ADMIN_PROTOCOLS)

ACL_ADMIN_PORTS = TierguardStackPolicy(
    Metadata(
        name="aws-ec2-nacl-no-admin-ports-from-internet",
        compliance=Compliance(
            cis=("5.2",),
            security_hub=("EC2.21",),
            aws_config=("nacl-no-unrestricted-ssh-rdp",),
            checkov=("CKV_AWS_232", "CKV_AWS_231"),
            prowler=(
                "ec2_networkacl_allow_ingress_tcp_port_22",
                "ec2_networkacl_allow_ingress_tcp_port_3389",
            ),
        ),
        description="Network ACLs must not let remote-administration ports (SSH 22, RDP 3389) "
        "in from 0.0.0.0/0 or ::/0. " + _SCOPE,
        enforcement_level=EnforcementLevel.MANDATORY,
        severity=Severity.HIGH,
        remediation=_DENY_FIRST,
        parameters={
            "adminPorts": port_list("Remote-administration ports.", ADMIN_PORTS),
            "protocols": _PORTS_PROTOCOLS,
            "ipTypes": IP_TYPES_SCHEMA,
            "ignoreReturnTrafficRules": _IGNORE_RETURN,
        },
    ),
    check_acl_admin_ports,
)

ACL_ALL_TRAFFIC = TierguardStackPolicy(
    Metadata(
        name="aws-ec2-nacl-no-all-traffic-from-internet",
        compliance=Compliance(
            cis=("5.2",),  # every port includes the admin ports (Prowler's CIS 5.0 map)
            prowler=("ec2_networkacl_allow_ingress_any_port",),
        ),
        description="Network ACLs must not let all protocols (or every TCP port) in from "
        "0.0.0.0/0 or ::/0. " + _SCOPE,
        enforcement_level=EnforcementLevel.MANDATORY,
        severity=Severity.HIGH,
        remediation="Replace it with allows for the ports the subnet serves (plus return "
        "traffic on the ephemeral range) and let the implicit deny close the rest.",
    ),
    check_acl_all_traffic,
)

ACL_HIGH_RISK_PORTS = TierguardStackPolicy(
    Metadata(
        name="aws-ec2-nacl-no-high-risk-ports-from-internet",
        compliance=Compliance(checkov=("CKV_AWS_230", "CKV_AWS_229")),
        description="Network ACLs must not let high-risk ports (EC2.19 plus Prowler's lists) in "
        "from 0.0.0.0/0 or ::/0. " + _SCOPE,
        enforcement_level=EnforcementLevel.MANDATORY,
        severity=Severity.HIGH,
        remediation=_DENY_FIRST,
        parameters={
            "highRiskPorts": port_list("High-risk ports.", HIGH_RISK_PORTS),
            "protocols": protocol_list("Protocols whose ports count.", HIGH_RISK_PROTOCOLS),
            "ignoreReturnTrafficRules": _IGNORE_RETURN,
        },
    ),
    check_acl_high_risk_ports,
)

ACL_RETURN_TRAFFIC = TierguardStackPolicy(
    Metadata(
        name="aws-ec2-nacl-return-traffic-allowed",
        description="Every flow a network ACL allows in (or out) must have its return traffic "
        "on the ephemeral range allowed in the other direction: ACLs are stateless.",
        enforcement_level=EnforcementLevel.ADVISORY,
        severity=Severity.MEDIUM,
        remediation="Add the ephemeral-port allow in the opposite direction for the same CIDR.",
        parameters={
            "ephemeralPorts": {
                "type": "string",
                "pattern": r"^\d{1,5}-\d{1,5}$",
                "description": "The client port range replies use (ELB/NAT: 1024-65535; "
                "Linux: 32768-60999).",
                "default": "1024-65535",
            }
        },
    ),
    check_return_traffic,
)

ACL_ATTACHED = TierguardStackPolicy(
    Metadata(
        name="aws-ec2-nacl-attached-to-subnet",
        compliance=Compliance(
            security_hub=("EC2.16",),
            aws_config=("vpc-network-acl-unused-check",),
            checkov=("CKV2_AWS_1",),
            prowler=("ec2_networkacl_unused",),
        ),
        description="Network ACLs (other than the default) should be associated with at least "
        "one subnet.",
        enforcement_level=EnforcementLevel.ADVISORY,
        severity=Severity.LOW,
        remediation="Associate it with its subnets (subnetIds or "
        "aws.ec2.NetworkAclAssociation), or delete it.",
        topic="hygiene",
    ),
    check_acl_attached,
)

ACL_SHADOWED = TierguardStackPolicy(
    Metadata(
        name="aws-ec2-nacl-no-shadowed-rules",
        description="Network ACL entries should not be shadowed by an earlier (lower-numbered) "
        "entry that already matches all their traffic: redundant, or an allow/deny that never "
        "takes effect.",
        enforcement_level=EnforcementLevel.ADVISORY,
        severity=Severity.LOW,
        remediation="Remove it, or give it a lower number than the broader rule if it was "
        "meant to win.",
        topic="hygiene",
    ),
    check_shadowed_entries,
)
