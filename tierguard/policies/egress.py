"""Security-group egress to the internet on every protocol or port."""

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
from tierguard.rules import Direction
from tierguard.rules.exposure import internet, opens_all_ports
from tierguard.rules.normalize import SG_TYPES


def check_unrestricted_egress(ctx: ResourceContext) -> Iterator[PolicyViolation]:
    for sourced in read_sg_rules(ctx):
        rule = sourced.rule
        if rule.direction is not Direction.EGRESS or not internet(rule):
            continue
        if opens_all_ports(rule.traffic):
            yield PolicyViolation(
                describe_rule(ctx.name, sourced),
                why="Unrestricted egress lets a compromised host download tooling and "
                "exfiltrate data anywhere, over any port (and ::/0 egress bypasses IPv4-only "
                "restrictions).",
                rule=rule_text(sourced.rule),
            )


SG_UNRESTRICTED_EGRESS = TierguardResourcePolicy(
    Metadata(
        name="aws-ec2-sg-no-unrestricted-egress",
        compliance=Compliance(checkov=("CKV_AWS_382",)),
        description="Security groups should not allow egress on all protocols or all ports "
        "to 0.0.0.0/0 or ::/0.",
        enforcement_level=EnforcementLevel.ADVISORY,
        severity=Severity.MEDIUM,
        remediation="Allow only what the tier calls (e.g. TCP 443 to the internet, database "
        "ports to the data tier's security group), and use VPC endpoints for AWS services.",
    ),
    check_unrestricted_egress,
    types=SG_TYPES,
)
