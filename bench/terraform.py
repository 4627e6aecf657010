"""The equivalent Terraform of a tierguard stack, for Checkov as a reference column.

``write_terraform(stack_file, directory)`` writes ``main.tf`` with one resource per AWS
resource the program registers (derived from the plan, as ``tierguard check`` derives
them): the provider's resource type (``aws:ec2/networkAclRule:NetworkAclRule`` →
``aws_network_acl_rule``, ``aws:vpc/securityGroupIngressRule:…`` →
``aws_vpc_security_group_ingress_rule``), the same arguments in Terraform's spelling, and
references (``aws_security_group.web.id``) where an argument holds another resource's id,
so a scanner sees the same graph.

Checkov is not a dependency of tierguard: ``make bench-checkov`` installs it into its own
virtualenv (``bench/checkov/.venv``), and the bench adds its column when it is there.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from tierguard.cli._stack import load_program
from tierguard.cli.reach import registered

CHECKOV = Path(__file__).resolve().parent / "checkov" / ".venv" / "bin" / "checkov"

_SNAKE = re.compile(r"(?<!^)(?=[A-Z])")
#: Lists of nested blocks whose Terraform block name is singular.
_BLOCKS = {"routes": "route"}


def _snake(name: str) -> str:
    return _SNAKE.sub("_", name).lower()


def terraform_type(pulumi_type: str) -> str:
    """``aws:ec2/subnet:Subnet`` → ``aws_subnet``; ``aws:vpc/…Rule:…`` → ``aws_vpc_…``."""
    module = pulumi_type.split(":")[1].split("/", maxsplit=1)[0]
    name = _snake(pulumi_type.rsplit(":", 1)[-1])
    return f"aws_vpc_{name}" if module == "vpc" and not name.startswith("vpc") else f"aws_{name}"


def _label(name: str) -> str:
    label = re.sub(r"[^A-Za-z0-9_]", "_", name)
    return label if label[:1].isalpha() else f"r_{label}"


def _value(value: Any, refs: dict[str, str]) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, str):
        return refs.get(value) or json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_value(v, refs) for v in value) + "]"
    if isinstance(value, dict):
        return (
            "{ "
            + ", ".join(f"{json.dumps(k)} = {_value(v, refs)}" for k, v in value.items())
            + " }"
        )
    return json.dumps(value)


def _body(inputs: dict[str, Any], refs: dict[str, str], indent: str) -> list[str]:
    lines = []
    for key, value in inputs.items():
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            for block in value:
                lines.append(f"{indent}{_BLOCKS.get(key, _snake(key))} {{")
                lines.extend(_body(block, refs, indent + "  "))
                lines.append(f"{indent}}}")
        elif not (isinstance(value, list) and not value):
            lines.append(f"{indent}{_snake(key)} = {_value(value, refs)}")
    return lines


def terraform(resources: Any) -> str:
    """``main.tf`` for the custom resources of a program run."""
    custom = [r for r in resources if r.custom]
    refs = {r.id: f"{terraform_type(r.type)}.{_label(r.name)}.id" for r in custom if r.id}
    lines = ['provider "aws" {', '  region = "us-east-1"', "}", ""]
    for r in custom:
        lines.append(f'resource "{terraform_type(r.type)}" "{_label(r.name)}" {{')
        lines.extend(_body(r.inputs, refs, "  "))
        lines.extend(["}", ""])
    return "\n".join(lines)


def write_terraform(stack_file: Path, directory: Path) -> Path:
    """Write the Terraform equivalent of ``stack_file``'s network into ``directory``."""
    loaded = load_program(Path(__file__).resolve().parents[1], "bench", stack_file)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "main.tf").write_text(terraform(registered(loaded).resources))
    return directory
