"""The policy pack at preview time, offline: run it, group its verdicts, report them.

The real pack runs as its own process and is driven over the analyzer protocol
(``tierguard.offline.analyzer``); this module turns its diagnostics into what a person
reads after ``pulumi preview --policy-pack`` (mandatory, advisory, exempted), into JSON,
and into SARIF results located at the stack-file line that declared the offending rule.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape

from tierguard.config.parse import CONFIG_KEY
from tierguard.config.stackfile import StackFile, load_yaml, locate
from tierguard.errors import ConfigError, Problem
from tierguard.offline.analyzer import (
    DEFAULT_PACK_DIR,
    AnalyzerInfo,
    Diagnostic,
    PolicyPackClient,
)
from tierguard.plan import NetworkPlan
from tierguard.report.sarif import Level, SarifResult, SarifRule

EXEMPTION_POLICIES = frozenset({"tierguard-exempted-findings", "tierguard-exempted-stack-findings"})


@dataclass(frozen=True)
class PolicyReport:
    """One preview's verdicts from the pack."""

    info: AnalyzerInfo
    diagnostics: tuple[Diagnostic, ...]
    version: str
    """From ``PulumiPolicy.yaml``, as the CLI reports it (the SDK itself says 0.0.1)."""

    @property
    def exempted(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if d.policy_name in EXEMPTION_POLICIES)

    @property
    def mandatory(self) -> tuple[Diagnostic, ...]:
        return tuple(
            d for d in self.diagnostics if d.mandatory and d.policy_name not in EXEMPTION_POLICIES
        )

    @property
    def advisory(self) -> tuple[Diagnostic, ...]:
        return tuple(
            d
            for d in self.diagnostics
            if not d.mandatory and d.policy_name not in EXEMPTION_POLICIES
        )


def read_policy_config(path: Path | None) -> dict[str, Any] | None:
    """A ``--policy-pack-config`` JSON file, as the Pulumi CLI reads it."""
    if path is None:
        return None
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError([Problem(str(path), f"cannot be read: {exc.strerror}")]) from None
    except json.JSONDecodeError as exc:
        where = f"{path}:{exc.lineno}:{exc.colno}"
        raise ConfigError([Problem(where, f"invalid JSON: {exc.msg}")]) from None
    if not isinstance(value, dict):
        raise ConfigError(
            [Problem(str(path), 'must be a JSON object: {"<policy-name>": {...}, "all": …}')]
        )
    return value


def judge(
    resources: Sequence[Mapping[str, Any]],
    outputs: Mapping[str, Any],
    config: Mapping[str, Any] | None,
) -> PolicyReport:
    """Start the pack, configure it, analyze every resource and the stack, stop it."""
    with PolicyPackClient() as client:
        info = client.analyzer_info()
        diagnostics = client.run(resources, config, outputs=outputs)
    return PolicyReport(info, tuple(diagnostics), pack_version(DEFAULT_PACK_DIR) or info.version)


def pack_version(pack_dir: Path) -> str | None:
    """The version the Pulumi CLI would report: ``PulumiPolicy.yaml``'s ``version``."""
    try:
        doc = load_yaml(pack_dir / "PulumiPolicy.yaml")
    except ConfigError:
        return None
    version = doc.get("version") if isinstance(doc, dict) else None
    return str(version) if version is not None else None


def _resource_name(urn: str | None) -> str | None:
    return urn.rsplit("::", 1)[-1] if urn else None


def _print_group(console: Console, title: str, diagnostics: Sequence[Diagnostic]) -> None:
    if not diagnostics:
        return
    console.print(f"    {title} ({len(diagnostics)}):")
    for d in diagnostics:
        name = _resource_name(d.urn)
        where = f"  ({escape(name)})" if name else "  (stack)"
        tag = escape(f"[{d.enforcement_level}]")
        console.print(f"      - {tag} {escape(d.policy_name)}{where}")
        for line in d.message.splitlines():
            console.print(f"        {escape(line)}")


def print_report(report: PolicyReport, console: Console) -> None:
    """Grouped as ``pulumi preview`` groups policy output."""
    verdict = "✗" if report.mandatory else "✓"
    console.print("Policies:")
    console.print(
        f"  {verdict} {report.info.name}@v{report.version}: {len(report.mandatory)} "
        f"mandatory, {len(report.advisory)} advisory, {len(report.exempted)} exempted"
    )
    _print_group(console, "mandatory violations", report.mandatory)
    _print_group(console, "advisory", report.advisory)
    _print_group(console, "exempted", report.exempted)


def _diagnostic_json(d: Diagnostic) -> dict[str, Any]:
    return {
        "policy": d.policy_name,
        "level": d.enforcement_level,
        "severity": d.severity or None,
        "resource": _resource_name(d.urn),
        "urn": d.urn,
        "message": d.message,
    }


def report_json(report: PolicyReport) -> dict[str, Any]:
    return {
        "pack": report.info.name,
        "version": report.version,
        "mandatory": [_diagnostic_json(d) for d in report.mandatory],
        "advisory": [_diagnostic_json(d) for d in report.advisory],
        "exempted": [_diagnostic_json(d) for d in report.exempted],
    }


def sarif_parts(
    report: PolicyReport, plan: NetworkPlan, stack: StackFile, root: Path
) -> tuple[list[SarifRule], list[SarifResult]]:
    """Rules from the pack's metadata; each result at the line that declared its resource."""
    rules = [
        SarifRule(
            id=p.name,
            name=p.name,
            description=p.description.splitlines()[0] if p.description else p.name,
            help=p.description or p.name,
            level="error" if p.enforcement_level == "mandatory" else "warning",
        )
        for p in report.info.policies
    ]
    origins = plan.origins()
    try:
        uri = stack.path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        uri = stack.path.as_posix()
    results = []
    for d in report.diagnostics:
        name = _resource_name(d.urn)
        origin = origins.get(name or "")
        place = locate(stack.path, CONFIG_KEY, origin) if origin else None
        level: Level = (
            "note"
            if d.policy_name in EXEMPTION_POLICIES
            else ("error" if d.mandatory else "warning")
        )
        results.append(
            SarifResult(
                rule_id=d.policy_name,
                level=level,
                message=d.message,
                uri=uri,
                line=place[0] if place else 1,
                column=place[1] if place else None,
                logical=d.urn,
            )
        )
    return rules, results
