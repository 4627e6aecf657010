"""The usage report as text, SARIF results and CI levels."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

from tierguard.report.sarif import SarifResult, SarifRule
from tierguard.rules import AclEntry, Direction
from tierguard.rules.protocols import protocol_name
from tierguard.usage.verdicts import RuleUsage, UsageReport, Verdict

RULE_UNUSED = SarifRule(
    "TG-USAGE-001",
    "unused-rule",
    "A security-group rule no flow used in the window",
    "No accepted flow in the flow logs was admitted by this rule: a candidate to remove "
    "(check the window covers periodic traffic such as backups).",
    "warning",
)
RULE_WIDER = SarifRule(
    "TG-USAGE-002",
    "wider-than-traffic",
    "A security-group rule wider than the traffic it carried",
    "Every accepted flow would still be admitted by the narrower rules suggested.",
    "note",
)
RULE_MISSING = SarifRule(
    "TG-USAGE-003",
    "rejected-between-tiers",
    "Traffic between the stack's own addresses was rejected",
    "An ACL entry or a missing security-group rule dropped traffic from inside the VPC.",
    "warning",
)
RULE_ACL_WIDER = SarifRule(
    "TG-USAGE-004",
    "acl-entry-wider-than-traffic",
    "A network ACL allow entry wider than the traffic it let through",
    "Every flow the entry let through would still pass the narrower entries suggested "
    "(numbered in its place), and nothing it did not.",
    "note",
)
SARIF_RULES = (RULE_UNUSED, RULE_WIDER, RULE_MISSING, RULE_ACL_WIDER)
LEVEL_RANK = {"error": 0, "warning": 1, "note": 2}


def _time(stamp: int | None) -> str:
    if stamp is None:
        return "?"
    return datetime.fromtimestamp(stamp, UTC).strftime("%Y-%m-%d %H:%M:%SZ")


def _traffic(usage: RuleUsage) -> str:
    return str(usage.rule.traffic)


def _suggestion(usage: RuleUsage) -> str:
    s = usage.suggestion
    if s is None:
        return ""
    traffic = ", ".join(str(t) for t in s.traffic)
    peers = ", ".join(p.compressed for p in s.sources) if s.sources else "the same peer"
    return f"{traffic} from/to {peers}"


def _entry(entry: AclEntry) -> str:
    return f"#{entry.number} {entry.traffic} {entry.cidr.compressed}"


def sarif_results(report: UsageReport) -> list[SarifResult]:
    found = []
    for usage in report.rules:
        where = f"{usage.tier} {usage.group_id} {usage.rule_id}"
        if usage.verdict is Verdict.UNUSED:
            found.append(
                SarifResult(
                    RULE_UNUSED.id,
                    "warning",
                    f"{where}: {usage.rule.direction.value} {_traffic(usage)} "
                    "carried no flow in the window",
                    logical=usage.rule_id,
                    fingerprint=f"unused/{usage.rule_id}",
                )
            )
        elif usage.verdict is Verdict.WIDER:
            found.append(
                SarifResult(
                    RULE_WIDER.id,
                    "note",
                    f"{where}: {usage.use.records} records would all pass {_suggestion(usage)}",
                    logical=usage.rule_id,
                    fingerprint=f"wider/{usage.rule_id}",
                )
            )
    for e in report.acl_entries:
        if e.suggestion is not None:
            direction = "egress" if e.ref.egress else "ingress"
            found.append(
                SarifResult(
                    RULE_ACL_WIDER.id,
                    "note",
                    f"{e.label} {direction} #{e.ref.number} ({e.description}): "
                    f"{e.use.records} records would all pass "
                    + ", ".join(_entry(n) for n in e.suggestion),
                    logical=f"{e.ref.acl_id}/{direction}/{e.ref.number}",
                    fingerprint=f"acl-wider/{e.ref.acl_id}/{direction}/{e.ref.number}",
                )
            )
    for rejection, records in report.rejected:
        if rejection.internal:
            found.append(
                SarifResult(
                    RULE_MISSING.id,
                    "warning",
                    f"{rejection.where}: "
                    f"{Direction.of(egress=not rejection.ingress).preposition} "
                    f"{rejection.far.compressed} "
                    f"{protocol_name(rejection.protocol)} {rejection.port or ''} dropped by "
                    f"{rejection.dropped_by} ({records} records)",
                    logical=rejection.where,
                )
            )
    return found


def text_lines(report: UsageReport, *, files: int, unreadable: list[str]) -> Iterator[str]:
    c = report.counts
    since, until = report.window
    yield (
        f"Flow-log usage {_time(since)} → {_time(until)}: {c.get('lines', 0)} records in "
        f"{files} file(s); {c.get('ok', 0)} read, {c.get('nodata', 0)} NODATA, "
        f"{c.get('skipdata', 0)} SKIPDATA, {c.get('malformed', 0)} malformed, "
        f"{c.get('outside_window', 0)} outside the window"
    )
    for note in report.notes:
        yield f"  note: {note}"
    for path in unreadable:
        yield f"  unreadable (truncated or damaged): {path}"
    if c.get("unknown_interface"):
        yield f"  {c['unknown_interface']} records from interfaces not in the inventory (ignored)"
    if c.get("no_rule"):
        yield f"  {c['no_rule']} accepted records no current rule admits (rules changed?)"
    yield ""
    yield "Security-group rules"
    for u in report.rules:
        line = (
            f"  {u.verdict.value:7} {u.tier:12} {u.rule_id:22} {u.rule.direction.value:7} "
            f"{_traffic(u):18} {u.to_json()['peer']!s:22} hits {u.use.records}"
        )
        if u.suggestion is not None:
            line += f"  → {_suggestion(u)}"
        yield line
    yield ""
    yield "Network ACL entries"
    for e in report.acl_entries:
        line = (
            f"  {e.verdict.value:7} {e.label:28} {'egress' if e.ref.egress else 'ingress':7} "
            f"#{e.ref.number:6} {e.action:5} {e.description:30} hits {e.use.records}"
        )
        if e.suggestion is not None:
            line += "  → " + ", ".join(_entry(n) for n in e.suggestion)
        yield line
    yield ""
    yield "Rejected"
    if not report.rejected:
        yield "  nothing"
    for r, records in report.rejected:
        kind = "between tiers" if r.internal else "from outside "
        port = f" {r.port}" if r.port is not None else ""
        yield (
            f"  {kind} {r.where:12} {'in ' if r.ingress else 'out'} "
            f"{r.far.compressed:20} {protocol_name(r.protocol)}{port:6} by {r.dropped_by} "
            f"({records} records)"
        )


def failing(report: UsageReport, level: str) -> int:
    """How many results are at ``level`` or worse."""
    threshold = LEVEL_RANK[level]
    return sum(1 for r in sarif_results(report) if LEVEL_RANK[r.level] <= threshold)
