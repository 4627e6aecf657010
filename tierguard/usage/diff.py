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
from tierguard.plan import NetworkPlan, PlannedAclEntry, PlannedSgRule
from tierguard.rules import Traffic
from tierguard.rules.protocols import protocol_name
from tierguard.usage.verdicts import AclEntryUsage, RuleUsage, Verdict

_ORIGIN = re.compile(r"^tiers\.([^.\[\]]+)\.(ingress|egress)\[(\d+)\]$")
_ACL_ORIGIN = re.compile(r"^network_acls\.([^.\[\]]+)\.(ingress|egress)\[(\d+)\]$")
_PEER_KEYS = ("internet", "cidr", "named_cidr", "tier", "security_group_id", "prefix_list_id")
_TRAFFIC_KEYS = ("service", "protocol", "ports", "icmp_type", "icmp_code")


def _child(node: yaml.Node, key: str) -> yaml.Node | None:
    if not isinstance(node, yaml.MappingNode):
        return None
    return next(
        (v for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == key), None
    )


def _item(root: yaml.Node, keys: Sequence[str], index: int) -> yaml.Node | None:
    """Item ``index`` of the sequence at ``config.<CONFIG_KEY>.<keys…>``."""
    node: yaml.Node | None = root
    for key in ("config", CONFIG_KEY, *keys):
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


def _traffic_keys(traffic: Traffic) -> dict[str, Any]:
    if traffic.ports is not None:
        ports = traffic.ports
        spelled: int | str = ports.first if ports.first == ports.last else ports.key
        return {"protocol": protocol_name(traffic.protocol), "ports": spelled}
    return {"protocol": protocol_name(traffic.protocol)}


def _acl_replacement(
    entry: Mapping[str, Any], planned: PlannedAclEntry, usage: AclEntryUsage
) -> list[dict[str, Any]]:
    """One config entry per suggested ACL entry: its own rule number, the entry's own
    traffic and peer words where they did not change."""
    assert usage.suggestion is not None
    base = {
        k: v
        for k, v in entry.items()
        if k not in _PEER_KEYS and k not in _TRAFFIC_KEYS and k != "rule"
    }
    found = []
    for new in usage.suggestion:
        own = planned.entry
        traffic = (
            {k: v for k, v in entry.items() if k in _TRAFFIC_KEYS}
            if new.traffic == own.traffic
            else _traffic_keys(new.traffic)
        )
        peer = (
            {k: v for k, v in entry.items() if k in _PEER_KEYS}
            if new.cidr == own.cidr
            else {"cidr": new.cidr.compressed}
        )
        found.append({"rule": new.number, **traffic, **peer, **base})
    return found


def _acl_edits(
    root: yaml.Node,
    lines: Sequence[str],
    plan: NetworkPlan,
    usages: Sequence[AclEntryUsage],
    acl_names: Mapping[str, str],
) -> list[tuple[int, int, list[str]]]:
    edits = []
    for usage in usages:
        if usage.suggestion is None:
            continue
        acl = plan.acls.get(acl_names.get(usage.ref.acl_id, ""))
        planned = next(
            (
                e
                for e in (acl.entries if acl is not None else ())
                if e.entry.egress == usage.ref.egress
                and str(e.entry.number) == usage.ref.number
                and not e.automatic
            ),
            None,
        )
        match = _ACL_ORIGIN.match(planned.origin) if planned is not None else None
        if planned is None or match is None:
            continue
        node = _item(root, ("network_acls", match[1], match[2]), int(match[3]))
        if node is None:
            continue
        loaded = yaml.safe_load("".join(lines[node.start_mark.line : _end(node, lines)]))
        if not (isinstance(loaded, list) and loaded and isinstance(loaded[0], dict)):
            continue
        indent = " " * max(node.start_mark.column - 2, 0)
        new: list[str] = []
        for item in _acl_replacement(loaded[0], planned, usage):
            dumped = yaml.safe_dump([item], sort_keys=False, default_flow_style=False)
            new.extend(indent + line + "\n" for line in dumped.splitlines())
        edits.append((node.start_mark.line, _end(node, lines), new))
    return edits


def _end(node: yaml.Node, lines: Sequence[str]) -> int:
    """The line after an item: its end mark is where the next token starts."""
    line, column = node.end_mark.line, node.end_mark.column
    if line < len(lines) and lines[line][:column].strip():
        line += 1
    while line > node.start_mark.line + 1:
        text = lines[line - 1].strip()
        if text and not text.startswith("#"):
            break
        line -= 1  # comments and blank lines after the item belong to what follows
    return line


def suggested_diff(
    text: str,
    path: str,
    plan: NetworkPlan,
    usages: Sequence[RuleUsage],
    rule_names: Mapping[str, str],
    acl_usages: Sequence[AclEntryUsage] = (),
    acl_names: Mapping[str, str] | None = None,
) -> str:
    """The unified diff of ``text`` (the stack file at ``path``) with the suggestions made;
    empty when there is nothing to suggest. ``rule_names``: ``sgr-…`` → planned name;
    ``acl_names``: ACL id → the plan's ACL name (wider entries are replaced in place)."""
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
        keys = ("tiers", match[1], match[2])
        node = _item(root, keys, int(match[3])) if root is not None else None
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
    if root is not None:
        edits.extend(_acl_edits(root, lines, plan, acl_usages, acl_names or {}))
    if not edits:
        return ""
    changed = list(lines)
    for start, end, new in sorted(edits, reverse=True):
        changed[start:end] = new
    return "".join(difflib.unified_diff(lines, changed, f"a/{path}", f"b/{path}"))
