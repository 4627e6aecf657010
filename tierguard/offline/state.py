"""A Pulumi state file (``pulumi stack export``) as engine-shaped resource documents.

The file is an ``UntypedDeployment``: ``{"version": 3, "deployment": {"manifest": …,
"resources": [ResourceV3, …]}}`` (``sdk/go/common/apitype/core.go`` upstream). Each
resource carries ``urn``, ``type``, ``id``, ``inputs``, ``outputs``, ``parent``,
``dependencies`` and ``propertyDependencies``. What a resource *is* now is its
``outputs`` (the provider's state after the last update or refresh), so those are the
properties read; resources marked ``delete`` or ``pendingReplacement`` no longer exist
and are left out. A secret's plaintext is used when the export has it
(``--show-secrets``); an encrypted one reads as a value unknown to tierguard, never
decrypted nor printed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

from tierguard.errors import ConfigError, Problem

#: The newest deployment schema the engine writes (``DeploymentSchemaVersionCurrent``).
NEWEST_VERSION = 3
# Special values in state (``sdk/go/common/resource/sig/sig.go`` upstream): an object whose
# signature key holds the kind.
_SIG_KEY = "4dabf18193072939515e22adb298388d"
_SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
_RESOURCE_REF_SIG = "5cf8f73096256a8f31e491e813e4eb8e"


@dataclass(frozen=True)
class StackState:
    project: str | None
    stack: str | None
    resources: tuple[dict[str, Any], ...]
    """In the offline preview's document shape (``tierguard.offline.render``)."""


def _plain(value: Any) -> Any:
    """Engine special values made ordinary: secrets opened when the export has them."""
    if isinstance(value, dict):
        sig = value.get(_SIG_KEY)
        if sig == _SECRET_SIG:
            if "plaintext" in value and isinstance(value["plaintext"], str):
                try:
                    return _plain(json.loads(value["plaintext"]))
                except json.JSONDecodeError:
                    return value["plaintext"]
            return UNKNOWN_STRING_VALUE
        if sig == _RESOURCE_REF_SIG:
            return value.get("id") or value.get("urn")
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _urn_parts(urn: str) -> tuple[str, str, str]:
    """``urn:pulumi:<stack>::<project>::<type chain>::<name>`` → stack, project, name."""
    head, _, rest = urn.partition("::")
    project, _, rest = rest.partition("::")
    _, _, name = rest.partition("::")
    return head.removeprefix("urn:pulumi:"), project, name


def read_state(path: Path) -> StackState:
    """Read and check a state file; problems name the field and what would be valid."""
    where = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError([Problem(where, f"cannot be read: {exc.strerror}")]) from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(
            [Problem(f"{where}:{exc.lineno}:{exc.colno}", f"invalid JSON: {exc.msg}")]
        ) from None
    shape = "the output of `pulumi stack export`: {'version': 3, 'deployment': {...}}"
    if not isinstance(doc, dict) or not isinstance(doc.get("deployment"), dict):
        raise ConfigError([Problem(where, f"must be {shape}")])
    version = doc.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or not 1 <= version <= 3:
        raise ConfigError(
            [Problem(f"{where}: version", f"is {version!r}; deployment versions 1 to 3 are read")]
        )
    raw = doc["deployment"].get("resources") or []
    if not isinstance(raw, list):
        raise ConfigError([Problem(f"{where}: deployment.resources", "must be a list")])
    problems: list[Problem] = []
    resources: list[dict[str, Any]] = []
    stack = project = None
    for index, item in enumerate(raw):
        field = f"{where}: deployment.resources[{index}]"
        if not isinstance(item, dict):
            problems.append(Problem(field, "must be an object"))
            continue
        urn, type_ = item.get("urn"), item.get("type")
        if not isinstance(urn, str) or not urn.startswith("urn:pulumi:"):
            problems.append(Problem(f"{field}.urn", f"is {urn!r}; must be a urn:pulumi:… string"))
            continue
        if not isinstance(type_, str) or not type_:
            problems.append(Problem(f"{field}.type", f"is {type_!r}; must be a type token"))
            continue
        if item.get("delete") or item.get("pendingReplacement"):
            continue
        stack, project, name = _urn_parts(urn)
        props = item.get("outputs") or item.get("inputs") or {}
        deps = item.get("propertyDependencies") or {}
        if not isinstance(props, dict) or not isinstance(deps, dict):
            problems.append(Problem(field, "outputs, inputs and propertyDependencies are objects"))
            continue
        resources.append(
            {
                "urn": urn,
                "type": type_,
                "name": name,
                "id": item.get("id") or None,
                "parent": item.get("parent") or None,
                "dependencies": list(item.get("dependencies") or ()),
                "propertyDependencies": {k: list(v or ()) for k, v in deps.items()},
                "inputs": _plain(props),
            }
        )
    if problems:
        raise ConfigError(problems)
    return StackState(project=project, stack=stack, resources=tuple(resources))
