"""A suggested change to the stack file, as a unified diff: never applied.

Rules are traced back to the config entry that made them: a rule's ``Name`` tag is its
planned name, and the plan knows each rule's origin (``tiers.web.ingress[1]``). An entry
whose every rule went unused is removed; an entry whose rule is wider than its traffic is
replaced by one entry per narrowed traffic and source. Entries are located in the file by
PyYAML's node marks, so the rest of the file (comments, order) is left as written.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from typing import Any

import yaml

from tierguard.config.parse import CONFIG_KEY
from tierguard.plan import NetworkPlan, PlannedSgRule
from tierguard.rules.protocols import protocol_name
from tierguard.usage.verdicts import RuleUsage, Verdict

_ORIGIN = re.compile(r"^tiers\.([^.\[\]]+)\.(ingress|egress)\[(\d+)\]$")
_PEER_KEYS = ("internet", "cidr", "named_cidr", "tier", "security_group_id", "prefix_list_id")
_TRAFFIC_KEYS = ("service", "protocol", "ports", "icmp_type", "icmp_code")


def _child(node: yaml.Node, key: str) -> yaml.Node | None:
    if not isinstance(node, yaml.MappingNode):
        return None
    return next(
        (v for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == key), None
    )


def _item(root: yaml.Node, tier: str, direction: str, index: int) -> yaml.Node | None:
    node: yaml.Node | None = root
    for key in ("config", CONFIG_KEY, "tiers", tier, direction):
        node = _child(node, key) if node is not None else None
    if not isinstance(node, yaml.SequenceNode) or index >= len(node.value):
        return None
    item = node.value[index]
    assert isinstance(item, yaml.Node)
    return item


def _replacement(entry: Mapping[str, Any], usage: RuleUsage) -> list[dict[str, Any]]:
    suggestion = usage.suggestion
    assert suggestion is not None
    base = {k: v for k, v in entry.items() if k not in _PEER_KEYS and k not in _TRAFFIC_KEYS}
    peers: list[dict[str, Any]]
    if suggestion.sources is None:
        peers = [{k: v for k, v in entry.items() if k in _PEER_KEYS}]
    else:
        peers = [{"cidr": s.compressed} for s in suggestion.sources]
    traffics: list[dict[str, Any]] = []
    for traffic in suggestion.traffic:
        if traffic == usage.rule.traffic:
            traffics.append({k: v for k, v in entry.items() if k in _TRAFFIC_KEYS})
        elif traffic.ports is not None:
            ports = traffic.ports
            spelled: int | str = ports.first if ports.first == ports.last else ports.key
            traffics.append({"protocol": protocol_name(traffic.protocol), "ports": spelled})
        else:
            traffics.append({"protocol": protocol_name(traffic.protocol)})
    return [{**t, **p, **base} for t in traffics for p in peers]


def _end(node: yaml.Node, lines: Sequence[str]) -> int:
    """The line after an item: its end mark is where the next token starts."""
    line, column = node.end_mark.line, node.end_mark.column
    if line < len(lines) and lines[line][:column].strip():
        return line + 1
    return line


def suggested_diff(
    text: str,
    path: str,
    plan: NetworkPlan,
    usages: Sequence[RuleUsage],
    rule_names: Mapping[str, str],
) -> str:
    """The unified diff of ``text`` (the stack file at ``path``) with the suggestions made;
    empty when there is nothing to suggest. ``rule_names``: ``sgr-…`` → planned name."""
    planned: dict[str, PlannedSgRule] = {
        r.name: r for tier in plan.tiers.values() for r in tier.rules
    }
    by_origin: dict[str, list[tuple[PlannedSgRule, RuleUsage]]] = {}
    for usage in usages:
        rule = planned.get(rule_names.get(usage.rule_id, ""))
        if rule is not None and _ORIGIN.match(rule.origin):
            by_origin.setdefault(rule.origin, []).append((rule, usage))
    root = yaml.compose(text)
    lines = text.splitlines(keepends=True)
    edits: list[tuple[int, int, list[str]]] = []
    for origin, found in by_origin.items():
        match = _ORIGIN.match(origin)
        assert match is not None
        node = _item(root, match[1], match[2], int(match[3])) if root is not None else None
        if node is None:
            continue
        own = [u for r, u in found if not r.automatic]
        if all(u.verdict is Verdict.UNUSED for _, u in found):
            new: list[str] = []
        elif own and own[0].verdict is Verdict.WIDER:
            loaded = yaml.safe_load("".join(lines[node.start_mark.line : _end(node, lines)]))
            if not (isinstance(loaded, list) and loaded and isinstance(loaded[0], dict)):
                continue
            indent = " " * max(node.start_mark.column - 2, 0)
            new = []
            for item in _replacement(loaded[0], own[0]):
                dumped = yaml.safe_dump([item], sort_keys=False, default_flow_style=False)
                new.extend(indent + line + "\n" for line in dumped.splitlines())
        else:
            continue
        edits.append((node.start_mark.line, _end(node, lines), new))
    if not edits:
        return ""
    changed = list(lines)
    for start, end, new in sorted(edits, reverse=True):
        changed[start:end] = new
    return "".join(difflib.unified_diff(lines, changed, f"a/{path}", f"b/{path}"))
