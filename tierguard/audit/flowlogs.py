"""The audit's findings from VPC Flow Logs (``tierguard audit --flow-logs``).

The usage report (``tierguard.usage``) says which rules and entries traffic used; the
audit reports, per region audited with the logs, the rules no flow used, the rules and
ACL entries wider than their traffic (with the narrower replacement), and traffic between
the VPC's own addresses that was dropped — as findings with stable ids and levels, beside
the audit's own, so one SARIF file and one ``--fail-on`` gate cover both.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

from tierguard.audit.findings import (
    FLOW_ACL_WIDER,
    FLOW_REJECTED_INTERNAL,
    FLOW_RULE_UNUSED,
    FLOW_RULE_WIDER,
    AuditFinding,
    Resource,
)
from tierguard.audit.report import Report
from tierguard.rules.protocols import protocol_name
from tierguard.usage.verdicts import UsageReport, Verdict


def _window(report: UsageReport) -> str:
    since, until = report.window
    records = report.counts.get("ok", 0)
    return f"{records} flow-log records between {since} and {until} (epoch seconds)"


def flow_findings(report: UsageReport, region: str) -> Iterator[AuditFinding]:
    backing = _window(report)
    for usage in report.rules:
        group = Resource(region, "security-group", usage.group_id, usage.tier)
        rule = Resource(region, "security-group-rule", usage.rule_id, usage.tier)
        text = f"{usage.rule.direction.value} {usage.rule.traffic} {usage.to_json()['peer']}"
        if usage.verdict is Verdict.UNUSED:
            yield AuditFinding(
                FLOW_RULE_UNUSED,
                rule,
                f"Rule {usage.rule_id} of {usage.tier} ({text}) carried no flow",
                f"no accepted flow in {backing} was admitted by it",
                "remove it if the window covers its periodic traffic (backups, batch jobs)",
                (group,),
            )
        elif usage.verdict is Verdict.WIDER and usage.suggestion is not None:
            narrowed = usage.suggestion.to_json()
            yield AuditFinding(
                FLOW_RULE_WIDER,
                rule,
                f"Rule {usage.rule_id} of {usage.tier} ({text}) is wider than its traffic",
                f"its {usage.use.records} records would all pass traffic "
                f"{', '.join(narrowed['traffic'])} from/to "  # type: ignore[arg-type]
                f"{', '.join(narrowed['peers'] or ['the same peer'])}",  # type: ignore[arg-type]
                "replace it by the narrower rules (tierguard usage --stack prints the "
                "stack-file diff)",
                (group,),
            )
    for entry in report.acl_entries:
        if entry.suggestion is None:
            continue
        direction = "egress" if entry.ref.egress else "ingress"
        yield AuditFinding(
            FLOW_ACL_WIDER,
            Resource(
                region,
                "network-acl-entry",
                f"{entry.ref.acl_id}/{direction}/{entry.ref.number}",
                entry.label,
            ),
            f"{entry.label} {direction} entry #{entry.ref.number} ({entry.description}) is "
            "wider than its traffic",
            f"its {entry.use.records} records would all pass "
            + ", ".join(f"#{e.number} {e.traffic} {e.cidr.compressed}" for e in entry.suggestion),
            "replace it by those entries, numbered in its place; they let nothing through "
            "that it did not",
            (Resource(region, "network-acl", entry.ref.acl_id, entry.label),),
        )
    for rejection, records in report.rejected:
        if not rejection.internal:
            continue
        port = f" port {rejection.port}" if rejection.port is not None else ""
        way = "from" if rejection.ingress else "to"
        yield AuditFinding(
            FLOW_REJECTED_INTERNAL,
            Resource(region, "tier", rejection.where, rejection.where),
            f"{rejection.where}: {protocol_name(rejection.protocol)}{port} {way} "
            f"{rejection.far.compressed} (inside the VPC) was dropped by "
            f"{rejection.dropped_by}, {records} records",
            "traffic between the VPC's own addresses was rejected: a missing rule, or a "
            "client that should not call",
            "add the rule if the call is meant, else fix the caller",
        )


def with_flow_findings(report: Report, usage: UsageReport, region: str) -> Report:
    """``report`` with the flow logs' findings for ``region`` among its own."""
    findings = (*report.findings, *flow_findings(usage, region))
    return dataclasses.replace(report, findings=tuple(sorted(findings, key=lambda f: f.sort_key)))
