"""What the audit reports: a catalog of rules with stable ids and levels, and findings.

Every finding names its rule (a stable id, for SARIF and for suppressions), a level
(``error``/``warning``/``note``, SARIF's words), the resource it is about (region, id,
name) and a message in three parts: *what* is there, *why* it matters, *how* to fix it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Level(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"

    @property
    def rank(self) -> int:
        return {Level.ERROR: 0, Level.WARNING: 1, Level.NOTE: 2}[self]


@dataclass(frozen=True)
class AuditRule:
    id: str
    level: Level
    title: str
    help: str


def _rule(id_: str, level: Level, title: str, help_: str) -> AuditRule:
    return AuditRule(id_, level, title, help_)


EXPOSURE_REACHABLE = _rule(
    "audit-exposure-reachable",
    Level.ERROR,
    "Sensitive port reachable from the internet",
    "A security-group rule opens an admin port, a high-risk port or every port to "
    "0.0.0.0/0 or ::/0, the subnet's network ACL lets the requests in and the replies "
    "out, and the interface has a public address: all three line up.",
)
EXPOSURE_LATENT = _rule(
    "audit-exposure-latent",
    Level.WARNING,
    "Sensitive port open to the internet in a security group",
    "A security-group rule opens an admin port, a high-risk port or every port to the "
    "internet, but something else stops it today (no public address, the network ACL, "
    "or nothing carries the group yet). One change elsewhere exposes it.",
)
SG_UNUSED = _rule(
    "audit-sg-unused",
    Level.NOTE,
    "Security group not used",
    "No network interface, load balancer, RDS instance or cluster, Lambda function or "
    "other group's rule uses the group.",
)
DEFAULT_SG_IN_USE = _rule(
    "audit-default-sg-in-use",
    Level.WARNING,
    "Default security group in use",
    "Resources use the VPC's default group, which everything launched without a group "
    "joins; give them dedicated groups (CIS AWS 5.4).",
)
DEFAULT_SG_ALLOWS = _rule(
    "audit-default-sg-allows-traffic",
    Level.WARNING,
    "Default security group allows traffic",
    "The VPC's default group has rules; it should allow nothing (CIS AWS 5.4, Security Hub EC2.2).",
)
ACL_UNATTACHED = _rule(
    "audit-acl-unattached",
    Level.NOTE,
    "Network ACL not associated with any subnet",
    "A custom network ACL protects nothing (Security Hub EC2.16).",
)
RULE_NO_DESCRIPTION = _rule(
    "audit-sg-rule-no-description",
    Level.NOTE,
    "Security-group rules without a description",
    "Rules with no description, or a tool's placeholder, say nothing about why they exist.",
)
ENI_TOO_MANY_GROUPS = _rule(
    "audit-eni-too-many-groups",
    Level.WARNING,
    "More than five security groups on one interface",
    "An interface with more than five groups (the default quota) is hard to reason about: "
    "its access is the union of every rule of every group.",
)
DRIFT_ADDED = _rule(
    "audit-drift-added",
    Level.ERROR,
    "In AWS but not in the stack (added by hand)",
    "A rule, entry or group tagged as managed by the stack is not in its plan: someone "
    "added it outside Pulumi, and the next `pulumi up` may not remove it.",
)
DRIFT_CHANGED = _rule(
    "audit-drift-changed",
    Level.ERROR,
    "Changed outside the stack",
    "A managed rule or entry differs from the plan (traffic, peer, action or description).",
)
DRIFT_MISSING = _rule(
    "audit-drift-missing",
    Level.WARNING,
    "In the stack but missing from AWS",
    "A planned group, ACL, rule or entry was not found: deleted by hand, or not deployed.",
)

INTENT_BROKEN = _rule(
    "audit-intent-broken",
    Level.ERROR,
    "Reachability intent broken",
    "The stack declares what must and must not be reachable (tierguard:intents); the "
    "account's security groups and network ACLs break one of those intents.",
)

FLOW_RULE_UNUSED = _rule(
    "audit-flow-rule-unused",
    Level.WARNING,
    "Security-group rule no flow used (flow logs)",
    "No accepted flow in the flow logs' window was admitted by the rule: a candidate to "
    "remove, if the window covers its periodic traffic.",
)
FLOW_RULE_WIDER = _rule(
    "audit-flow-rule-wider",
    Level.NOTE,
    "Security-group rule wider than its traffic (flow logs)",
    "Every accepted flow the rule admitted would still be admitted by narrower rules.",
)
FLOW_ACL_WIDER = _rule(
    "audit-flow-acl-entry-wider",
    Level.NOTE,
    "Network ACL allow entry wider than its traffic (flow logs)",
    "Narrower entries numbered in its place would let through every flow it did and "
    "nothing it did not.",
)
FLOW_REJECTED_INTERNAL = _rule(
    "audit-flow-rejected-between-tiers",
    Level.WARNING,
    "Traffic between the VPC's own addresses rejected (flow logs)",
    "An ACL entry or a missing security-group rule dropped traffic from inside the VPC.",
)

CATALOG: tuple[AuditRule, ...] = (
    EXPOSURE_REACHABLE,
    EXPOSURE_LATENT,
    SG_UNUSED,
    DEFAULT_SG_IN_USE,
    DEFAULT_SG_ALLOWS,
    ACL_UNATTACHED,
    RULE_NO_DESCRIPTION,
    ENI_TOO_MANY_GROUPS,
    DRIFT_ADDED,
    DRIFT_CHANGED,
    DRIFT_MISSING,
    INTENT_BROKEN,
    FLOW_RULE_UNUSED,
    FLOW_RULE_WIDER,
    FLOW_ACL_WIDER,
    FLOW_REJECTED_INTERNAL,
)


#: The id of a resource that drift expected but did not find.
MISSING = "-"


@dataclass(frozen=True)
class Resource:
    """An AWS object a finding is about."""

    region: str
    kind: str
    """``security-group``, ``security-group-rule``, ``network-interface``, ``network-acl``,
    ``network-acl-entry``."""
    id: str
    name: str = ""

    def __str__(self) -> str:
        return f"{self.name} ({self.id})" if self.name and self.name != self.id else self.id

    @property
    def key(self) -> str:
        """The id, or for something missing from AWS (id ``-``) the name it should have."""
        return self.name if self.id == MISSING else self.id


@dataclass(frozen=True)
class AuditFinding:
    """Something wrong with a resource of the audited account: what, why, how to fix."""

    rule: AuditRule
    resource: Resource
    what: str
    why: str
    fix: str
    related: tuple[Resource, ...] = ()
    """Other objects involved (the interface exposed, the rule that opens it, …)."""

    @property
    def level(self) -> Level:
        return self.rule.level

    @property
    def message(self) -> str:
        """What, why, how to fix: one paragraph."""
        return f"{self.what}. {self.why}. Fix: {self.fix}."

    @property
    def fingerprint(self) -> str:
        """Stable across runs while the same thing is wrong with the same resources (for
        SARIF's ``partialFingerprints`` and suppressions); ignores the wording."""
        related = ",".join(r.key for r in self.related)
        return f"{self.rule.id}/{self.resource.region}/{self.resource.key}/{related}"

    @property
    def sort_key(self) -> tuple[int, str, str, str, str]:
        return (self.level.rank, self.rule.id, self.resource.region, self.resource.id, self.what)
