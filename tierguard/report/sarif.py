"""SARIF 2.1.0 for GitHub code scanning: one result per finding, with its rule.

GitHub reads ``runs[].tool.driver.rules`` (id, name, short/full description, help, default
level) and each result's ``ruleId``, ``level``, ``message`` and a physical location
(a repository-relative file and a line). Findings without a file (the audit's) carry a
logical location naming the resource instead.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from tierguard import __version__

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
Level = Literal["error", "warning", "note"]


@dataclass(frozen=True)
class SarifRule:
    id: str
    name: str
    description: str
    help: str
    level: Level
    properties: Mapping[str, Any] | None = None
    """The rule's property bag: ``tags`` (GitHub shows them) and e.g. compliance mappings."""


@dataclass(frozen=True)
class SarifResult:
    rule_id: str
    level: Level
    message: str
    uri: str | None = None
    """Path relative to the repository root (forward slashes)."""
    line: int | None = None
    column: int | None = None
    logical: str | None = None
    """A resource name, URN or id when there is no file to point at."""
    fingerprint: str | None = None
    """Stable across runs for the same problem (GitHub matches alerts and dismissals by it)."""
    properties: Mapping[str, str] | None = None
    """SARIF's property bag (e.g. which phase of a deployment reported the result)."""


def _location(result: SarifResult) -> dict[str, Any]:
    location: dict[str, Any] = {}
    if result.uri is not None:
        region = {"startLine": result.line or 1}
        if result.column:
            region["startColumn"] = result.column
        location["physicalLocation"] = {
            "artifactLocation": {"uri": result.uri, "uriBaseId": "%SRCROOT%"},
            "region": region,
        }
    if result.logical is not None:
        location["logicalLocations"] = [{"fullyQualifiedName": result.logical}]
    return location


def _rule(rule: SarifRule) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "id": rule.id,
        "name": rule.name,
        "shortDescription": {"text": rule.description},
        "fullDescription": {"text": rule.description},
        "help": {"text": rule.help},
        "defaultConfiguration": {"level": rule.level},
    }
    if rule.properties:
        doc["properties"] = dict(rule.properties)
    return doc


def _result(result: SarifResult, rule_index: int) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "ruleId": result.rule_id,
        "ruleIndex": rule_index,
        "level": result.level,
        "message": {"text": result.message},
        "locations": [_location(result)],
    }
    if result.fingerprint is not None:
        doc["partialFingerprints"] = {"tierguard/v1": result.fingerprint}
    if result.properties:
        doc["properties"] = dict(result.properties)
    return doc


def sarif_document(
    tool: str, version: str, rules: Sequence[SarifRule], results: Iterable[SarifResult]
) -> dict[str, Any]:
    """The whole log: one run, every rule that has a result listed once."""
    listed = list(results)
    used = {r.rule_id for r in listed}
    ordered = [rule for rule in rules if rule.id in used]
    index = {rule.id: i for i, rule in enumerate(ordered)}
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": tool,
                        "version": version,
                        "informationUri": "https://github.com/tierguard/tierguard",
                        "rules": [_rule(rule) for rule in ordered],
                    }
                },
                "results": [_result(result, index[result.rule_id]) for result in listed],
            }
        ],
    }


def write_sarif(path: Path, rules: Sequence[SarifRule], results: Iterable[SarifResult]) -> None:
    """Write tierguard's SARIF log for ``results`` to ``path``."""
    path.write_text(json.dumps(sarif_document("tierguard", __version__, rules, results), indent=2))
