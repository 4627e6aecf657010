"""Read the deployed security groups and ACLs back from EC2 and check them against the plan.

Resources are read by the tags the components set and compared with the plan by
``tierguard.deployed.compare`` (the comparison the audit's drift uses too); this module
adds what only a fresh deployment checks (every planned subnet associated with its ACL,
the adopted default group empty) and tells each difference as one line. A rule present on
one side only is ``missing`` or ``unexpected``; the same rule with another description is
``changed``.

Known emulator gaps (moto 5.2.5) are tolerated and reported as notes, never hidden:
custom ACLs have no ``*`` (32767) entries, ICMP type/code on ACL entries is dropped, and
``DescribeSecurityGroupRules`` leaves out the description of group-reference rules
(read from ``DescribeSecurityGroups`` instead).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from tierguard.deployed import tags as tag
from tierguard.deployed.compare import Comparison, compare
from tierguard.deployed.read import read_network_acls, read_security_groups, stack_filters
from tierguard.deployed.shapes import tags_of
from tierguard.plan import NetworkPlan, PlannedSgRule, planned_form
from tierguard.plan.model import rule_text
from tierguard.reach import Matrix, analyze, topology_from_deployed
from tierguard.rules import AclEntry, SgRule

if TYPE_CHECKING:
    from mypy_boto3_ec2 import EC2Client
    from mypy_boto3_ec2.type_defs import FilterTypeDef


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


def _rule_text(rule: SgRule, tier_of: Mapping[str, str]) -> str:
    """``ingress TCP 3306 from tier app``: a deployed rule in the plan's terms."""
    form, tier_peer = planned_form(rule, tier_of)
    return rule_text(form, tier_peer=tier_peer)


def _planned_text(rule: PlannedSgRule) -> str:
    return rule_text(rule.rule, tier_peer=rule.tier_peer)


def _group_differences(compared: Comparison) -> Iterator[Difference]:
    tier_of = {group: tier for tier, group in compared.managed.group_ids.items()}
    for tier in compared.missing_tiers:
        yield Difference(DifferenceKind.MISSING, f"tier {tier.name}", "no security group")
    for group in compared.groups:
        where = f"tier {group.tier.name}"
        for planned, actual in group.redescribed:
            yield Difference(
                DifferenceKind.CHANGED,
                where,
                f"{_planned_text(planned)}: description {actual.rule.description or ''!r}, "
                f"planned {planned.description!r}",
            )
        # A rule replaced in place (same Name tag, another rule) is one planned rule
        # missing and one unexpected here: the verification says what is there.
        for planned in (*group.missing, *(p for p, _ in group.replaced)):
            yield Difference(DifferenceKind.MISSING, where, _planned_text(planned))
        for actual in (*group.unplanned, *(a for _, a in group.replaced)):
            yield Difference(DifferenceKind.UNEXPECTED, where, _rule_text(actual.rule, tier_of))
    for name, unplanned in compared.unplanned_groups:
        yield Difference(
            DifferenceKind.UNEXPECTED,
            f"security group {unplanned.id}",
            f"tagged for this stack but not a planned tier ({name})",
        )


def _acl_differences(compared: Comparison) -> Iterator[Difference]:
    for acl in compared.acls:
        where = f"network ACL {acl.plan.name}"
        for planned, actual in acl.changed:
            yield Difference(
                DifferenceKind.CHANGED,
                where,
                f"{_entry_label(actual)}: {_entry_text(actual)}, "
                f"planned {_entry_text(planned.entry)}",
            )
        for missing in acl.missing:
            yield Difference(DifferenceKind.MISSING, where, _entry_label(missing.entry))
        for entry in acl.unplanned:
            yield Difference(
                DifferenceKind.UNEXPECTED, where, f"{_entry_label(entry)}: {_entry_text(entry)}"
            )
    for name, unplanned in compared.unplanned_acls:
        yield Difference(
            DifferenceKind.UNEXPECTED,
            f"network ACL {unplanned.id}",
            f"tagged for this stack but not a planned ACL ({name})",
        )
    for plan in compared.missing_acls:
        yield Difference(DifferenceKind.MISSING, f"network ACL {plan.name}", "not found")


def _entry_label(entry: AclEntry) -> str:
    return f"{'egress' if entry.egress else 'ingress'} rule {entry.number}"


def _entry_text(entry: AclEntry) -> str:
    return f"{entry.action.value} {entry.traffic} {entry.cidr}"


def _association_differences(ec2: EC2Client, compared: Comparison) -> Iterator[Difference]:
    """Each planned subnet of each ACL found must be associated with it (by id, or by the
    ``Name`` the components give a subnet they create)."""
    for acl in compared.acls:
        subnet_ids = sorted(set(acl.acl.subnet_ids))
        found: set[str] = set()
        if subnet_ids:
            for described in ec2.describe_subnets(SubnetIds=subnet_ids)["Subnets"]:
                found.add(tags_of(described.get("Tags")).get(tag.NAME) or described["SubnetId"])
                found.add(described["SubnetId"])
        plan = compared.plan
        for group in acl.plan.subnet_groups:
            for planned in plan.subnets_in(group):
                wanted = planned.subnet_id or f"{plan.name}-{planned.key}"
                if wanted not in found:
                    yield Difference(
                        DifferenceKind.MISSING,
                        f"network ACL {acl.plan.name}",
                        f"association with subnet {wanted}",
                    )


def _default_group_differences(
    ec2: EC2Client, plan: NetworkPlan, notes: list[str]
) -> Iterator[Difference]:
    filters = stack_filters(stack=plan.stack, network=plan.name)
    for vpc in ec2.describe_vpcs(Filters=filters)["Vpcs"]:
        defaults: list[FilterTypeDef] = [
            {"Name": "vpc-id", "Values": [vpc["VpcId"]]},
            {"Name": "group-name", "Values": ["default"]},
        ]
        for group in read_security_groups(ec2, notes, defaults):
            if group.rules:
                yield Difference(
                    DifferenceKind.UNEXPECTED,
                    f"default security group {group.id}",
                    "has rules; tierguard adopts it with none",
                )


def verify_deployment(ec2: EC2Client, plan: NetworkPlan) -> Verification:
    """Read the stack's groups, rules, ACLs and associations back and compare with ``plan``."""
    notes: list[str] = []
    filters = stack_filters(stack=plan.stack, network=plan.name)
    compared = compare(
        plan, read_security_groups(ec2, notes, filters), read_network_acls(ec2, notes, filters)
    )
    diffs = [
        *_group_differences(compared),
        *_acl_differences(compared),
        *_association_differences(ec2, compared),
    ]
    if plan.manage_default_security_group:
        diffs.extend(_default_group_differences(ec2, plan, notes))
    if compared.acls:
        notes.append(
            "AWS's implicit '*' deny entries are not compared (the emulator does not list them)"
        )
    groups = compared.managed.groups
    return Verification(
        stack=plan.stack,
        network=plan.name,
        security_groups={tier: groups[tier].id for tier in plan.tiers if tier in groups},
        network_acls={a.plan.name: a.acl.id for a in compared.acls},
        rules=tuple(r.rule for g in compared.groups for r in g.group.rules),
        acl_entries={a.plan.name: a.entries for a in compared.acls},
        differences=tuple(diffs),
        notes=(*compared.gaps, *notes),
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
