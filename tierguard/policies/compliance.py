"""Where each policy stands in the compliance frameworks it answers to, as validated data.

Like Prowler's per-check metadata, a policy's mapping is data checked by a model when the
pack is imported: every id must have its framework's shape (CIS ``5.3``, Security Hub
``EC2.53``, AWS Config ``restricted-ssh``, Checkov ``CKV_AWS_24``, Prowler
``ec2_securitygroup_…``), so prose or a typo fails the import, not an audit. Ids come from
the frameworks' own documentation (see docs/policies.md); a policy with no counterpart has
an empty mapping rather than an approximate one.

The engine's ``PolicyInfo`` carries one ``PolicyComplianceFramework`` (name, version,
reference) per policy: the first framework with ids, in the order of the fields below,
goes there. Every mapping is also a ``compliance:<framework>:<id>`` tag, which
``GetAnalyzerInfo`` carries too, so SARIF, the offline preview and the Pulumi service see
all of them; ``from_tags`` reads them back.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Final

from pulumi_policy import PolicyComplianceFramework
from pydantic import BaseModel, ConfigDict, StringConstraints, model_validator

CisId = Annotated[str, StringConstraints(pattern=r"^[0-9]+(\.[0-9]+)+$")]
SecurityHubId = Annotated[str, StringConstraints(pattern=r"^EC2\.[0-9]+$")]
ConfigRuleName = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(-[a-z0-9]+)+$")]
CheckovId = Annotated[str, StringConstraints(pattern=r"^CKV2?_AWS_[0-9]+$")]
ProwlerId = Annotated[str, StringConstraints(pattern=r"^ec2_[a-z0-9]+(_[a-z0-9]+)+$")]

TAG_PREFIX: Final = "compliance:"


class FrameworkName(BaseModel):
    """How a framework is named to people and to the engine."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str
    """The field name and tag segment: ``cis``, ``security-hub``, …"""
    title: str
    version: str | None = None


#: In primary order: the first with ids becomes the engine's ``framework``.
FRAMEWORKS: Final = (
    FrameworkName(key="cis", title="CIS AWS Foundations Benchmark", version="5.0.0"),
    FrameworkName(
        key="security-hub",
        title="AWS Foundational Security Best Practices (Security Hub)",
        version="1.0.0",
    ),
    FrameworkName(key="aws-config", title="AWS Config managed rules"),
    FrameworkName(key="checkov", title="Checkov"),
    FrameworkName(key="prowler", title="Prowler"),
)


class Compliance(BaseModel):
    """One policy's counterparts, framework by framework (ids, in the framework's spelling)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    cis: tuple[CisId, ...] = ()
    """CIS AWS Foundations Benchmark v5.0.0 recommendation numbers."""
    security_hub: tuple[SecurityHubId, ...] = ()
    """Security Hub controls of AWS Foundational Security Best Practices."""
    aws_config: tuple[ConfigRuleName, ...] = ()
    """AWS Config managed rule names."""
    checkov: tuple[CheckovId, ...] = ()
    prowler: tuple[ProwlerId, ...] = ()

    @model_validator(mode="after")
    def _no_repeats(self) -> Compliance:
        for key, ids in self.by_framework():
            if len(set(ids)) != len(ids):
                raise ValueError(f"{key} lists an id twice: {list(ids)}")
        return self

    def by_framework(self) -> list[tuple[str, tuple[str, ...]]]:
        """``(key, ids)`` for every framework, in primary order."""
        values = (self.cis, self.security_hub, self.aws_config, self.checkov, self.prowler)
        return [(f.key, ids) for f, ids in zip(FRAMEWORKS, values, strict=True)]

    def mappings(self) -> dict[str, list[str]]:
        """``{framework: ids}`` for the frameworks with ids (JSON and SARIF)."""
        return {key: list(ids) for key, ids in self.by_framework() if ids}

    @property
    def empty(self) -> bool:
        return not any(ids for _, ids in self.by_framework())

    def framework(self) -> PolicyComplianceFramework | None:
        """The engine's single ``framework``: the first framework with ids."""
        for spec, (_, ids) in zip(FRAMEWORKS, self.by_framework(), strict=True):
            if ids:
                return PolicyComplianceFramework(
                    name=spec.title, version=spec.version, reference=", ".join(ids)
                )
        return None

    def tags(self) -> list[str]:
        """``compliance:<framework>:<id>`` for every id."""
        return [f"{TAG_PREFIX}{key}:{i}" for key, ids in self.by_framework() for i in ids]

    def text(self) -> str:
        """One line for people: ``CIS AWS Foundations Benchmark 5.0.0 5.3, 5.4; …``."""
        parts = []
        for spec, (_, ids) in zip(FRAMEWORKS, self.by_framework(), strict=True):
            if ids:
                name = f"{spec.title} {spec.version}" if spec.version else spec.title
                parts.append(f"{name}: {', '.join(ids)}")
        return "; ".join(parts)

    @classmethod
    def from_tags(cls, tags: Iterable[str]) -> Compliance:
        """The mapping a policy's tags carry (what ``GetAnalyzerInfo`` delivers)."""
        found: dict[str, list[str]] = {}
        fields = {f.key: name for f, name in zip(FRAMEWORKS, cls.model_fields, strict=True)}
        for tag in tags:
            if not tag.startswith(TAG_PREFIX):
                continue
            key, _, ident = tag[len(TAG_PREFIX) :].partition(":")
            if key in fields and ident:
                found.setdefault(fields[key], []).append(ident)
        return cls.model_validate({k: tuple(v) for k, v in found.items()})
