"""The policy pack at preview time, offline: run it, group its verdicts, report them.

The real pack runs as its own process and is driven over the analyzer protocol
(``tierguard.offline.analyzer``) with what the engine sends (``tierguard.offline.engine``);
this module turns its diagnostics into what a person reads after ``pulumi preview
--policy-pack`` (mandatory, advisory, exempted), into JSON, and into SARIF results located
at the stack-file line that declared the offending rule. A separate, labelled section
holds what the stack policies report at the end of ``up``, on the applied outputs.
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
from tierguard.config.textfile import read_text
from tierguard.errors import ConfigError, Problem
from tierguard.offline.analyzer import (
    DEFAULT_PACK_DIR,
    AnalyzerInfo,
    Diagnostic,
    PolicyInfo,
    PolicyPackClient,
)
from tierguard.offline.engine import engine_calls
from tierguard.offline.runner import ProgramRun
from tierguard.plan import NetworkPlan
from tierguard.policies.compliance import Compliance
from tierguard.reach.intents import with_stack_intents
from tierguard.report.sarif import Level, SarifResult, SarifRule

EXEMPTION_POLICIES = frozenset({"tierguard-exempted-findings", "tierguard-exempted-stack-findings"})


def _split(
    diagnostics: tuple[Diagnostic, ...],
) -> tuple[tuple[Diagnostic, ...], tuple[Diagnostic, ...], tuple[Diagnostic, ...]]:
    """(mandatory, advisory, exempted), exemption hand-overs apart from both levels."""
    exempted = tuple(d for d in diagnostics if d.policy_name in EXEMPTION_POLICIES)
    rest = [d for d in diagnostics if d.policy_name not in EXEMPTION_POLICIES]
    return (
        tuple(d for d in rest if d.mandatory),
        tuple(d for d in rest if not d.mandatory),
        exempted,
    )


@dataclass(frozen=True)
class PolicyReport:
    """One preview's verdicts from the pack, and the stack policies' verdicts after ``up``."""

    info: AnalyzerInfo
    diagnostics: tuple[Diagnostic, ...]
    """What ``pulumi preview`` reports: ``Analyze`` per resource and ``AnalyzeStack``."""
    version: str
    """From ``PulumiPolicy.yaml``, as the CLI reports it (the SDK itself says 0.0.1)."""
    after_up: tuple[Diagnostic, ...] = ()
    """What ``AnalyzeStack`` reports at the end of ``pulumi up``, on the applied outputs —
    after the changes exist, so a mandatory one there fails an update already applied."""

    @property
    def exempted(self) -> tuple[Diagnostic, ...]:
        return _split(self.diagnostics)[2]

    @property
    def mandatory(self) -> tuple[Diagnostic, ...]:
        return _split(self.diagnostics)[0]

    @property
    def advisory(self) -> tuple[Diagnostic, ...]:
        return _split(self.diagnostics)[1]

    @property
    def mandatory_only_after_up(self) -> tuple[Diagnostic, ...]:
        """Mandatory after ``up`` and not already reported by the preview."""
        seen = {(d.policy_name, d.urn, d.message) for d in self.mandatory}
        return tuple(
            d for d in _split(self.after_up)[0] if (d.policy_name, d.urn, d.message) not in seen
        )


def read_policy_config(path: Path | None) -> dict[str, Any] | None:
    """A ``--policy-pack-config`` JSON file, as the Pulumi CLI reads it."""
    if path is None:
        return None
    text = read_text(path, what="policy config")
    try:
        value = json.loads(text)
    except RecursionError:
        raise ConfigError(
            [Problem(str(path), "is nested too deeply to be a policy config")]
        ) from None
    except json.JSONDecodeError as exc:
        where = f"{path}:{exc.lineno}:{exc.colno}"
        raise ConfigError([Problem(where, f"invalid JSON: {exc.msg}")]) from None
    if not isinstance(value, dict):
        raise ConfigError(
            [Problem(str(path), 'must be a JSON object: {"<policy-name>": {...}, "all": …}')]
        )
    return value


def judge(
    run: ProgramRun,
    stack_config: Mapping[str, Any],
    config: Mapping[str, Any] | None,
    *,
    pack: PolicyPackClient | None = None,
    analyzed: list[Diagnostic] | None = None,
) -> PolicyReport:
    """Start the pack and send it what the engine would: a preview's ``Analyze`` and
    ``AnalyzeStack`` calls, then the ``AnalyzeStack`` call that ends an ``up``.

    ``pack``: the client to drive (default: the pack as its own process, as the engine
    starts it; ``tierguard check`` passes the in-process servicer). ``analyzed``: the
    ``Analyze`` diagnostics when they were already sent to ``pack`` while the program
    registered (``tierguard.offline.stream``), which configured it too."""
    preview = engine_calls(run, "preview", stack_config)
    up = engine_calls(run, "up", stack_config)
    config = with_stack_intents(config, stack_config)
    with pack or PolicyPackClient() as client:
        info = client.analyzer_info()
        if analyzed is None:
            diagnostics = client.run_calls(preview, config)
        else:
            diagnostics = [*analyzed, *client.analyze_stack(preview.stack)]
        after_up = client.analyze_stack(up.stack)
    return PolicyReport(
        info,
        tuple(diagnostics),
        pack_version(DEFAULT_PACK_DIR) or info.version,
        tuple(after_up),
    )


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


def _print_group(
    console: Console, title: str, diagnostics: Sequence[Diagnostic], info: AnalyzerInfo
) -> None:
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
        compliance = _compliance_line(info, d.policy_name)
        if compliance:
            console.print(f"        [dim]{escape(compliance)}[/dim]")


def _compliance(info: AnalyzerInfo, policy: str) -> Compliance:
    """The policy's mappings as ``GetAnalyzerInfo`` described them (none if unlisted)."""
    try:
        return info.policy(policy).compliance
    except KeyError:
        return Compliance()


