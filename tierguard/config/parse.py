"""Turning raw config into ``NetworkConfig``, with one clear line per problem.

Pydantic's errors are rewritten so each names the config path the user wrote
(``tierguard:network.tiers.web.ingress[1].cidr``), the offending value, and what would
be valid: unknown keys list the valid ones, with a suggestion when one is close.
"""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from tierguard.config.schema import NetworkConfig, config_fields
from tierguard.errors import ConfigError, Problem

CONFIG_KEY = "tierguard:network"

_PATTERN_HINTS = {
    "^sg-": "a security group id: sg- followed by 8-17 hex digits",
    "^pl-": "a prefix list id: pl- followed by 8-17 hex digits",
    "^vpc-": "a VPC id: vpc- followed by 8-17 hex digits",
    "^subnet-": "a subnet id: subnet- followed by 8-17 hex digits",
    "^[a-z]": "a name of lower-case letters, digits and dashes that starts with a letter "
    "(at most 32 characters)",
}


def format_loc(root: str, loc: Sequence[int | str]) -> str:
    """``('tiers', 'web', 'ingress', 1, 'cidr')`` → ``root.tiers.web.ingress[1].cidr``."""
    path = root
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part == "[key]":
            continue
        else:
            path += f".{part}" if path else str(part)
    return path


def _unwrap(annotation: Any) -> list[Any]:
    """The candidate types inside Optional/Union/Annotated."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return [t for a in typing.get_args(annotation) for t in _unwrap(a)]
    return [annotation]


def _model_at(model: type[BaseModel], loc: Sequence[int | str]) -> type[BaseModel] | None:
    """Follow ``loc`` through the schema to the model whose keys are at that place."""
    current: Any = model
    for part in loc:
        candidates = _unwrap(current)
        nxt: Any = None
        for candidate in candidates:
            origin = typing.get_origin(candidate)
            if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                field = config_fields(candidate).get(str(part))
                if field is not None:
                    nxt = field.annotation
            elif origin is list and isinstance(part, int):
                nxt = typing.get_args(candidate)[0]
            elif origin is dict and isinstance(part, str):
                nxt = typing.get_args(candidate)[1]
            if nxt is not None:
                break
        if nxt is None:
            return None
        current = nxt
    for candidate in _unwrap(current):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def _message(error: ErrorDetails, root_model: type[BaseModel]) -> str:
    kind = error["type"]
    loc = error["loc"]
    value = error.get("input")
    if kind == "extra_forbidden":
        owner = _model_at(root_model, loc[:-1])
        valid = sorted(config_fields(owner)) if owner else []
        key = str(loc[-1])
        close = difflib.get_close_matches(key, valid, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        return f"unknown key {key!r}{hint}; valid keys: {', '.join(valid)}"
    if kind == "missing":
        return "is required"
    if kind == "string_pattern_mismatch":
        pattern = str((error.get("ctx") or {}).get("pattern", ""))
        hint = next((h for p, h in _PATTERN_HINTS.items() if pattern.startswith(p)), pattern)
        what = "name" if "[key]" in loc else "value"
        return f"{value!r} is not a valid {what}; expected {hint}"
    if kind in ("value_error", "assertion_error"):
        return error["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
    got = "" if isinstance(value, dict) else f" (got {value!r})"
    return f"{error['msg']}{got}"


def problems_from_validation(
    exc: ValidationError, root: str, root_model: type[BaseModel]
) -> list[Problem]:
    """One ``Problem`` per pydantic error, in the user's terms."""
    return [
        Problem(format_loc(root, error["loc"]), _message(error, root_model))
        for error in exc.errors(include_url=False)
    ]


def parse_network(raw: object, root: str = CONFIG_KEY) -> NetworkConfig:
    """Validate the raw ``tierguard:network`` value; raise ``ConfigError`` listing every problem."""
    if raw is None:
        raise ConfigError([Problem(root, "is required: describe the network under this key")])
    if not isinstance(raw, dict):
        raise ConfigError(
            [Problem(root, f"must be a mapping (tiers, vpc, …), got {type(raw).__name__}")]
        )
    try:
        return NetworkConfig.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(problems_from_validation(exc, root, NetworkConfig)) from None
