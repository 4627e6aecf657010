"""Read the deployed security groups and ACLs back from EC2 and check them against the plan.

Resources are found by the ``tierguard:stack`` / ``tierguard:network`` tags the components
set, then normalised into the same ``Traffic``/peer values the plan uses, so "same rule"
means the same thing on both sides: same tier, direction, traffic and peer (a reference
to another tier's group is read back as that tier). A rule present on one side only is
``missing`` or ``unexpected``; the same rule with another description is ``changed``.

Known emulator gaps (moto 5.2.5) are tolerated and reported as notes, never hidden:
custom ACLs have no ``*`` (32767) entries, ICMP type/code on ACL entries is dropped, and
``DescribeSecurityGroupRules`` leaves out the description of group-reference rules
(read from ``DescribeSecurityGroups`` instead).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from tierguard.audit.shapes import (
    RuleKey,
    acl_entry_of,
    group_rule,
    permission_descriptions,
    tags_of,
    with_description,
)
from tierguard.plan import NetworkPlan, PlanPeer, TierPeer
from tierguard.reach import Matrix, analyze, topology_from_deployed
from tierguard.rules import (
    AclEntry,
    Direction,
    SecurityGroupPeer,
    SgRule,
    Traffic,
)
from tierguard.rules.protocols import is_icmp

if TYPE_CHECKING:
    from mypy_boto3_ec2 import EC2Client

#: AWS's implicit last entries (IPv4 and IPv6 ``*``); not part of any plan.


class DifferenceKind(StrEnum):
    MISSING = "missing"
    UNEXPECTED = "unexpected"
    CHANGED = "changed"


@dataclass(frozen=True)
class Difference:
    """One way what is deployed differs from the plan."""

    kind: DifferenceKind
    where: str
    detail: str

    def __str__(self) -> str:
        return f"{self.kind.value}: {self.where}: {self.detail}"


@dataclass(frozen=True)
class Verification:
    """What the emulator (or an account) really holds for one stack, and how it differs."""

    stack: str
    network: str
    security_groups: Mapping[str, str]
    """Security group id by tier."""
    network_acls: Mapping[str, str]
    """Network ACL id by ACL name."""
    rules: tuple[SgRule, ...]
    """Every rule read back, in the shared rule model (groups by id)."""
    acl_entries: Mapping[str, tuple[AclEntry, ...]]
    """ACL entries read back by ACL name, AWS's implicit ``*`` entries excluded."""
    differences: tuple[Difference, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return not self.differences

    def summary(self) -> str:
        counted = (
            f"{len(self.security_groups)} security groups, {len(self.rules)} rules, "
            f"{len(self.network_acls)} network ACLs, "
            f"{sum(len(e) for e in self.acl_entries.values())} ACL entries"
        )
        if self.ok:
            return f"verified: {counted} match the plan"
        return f"verification failed: {len(self.differences)} differences ({counted} read back)"

    def lines(self) -> list[str]:
        return [
            self.summary(),
            *(f"  {d}" for d in self.differences),
            *(f"  note: {n}" for n in self.notes),
        ]

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "security_groups": dict(self.security_groups),
            "network_acls": dict(self.network_acls),
            "differences": [
                {"kind": d.kind.value, "where": d.where, "detail": d.detail}
                for d in self.differences
            ],
            "notes": list(self.notes),
        }


_SgKey = tuple[str, Direction, Traffic, PlanPeer]


def _peer_text(peer: PlanPeer) -> str:
    return str(peer)


def _sg_key_text(key: _SgKey) -> str:
    _tier, direction, traffic, peer = key
    word = "from" if direction is Direction.INGRESS else "to"
    return f"{direction.value} {traffic} {word} {_peer_text(peer)}"


def _filters(plan: NetworkPlan) -> list[Any]:
    return [
        {"Name": "tag:tierguard:stack", "Values": [plan.stack]},
        {"Name": "tag:tierguard:network", "Values": [plan.name]},
    ]


