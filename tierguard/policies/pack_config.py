"""A ``--policy-pack-config`` read, reconciled and validated exactly as the engine does it.

Upstream (pulumi/pulumi ``pkg/resource/analyzer/config.go``, called from
``pkg/engine/update.go``):

* the file's top level maps a policy name to an enforcement level string or to an object
  whose ``enforcementLevel`` key (if any) is a level; any other value is an error. An
  ``environments`` key is taken out first: a list of ESC environment names;
* each policy starts from its schema's ``default`` values and its own level, then ``all``
  sets every level (only the level: the engine ignores other keys under ``all``), then
  each named policy's level and properties are applied on top;
* each policy's result is validated against ``{"type": "object", "properties": …,
  "required": …}`` (gojsonschema, which also checks ``format: date``), and every error
  is reported as ``<policy>: <message>``;
* names that are no policy of the pack are not validated but passed on to ``Configure``.

The pack adds two checks of its own when the engine calls ``Configure``
(``STRICT``): a name that is none of its policies, and a key a policy does not declare,
are refused rather than silently ignored (a typo must not leave the default in force).
The offline preview runs both, so it refuses what ``pulumi preview`` would refuse.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft7Validator, FormatChecker, ValidationError

from tierguard.errors import ConfigError, Problem

LEVELS = ("advisory", "mandatory", "remediate", "disabled")
ENVIRONMENTS_KEY = "environments"
ALL_KEY = "all"
LEVEL_KEY = "enforcementLevel"


@dataclass(frozen=True)
class PolicySchema:
    """What the engine knows about one policy from ``GetAnalyzerInfo``."""

    name: str
    enforcement_level: str
    properties: Mapping[str, Any]
    required: tuple[str, ...] = ()

    def defaults(self) -> dict[str, Any]:
        return {k: v["default"] for k, v in self.properties.items() if "default" in v}


@dataclass(frozen=True)
class PackConfig:
    """The reconciled config: what the engine hands ``Configure``, per policy name."""

    policies: Mapping[str, Mapping[str, Any]]
    """Name → ``{"enforcementLevel": level, **properties}``."""
    environments: tuple[str, ...] = ()
    """ESC environments the engine would open (a file backend refuses them)."""


def _parse_level(where: str, value: object) -> str:
    if not isinstance(value, str):
        raise ConfigError(
            [Problem(where, f"{value!r} is not a valid enforcement level; must be a string")]
        )
    if value not in LEVELS:
        raise ConfigError(
            [
                Problem(
                    where,
                    f"{value!r} is not a valid enforcement level; use one of {', '.join(LEVELS)}",
                )
            ]
        )
    return value


def parse(raw: Mapping[str, Any]) -> tuple[dict[str, tuple[str | None, dict[str, Any]]], list[str]]:
    """The file's entries as ``name → (level or None, properties)``, and its environments."""
    config = dict(raw)
    environments: list[str] = []
    if ENVIRONMENTS_KEY in config:
        envs = config.pop(ENVIRONMENTS_KEY)
        if not isinstance(envs, list):
            raise ConfigError(
                [Problem(ENVIRONMENTS_KEY, "must be an array of strings (ESC environment names)")]
            )
        for index, env in enumerate(envs):
            if not isinstance(env, str):
                raise ConfigError(
                    [Problem(f"{ENVIRONMENTS_KEY}[{index}]", f"{env!r} must be a string")]
                )
            environments.append(env)
    entries: dict[str, tuple[str | None, dict[str, Any]]] = {}
    for name, value in config.items():
        if isinstance(value, str):
            entries[name] = (_parse_level(name, value), {})
        elif isinstance(value, Mapping):
            props = dict(value)
            level = (
                _parse_level(f"{name}.{LEVEL_KEY}", props.pop(LEVEL_KEY))
                if (LEVEL_KEY in props)
                else None
            )
            entries[name] = (level, props)
        else:
            raise ConfigError(
                [Problem(name, f"{value!r} is not a valid value; must be a string or object")]
            )
    return entries, environments


def _number(value: object) -> str:
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def _describe(schema: Mapping[str, Any], *, plural: bool = False) -> str:
    """What a schema accepts, in words (for the 'valid:' part of an error)."""
    if "enum" in schema:
        return "one of " + ", ".join(repr(v) for v in schema["enum"])
    kind = schema.get("type")
    if kind == "array":
        items = schema.get("items") or {}
        return f"a list of {_describe(items, plural=True)}" if items else "a list"
    if kind == "integer":
        low, high = schema.get("minimum"), schema.get("maximum")
        noun = "integers" if plural else "an integer"
        if low is not None and high is not None:
            return f"{noun} from {_number(low)} to {_number(high)}"
        return noun
    if kind == "string":
        noun = "strings" if plural else "a string"
        if schema.get("format") == "date":
            return "dates YYYY-MM-DD" if plural else "a date YYYY-MM-DD that exists"
        if schema.get("minLength"):
            return "non-empty strings" if plural else "a non-empty string"
        return noun
    if kind == "object":
        keys = ", ".join(schema.get("properties") or {})
        required = ", ".join(schema.get("required") or ())
        noun = "objects" if plural else "an object"
        return f"{noun} with keys {keys}" + (f" ({required} required)" if required else "")
    return str(kind or "any value")


