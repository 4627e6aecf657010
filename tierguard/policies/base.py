"""What every tierguard policy shares: violations, exemptions, unknowns, and reporting.

A check is a plain function from a context to ``PolicyViolation``s: what is wrong, why it
matters, how to fix it, and the rule and resource it is about, as fields. The engine's
analyzer protocol carries one message string per violation, so ``PolicyViolation.sentence``
builds that readable sentence from the fields; the fix comes from the policy's own
``remediation`` (also sent as its ``remediation_steps``) unless the violation has a fix of
its own, so the two never disagree. The wrapper policy classes
apply the policy's exemptions, report the rest through the engine, and handle the two
things a check never should:

* **Unknown values at preview.** A check records what it could not judge
  (``ctx.unknown(...)``) and keeps judging everything else. After reporting, the wrapper
  raises ``NotEvaluatedAtPreview``, a ``pulumi_policy`` ``UnknownValueError``, which the
  engine turns into an *advisory* "could not be evaluated at preview" diagnostic; at
  ``pulumi up`` the values are known and the policy judges them again.
* **Exempted findings.** They must stay visible without blocking, but the engine gives
  every diagnostic of a policy that policy's enforcement level. So they are handed to
  ``tierguard-exempted-findings`` (resource) and ``tierguard-exempted-stack-findings``
  (stack), two advisory policies that run last in the pack and report them as
  ``exempted: <reason> …``. The hand-over is per thread: the engine runs every policy of
  one ``Analyze``/``AnalyzeStack`` request in order on one server thread.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError

from tierguard.policies.compliance import Compliance
from tierguard.policies.config import Settings, schema
from tierguard.rules.normalize import Reader

#: How the engine's unknown values are recognised while normalising props.
ENGINE_READER = Reader(unknown_errors=(UnknownValueError,))

#: Relative to the repository root; the project has no published docs site yet.
DOCS_URL = "docs/policies.md"

PREVIEW_NOTE = "could not be evaluated at preview"


class NotEvaluatedAtPreview(UnknownValueError):
    """Some inputs are unknown until apply; raised after the known parts were judged."""

    def __init__(self, details: Iterable[str]) -> None:
        super().__init__(UNKNOWN_STRING_VALUE, [])
        self.details = tuple(details)
        self.message = (
            f"{PREVIEW_NOTE}: "
            + "; ".join(self.details)
            + ". These values are only known after apply; `pulumi up` judges them again."
        )

    def __str__(self) -> str:
        return self.message


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else f"{text}."


@dataclass(frozen=True)
class PolicyViolation:
    """One violation of a tierguard policy, in fields."""

    what: str
    """What is wrong, naming the resource, the rule and its traffic and peer."""
    why: str = ""
    """Why it matters (one or two sentences)."""
    fix: str | None = None
    """A fix specific to this violation; ``None`` means the policy's ``remediation``."""
    rule: str | None = None
    """The rule it is about in text form (``ingress TCP 22 from 0.0.0.0/0``); ``None`` when
    the violation is about a whole resource or the stack."""
    urn: str | None = None
    """The resource it is about (stack policies; resource policies report their resource)."""
    name: str | None = None

    def sentence(self, remediation: str = "") -> str:
        """The message the engine receives: what, why, then the fix."""
        parts = [_sentence(self.what)]
        if self.why:
            parts.append(_sentence(self.why))
        fix = self.fix or remediation
        if fix:
            parts.append(f"Fix: {_sentence(fix)}")
        return " ".join(parts)


@dataclass
class _Context:
    settings: Settings
    unknowns: list[str] = field(default_factory=list)

    def unknown(self, detail: str) -> None:
        """Record something that cannot be judged at preview."""
        if detail not in self.unknowns:
            self.unknowns.append(detail)


@dataclass
class ResourceContext(_Context):
    """What a resource check sees: the resource's type, inputs, identity and settings."""

    resource_type: str = ""
    props: Mapping[str, Any] = field(default_factory=dict)
    name: str = ""
    urn: str = ""


@dataclass
class StackContext(_Context):
    """What a stack check sees: every resource of the stack, with the graph filled in."""

    resources: list[PolicyResource] = field(default_factory=list)


ResourceCheck = Callable[[ResourceContext], Iterable[PolicyViolation]]
StackCheck = Callable[[StackContext], Iterable[PolicyViolation]]


class _Notices(threading.local):
    def __init__(self) -> None:
        self.pending: dict[str, list[str]] = {}


_NOTICES = _Notices()
_STACK_KEY = "<stack>"


def _report(
    meta: Metadata,
    settings: Settings,
    findings: Iterable[PolicyViolation],
    report: ReportViolation,
    *,
    default_name: str | None,
    default_urn: str | None,
    notice_key: str,
    today: dt.date | None,
) -> None:
    """Report each finding, or hand it to the exempted-findings reporter under ``notice_key``."""
    for finding in findings:
        name = finding.name or default_name
        urn = finding.urn or default_urn
        active, expired = settings.exemption_for(name, urn, today)
        if active is not None:
            where = f" [{finding.urn}]" if finding.urn else ""
            _NOTICES.pending.setdefault(notice_key, []).append(
                f"exempted: {active} — {meta.name}: {finding.sentence(meta.remediation)}{where}"
            )
            continue
        message = finding.sentence(meta.remediation)
        if expired is not None and expired.invalid_expiry is not None:
            message += (
                f" (the exemption {expired.reason!r} does not apply: its expiry "
                f"{expired.invalid_expiry!r} is not a YYYY-MM-DD date)"
            )
        elif expired is not None and expired.expires is not None:
            message += (
                f" (the exemption {expired.reason!r} expired on {expired.expires.isoformat()})"
            )
        report(message, finding.urn)


