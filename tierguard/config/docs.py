"""The README's configuration reference, generated from the schema so it cannot drift.

``python -m tierguard.config.docs`` rewrites the table between the markers in README.md;
a test fails when the README and the schema disagree.
"""

from __future__ import annotations

import sys
import types
import typing
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from tierguard.config.schema import NetworkConfig, config_fields
from tierguard.report.markdown import replace_block

BEGIN = "<!-- BEGIN CONFIG REFERENCE (generated: python -m tierguard.config.docs) -->"
END = "<!-- END CONFIG REFERENCE -->"


def _type_name(annotation: Any) -> str:
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        base = args[0]
        names = {"IPv4Network | IPv6Network": "CIDR", "PortRange": "ports", "int": "protocol"}
        meta = " ".join(repr(a) for a in args[1:])
        if "parse_protocol" in meta:
            return "protocol"
        if "parse_ports" in meta:
            return "ports"
        if "parse_cidr" in meta:
            return "CIDR"
        return names.get(_type_name(base), _type_name(base))
    if origin in (typing.Union, types.UnionType):
        return " | ".join(_type_name(a) for a in args if a is not type(None))
    if origin is list:
        return f"list of {_type_name(args[0])}"
    if origin is dict:
        return f"map of {_type_name(args[1])}"
    if origin is typing.Literal:
        return " \\| ".join(str(a) for a in args)
    if isinstance(annotation, type):
        if issubclass(annotation, BaseModel):
            return "object"
        return {"PortRange": "ports"}.get(annotation.__name__, annotation.__name__)
    return str(annotation)


def _model_of(annotation: Any) -> type[BaseModel] | None:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated or origin in (typing.Union, types.UnionType, list, dict):
        for arg in reversed(typing.get_args(annotation)):
            found = _model_of(arg)
            if found is not None:
                return found
        return None
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None


def _default(field: Any) -> str:
    if field.is_required():
        return "required"
    value = field.default
    if value is PydanticUndefined and field.default_factory is not None:
        value = field.default_factory()
    if value is None:
        return "—"
    if isinstance(value, BaseModel):
        return "see below"
    if isinstance(value, dict | list) and not value:
        return "empty"
    return f"`{str(value).lower() if isinstance(value, bool) else value}`"


def rows(model: type[BaseModel], prefix: str) -> list[str]:
    lines: list[str] = []
    nested: list[tuple[type[BaseModel], str]] = []
    for key, field in config_fields(model).items():
        path = f"{prefix}.{key}"
        annotation = field.annotation
        origin = typing.get_origin(annotation)
        sub = _model_of(annotation)
        description = (field.description or "").replace("|", "\\|")
        lines.append(f"| `{path}` | {_type_name(annotation)} | {_default(field)} | {description} |")
        if sub is not None:
            suffix = "[]" if origin is list or "list of" in _type_name(annotation) else ""
            suffix = ".<name>" if "map of" in _type_name(annotation) else suffix
            nested.append((sub, f"{path}{suffix}"))
    for sub, path in nested:
        lines.extend(rows(sub, path))
    return lines


def reference() -> str:
    header = ["| Key | Type | Default | Description |", "| --- | --- | --- | --- |"]
    return "\n".join([*header, *rows(NetworkConfig, "tierguard:network")])


def render_into(readme: str) -> str:
    return replace_block(readme, BEGIN, END, reference())


def main() -> None:
    path = Path(sys.argv[1] if len(sys.argv) > 1 else "README.md")
    path.write_text(render_into(path.read_text()))


if __name__ == "__main__":
    main()
