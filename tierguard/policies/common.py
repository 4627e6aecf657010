"""Wording and small readers shared by the policy modules.

Messages follow one shape: *what* (the rule, its traffic and peer), *why* it matters,
*how* to fix it. The helpers here produce the *what* consistently.
"""

from __future__ import annotations

from tierguard.policies.base import ENGINE_READER, ResourceContext
from tierguard.rules import Direction, SgRule
from tierguard.rules.exposure import peer_text
from tierguard.rules.normalize import SourcedRule, normalize_security_group


def where(resource_name: str, path: str) -> str:
    """``web-sg ingress[0]`` or ``ssh-rule``: how a message names a rule."""
    return f"{resource_name} {path}" if path else resource_name


def direction_word(rule: SgRule) -> str:
    return "from" if rule.direction is Direction.INGRESS else "to"


def describe_rule(resource_name: str, sourced: SourcedRule) -> str:
    rule = sourced.rule
    verb = "opens" if rule.direction is Direction.INGRESS else "allows egress on"
    return (
        f"{rule.direction.value} rule {where(resource_name, sourced.path)} {verb} "
        f"{rule.traffic} {direction_word(rule)} {peer_text(rule)}"
    )


def read_sg_rules(ctx: ResourceContext) -> list[SourcedRule]:
    """The resource's rules; unknown blocks are recorded on the context."""
    result = normalize_security_group(
        ctx.resource_type, ctx.props, group=ctx.urn or ctx.name, reader=ENGINE_READER
    )
    for item in result.unknowns:
        ctx.unknown(f"{ctx.name} {item}".replace(" : ", ": "))
    return list(result.items)
