"""Descriptions that say why a rule or group exists.

A description check that only asks "is there one" always passes in Pulumi: the provider
fills in "Managed by Pulumi". Placeholders, tool defaults and text EC2 rejects fail; an
optional minimum length and pattern (e.g. a ticket reference) can be required.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from pulumi_policy import EnforcementLevel, Severity

from tierguard.policies.base import (
    ENGINE_READER,
    Metadata,
    PolicyViolation,
    ResourceContext,
    TierguardResourcePolicy,
)
from tierguard.policies.common import describe_rule, read_sg_rules, rule_text
from tierguard.policies.compliance import Compliance
from tierguard.policies.config import Settings, integer, string_list
from tierguard.rules.descriptions import description_problem
from tierguard.rules.normalize import GROUP_TYPES, SECURITY_GROUP, SG_TYPES

PARAMETERS = {
    "minLength": integer("Shortest acceptable description.", 1, 0, 255),
    "pattern": {
        "type": "string",
        "description": "A regular expression every description must match (e.g. a ticket "
        "reference such as '[A-Z]+-[0-9]+'); empty means no pattern.",
        "default": "",
    },
    "placeholders": string_list(
        "Extra descriptions to reject as placeholders (case-insensitive).", []
    ),
}


def problem(text: str | None, settings: Settings) -> str | None:
    """Why ``text`` is not a real description; ``None`` when it is one."""
    if text is None or not text.strip():
        return "has no description"
    extra = {p.strip().lower() for p in settings.strings("placeholders")}
    if text.strip().lower() in extra:
        return f"has the placeholder description {text!r}"
    found = description_problem(text)
    if found:
        return f"description {found}"
    minimum = settings.integer("minLength")
    if len(text.strip()) < minimum:
        return f"description {text!r} is shorter than {minimum} characters"
    pattern = str(settings.value("pattern") or "")
    if pattern and not re.search(pattern, text):
        return f"description {text!r} does not match the required pattern {pattern!r}"
    return None


def check_rule_descriptions(ctx: ResourceContext) -> Iterator[PolicyViolation]:
    seen: set[str] = set()
    for sourced in read_sg_rules(ctx):
        if sourced.path in seen:
            continue
        seen.add(sourced.path)
        found = problem(sourced.rule.description, ctx.settings)
        if found:
            yield PolicyViolation(
                f"{describe_rule(ctx.name, sourced)} but {found}",
                why="Without the reason a rule exists, nobody can tell later whether it is "
                "still needed, so rules only accumulate.",
                rule=rule_text(sourced.rule),
            )


def check_group_description(ctx: ResourceContext) -> Iterator[PolicyViolation]:
    try:
        text = ctx.props.get("description")
    except ENGINE_READER.unknown_errors:
        ctx.unknown(f"{ctx.name} description is unknown")
        return
    found = problem(text if isinstance(text, str) else None, ctx.settings)
    if found:
        yield PolicyViolation(
            f"security group {ctx.name} {found}",
            why="The group description is what consoles and audits show to explain what the "
            "group guards.",
        )


SG_RULE_DESCRIPTIONS = TierguardResourcePolicy(
    Metadata(
        name="aws-ec2-sg-rule-description-required",
        compliance=Compliance(checkov=("CKV_AWS_23",)),
        description="Every security-group rule needs a real description: not missing, empty, "
        "or a tool default such as 'Managed by Pulumi' / 'Managed by Terraform'.",
        enforcement_level=EnforcementLevel.MANDATORY,
        severity=Severity.LOW,
        remediation="Set description to what the rule is for, e.g. 'HTTPS from the public "
        "load balancer'.",
        parameters=PARAMETERS,
        topic="hygiene",
    ),
    check_rule_descriptions,
    types=SG_TYPES,
)

SG_GROUP_DESCRIPTION = TierguardResourcePolicy(
    Metadata(
        name="aws-ec2-sg-description-required",
        compliance=Compliance(checkov=("CKV_AWS_23",)),
        description="Security groups should have a real description, not the provider default "
        "'Managed by Pulumi'.",
        enforcement_level=EnforcementLevel.ADVISORY,
        severity=Severity.LOW,
        remediation="Set description (note: EC2 cannot change it in place, so changing it "
        "replaces the group).",
        parameters=PARAMETERS,
        topic="hygiene",
    ),
    check_group_description,
    types=frozenset({SECURITY_GROUP}),
)

__all__ = ["GROUP_TYPES", "SG_GROUP_DESCRIPTION", "SG_RULE_DESCRIPTIONS"]
