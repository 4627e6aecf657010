"""Intents as code: what must and must not be reachable, checked against a topology.

One pure evaluation (no Pulumi, no boto3) serves the policy pack at preview, ``tierguard
reach --check`` and ``tierguard audit``; each reads intents from where it gets its
configuration (the pack config, the stack config) and hands them to ``parse_intents``::

    - {from: internet, to: database, must: not-reach}            # on any protocol or port
    - {from: app, to: database, must: reach, protocol: tcp, ports: 3306}
    - {from: blocked, must: not-reach}                            # to no tier at all

``from`` is a source as ``tierguard reach`` names them (``internet`` means both
families, a named CIDR, a tier, or a CIDR block); ``to`` a tier (omitted: every tier).
*must reach* holds when every part of the source, wherever members land, opens the
connection with its replies; *must not reach* is broken by any part of the source whose
packets get in — an open flow, or one-way (the request arrives even if replies do not).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from tierguard.reach.analysis import ReachFinding, Verdict, explain, reach
from tierguard.reach.topology import Source, Topology, source_named
from tierguard.rules import ALL, TCP, PortRange, parse_ports, parse_protocol
from tierguard.rules.protocols import VALID_SPELLINGS, is_icmp, protocol_has_ports, protocol_name
from tierguard.rules.values import CODES, full_range, has_family

Must = Literal["reach", "not-reach"]
_FIELDS = {"from", "to", "must", "protocol", "ports", "description"}


class IntentError(ValueError):
    """An intent that cannot be read: the field (``intents[2].ports``) and what is wrong."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


@dataclass(frozen=True)
class Intent:
    source: str
    target: str | None
    must: Must
    protocol: int
    """``ALL`` for any protocol."""
    ports: PortRange | None
    """TCP/UDP ports (ICMP: type range); ``None`` for all of the protocol's values."""
    description: str = ""

    def __str__(self) -> str:
        what = "any protocol" if self.protocol == ALL else protocol_name(self.protocol)
        if self.ports is not None:
            what += f" {self.ports.key}"
        to = f"tier {self.target}" if self.target else "any tier"
        verb = "must reach" if self.must == "reach" else "must not reach"
        return f"{self.source} {verb} {to} on {what}"


#: Where a stack's configuration declares its intents (``Pulumi.<stack>.yaml``).
INTENTS_KEY = "tierguard:intents"
#: The pack's stack policy that enforces them at preview.
INTENTS_POLICY = "tierguard-reachability-intents"


def with_stack_intents(
    pack_config: Mapping[str, Any] | None, stack_config: Mapping[str, Any]
) -> dict[str, Any] | None:
    """The pack config with the stack's intents (and named CIDRs, which intents may name)
    given to the intents policy, unless the pack config already configures it."""
    raw = stack_config.get(INTENTS_KEY)
    config = dict(pack_config or {})
    if raw is None or INTENTS_POLICY in config:
        return dict(pack_config) if pack_config is not None else None
    network = stack_config.get("tierguard:network")
    named = network.get("named_cidrs") if isinstance(network, Mapping) else None
    config[INTENTS_POLICY] = {
        "intents": raw,
        "namedCidrs": {str(k): str(v) for k, v in (named or {}).items()},
    }
    return config


def parse_intents(raw: object, *, where: str = INTENTS_KEY) -> list[Intent]:
    """Read intents from config; an ``IntentError`` names the bad field and what is valid."""
    if raw is None:
        return []
    if not isinstance(raw, Sequence) or isinstance(raw, str):
        raise IntentError(f"{where}", "give a list of intents ({from, to, must, …})")
    return [_intent(item, f"{where}[{index}]") for index, item in enumerate(raw)]


def _intent(item: object, path: str) -> Intent:
    if not isinstance(item, Mapping):
        raise IntentError(f"{path}", "an intent is a mapping with from, to, must")
    unknown = sorted(set(item) - _FIELDS)
    if unknown:
        raise IntentError(
            f"{path}.{unknown[0]}", f"unknown field; use {', '.join(sorted(_FIELDS))}"
        )
    source = item.get("from")
    if not isinstance(source, str) or not source:
        raise IntentError(f"{path}.from", "required, a source (internet, a named CIDR, a tier)")
    target = item.get("to")
    if target is not None and (not isinstance(target, str) or not target):
        raise IntentError(f"{path}.to", "a tier name (or leave it out for every tier)")
    must = item.get("must")
    if must not in ("reach", "not-reach"):
        raise IntentError(f"{path}.must", f"{must!r} is not valid; use reach or not-reach")
    try:
        protocol = parse_protocol(item.get("protocol", TCP if must == "reach" else ALL))
    except ValueError:
        raise IntentError(
            f"{path}.protocol", f"{item.get('protocol')!r} is not valid; use {VALID_SPELLINGS}"
        ) from None
    ports: PortRange | None = None
    if "ports" in item:
        if not (protocol_has_ports(protocol) or is_icmp(protocol)):
            raise IntentError(f"{path}.ports", f"protocol {protocol_name(protocol)} has no ports")
        try:
            ports = parse_ports(item["ports"])
        except ValueError as exc:
            raise IntentError(f"{path}.ports", f"{exc}") from None
    elif must == "reach" and protocol_has_ports(protocol):
        raise IntentError(
            f"{path}.ports", f"required for must: reach over {protocol_name(protocol)}"
        )
    if must == "reach" and (protocol == ALL or target is None):
        raise IntentError(
            f"{path}", "must: reach needs one tier (to) and one protocol, not every one"
        )
    description = item.get("description", "")
    return Intent(source, target, must, protocol, ports, str(description))