def _path(error: ValidationError) -> str:
    text = ""
    for part in error.absolute_path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _message(error: ValidationError) -> str:
    schema = error.schema if isinstance(error.schema, Mapping) else {}
    if error.validator == "required":
        return error.message
    if error.validator == "additionalProperties":
        allowed = ", ".join(sorted((schema.get("properties") or {}).keys()))
        return f"{error.message}; valid keys: {allowed}"
    if error.validator == "format":
        return f"{error.instance!r} is not a valid {error.validator_value} (YYYY-MM-DD that exists)"
    return f"{error.message}; valid: {_describe(schema)}"


def _object_schema(policy: PolicySchema, *, strict: bool) -> dict[str, Any]:
    """The schema the engine builds (``convertSchema``); ``strict`` adds the pack's checks."""
    schema: dict[str, Any] = {"type": "object"}
    if policy.properties:
        schema["properties"] = dict(policy.properties)
    if policy.required:
        schema["required"] = list(policy.required)
    if strict:
        schema["additionalProperties"] = False
    return schema


def property_problems(
    policy: PolicySchema, props: Mapping[str, Any], *, strict: bool
) -> list[Problem]:
    """Every schema error of one policy's properties, ``<policy>.<field>: <what>; valid: …``."""
    validator = Draft7Validator(
        _object_schema(policy, strict=strict), format_checker=FormatChecker()
    )
    problems = []
    for error in sorted(validator.iter_errors(dict(props)), key=lambda e: list(e.absolute_path)):
        where = _path(error)
        problems.append(
            Problem(f"{policy.name}.{where}" if where else policy.name, _message(error))
        )
    return problems


def _unknown_policy(name: str, known: set[str]) -> Problem:
    close = difflib.get_close_matches(name, sorted(known), n=3, cutoff=0.6)
    hint = (
        f"did you mean {' or '.join(close)}?"
        if close
        else "valid names: all, " + ", ".join(sorted(known))
    )
    return Problem(name, f"is not a policy of this pack; {hint}")


def reconcile(
    policies: Sequence[PolicySchema], raw: Mapping[str, Any] | None, *, strict: bool = True
) -> PackConfig:
    """Defaults, then ``all``, then each policy's entry; validated. ``ConfigError`` (every
    problem at once) when the engine — or, with ``strict``, the pack — would refuse it."""
    entries, environments = parse(raw or {})
    result: dict[str, dict[str, Any]] = {
        p.name: {LEVEL_KEY: p.enforcement_level, **p.defaults()} for p in policies
    }
    problems: list[Problem] = []
    all_entry = entries.get(ALL_KEY)
    if all_entry is not None:
        level, props = all_entry
        if props:
            problems.append(
                Problem(
                    ALL_KEY,
                    f"only sets enforcementLevel; the engine ignores {', '.join(sorted(props))} "
                    "there — set them under each policy's name",
                )
            )
        if level is not None:
            for values in result.values():
                values[LEVEL_KEY] = level
    known = {p.name for p in policies}
    for name, (level, props) in entries.items():
        if name == ALL_KEY:
            continue
        if name not in known:
            if strict:
                problems.append(_unknown_policy(name, known))
            continue
        if level is not None:
            result[name][LEVEL_KEY] = level
        result[name].update(props)
    for policy in policies:
        props = {k: v for k, v in result[policy.name].items() if k != LEVEL_KEY}
        problems.extend(property_problems(policy, props, strict=strict))
    if problems:
        raise ConfigError(problems)
    return PackConfig(result, tuple(environments))


def received_problems(
    policies: Iterable[PolicySchema], received: Mapping[str, Mapping[str, Any]]
) -> list[Problem]:
    """The pack's own check of what ``Configure`` received (already reconciled by the engine):
    unknown policy names and undeclared or invalid properties."""
    by_name = {p.name: p for p in policies}
    problems: list[Problem] = []
    for name, props in sorted(received.items()):
        if name == ALL_KEY:
            continue  # the engine forwards its ``all`` entry as it is
        policy = by_name.get(name)
        if policy is None:
            problems.append(_unknown_policy(name, set(by_name)))
            continue
        problems.extend(property_problems(policy, props, strict=True))
    return problems