def _compare_security_groups(
    ec2: EC2Client, plan: NetworkPlan, diffs: list[Difference], notes: list[str]
) -> tuple[dict[str, str], list[SgRule]]:
    groups = ec2.describe_security_groups(Filters=_filters(plan))["SecurityGroups"]
    by_tier: dict[str, str] = {}
    for group in groups:
        tier = tags_of(group.get("Tags")).get("tierguard:tier")
        if tier is None or tier not in plan.tiers:
            diffs.append(
                Difference(
                    DifferenceKind.UNEXPECTED,
                    f"security group {group['GroupId']}",
                    f"tagged for this stack but not a planned tier ({tier or 'no tier tag'})",
                )
            )
            continue
        by_tier[tier] = group["GroupId"]
    tier_of = {group_id: tier for tier, group_id in by_tier.items()}
    descriptions: dict[RuleKey, str] = {}
    for group in groups:
        descriptions.update(permission_descriptions(group))
    used_fallback = False
    for tier in plan.tiers:
        if tier not in by_tier:
            diffs.append(Difference(DifferenceKind.MISSING, f"tier {tier}", "no security group"))
    expected: dict[_SgKey, str] = {
        (rule.tier, rule.direction, rule.traffic, rule.peer): rule.description
        for tier in plan.tiers.values()
        if tier.name in by_tier
        for rule in tier.rules
    }
    actual: dict[_SgKey, str] = {}
    observed: list[SgRule] = []
    if by_tier:
        answers = ec2.describe_security_group_rules(
            Filters=[{"Name": "group-id", "Values": list(by_tier.values())}]
        )["SecurityGroupRules"]
        for answer in answers:
            read = group_rule(answer)
            # The emulator leaves group-reference descriptions out of this call.
            described = with_description(read, descriptions)
            used_fallback = used_fallback or described is not read
            rule = described.rule
            tier = tier_of[rule.group]
            peer: PlanPeer = rule.peer
            if isinstance(rule.peer, SecurityGroupPeer) and rule.peer.group in tier_of:
                peer = TierPeer(tier_of[rule.peer.group], is_self=rule.peer.is_self)
            actual[(tier, rule.direction, rule.traffic, peer)] = rule.description or ""
            observed.append(rule)
    for key, description in expected.items():
        if key not in actual:
            diffs.append(Difference(DifferenceKind.MISSING, f"tier {key[0]}", _sg_key_text(key)))
        elif actual[key] != description:
            diffs.append(
                Difference(
                    DifferenceKind.CHANGED,
                    f"tier {key[0]}",
                    f"{_sg_key_text(key)}: description {actual[key]!r}, planned {description!r}",
                )
            )
    diffs.extend(
        Difference(DifferenceKind.UNEXPECTED, f"tier {key[0]}", _sg_key_text(key))
        for key in actual
        if key not in expected
    )
    if used_fallback:
        notes.append(
            "descriptions of group-reference rules read from DescribeSecurityGroups (the "
            "emulator leaves them out of DescribeSecurityGroupRules)"
        )
    return by_tier, observed


def _compare_acls(
    ec2: EC2Client, plan: NetworkPlan, diffs: list[Difference], notes: list[str]
) -> tuple[dict[str, str], dict[str, tuple[AclEntry, ...]]]:
    acls = ec2.describe_network_acls(Filters=_filters(plan))["NetworkAcls"]
    ids: dict[str, str] = {}
    read: dict[str, tuple[AclEntry, ...]] = {}
    icmp_gap = False
    for acl in acls:
        name = tags_of(acl.get("Tags")).get("tierguard:acl")
        if name is None or name not in plan.acls:
            diffs.append(
                Difference(
                    DifferenceKind.UNEXPECTED,
                    f"network ACL {acl['NetworkAclId']}",
                    f"tagged for this stack but not a planned ACL ({name or 'no acl tag'})",
                )
            )
            continue
        ids[name] = acl["NetworkAclId"]
        planned = {(p.entry.egress, p.entry.number): p.entry for p in plan.acls[name].entries}
        actual: dict[tuple[bool, int], AclEntry] = {}
        for raw in acl.get("Entries", []):
            entry = acl_entry_of(raw)
            if entry is None:
                continue  # AWS's implicit '*' deny
            number = entry.number
            missing_icmp = is_icmp(entry.traffic.protocol) and "IcmpTypeCode" not in raw
            want = planned.get((entry.egress, number))
            if (
                missing_icmp
                and want is not None
                and want.traffic.protocol == entry.traffic.protocol
            ):
                icmp_gap = True
                entry = replace(entry, traffic=want.traffic)
            actual[(entry.egress, number)] = entry
        read[name] = tuple(actual[k] for k in sorted(actual))
        for key, want in sorted(planned.items()):
            got = actual.get(key)
            where = f"network ACL {name}"
            label = f"{'egress' if key[0] else 'ingress'} rule {key[1]}"
            if got is None:
                diffs.append(Difference(DifferenceKind.MISSING, where, label))
            elif got != want:
                diffs.append(
                    Difference(
                        DifferenceKind.CHANGED,
                        where,
                        f"{label}: {_entry_text(got)}, planned {_entry_text(want)}",
                    )
                )
        diffs.extend(
            Difference(
                DifferenceKind.UNEXPECTED,
                f"network ACL {name}",
                f"{'egress' if key[0] else 'ingress'} rule {key[1]}: {_entry_text(actual[key])}",
            )
            for key in sorted(actual)
            if key not in planned
        )
        _compare_associations(ec2, plan, name, acl, diffs)
    for name in plan.acls:
        if name not in ids:
            diffs.append(Difference(DifferenceKind.MISSING, f"network ACL {name}", "not found"))
    if ids:
        notes.append(
            "AWS's implicit '*' deny entries are not compared (the emulator does not list them)"
        )
    if icmp_gap:
        notes.append("ICMP type/code of ACL entries not compared: the emulator drops them")
    return ids, read


