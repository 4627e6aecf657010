"""The reachability intents of a stack, enforced at preview (mandatory).

Intents come through the pack config, so any Pulumi program can declare them
(``--policy-pack-config``; ``tierguard preview --offline`` passes a tierguard stack's
``tierguard:intents`` and named CIDRs itself)::

    {"tierguard-reachability-intents": {
        "intents": [{"from": "internet", "to": "database", "must": "not-reach"}],
        "namedCidrs": {"blocked": "198.51.100.0/24"}}}

The network is read from the stack's resources exactly as ``tierguard reach`` reads it,
and judged by the same pure evaluation ``reach --check`` and the audit use.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator

from pulumi_policy import EnforcementLevel, Severity

from tierguard.policies.base import Metadata, PolicyViolation, StackContext, TierguardStackPolicy
from tierguard.policies.graph import StackView

# The module, not its function: reach.resources reads stacks through this package's graph.
from tierguard.reach import resources
from tierguard.reach.intents import INTENTS_POLICY, IntentError, check_intents, parse_intents

_FIX_CONFIG = "Correct that entry in the pack config (see the README's 'Intents as code')."


def check_reachability_intents(ctx: StackContext) -> Iterator[PolicyViolation]:
    try:
        intents = parse_intents(ctx.settings.value("intents"), where="intents")
    except IntentError as exc:
        yield PolicyViolation(
            f"the pack config's {exc.path} cannot be read: {exc.reason}", fix=_FIX_CONFIG
        )
        return
    if not intents:
        return
    named = {}
    for name, cidr in (ctx.settings.value("namedCidrs") or {}).items():
        try:
            named[str(name)] = ipaddress.ip_network(str(cidr))
        except ValueError:
            yield PolicyViolation(
                f"the pack config's namedCidrs.{name}: {cidr!r} is not a CIDR block",
                fix=_FIX_CONFIG,
            )
            return
    topology = resources.topology_from_view(StackView(ctx), named_cidrs=named).topology
    for violation in check_intents(topology, intents):
        label = violation.intent.description or str(violation.intent)
        yield PolicyViolation(
            f"intent broken — {label} ({violation.intent}): {violation.message}",
            rule=str(violation.intent),
        )


REACHABILITY_INTENTS = TierguardStackPolicy(
    Metadata(
        name=INTENTS_POLICY,
        description="What must and must not be reachable, declared as intents in the pack "
        "config, holds for the network the stack's resources describe.",
        enforcement_level=EnforcementLevel.MANDATORY,
        severity=Severity.CRITICAL,
        remediation="Change the rules or ACL entries on the path the finding names, or the "
        "intent if the requirement changed.",
        parameters={
            "intents": {
                "type": "array",
                "items": {"type": "object"},
                "description": "Intents: {from, to, must: reach|not-reach, protocol, ports}.",
                "default": [],
            },
            "namedCidrs": {
                "type": "object",
                "additionalProperties": {"type": "string"},
                "description": "Names intents may use as sources, with their CIDR blocks.",
                "default": {},
            },
        },
    ),
    check_reachability_intents,
)
