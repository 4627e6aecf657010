"""Wording and small readers shared by the policy modules.

Violations have one shape (``PolicyViolation``): *what* (the rule, its traffic and peer),
*why* it matters, *how* to fix it. The helpers here produce the *what* and the rule's text
consistently.
"""

from __future__ import annotations

from tierguard.policies.base import ENGINE_READER, ResourceContext
from tierguard.policies.memo import shared
from tierguard.rules import AclEntry, Direction, SgRule
from tierguard.rules.exposure import peer_text
from tierguard.rules.normalize import SourcedRule, normalize_security_group


def where(resource_name: str, path: str) -> str:
    """``web-sg ingress[0]`` or ``ssh-rule``: how a message names a rule."""
    return f"{resource_name} {path}" if path else resource_name


def rule_text(rule: SgRule) -> str:
    """The rule a violation is about, on its own: ``ingress TCP 22 from 0.0.0.0/0``."""
    return str(rule)


def entry_text(entry: AclEntry) -> str:
    """An ACL entry a violation is about: ``ingress rule 100 allow TCP 22 from 0.0.0.0/0``."""
    return f"{entry.direction} rule {entry.number} {entry}"


def describe_rule(resource_name: str, sourced: SourcedRule) -> str:
    rule = sourced.rule
    verb = "opens" if rule.direction is Direction.INGRESS else "allows egress on"
    return (
        f"{rule.direction.value} rule {where(resource_name, sourced.path)} {verb} "
        f"{rule.traffic} {rule.direction.preposition} {peer_text(rule)}"
    )


def read_sg_rules(ctx: ResourceContext) -> list[SourcedRule]:
    """The resource's rules; unknown blocks are recorded on the context. Normalised once
    per request: every security-group policy of one ``Analyze`` reads the same props."""
    group = ctx.urn or ctx.name
    result = shared(
        ("sg-rules", id(ctx.props), ctx.resource_type, group),
        lambda: normalize_security_group(
            ctx.resource_type, ctx.props, group=group, reader=ENGINE_READER
        ),
    )
    for item in result.unknowns:
        ctx.unknown(f"{ctx.name} {item}".replace(" : ", ": "))
    return list(result.items)
