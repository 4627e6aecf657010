"""Internet exposure as it really is: security group, network ACL, public address.

The interface is public when it has a public address of the rule's family and its
subnet's route table (explicit, else the VPC's main one) routes that family to an internet
gateway.

A rule is *sensitive* with exactly the pack's semantics (``tierguard.policies.common``):
ingress from ``0.0.0.0/0`` or ``::/0`` that opens an admin port (TCP or UDP), a high-risk
port (TCP), or every port. For each interface carrying the group, the path from "the
internet at large" is walked with the reachability analysis (``tierguard.reach``): the
subnet's ACL by rule number with its implicit deny, and the replies back out on the
client's ephemeral ports (ACLs are stateless). The finding is an error only when the
security group, the ACL and a routed public address all line up; otherwise a warning says
what stops it today.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from tierguard.audit.findings import EXPOSURE_LATENT, EXPOSURE_REACHABLE, AuditFinding, Resource
from tierguard.audit.usage import Use
from tierguard.deployed.inventory import (
    GroupRule,
    NetworkInterface,
    RegionInventory,
    SecurityGroup,
)
from tierguard.reach.analysis import Reach, ReachFinding, Verdict, reach
from tierguard.reach.topology import (
    AclNode,
    LabeledRule,
    TierNode,
    Topology,
    member_placement,
    sources_of,
)
from tierguard.rules import ALL, CidrPeer, Direction
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
from tierguard.rules.protocols import protocol_name


@dataclass(frozen=True)
class Sensitive:
    """What a public ingress rule opens that matters."""

    all_ports: bool
    admin: tuple[int, ...]
    high_risk: tuple[int, ...]

    def __bool__(self) -> bool:
        return self.all_ports or bool(self.admin or self.high_risk)

    def probes(self) -> list[tuple[int, int]]:
        """(protocol, port) pairs whose reachability decides the level."""
        admin = ADMIN_PORTS if self.all_ports else self.admin
        high = HIGH_RISK_PORTS if self.all_ports else self.high_risk
        return [(p, port) for port in admin for p in ADMIN_PROTOCOLS] + [
            (p, port) for port in high for p in HIGH_RISK_PROTOCOLS
        ]

    def __str__(self) -> str:
        parts = []
        if self.all_ports:
            parts.append("every port")
        if self.admin:
            parts.append(f"admin port {ports_text(self.admin)}")
        if self.high_risk:
            parts.append(f"high-risk port(s) {ports_text(self.high_risk)}")
        return "; ".join(parts)


def sensitive(rule: GroupRule) -> Sensitive:
    """Empty unless the rule is ingress from the whole internet."""
    if rule.rule.direction is not Direction.INGRESS or not internet(rule.rule):
        return Sensitive(False, (), ())
    traffic = rule.rule.traffic
    return Sensitive(
        opens_all_ports(traffic),
        tuple(exposed_ports(traffic, ADMIN_PORTS, ADMIN_PROTOCOLS)),
        tuple(exposed_ports(traffic, HIGH_RISK_PORTS, HIGH_RISK_PROTOCOLS)),
    )


def internet_path(
    inventory: RegionInventory, eni: NetworkInterface, group: SecurityGroup, rule: GroupRule
) -> Reach:
    """What the internet (of the rule's address family) reaches on ``eni`` through this one
    rule and the subnet's ACL: the same analysis as ``tierguard reach``."""
    version = rule.rule.peer.network.version if isinstance(rule.rule.peer, CidrPeer) else 4
    address = (
        (eni.public_address or eni.private_address)
        if version == 4
        else next(iter(eni.ipv6_addresses), None)
    )
    subnet = eni.subnet_id or ""
    placement = member_placement(subnet, address)
    tier = TierNode(eni.id, group.id, (placement,), (LabeledRule(rule.id, rule.rule),))
    acl = inventory.acl_by_subnet.get(subnet)
    acls = {subnet: AclNode(acl.label, acl.entries)} if acl is not None else {}
    topology = Topology(tiers={eni.id: tier}, acls=acls)
    source = next(s for s in sources_of(topology) if s.name == f"internet-ipv{version}")
    return reach(topology, source, tier)


def _covers(cell: Reach, verdict: Verdict, protocol: int, port: int) -> list[ReachFinding]:
    """The cell's findings with ``verdict`` that cover the port, from all or part of the
    internet."""
    return [
        f
        for f in cell.findings
        if f.verdict is verdict
        and (f.protocol == ALL or (f.protocol == protocol and any(port in b for b in f.ports)))
    ]


def _stopped(cell: Reach, protocol: int, port: int) -> list[ReachFinding]:
    """What stops the port for all or part of the internet: the request, else the replies."""
    return _covers(cell, Verdict.BLOCKED, protocol, port) or _covers(
        cell, Verdict.ONE_WAY, protocol, port
    )


def _probe_text(probes: list[tuple[int, int]]) -> str:
    return ", ".join(f"{protocol_name(p)} {port}" for p, port in probes[:6]) + (
        f" and {len(probes) - 6} more" if len(probes) > 6 else ""
    )


def _interface_finding(
    inventory: RegionInventory,
    eni: NetworkInterface,
    group: SecurityGroup,
    rule: GroupRule,
    opened: Sensitive,
) -> AuditFinding:
    cell = internet_path(inventory, eni, group, rule)
    probes = opened.probes()
    version = 4 if not isinstance(rule.rule.peer, CidrPeer) else rule.rule.peer.network.version
    # The ACL may let only part of the internet in. A deny-list (or any part wider than one
    # party's block) leaves the internet at large connecting: exposed. An allow-list of a
    # narrow block (an admin range) is the ACL doing the narrowing: latent, said below.
    widest = 2 ** ((32 if version == 4 else 128) - NARROWEST_WIDE_PREFIX[version])
    opened_to = {
        (p, port): [
            f
            for f in _covers(cell, Verdict.OPEN, p, port)
            if not f.partial or f.sources is None or f.sources > widest
        ]
        for p, port in probes
    }
    through = [probe for probe, findings in opened_to.items() if findings]
    part = ""
    partial = [(probe, f) for probe in through for f in opened_to[probe] if f.partial]
    if partial:
        (protocol, port), opened_part = partial[0]
        stopped = _stopped(cell, protocol, port)
        part = " from part of the internet (" + (
            f"it stops the rest: {stopped[0].detail})" if stopped else f"{opened_part.detail})"
        )
    public = eni.public_address is not None if version == 4 else bool(eni.ipv6_addresses)
    table = inventory.route_table_of(eni.subnet_id or "")
    routed = table is None or version in table.internet_versions
    acl = inventory.acl_by_subnet.get(eni.subnet_id or "")
    acl_text = f"network ACL {acl.label}" if acl else "the subnet's network ACL"
    what = (
        f"Ingress rule {rule.id} of {group.label} opens {rule.rule.traffic} from "
        f"{rule.rule.peer}, {opened}, on interface {eni.label} in {eni.subnet_id}"
    )
    related = (
        Resource(inventory.region, "security-group-rule", rule.id),
        Resource(inventory.region, "network-interface", eni.id),
    )
    resource = Resource(inventory.region, "security-group", group.id, group.name)
    if through and public and routed:
        address = eni.public_address if version == 4 else eni.ipv6_addresses[0]
        return AuditFinding(
            EXPOSURE_REACHABLE,
            resource,
            f"{what}; {acl_text} lets {_probe_text(through)} in and the replies out{part}, "
            f"and the interface has the public address {address}"
            + (f", routed to the internet by {table.id}" if table is not None else ""),
            "Security group, network ACL, public address and route all line up: anyone on "
            "the internet can connect now, and such ports are scanned and attacked within "
            "minutes",
            "remove the rule or narrow it to a bastion/VPN security group or an admin CIDR "
            "(or use SSM Session Manager), and deny the port in the network ACL",
            related,
        )
    stops: list[str] = []
    if not public:
        stops.append(f"the interface has no public IPv{version} address")
    if not routed and table is not None:
        stops.append(
            f"{eni.subnet_id}'s route table {table.id} has no IPv{version} route to an "
            "internet gateway"
        )
    if not through:
        for protocol, port in probes:
            stopped = _stopped(cell, protocol, port)
            if stopped:
                narrow = _covers(cell, Verdict.OPEN, protocol, port)
                stops.append(
                    f"for {protocol_name(protocol)} {port}, {stopped[0].detail}"
                    + (f" (it lets in {narrow[0].detail.split('; ')[0]})" if narrow else "")
                )
                break
    return AuditFinding(
        EXPOSURE_LATENT,
        resource,
        f"{what}; not reachable today: {'; and '.join(stops) or 'no open path was found'}",
        "Only other controls stand between these ports and the internet: a public IP, a "
        "route, an ACL edit or moving the interface to another subnet exposes them",
        "narrow the rule to the sources that need it instead of relying on the ACL, the "
        "routes or the missing public address",
        related,
    )


def exposure_findings(
    inventory: RegionInventory, uses: Mapping[str, tuple[Use, ...]]
) -> Iterator[AuditFinding]:
    carried: dict[str, list[NetworkInterface]] = {}
    for eni in inventory.interfaces:
        for group_id in eni.groups:
            carried.setdefault(group_id, []).append(eni)
    for group in inventory.groups:
        for rule in group.rules:
            opened = sensitive(rule)
            if not opened:
                continue
            interfaces = carried.get(group.id, [])
            for eni in interfaces:
                yield _interface_finding(inventory, eni, group, rule, opened)
            if interfaces:
                continue
            others = [str(u) for u in uses.get(group.id, ()) if u.kind != "rule"]
            why_not = (
                f"it is used by {'; '.join(others)}, but no network interface carrying it was "
                "listed, so the network ACL and public address could not be checked"
                if others
                else "nothing carries the group yet"
            )
            yield AuditFinding(
                EXPOSURE_LATENT,
                Resource(inventory.region, "security-group", group.id, group.name),
                f"Ingress rule {rule.id} of {group.label} opens {rule.rule.traffic} from "
                f"{rule.rule.peer}, {opened}; {why_not}",
                "Whatever is given this group is open to the internet on these ports",
                "remove the rule or narrow it to the sources that need it",
                (Resource(inventory.region, "security-group-rule", rule.id),),
            )
