"""The pack's configuration: per-policy parameters and exemptions, as JSON schema and values.

The engine validates ``--policy-pack-config`` against each policy's ``config_schema``
and hands the policy its own object through ``args.get_config()``. Numbers arrive as
floats (protobuf ``Struct``), and keys a user did not set are absent, so every read falls
back to the default declared in the schema: one place states a default, both the schema
users see and the code use it.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pulumi_policy import PolicyConfigSchema

from tierguard.rules import IPNetwork, PortRange, parse_ports
from tierguard.rules.protocols import parse_protocol, protocol_name

EXEMPTIONS_SCHEMA: dict[str, Any] = {
    "type": "array",
    "description": "Resources this policy does not block. Each needs a reason; an optional "
    "expiry date (YYYY-MM-DD) ends it. Exempted findings are still reported, as advisory.",
    "items": {
        "type": "object",
        "properties": {
            "resource": {
                "type": "string",
                "minLength": 1,
                "description": "A resource name or URN; * and ? are glob wildcards.",
            },
            "reason": {
                "type": "string",
                "minLength": 1,
                "description": "Why the finding is accepted (a ticket, an owner).",
            },
            "expires": {
                "type": "string",
                "pattern": r"^\d{4}-\d{2}-\d{2}$",
                "format": "date",
                "description": "The last day (UTC) the exemption applies.",
            },
        },
        "required": ["resource", "reason"],
        "additionalProperties": False,
    },
    "default": [],
}


def port_list(description: str, default: Sequence[int]) -> dict[str, Any]:
    """The schema of a list of TCP/UDP ports."""
    return {
        "type": "array",
        "items": {"type": "integer", "minimum": 0, "maximum": 65535},
        "description": description,
        "default": list(default),
    }


def integer(
    description: str, default: int, minimum: int = 0, maximum: int = 65535
) -> dict[str, Any]:
    return {
        "type": "integer",
        "minimum": minimum,
        "maximum": maximum,
        "description": description,
        "default": default,
    }


def string_list(description: str, default: Sequence[str]) -> dict[str, Any]:
    return {
        "type": "array",
        "items": {"type": "string"},
        "description": description,
        "default": list(default),
    }


def protocol_list(description: str, default: Sequence[int]) -> dict[str, Any]:
    """The schema of a list of port-carrying protocols; ``default`` as protocol numbers."""
    return {
        "type": "array",
        "items": {"type": "string", "enum": ["tcp", "udp", "6", "17"]},
        "description": description,
        "default": [protocol_name(p) for p in default],
    }


IP_TYPES_SCHEMA: dict[str, Any] = {
    "type": "array",
    "items": {"type": "string", "enum": ["ipv4", "ipv6"]},
    "description": "Address families judged (like Security Hub EC2.53 for ipv4, EC2.54 for ipv6).",
    "default": ["ipv4", "ipv6"],
}


def schema(properties: Mapping[str, dict[str, Any]]) -> PolicyConfigSchema:
    """A policy's config schema: its own parameters plus ``exemptions``."""
    return PolicyConfigSchema(properties={**properties, "exemptions": EXEMPTIONS_SCHEMA})


@dataclass(frozen=True)
class Exemption:
    """One accepted finding: which resources, why, and until when."""

    resource: str
    reason: str
    expires: dt.date | None = None
    invalid_expiry: str | None = None
    """An ``expires`` that is no date; such an exemption never applies."""

    def matches(self, name: str | None, urn: str | None) -> bool:
        return any(
            value is not None
            and (value == self.resource or fnmatch.fnmatchcase(value, self.resource))
            for value in (name, urn)
        )

    def expired(self, today: dt.date) -> bool:
        if self.invalid_expiry is not None:
            return True
        return self.expires is not None and today > self.expires

    def __str__(self) -> str:
        until = f" (until {self.expires.isoformat()})" if self.expires else ""
        return f"{self.reason}{until}"


def _today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


class Settings:
    """One policy's configuration with the schema's defaults filled in."""

    def __init__(self, raw: Mapping[str, Any] | None, properties: Mapping[str, dict[str, Any]]):
        self.raw: Mapping[str, Any] = raw or {}
        self.properties = properties

    def value(self, key: str) -> Any:
        if key in self.raw and self.raw[key] is not None:
            return self.raw[key]
        return self.properties[key].get("default")

    def integer(self, key: str) -> int:
        return int(self.value(key))

    def ports(self, key: str) -> tuple[int, ...]:
        return tuple(sorted({int(p) for p in self.value(key) or ()}))

    def strings(self, key: str) -> tuple[str, ...]:
        return tuple(str(s) for s in self.value(key) or ())

    def protocols(self, key: str) -> tuple[int, ...]:
        return tuple(parse_protocol(p) for p in self.value(key) or ())

    def ip_versions(self, key: str) -> frozenset[int]:
        return frozenset(6 if str(v).lower() == "ipv6" else 4 for v in self.value(key) or ())

    def networks(self, key: str) -> tuple[IPNetwork, ...]:
        return tuple(ipaddress.ip_network(str(c), strict=False) for c in self.value(key) or ())

    def port_range(self, key: str) -> PortRange:
        return parse_ports(self.value(key))

    def exemptions(self) -> tuple[Exemption, ...]:
        found: list[Exemption] = []
        for item in self.raw.get("exemptions") or ():
            if not isinstance(item, Mapping) or not item.get("resource") or not item.get("reason"):
                continue
            expires = item.get("expires")
            try:
                day = dt.date.fromisoformat(str(expires)) if expires else None
            except ValueError:
                found.append(
                    Exemption(str(item["resource"]), str(item["reason"]), None, str(expires))
                )
                continue
            found.append(Exemption(str(item["resource"]), str(item["reason"]), day))
        return tuple(found)

    def exemption_for(
        self, name: str | None, urn: str | None, today: dt.date | None = None
    ) -> tuple[Exemption | None, Exemption | None]:
        """The active exemption for a resource, and (if none) an expired one that matched."""
        day = today or _today()
        expired: Exemption | None = None
        for exemption in self.exemptions():
            if not exemption.matches(name, urn):
                continue
            if not exemption.expired(day):
                return exemption, None
            expired = expired or exemption
        return None, expired