@dataclass(frozen=True)
class IntentResult:
    intent: Intent
    violations: tuple[str, ...]

    @property
    def holds(self) -> bool:
        return not self.violations


def evaluate_intents(topology: Topology, intents: Sequence[Intent]) -> list[IntentResult]:
    """Each intent with what breaks it (nothing when it holds), in the order given."""
    broken = check_intents(topology, intents)
    return [IntentResult(i, tuple(v.message for v in broken if v.intent is i)) for i in intents]


@dataclass(frozen=True)
class Violation:
    intent: Intent
    message: str
    """What breaks the intent, and the path that does (rules and ACL entries)."""
    target: str | None = None
    """The tier the broken path leads to (``None``: the intent itself is unusable)."""


def _sources(topology: Topology, intent: Intent) -> list[Source]:
    """``internet`` is both families, each judged over the protocols it carries: an
    intent over ICMP concerns the IPv4 internet, one over ICMPv6 the IPv6 internet."""
    if intent.source == "internet":
        return [
            source_named(topology, f"internet-ipv{version}")
            for version in (4, 6)
            if has_family(intent.protocol, version)
        ]
    return [source_named(topology, intent.source)]


def _values(intent: Intent, protocol: int) -> PortRange:
    if intent.ports is None:
        return full_range(protocol)
    if is_icmp(protocol):
        return PortRange(intent.ports.first * CODES, intent.ports.last * CODES + CODES - 1)
    return intent.ports


def _touches(finding: ReachFinding, intent: Intent) -> bool:
    if intent.protocol not in (ALL, finding.protocol) and finding.protocol != ALL:
        return False
    if not finding.ports:
        return True
    wanted = _values(intent, finding.protocol)
    return any(block.overlaps(wanted) for block in finding.ports)


def _path(topology: Topology, source: Source, target: str, finding: ReachFinding) -> str:
    """The walk of the first violating packet, as ``reach --port`` explains it."""
    protocol = TCP if finding.protocol == ALL else finding.protocol
    if protocol > 255:
        return ""
    value = finding.ports[0].first if finding.ports else None
    explanation = explain(topology, source, topology.tiers[target], protocol, value)
    case = next((c for c in explanation.cases if c.reachable), None) or next(
        iter(explanation.cases), None
    )
    if case is None:
        return ""
    steps = "; ".join(f"{'✓' if s.passed else '✗'} {s.layer}: {s.detail}" for s in case.steps)
    return f" — path: {steps}"


def check_intents(topology: Topology, intents: Sequence[Intent]) -> list[Violation]:
    """Every intent the topology breaks, with the path that breaks it."""
    found: list[Violation] = []
    for intent in intents:
        try:
            sources = _sources(topology, intent)
        except ValueError as exc:
            found.append(Violation(intent, f"from: {exc}"))
            continue
        if intent.target is not None and intent.target not in topology.tiers:
            tiers = ", ".join(topology.tiers)
            found.append(Violation(intent, f"to: {intent.target!r} is not a tier; tiers: {tiers}"))
            continue
        targets = [intent.target] if intent.target else list(topology.tiers)
        for source in sources:
            for target in targets:
                message = _judge(topology, intent, source, target)
                if message:
                    found.append(Violation(intent, message, target))
    return found


def _judge(topology: Topology, intent: Intent, source: Source, target: str) -> str:
    only = None if intent.protocol == ALL else (intent.protocol,)
    cell = reach(topology, source, topology.tiers[target], only)
    touching = [f for f in cell.findings if _touches(f, intent)]
    if intent.must == "not-reach":
        getting_in = [f for f in touching if f.verdict is not Verdict.BLOCKED]
        if not getting_in:
            return ""
        first = getting_in[0]
        where = f" ({first.detail})" if first.detail else ""
        return (
            f"{source} reaches tier {target} on {first.label}"
            f"{' (one-way)' if first.verdict is Verdict.ONE_WAY else ''}{where}"
            + _path(topology, source, target, first)
        )
    wanted = _values(intent, intent.protocol)
    whole = [
        f for f in touching if f.verdict is Verdict.OPEN and not f.partial and _covers(f, wanted)
    ]
    if whole:
        return ""
    others = [f for f in touching if f.verdict is not Verdict.OPEN or f.partial]
    # Open everywhere but not on every wanted port: say which part is, not "no rule".
    part = ", ".join(f.label for f in touching if f not in others)
    why = "; ".join(f"{f.label} {f.verdict.value}: {f.detail}" for f in others) or (
        f"only {part} is open" if part else "no security group rule allows it"
    )
    what = protocol_name(intent.protocol) + (f" {intent.ports.key}" if intent.ports else "")
    return f"{source} does not reach tier {target} on {what} ({why})"


def _covers(finding: ReachFinding, wanted: PortRange) -> bool:
    if not finding.ports:
        return True
    return any(block.covers(wanted) for block in finding.ports)
