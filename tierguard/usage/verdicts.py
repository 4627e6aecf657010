"""Verdicts per rule and per ACL entry: used, unused, or wider than its traffic.

``unknown`` is said instead of ``unused`` when a rule's peer could not be evaluated (a
prefix list whose entries were not read): an unused claim must be backed by the flows.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from tierguard.deployed import tags as tag
from tierguard.rules import (
    AclEntry,
    CidrPeer,
    Direction,
    PrefixListPeer,
    SecurityGroupPeer,
    SgRule,
)
from tierguard.rules.acl import MAX_RULE_NUMBER
from tierguard.rules.protocols import protocol_name
from tierguard.usage.attribute import IMPLICIT, AclRef, Attribution, Network, Rejection, Use
from tierguard.usage.narrow import Suggestion, suggest, suggest_entry

#: Rejected flows from outside the stack: the top sources shown.
TOP_REJECTED = 10


class Verdict(StrEnum):
    USED = "used"
    UNUSED = "unused"
    WIDER = "wider"
    UNKNOWN = "unknown"


def peer_text(rule: SgRule) -> str:
    peer = rule.peer
    if isinstance(peer, CidrPeer):
        return peer.network.compressed
    if isinstance(peer, SecurityGroupPeer):
        return peer.group
    if isinstance(peer, PrefixListPeer):
        return peer.prefix_list
    raise AssertionError(peer)


@dataclass(frozen=True)
class RuleUsage:
    group_id: str
    tier: str
    rule_id: str
    rule: SgRule
    use: Use
    verdict: Verdict
    suggestion: Suggestion | None

    def to_json(self) -> dict[str, object]:
        traffic = self.rule.traffic
        return {
            "group_id": self.group_id,
            "tier": self.tier,
            "rule_id": self.rule_id,
            "direction": self.rule.direction.value,
            "protocol": protocol_name(traffic.protocol),
            "ports": (
                traffic.ports.key
                if traffic.ports is not None
                else (traffic.icmp.key if traffic.icmp is not None else None)
            ),
            "peer": peer_text(self.rule),
            "hits": self.use.records,
            "packets": self.use.packets,
            "bytes": self.use.bytes,
            "verdict": self.verdict.value,
            "suggestion": None if self.suggestion is None else self.suggestion.to_json(),
        }


@dataclass(frozen=True)
class AclEntryUsage:
    ref: AclRef
    label: str
    description: str
    action: str
    use: Use
    suggestion: tuple[AclEntry, ...] | None = None
    """Allow entries admitting every flow this one let through, and nothing it did not."""

    @property
    def verdict(self) -> Verdict:
        if not self.use.records:
            return Verdict.UNUSED
        return Verdict.USED if self.suggestion is None else Verdict.WIDER

    def to_json(self) -> dict[str, object]:
        return {
            "acl_id": self.ref.acl_id,
            "acl": self.label,
            "direction": "egress" if self.ref.egress else "ingress",
            "rule_number": self.ref.number,
            "action": self.action,
            "entry": self.description,
            "hits": self.use.records,
            "verdict": self.verdict.value,
            "suggestion": None
            if self.suggestion is None
            else [
                {
                    "rule_number": e.number,
                    "protocol": protocol_name(e.traffic.protocol),
                    "ports": None if e.traffic.ports is None else e.traffic.ports.key,
                    "cidr": e.cidr.compressed,
                    "entry": f"{e.traffic} {e.cidr.compressed}",
                }
                for e in self.suggestion
            ],
        }


@dataclass(frozen=True)
class UsageReport:
    window: tuple[int | None, int | None]
    counts: Mapping[str, int]
    rules: tuple[RuleUsage, ...]
    acl_entries: tuple[AclEntryUsage, ...]
    rejected: tuple[tuple[Rejection, int], ...]
    notes: tuple[str, ...] = ()
    """What the reader of the report must know (tiers judged together, …)."""

    def to_json(self) -> dict[str, object]:
        since, until = self.window
        return {
            "notes": list(self.notes),
            "window": {"since": since, "until": until},
            "records": dict(self.counts),
            "rules": [r.to_json() for r in self.rules],
            "acl_entries": [e.to_json() for e in self.acl_entries],
            "rejected": [_rejection_json(r, n) for r, n in self.rejected],
        }


def _rejection_json(rejection: Rejection, records: int) -> dict[str, object]:
    return {
        "at": rejection.where,
        "direction": "ingress" if rejection.ingress else "egress",
        "peer": rejection.far.compressed,
        "protocol": protocol_name(rejection.protocol),
        "port": rejection.port,
        "internal": rejection.internal,
        "dropped_by": rejection.dropped_by,
        "records": records,
    }


def rule_verdicts(network: Network, attribution: Attribution) -> list[RuleUsage]:
    found = []
    for group in network.inventory.groups:
        for labeled in group.rules:
            rule = labeled.rule
            use = attribution.rules.get(labeled.id, Use())
            suggestion = None
            if network.unresolved(rule) and not use.records:
                verdict = Verdict.UNKNOWN
            elif not use.records:
                verdict = Verdict.UNUSED
            else:
                source = rule.peer.network if isinstance(rule.peer, CidrPeer) else None
                suggestion = suggest(rule.traffic, source, use.seen)
                verdict = Verdict.USED if suggestion is None else Verdict.WIDER
            found.append(
                RuleUsage(
                    group.id,
                    network.tiers.get(group.id, group.id),
                    labeled.id,
                    rule,
                    use,
                    verdict,
                    suggestion,
                )
            )
    order = {Direction.INGRESS: 0, Direction.EGRESS: 1}
    return sorted(found, key=lambda r: (r.tier, order[r.rule.direction], r.rule_id))


def acl_verdicts(network: Network, attribution: Attribution) -> list[AclEntryUsage]:
    used_acls = {acl.id: acl for acl in network.acl_of.values()}
    found = []
    for acl in sorted(used_acls.values(), key=lambda a: a.id):
        for egress in (False, True):
            entries = sorted((e for e in acl.entries if e.egress == egress), key=lambda e: e.number)
            following = [e.number for e in entries[1:]] + [MAX_RULE_NUMBER + 1]
            for entry, next_number in zip(entries, following, strict=True):
                ref = AclRef(acl.id, egress, str(entry.number))
                use = attribution.acl.get(ref, Use())
                found.append(
                    AclEntryUsage(
                        ref,
                        acl.label,
                        f"{entry.traffic} {entry.cidr.compressed}",
                        entry.action.value,
                        use,
                        suggest_entry(entry, use.seen, next_number=next_number),
                    )
                )
            ref = AclRef(acl.id, egress, IMPLICIT)
            found.append(
                AclEntryUsage(
                    ref, acl.label, "everything else", "deny", attribution.acl.get(ref, Use())
                )
            )
    return found


def usage_report(
    network: Network,
    attribution: Attribution,
    window: tuple[int | None, int | None],
    *,
    read_counts: Mapping[str, int] | None = None,
    notes: tuple[str, ...] = (),
) -> UsageReport:
    """Verdicts for every rule and entry; ``read_counts`` are the reader's (``lines``,
    ``malformed``, ``nodata``, …), reported beside the attribution's own."""
    rejected = sorted(attribution.rejected.items(), key=lambda item: (-item[1], str(item[0])))
    internal = [(r, n) for r, n in rejected if r.internal]
    external = [(r, n) for r, n in rejected if not r.internal][:TOP_REJECTED]
    return UsageReport(
        window=window,
        counts=dict(sorted({**(read_counts or {}), **attribution.counts}.items())),
        rules=tuple(rule_verdicts(network, attribution)),
        acl_entries=tuple(acl_verdicts(network, attribution)),
        rejected=tuple(internal + external),
        notes=notes,
    )


def for_stack(report: UsageReport, network: Network, stack: str) -> UsageReport:
    """The stack's groups (by their ``tierguard:stack`` tag) and its VPCs' ACLs only."""
    groups = [g for g in network.inventory.groups if g.tags.get(tag.STACK) == stack]
    mine = {g.id for g in groups}
    vpcs = {g.vpc_id for g in groups}
    acls = {a.id for a in network.inventory.acls if a.vpc_id in vpcs}
    return dataclasses.replace(
        report,
        rules=tuple(r for r in report.rules if r.group_id in mine),
        acl_entries=tuple(e for e in report.acl_entries if e.ref.acl_id in acls),
    )