def _compliance_line(info: AnalyzerInfo, policy: str) -> str:
    """``compliance: CIS … 5.3, 5.4; …`` for a policy with mappings, else ``""``."""
    compliance = _compliance(info, policy)
    return "" if compliance.empty else f"compliance: {compliance.text()}"


AFTER_UP_TITLE = "After `up` (stack policies on the applied state)"
AFTER_UP_NOTE = (
    "pulumi runs these once every change is applied: a mandatory one fails the update "
    "only after the resources exist."
)


def print_report(report: PolicyReport, console: Console) -> None:
    """Grouped as ``pulumi preview`` groups policy output, then the after-``up`` section."""
    verdict = "✗" if report.mandatory else "✓"
    console.print("Policies:")
    console.print(
        f"  {verdict} {report.info.name}@v{report.version}: {len(report.mandatory)} "
        f"mandatory, {len(report.advisory)} advisory, {len(report.exempted)} exempted"
    )
    _print_group(console, "mandatory violations", report.mandatory, report.info)
    _print_group(console, "advisory", report.advisory, report.info)
    _print_group(console, "exempted", report.exempted, report.info)
    mandatory, advisory, exempted = _split(report.after_up)
    console.print()
    console.print(f"{escape(AFTER_UP_TITLE)}:")
    console.print(f"  {escape(AFTER_UP_NOTE)}")
    verdict = "✗" if mandatory else "✓"
    console.print(
        f"  {verdict} {report.info.name}@v{report.version}: {len(mandatory)} mandatory, "
        f"{len(advisory)} advisory, {len(exempted)} exempted"
    )
    _print_group(console, "mandatory violations", mandatory, report.info)
    _print_group(console, "advisory", advisory, report.info)
    _print_group(console, "exempted", exempted, report.info)


def _diagnostic_json(d: Diagnostic, info: AnalyzerInfo) -> dict[str, Any]:
    return {
        "policy": d.policy_name,
        "level": d.enforcement_level,
        "severity": d.severity or None,
        "resource": _resource_name(d.urn),
        "urn": d.urn,
        "message": d.message,
        "compliance": _compliance(info, d.policy_name).mappings(),
    }


def report_json(report: PolicyReport) -> dict[str, Any]:
    """The preview's verdicts; ``afterUp`` holds the stack policies' verdicts after up."""
    mandatory, advisory, exempted = _split(report.after_up)
    return {
        "pack": report.info.name,
        "version": report.version,
        "mandatory": [_diagnostic_json(d, report.info) for d in report.mandatory],
        "advisory": [_diagnostic_json(d, report.info) for d in report.advisory],
        "exempted": [_diagnostic_json(d, report.info) for d in report.exempted],
        "afterUp": {
            "note": AFTER_UP_NOTE,
            "mandatory": [_diagnostic_json(d, report.info) for d in mandatory],
            "advisory": [_diagnostic_json(d, report.info) for d in advisory],
            "exempted": [_diagnostic_json(d, report.info) for d in exempted],
        },
    }


def _help(policy: PolicyInfo) -> str:
    """The rule's help: what it checks, how to fix a violation, where it stands."""
    parts = [policy.description or policy.name]
    if policy.remediation:
        parts.append(f"Fix: {policy.remediation}")
    compliance = policy.compliance
    if not compliance.empty:
        parts.append(f"Compliance: {compliance.text()}")
    return "\n\n".join(parts)


def _rule_properties(policy: PolicyInfo) -> dict[str, Any]:
    """SARIF's property bag for a rule: its tags, and each framework's ids."""
    properties: dict[str, Any] = {"tags": list(policy.tags)}
    mappings = policy.compliance.mappings()
    if mappings:
        properties["compliance"] = mappings
    if policy.framework is not None:
        properties["framework"] = {
            "name": policy.framework.name,
            "version": policy.framework.version,
            "reference": policy.framework.reference,
        }
    return properties


def sarif_parts(
    report: PolicyReport, plan: NetworkPlan | None, stack: StackFile, root: Path
) -> tuple[list[SarifRule], list[SarifResult]]:
    """Rules from the pack's metadata; each result at the line that declared its resource
    (for a program that is not tierguard's, at the stack file's first line)."""
    rules = [
        SarifRule(
            id=p.name,
            name=p.name,
            description=p.description.splitlines()[0] if p.description else p.name,
            help=_help(p),
            level="error" if p.enforcement_level == "mandatory" else "warning",
            properties=_rule_properties(p),
        )
        for p in report.info.policies
    ]
    origins = plan.origins() if plan is not None else {}
    try:
        uri = stack.path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        uri = stack.path.as_posix()
    results = []
    phased = [(d, False) for d in report.diagnostics] + [(d, True) for d in report.after_up]
    for d, after_up in phased:
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
                message=f"{AFTER_UP_TITLE}: {d.message}" if after_up else d.message,
                uri=uri,
                line=place[0] if place else 1,
                column=place[1] if place else None,
                logical=d.urn,
                properties={"tierguard/phase": "after-up" if after_up else "preview"},
            )
        )
    return rules, results
