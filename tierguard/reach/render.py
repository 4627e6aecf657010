"""Reachability for people (a table, explanations), machines (JSON) and diagrams.

JSON shape (documented in the README)::

    {"sources": [{"name", "label", "addresses": [cidr], "tier"}], "targets": [str],
     "reach": [{"from", "to", "open": [{"protocol", "ports", "partial"}],
                "blocked": [{"protocol", "ports", "partial", "why"}],
                "oneWay": [{"protocol", "ports", "partial", "why"}], "notes": [str]}]}

``ports`` spells TCP/UDP ports (``443, 8000-8080``) or ICMP types (``8``, ``3:4`` for type 3
code 4); ``partial`` says the finding holds only for part of the source range or of the
clients' ephemeral ports, or in some subnets, and its ``why`` / note says which.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.table import Table

from tierguard.reach.analysis import (
    Explanation,
    Matrix,
    Reach,
    ReachFinding,
    Verdict,
    protocol_label,
)
from tierguard.reach.intents import IntentResult
from tierguard.rules.protocols import protocol_name
from tierguard.rules.values import spell_values


def _finding_json(finding: ReachFinding, *, why: bool) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "protocol": protocol_label(finding.protocol),
        "ports": spell_values(finding.protocol, finding.ports) if finding.ports else None,
        "partial": finding.partial,
    }
    if why:
        doc["why"] = finding.detail
    return doc


def reach_json(cell: Reach) -> dict[str, Any]:
    by = {v: [f for f in cell.findings if f.verdict is v] for v in Verdict}
    return {
        "from": cell.source.name,
        "to": cell.target,
        "open": [_finding_json(f, why=False) for f in by[Verdict.OPEN]],
        "blocked": [_finding_json(f, why=True) for f in by[Verdict.BLOCKED]],
        "oneWay": [_finding_json(f, why=True) for f in by[Verdict.ONE_WAY]],
        "notes": [f.detail for f in by[Verdict.OPEN] if f.detail],
    }


def matrix_json(matrix: Matrix) -> dict[str, Any]:
    return {
        "sources": [
            {
                "name": s.name,
                "label": str(s),
                "addresses": [b.compressed for b in s.blocks],
                "tier": s.tier,
            }
            for s in matrix.sources
        ],
        "targets": list(matrix.targets),
        "reach": [
            reach_json(matrix.reach(s.name, t)) for s in matrix.sources for t in matrix.targets
        ],
    }


def _mark(finding: ReachFinding) -> str:
    return finding.label + ("*" if finding.partial else "")


def cell_text(cell: Reach) -> str:
    parts = [_mark(f) for f in cell.open]
    parts += [f"✗ {_mark(f)}" for f in cell.findings if f.verdict is Verdict.BLOCKED]
    parts += [f"⇥ {_mark(f)} (one-way)" for f in cell.findings if f.verdict is Verdict.ONE_WAY]
    return ", ".join(parts) or "—"


def print_matrix(matrix: Matrix, console: Console, *, title: str = "Who can reach what") -> None:
    table = Table(title=title, title_justify="left", show_lines=False)
    table.add_column("from \\ to")
    for target in matrix.targets:
        table.add_column(target)
    for source in matrix.sources:
        table.add_row(
            str(source), *(cell_text(matrix.reach(source.name, t)) for t in matrix.targets)
        )
    console.print(table)
    problems = [
        (matrix.reach(s.name, t), f)
        for s in matrix.sources
        for t in matrix.targets
        for f in matrix.reach(s.name, t).findings
        if f.verdict is not Verdict.OPEN or f.detail
    ]
    if problems:
        console.print(
            "✗ blocked by a network ACL although a security group allows it; "
            "⇥ gets in but the replies are dropped (stateless ACL); "
            "* only from part of the source range or of the client ports, or in some subnets"
        )
        for cell, finding in problems:
            console.print(f"  {cell.source} → {cell.target} {finding.label}: {finding.detail}")


def print_explanation(explanation: Explanation, console: Console) -> None:
    verdict = (
        "reachable"
        if explanation.reachable
        else "reachable only in part"
        if explanation.partly
        else "NOT reachable"
    )
    console.print(f"{explanation.question}: {verdict}")
    for case in explanation.cases:
        indent = "  "
        if case.where:
            console.print(f"  {case.where}: {'reachable' if case.reachable else 'NOT reachable'}")
            indent = "    "
        for step in case.steps:
            mark = "✓" if step.passed else "✗"
            console.print(f"{indent}{mark} {step.layer}: {step.detail}")


def intents_json(results: Sequence[IntentResult]) -> list[dict[str, Any]]:
    return [
        {"intent": str(r.intent), "holds": r.holds, "violations": list(r.violations)}
        for r in results
    ]


def explanation_json(explanation: Explanation) -> dict[str, Any]:
    return {
        "from": explanation.source.name,
        "to": explanation.target,
        "protocol": protocol_name(explanation.protocol),
        "what": explanation.what,
        "reachable": explanation.reachable,
        "partly": explanation.partly,
        "cases": [
            {
                "where": case.where,
                "reachable": case.reachable,
                "steps": [
                    {"check": s.layer, "passed": s.passed, "detail": s.detail} for s in case.steps
                ],
            }
            for case in explanation.cases
        ],
    }


# -- diagrams ---------------------------------------------------------------------------


def _node_ids(matrix: Matrix) -> dict[str, str]:
    """A distinct identifier for every node (a tier source is its tier's node): the name
    reduced to letters, digits and underscores, numbered when two names reduce alike
    (``a-b`` and ``a_b``) so that two tiers never collapse into one node."""
    names = [s.name for s in matrix.sources if s.tier is None] + [
        *matrix.targets,
        *(s.tier for s in matrix.sources if s.tier is not None),
    ]
    ids: dict[str, str] = {}
    for name in dict.fromkeys(names):
        base = "n_" + re.sub(r"[^A-Za-z0-9_]", "_", name)
        chosen, number = base, 1
        while chosen in ids.values():
            number += 1
            chosen = f"{base}_{number}"
        ids[name] = chosen
    return ids


def _mermaid_text(text: str) -> str:
    """Text for a quoted Mermaid label: ``"`` would end it, ``#`` starts an entity code and
    ``<``/``>``/``&`` are HTML in labels, so each is written as its entity code."""
    return re.sub(r'["#<>&]', lambda m: f"#{ord(m.group())};", text)


def _dot_text(text: str) -> str:
    """Text for a quoted DOT string: ``"`` would end it and ``\\`` starts an escape
    (``\\n``, ``\\N``…); a line break is written ``\\n``."""
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _edge_label(findings: list[ReachFinding]) -> str:
    return ", ".join(_mark(f) for f in findings)


_PREFIXES = {Verdict.OPEN: "", Verdict.ONE_WAY: "one-way: ", Verdict.BLOCKED: "blocked: "}


def mermaid(matrix: Matrix) -> str:
    """A Mermaid flowchart that renders on GitHub: solid edges are open, dotted edges
    ending in ✗ are blocked by an ACL, dotted arrows marked one-way lose their replies;
    ``*`` marks what holds only for part of the source range or of the client ports, or in
    some subnets."""
    lines = ["flowchart LR"]
    ids = _node_ids(matrix)
    for source in matrix.sources:
        if source.tier is None:
            shape = ('(("', '"))') if source.name.startswith("internet") else ('[/"', '"/]')
            label = _mermaid_text(str(source))
            lines.append(f"  {ids[source.name]}{shape[0]}{label}{shape[1]}")
    for target in matrix.targets:
        lines.append(f'  {ids[target]}["{_mermaid_text(f"tier {target}")}"]')
    arrows = {Verdict.OPEN: "-->", Verdict.ONE_WAY: "-.->", Verdict.BLOCKED: "-.-x"}
    for source in matrix.sources:
        for target in matrix.targets:
            cell = matrix.reach(source.name, target)
            a, b = ids[source.name], ids[target]
            for verdict in (Verdict.OPEN, Verdict.ONE_WAY, Verdict.BLOCKED):
                found = [f for f in cell.findings if f.verdict is verdict]
                if found:
                    label = _mermaid_text(_PREFIXES[verdict] + _edge_label(found))
                    lines.append(f'  {a} {arrows[verdict]}|"{label}"| {b}')
    return "\n".join(lines) + "\n"


def dot(matrix: Matrix) -> str:
    """The same graph in Graphviz DOT: red dashed edges are blocked, orange one-way."""
    lines = ["digraph reachability {", "  rankdir=LR;", "  node [fontname=Helvetica];"]
    ids = _node_ids(matrix)
    for source in matrix.sources:
        if source.tier is None:
            lines.append(f'  {ids[source.name]} [label="{_dot_text(str(source))}", shape=ellipse];')
    for target in matrix.targets:
        lines.append(f'  {ids[target]} [label="{_dot_text(f"tier {target}")}", shape=box];')
    styles = {
        Verdict.OPEN: "",
        Verdict.ONE_WAY: ", style=dashed, color=orange, fontcolor=orange",
        Verdict.BLOCKED: ", style=dashed, color=red, fontcolor=red, arrowhead=tee",
    }
    for source in matrix.sources:
        for target in matrix.targets:
            cell = matrix.reach(source.name, target)
            for verdict in Verdict:
                found = [f for f in cell.findings if f.verdict is verdict]
                if found:
                    label = _dot_text(_PREFIXES[verdict] + _edge_label(found))
                    edge = f"{ids[source.name]} -> {ids[target]}"
                    lines.append(f'  {edge} [label="{label}"{styles[verdict]}];')
    lines.append("}")
    return "\n".join(lines) + "\n"
