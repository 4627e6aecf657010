"""How an offline preview is shown: a resource tree for people, a stable JSON document.

JSON shape (documented in the README)::

    {"project": str, "stack": str,
     "resources": [{"urn", "type", "name", "id", "parent", "dependencies",
                    "propertyDependencies", "inputs"}],
     "outputs": {...}}
"""

from __future__ import annotations

import re
from collections import Counter, deque
from typing import Any

from rich.console import Console
from rich.tree import Tree

from tierguard.offline.mocks import RecordedResource
from tierguard.offline.runner import ProgramRun
from tierguard.rules import Direction

SHORT_TYPES = {
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": "SecurityGroupIngressRule",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": "SecurityGroupEgressRule",
}


def _order_key(resource: RecordedResource) -> tuple[str, list[tuple[int, str]]]:
    """Type, then name with numbers compared as numbers (ACL rule 50 before rule 100)."""
    parts = re.split(r"(\d+)", resource.name)
    return resource.type, [(int(p), "") if p.isdigit() else (-1, p) for p in parts]


def ordered(run: ProgramRun) -> list[RecordedResource]:
    """Parents before children, siblings by type then name: the same order on every run
    (the engine registers concurrently, so registration order is not stable)."""
    children: dict[str | None, list[RecordedResource]] = {}
    urns = {r.urn for r in run.resources}
    for resource in run.resources:
        parent = resource.parent if resource.parent in urns else None
        children.setdefault(parent, []).append(resource)
    result: list[RecordedResource] = []
    pending: deque[str | None] = deque([None])
    while pending:
        parent = pending.popleft()
        for resource in sorted(children.get(parent, []), key=_order_key):
            result.append(resource)
            pending.append(resource.urn)
    return result


def to_document(run: ProgramRun) -> dict[str, Any]:
    """The ``--json`` document: what the engine would receive, ids resolved within the plan."""
    return {
        "project": run.project,
        "stack": run.stack,
        "resources": [
            {
                "urn": r.urn,
                "type": r.type,
                "name": r.name,
                "id": r.id or None,
                "parent": r.parent,
                "dependencies": list(r.dependencies),
                "propertyDependencies": {k: list(v) for k, v in r.property_dependencies.items()},
                "inputs": _plain(r.inputs),
            }
            for r in ordered(run)
        ],
        "outputs": _plain(run.outputs),
    }


def _plain(value: Any) -> Any:
    """JSON-ready: the engine sends numbers as floats; whole ones read better as ints."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _num(value: Any) -> str:
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def summary_of(resource: RecordedResource) -> str:
    """The inputs that matter for this type, on one line."""
    i = resource.inputs
    if not resource.custom:
        return ""
    match resource.type.split(":")[-1]:
        case "SecurityGroupIngressRule" | "SecurityGroupEgressRule":
            proto = i.get("ipProtocol", "?")
            ports = (
                ""
                if proto == "-1"
                else f" {_num(i.get('fromPort'))}"
                + ("" if i.get("fromPort") == i.get("toPort") else f"-{_num(i.get('toPort'))}")
            )
            peer = next(
                (
                    str(i[k])
                    for k in ("cidrIpv4", "cidrIpv6", "referencedSecurityGroupId", "prefixListId")
                    if k in i
                ),
                "?",
            )
            going = Direction.of(egress=resource.type.endswith("EgressRule"))
            return f"{proto}{ports} {going.preposition} {peer}  “{i.get('description', '')}”"
        case "NetworkAclRule":
            proto = {"-1": "all", "6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6"}.get(
                str(i.get("protocol")), str(i.get("protocol"))
            )
            ports = ""
            if "fromPort" in i:
                first, last = _num(i["fromPort"]), _num(i["toPort"])
                ports = f" {first}" if first == last else f" {first}-{last}"
            cidr = i.get("cidrBlock") or i.get("ipv6CidrBlock")
            direction = "out" if i.get("egress") else "in"
            number = _num(i.get("ruleNumber"))
            return f"#{number} {direction} {i.get('ruleAction')} {proto}{ports} {cidr}"
        case "SecurityGroup":
            return f"“{i.get('description', '')}” vpc={i.get('vpcId')}"
        case "Subnet":
            return f"{i.get('cidrBlock')} {i.get('availabilityZone')}"
        case "Vpc":
            return str(i.get("cidrBlock"))
        case "NetworkAclAssociation":
            return f"subnet={i.get('subnetId')}"
        case _:
            return ""


def print_tree(run: ProgramRun, console: Console) -> None:
    """The resource tree by parent, each line ``type name  key inputs``."""
    children: dict[str | None, list[RecordedResource]] = {}
    for resource in ordered(run):
        children.setdefault(resource.parent, []).append(resource)
    urns = {r.urn for r in run.resources}
    root = Tree(f"[bold]{run.project}-{run.stack}[/] (pulumi:pulumi:Stack)")

    def add(node: Tree, parent: str | None) -> None:
        for resource in children.get(parent, []):
            type_name = SHORT_TYPES.get(resource.type, resource.type.split(":")[-1])
            detail = summary_of(resource)
            branch = node.add(
                f"[cyan]{type_name}[/] {resource.name}" + (f"  [dim]{detail}[/]" if detail else "")
            )
            add(branch, resource.urn)

    for parent in [p for p in children if p is None or p not in urns]:
        add(root, parent)
    console.print(root)
    console.print()
    print_counts(run, console)


def print_counts(run: ProgramRun, console: Console) -> None:
    """One line: how many resources of each type the stack would create."""
    counts = Counter(
        SHORT_TYPES.get(r.type, r.type.split(":")[-1]) for r in run.resources if r.custom
    )
    total = sum(counts.values())
    # Most first, ties by name: registration order varies from run to run.
    detail = ", ".join(
        f"{n} {t}" for t, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    )
    console.print(f"{total} resources to create ({detail}); nothing was sent to AWS.")