def _entry_text(entry: AclEntry) -> str:
    return f"{entry.action.value} {entry.traffic} {entry.cidr}"


def _compare_associations(
    ec2: EC2Client,
    plan: NetworkPlan,
    name: str,
    acl: Mapping[str, Any],
    diffs: list[Difference],
) -> None:
    subnet_ids = sorted({a["SubnetId"] for a in acl.get("Associations", [])})
    found: set[str] = set()
    if subnet_ids:
        for described in ec2.describe_subnets(SubnetIds=subnet_ids)["Subnets"]:
            found.add(tags_of(described.get("Tags")).get("Name") or described["SubnetId"])
            found.add(described["SubnetId"])
    for group in plan.acls[name].subnet_groups:
        for planned in plan.subnets_in(group):
            wanted = planned.subnet_id or f"{plan.name}-{planned.key}"
            if wanted not in found:
                diffs.append(
                    Difference(
                        DifferenceKind.MISSING,
                        f"network ACL {name}",
                        f"association with subnet {wanted}",
                    )
                )


def _check_default_group(ec2: EC2Client, plan: NetworkPlan, diffs: list[Difference]) -> None:
    vpcs = ec2.describe_vpcs(Filters=_filters(plan))["Vpcs"]
    for vpc in vpcs:
        groups = ec2.describe_security_groups(
            Filters=[
                {"Name": "vpc-id", "Values": [vpc["VpcId"]]},
                {"Name": "group-name", "Values": ["default"]},
            ]
        )["SecurityGroups"]
        for group in groups:
            if group.get("IpPermissions") or group.get("IpPermissionsEgress"):
                diffs.append(
                    Difference(
                        DifferenceKind.UNEXPECTED,
                        f"default security group {group['GroupId']}",
                        "has rules; tierguard adopts it with none",
                    )
                )


def verify_deployment(ec2: EC2Client, plan: NetworkPlan) -> Verification:
    """Read the stack's groups, rules, ACLs and associations back and compare with ``plan``."""
    diffs: list[Difference] = []
    notes: list[str] = []
    groups, rules = _compare_security_groups(ec2, plan, diffs, notes)
    acls, entries = _compare_acls(ec2, plan, diffs, notes)
    if plan.manage_default_security_group:
        _check_default_group(ec2, plan, diffs)
    return Verification(
        stack=plan.stack,
        network=plan.name,
        security_groups=groups,
        network_acls=acls,
        rules=tuple(rules),
        acl_entries=entries,
        differences=tuple(diffs),
        notes=tuple(notes),
    )


def deployed_matrix(plan: NetworkPlan, verification: Verification) -> Matrix:
    """Who can reach what through the groups and ACLs really read back, not the plan."""
    return analyze(
        topology_from_deployed(
            plan,
            groups=verification.security_groups,
            rules=verification.rules,
            acl_entries=verification.acl_entries,
        )
    )