@dataclass(frozen=True)
class Metadata:
    """What the engine shows about a policy, kept next to its check."""

    name: str
    description: str
    enforcement_level: EnforcementLevel
    severity: Severity
    remediation: str
    parameters: Mapping[str, dict[str, Any]] = field(default_factory=dict)
    topic: str = "network"
    compliance: Compliance = field(default_factory=Compliance)
    """Its counterparts in CIS, Security Hub, AWS Config, Checkov and Prowler."""

    def policy_args(self) -> dict[str, Any]:
        """The SDK constructor's keyword arguments, the same for resource and stack policies."""
        return {
            "name": self.name,
            "description": self.description,
            "enforcement_level": self.enforcement_level,
            "config_schema": schema(self.parameters),
            "severity": self.severity,
            "tags": ["tierguard", self.topic, *self.compliance.tags()],
            "framework": self.compliance.framework(),
            "remediation_steps": self.remediation,
            "url": f"{DOCS_URL}#{self.name}",
        }


class TierguardResourcePolicy(ResourceValidationPolicy):
    """A resource policy whose check returns findings; exemptions and unknowns handled."""

    def __init__(self, meta: Metadata, check: ResourceCheck, *, types: frozenset[str]) -> None:
        super().__init__(validate=self._validate, **meta.policy_args())
        self.meta = meta
        self.check = check
        self.types = types
        self.today: dt.date | None = None
        """Fixed by tests; ``None`` means the current UTC date."""

    def _validate(self, args: ResourceValidationArgs, report: ReportViolation) -> None:
        if args.resource_type not in self.types:
            return
        ctx = ResourceContext(
            settings=Settings(args.get_config(), self.meta.parameters),
            resource_type=args.resource_type,
            props=args.props,
            name=args.name,
            urn=args.urn,
        )
        _report(
            self.meta,
            ctx.settings,
            list(self.check(ctx)),
            report,
            default_name=args.name,
            default_urn=args.urn,
            notice_key=args.urn,
            today=self.today,
        )
        if ctx.unknowns:
            raise NotEvaluatedAtPreview(ctx.unknowns)


class TierguardStackPolicy(StackValidationPolicy):
    """A stack policy whose check returns findings; exemptions and unknowns handled."""

    def __init__(self, meta: Metadata, check: StackCheck) -> None:
        super().__init__(validate=self._validate, **meta.policy_args())
        self.meta = meta
        self.check = check
        self.today: dt.date | None = None

    def _validate(self, args: StackValidationArgs, report: ReportViolation) -> None:
        ctx = StackContext(
            settings=Settings(args.get_config(), self.meta.parameters),
            resources=args.resources,  # the request's list: views of it are shared
        )
        _report(
            self.meta,
            ctx.settings,
            list(self.check(ctx)),
            report,
            default_name=None,
            default_urn=None,
            notice_key=_STACK_KEY,
            today=self.today,
        )
        if ctx.unknowns:
            raise NotEvaluatedAtPreview(ctx.unknowns)


def drain_notices(key: str) -> list[str]:
    """Take the exempted findings recorded for a resource URN (or the stack) on this thread."""
    return _NOTICES.pending.pop(key, [])


def drain_stack_notices() -> list[str]:
    return drain_notices(_STACK_KEY)


def _report_resource_notices(args: ResourceValidationArgs, report: ReportViolation) -> None:
    for notice in drain_notices(args.urn):
        report(notice, None)


def _report_stack_notices(_args: StackValidationArgs, report: ReportViolation) -> None:
    for notice in drain_stack_notices():
        report(notice, None)


#: What the two exemption reporters share: advisory, so an exempted finding never blocks.
_REPORTER_ARGS: dict[str, Any] = {
    "enforcement_level": EnforcementLevel.ADVISORY,
    "severity": Severity.LOW,
    "tags": ["tierguard", "exemptions"],
    "remediation_steps": "Review the exemption's reason and expiry in the pack config; remove "
    "it once the finding is fixed.",
    "url": f"{DOCS_URL}#exemptions",
}

EXEMPTED_RESOURCE_FINDINGS = ResourceValidationPolicy(
    name="tierguard-exempted-findings",
    description="Findings of tierguard resource policies that an exemption accepts; reported so "
    "exemptions stay visible, never blocking.",
    validate=_report_resource_notices,
    **_REPORTER_ARGS,
)

EXEMPTED_STACK_FINDINGS = StackValidationPolicy(
    name="tierguard-exempted-stack-findings",
    description="Findings of tierguard stack policies that an exemption accepts; reported so "
    "exemptions stay visible, never blocking.",
    validate=_report_stack_notices,
    **_REPORTER_ARGS,
)


def run_sync(result: object) -> None:
    """Await what a validate call returned, if anything (the SDK allows async checks)."""
    if asyncio.iscoroutine(result):
        asyncio.run(result)
