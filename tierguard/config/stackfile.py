"""Reading ``Pulumi.yaml`` and ``Pulumi.<stack>.yaml`` the way the Pulumi CLI would.

Only what tierguard needs: the project name, the stack's ``config:`` map, and errors a
person can act on (a missing stack file lists the stacks that exist; YAML errors carry
line and column; a duplicated key is an error, never "last one wins").
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tierguard.errors import ConfigError, Problem

PROJECT_FILE = "Pulumi.yaml"


class _StrictLoader(yaml.SafeLoader):
    """A safe loader that refuses duplicated mapping keys instead of keeping the last."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    seen: dict[Any, yaml.Node] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in seen:
            first = seen[key].start_mark.line + 1
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"duplicate key {key!r} (first defined on line {first}); "
                "every tier, ACL and key must be named once",
                key_node.start_mark,
            )
        seen[key] = key_node
    return loader.construct_mapping(node, deep=True)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def load_yaml(path: Path) -> Any:
    """Load one YAML file strictly; problems name the file, line and column."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError([Problem(str(path), f"cannot be read: {exc.strerror}")]) from None
    try:
        return yaml.load(text, Loader=_StrictLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        what = exc.problem or exc.context or "invalid YAML"
        raise ConfigError([Problem(where, f"YAML error: {what}")]) from None
    except yaml.YAMLError as exc:
        raise ConfigError([Problem(str(path), f"YAML error: {exc}")]) from None


def _path_parts(config_path: str) -> list[str | int]:
    """``tiers.web.ingress[1].cidr`` → ``['tiers', 'web', 'ingress', 1, 'cidr']``."""
    parts: list[str | int] = []
    for piece in config_path.split("."):
        name, _, rest = piece.partition("[")
        if name:
            parts.append(name)
        while rest:
            index, _, rest = rest.partition("]")
            parts.append(int(index))
            rest = rest.removeprefix("[")
    return parts


def locate(path: Path, key: str, config_path: str) -> tuple[int, int] | None:
    """Line and column (1-based) where ``config_path`` under config ``key`` is written.

    Walks as deep as the file goes, so a path into generated values (an automatic rule)
    points at the rule that implied it. ``None`` if the file cannot be read.
    """
    try:
        node: yaml.Node | None = yaml.compose(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return None
    best: yaml.Node | None = None
    for part in ["config", key, *_path_parts(config_path)]:
        child: yaml.Node | None = None
        if isinstance(node, yaml.MappingNode):
            child = next((v for k, v in node.value if k.value == part), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            child = node.value[part] if 0 <= part < len(node.value) else None
        if child is None:
            break
        best = node = child
    if best is None:
        return None
    return best.start_mark.line + 1, best.start_mark.column + 1


@dataclass(frozen=True)
class StackFile:
    """A stack's settings as the engine would hand them to the program."""

    project: str
    stack: str
    path: Path
    config: dict[str, Any]

    def engine_config(self) -> dict[str, str]:
        """Config as the engine passes it to a program: ``ns:key`` → string (objects as JSON)."""
        return {
            key: value if isinstance(value, str) else json.dumps(value)
            for key, value in self.config.items()
        }


def find_project_dir(start: Path) -> Path:
    """The nearest directory at or above ``start`` holding ``Pulumi.yaml``."""
    for candidate in (start, *start.parents):
        if (candidate / PROJECT_FILE).is_file():
            return candidate
    raise ConfigError(
        [Problem(str(start), f"no {PROJECT_FILE} here or above; run inside the project")]
    )


def available_stacks(project_dir: Path) -> list[str]:
    return sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in project_dir.glob("Pulumi.*.yaml"))


def load_stack(project_dir: Path, stack: str) -> StackFile:
    """Read the project name and the stack's config, with actionable errors."""
    project_doc = load_yaml(project_dir / PROJECT_FILE)
    if not isinstance(project_doc, dict) or not isinstance(project_doc.get("name"), str):
        raise ConfigError([Problem(str(project_dir / PROJECT_FILE), "needs a 'name:' string")])
    path = project_dir / f"Pulumi.{stack}.yaml"
    if not path.is_file():
        stacks = available_stacks(project_dir)
        known = ", ".join(stacks) if stacks else "none"
        raise ConfigError(
            [Problem(str(path), f"no such stack file for stack {stack!r}; stacks here: {known}")]
        )
    doc = load_yaml(path)
    if doc is None:
        doc = {}
    if not isinstance(doc, dict):
        raise ConfigError([Problem(str(path), "must be a mapping with a 'config:' key")])
    config = doc.get("config") or {}
    if not isinstance(config, dict):
        raise ConfigError([Problem(f"{path}: config", "must be a mapping of key: value")])
    return StackFile(project=project_doc["name"], stack=stack, path=path, config=config)
