"""Run every check over an inventory, and render the result for people and machines.

JSON shape (``tierguard audit --json``)::

    {"account": str | null, "regions": [str], "stack": str | null,
     "summary": {"error": int, "warning": int, "note": int},
     "findings": [{"ruleId", "level", "fingerprint", "title", "message", "what", "why", "fix",
                   "resource": {"region", "kind", "id", "name"},
                   "related": [{"region", "kind", "id", "name"}]}],
     "groups": [{"region", "id", "name", "vpcId", "default", "used",
                 "usedBy": [{"kind", "id", "detail"}]}],
     "rules": [{"id", "level", "title", "help"}],
     "notes": [str]}
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tierguard.audit.drift import drift_findings
from tierguard.audit.exposure import exposure_findings
from tierguard.audit.findings import CATALOG, AuditFinding, Level, Resource
from tierguard.audit.hygiene import (
    acl_findings,
    default_group_findings,
    description_findings,
    interface_findings,
)
from tierguard.audit.intents import intent_findings
from tierguard.audit.usage import Use, group_uses, usage_findings
from tierguard.deployed.inventory import Inventory, RegionInventory
from tierguard.plan import NetworkPlan
from tierguard.reach.intents import Intent
from tierguard.report.sarif import SarifResult, SarifRule


@dataclass(frozen=True)
class Report:
    inventory: Inventory
    findings: tuple[AuditFinding, ...]
    uses: Mapping[str, Mapping[str, tuple[Use, ...]]]
    """Region → group id → why the group is used (empty: unused)."""
    stack: str | None = None

    def of_rule(self, rule_id: str) -> list[AuditFinding]:
        return [f for f in self.findings if f.rule.id == rule_id]

    @property
    def summary(self) -> dict[str, int]:
        counts = Counter(f.level for f in self.findings)
        return {level.value: counts.get(level, 0) for level in Level}


def audit_region(
    region: RegionInventory,
    plan: NetworkPlan | None = None,
    uses: Mapping[str, tuple[Use, ...]] | None = None,
    intents: Sequence[Intent] = (),
) -> list[AuditFinding]:
    """Every finding for one region (drift and intents only when a plan is given)."""
    uses = group_uses(region) if uses is None else uses
    findings = [
        *exposure_findings(region, uses),
        *usage_findings(region, uses),
        *default_group_findings(region),
        *acl_findings(region),
        *description_findings(region),
        *interface_findings(region),
    ]
    if plan is not None:
        findings.extend(drift_findings(region, plan))
        findings.extend(intent_findings(region, intents, plan.named_cidrs))
    return findings


def audit(
    inventory: Inventory,
    plan: NetworkPlan | None = None,
    *,
    plan_region: str | None = None,
    intents: Sequence[Intent] = (),
) -> Report:
    """Every check over every region; drift against ``plan`` and the stack's ``intents``
    in ``plan_region`` only (default: the inventory's region, when it has exactly one)."""
    if plan is not None and plan_region is None:
        if len(inventory.regions) != 1:
            raise ValueError("drift needs plan_region when several regions are audited")
        plan_region = inventory.regions[0].region
    findings: list[AuditFinding] = []
    uses: dict[str, dict[str, tuple[Use, ...]]] = {}
    for region in inventory.regions:
        uses[region.region] = group_uses(region)
        drift_plan = plan if plan is not None and region.region == plan_region else None
        findings.extend(audit_region(region, drift_plan, uses[region.region], intents))
    return Report(
        inventory,
        tuple(sorted(findings, key=lambda f: f.sort_key)),
        uses,
        stack=plan.stack if plan is not None else None,
    )


# -- JSON -------------------------------------------------------------------------------


def _resource_json(resource: Resource) -> dict[str, str]:
    return {
        "region": resource.region,
        "kind": resource.kind,
        "id": resource.id,
        "name": resource.name,
    }


def finding_json(finding: AuditFinding) -> dict[str, Any]:
    return {
        "ruleId": finding.rule.id,
        "level": finding.level.value,
        "fingerprint": finding.fingerprint,
        "title": finding.rule.title,
        "message": finding.message,
        "what": finding.what,
        "why": finding.why,
        "fix": finding.fix,
        "resource": _resource_json(finding.resource),
        "related": [_resource_json(r) for r in finding.related],
    }


def report_json(report: Report) -> dict[str, Any]:
    groups = []
    for region in report.inventory.regions:
        uses = report.uses.get(region.region, {})
        for group in region.groups:
            found = uses.get(group.id, ())
            groups.append(
                {
                    "region": region.region,
                    "id": group.id,
                    "name": group.name,
                    "vpcId": group.vpc_id,
                    "default": group.is_default,
                    "used": bool(found),
                    "usedBy": [{"kind": u.kind, "id": u.id, "detail": u.detail} for u in found],
                }
            )
    return {
        "account": report.inventory.account,
        "regions": [r.region for r in report.inventory.regions],
        "stack": report.stack,
        "summary": report.summary,
        "findings": [finding_json(f) for f in report.findings],
        "groups": groups,
        "rules": [
            {"id": r.id, "level": r.level.value, "title": r.title, "help": r.help} for r in CATALOG
        ],
        "notes": [f"{r.region}: {note}" for r in report.inventory.regions for note in r.notes],
    }


# -- text -------------------------------------------------------------------------------


def _usage_lines(report: Report) -> Iterable[str]:
    for region in report.inventory.regions:
        uses = report.uses.get(region.region, {})
        for title, default in (("Security groups", False), ("Default security groups", True)):
            chosen = [g for g in region.groups if g.is_default == default]
            if not chosen:
                continue
            yield f"{title} in {region.region}:"
            for group in chosen:
                found = uses.get(group.id, ())
                if not found:
                    yield f"  {group.label}: unused"
                    continue
                shown = "; ".join(str(u) for u in found[:4])
                more = f"; and {len(found) - 4} more" if len(found) > 4 else ""
                yield f"  {group.label}: used by {shown}{more}"
            yield ""


def report_text(report: Report) -> str:
    """The human report: who uses which group, then the findings, most severe first."""
    inventory = report.inventory
    regions = ", ".join(r.region for r in inventory.regions)
    head = f"Audit of account {inventory.account or 'unknown'} in {regions}"
    if report.stack:
        head += f", with drift against stack {report.stack}"
    lines = [head, "", *_usage_lines(report)]
    if report.findings:
        lines.append("Findings:")
    for finding in report.findings:
        level = finding.level.value.upper()
        where = f"{finding.resource.region}  {finding.resource}"
        lines.append(f"  {level:7} {finding.rule.id}  {where}")
        lines.append(f"          {finding.what}.")
        lines.append(f"          Why: {finding.why}.")
        lines.append(f"          Fix: {finding.fix}.")
    for region in inventory.regions:
        lines.extend(f"note: {region.region}: {note}" for note in region.notes)
    summary = report.summary
    lines.append("")
    lines.append(
        f"{summary['error']} error(s), {summary['warning']} warning(s), {summary['note']} "
        "note(s). Read-only: nothing was changed."
    )
    return "\n".join(lines)


def sarif_parts(report: Report) -> tuple[list[SarifRule], list[SarifResult]]:
    """The catalog as SARIF rules; each finding at its resource (region/kind/id)."""
    rules = [
        SarifRule(id=r.id, name=r.id, description=r.title, help=r.help, level=r.level.value)
        for r in CATALOG
    ]
    results = [
        SarifResult(
            rule_id=f.rule.id,
            level=f.level.value,
            message=f.message,
            logical=f"{f.resource.region}/{f.resource.kind}/{f.resource.key}",
            fingerprint=f.fingerprint,
        )
        for f in report.findings
    ]
    return rules, results
