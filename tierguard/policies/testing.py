"""Run tierguard's policies in-process, as the engine would, for tests and tooling.

Props are wrapped in ``pulumi_policy.proxy.unknown_checking_proxy`` exactly as the
analyzer server does, so an unknown value raises where it would under ``pulumi preview``.
Stack resources are given in the offline preview's JSON shape
(``{"urn","type","name","id","parent","dependencies","propertyDependencies","inputs"}``)
and linked into ``PolicyResource`` objects the way ``AnalyzeStack`` links them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pulumi_policy import (
    PolicyCustomTimeouts,
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    StackValidationArgs,
)
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError, unknown_checking_proxy

from tierguard.policies.base import (
    PREVIEW_NOTE,
    TierguardResourcePolicy,
    TierguardStackPolicy,
    drain_notices,
    drain_stack_notices,
    run_sync,
)

#: What the engine sends for a value that is unknown until apply.
UNKNOWN = UNKNOWN_STRING_VALUE


@dataclass
class Outcome:
    """What one policy reported: violations, exempted findings, preview notes."""

    violations: list[str] = field(default_factory=list)
    urns: list[str | None] = field(default_factory=list)
    exempted: list[str] = field(default_factory=list)
    not_evaluated: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not (self.violations or self.exempted or self.not_evaluated)

    def text(self) -> str:
        return "\n".join([*self.violations, *self.exempted, *self.not_evaluated])


def _opts(parent: str | None = None) -> PolicyResourceOptions:
    return PolicyResourceOptions(
        protect=False,
        ignore_changes=[],
        delete_before_replace=None,
        aliases=[],
        custom_timeouts=PolicyCustomTimeouts(0, 0, 0),
        additional_secret_outputs=[],
        parent=parent,
    )


def urn_for(resource_type: str, name: str, stack: str = "dev", project: str = "proj") -> str:
    return f"urn:pulumi:{stack}::{project}::{resource_type}::{name}"


def _num(value: object) -> object:
    return float(value) if isinstance(value, int) and not isinstance(value, bool) else value


def sg_block(
    protocol: object = "tcp",
    from_port: object = 443,
    to_port: object = None,
    *,
    description: str | None = "HTTPS from the load balancer",
    **peers: Any,
) -> dict[str, Any]:
    """An inline security-group ``ingress``/``egress`` block as the engine sends it."""
    last = from_port if to_port is None else to_port
    result: dict[str, Any] = {
        "protocol": protocol,
        "fromPort": _num(from_port),
        "toPort": _num(last),
        **peers,
    }
    if description is not None:
        result["description"] = description
    return result


def acl_block(
    rule_no: int,
    action: str,
    cidr: str,
    protocol: object = "tcp",
    from_port: int = 0,
    *,
    to_port: int | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """An inline network-ACL entry as the engine sends it."""
    key = "ipv6CidrBlock" if ":" in cidr else "cidrBlock"
    return {
        "ruleNo": _num(rule_no),
        "action": action,
        "protocol": protocol,
        "fromPort": _num(from_port),
        "toPort": _num(from_port if to_port is None else to_port),
        key: cidr,
        **extra,
    }


def resource(
    resource_type: str,
    name: str,
    inputs: Mapping[str, Any] | None = None,
    *,
    id: str | None = None,
    parent: str | None = None,
    property_dependencies: Mapping[str, Sequence[str]] | None = None,
) -> dict[str, Any]:
    """One resource in the offline preview's JSON shape; dependencies follow the properties'."""
    deps = {k: list(v) for k, v in (property_dependencies or {}).items()}
    return {
        "urn": urn_for(resource_type, name),
        "type": resource_type,
        "name": name,
        "id": id,
        "parent": parent,
        "dependencies": sorted({u for urns in deps.values() for u in urns}),
        "propertyDependencies": deps,
        "inputs": dict(inputs or {}),
    }


def _validate(
    policy: TierguardResourcePolicy | TierguardStackPolicy,
    args: ResourceValidationArgs | StackValidationArgs,
    today: dt.date | None,
) -> Outcome:
    """Run one validate call as the engine does: violations reported, an unknown value
    recorded as "not evaluated", the policy's clock set for exemption expiry."""
    outcome = Outcome()

    def report(message: str, urn: str | None = None) -> None:
        outcome.violations.append(message)
        outcome.urns.append(urn)

    policy.today = today
    try:
        # Callers pair resource policies with resource args and stack with stack args.
        run_sync(policy.validate(args, report))  # type: ignore[arg-type]
    except UnknownValueError as exc:
        outcome.not_evaluated.append(str(getattr(exc, "message", exc)))
    finally:
        policy.today = None
    return outcome


def run_resource_policy(
    policy: TierguardResourcePolicy,
    resource_type: str,
    props: Mapping[str, Any],
    *,
    name: str = "subject",
    config: Mapping[str, Any] | None = None,
    today: dt.date | None = None,
) -> Outcome:
    """Validate one resource as ``Analyze`` does and collect what is reported."""
    urn = urn_for(resource_type, name)
    args = ResourceValidationArgs(
        resource_type=resource_type,
        props=unknown_checking_proxy(dict(props)),
        urn=urn,
        name=name,
        opts=_opts(),
        provider=None,
        config=dict(config) if config is not None else None,
    )

    outcome = _validate(policy, args, today)
    outcome.exempted.extend(drain_notices(urn))
    return outcome


def policy_resources(resources: Sequence[Mapping[str, Any]]) -> list[PolicyResource]:
    """``PolicyResource`` objects with parent and dependencies linked, as ``AnalyzeStack``.

    Takes the offline preview's JSON shape (``inputs``, ``id``) or the engine's
    (``properties``, ``provider``) that ``tierguard.offline.engine`` builds."""
    built: dict[str, PolicyResource] = {}
    for item in resources:
        if "properties" in item:  # exactly as the engine sends it (tierguard.offline.engine)
            props = dict(item["properties"] or {})
        else:
            props = dict(item.get("inputs") or {})
            if item.get("id") is not None and "id" not in props:
                props["id"] = item["id"]
        provider = item.get("provider")
        built[item["urn"]] = PolicyResource(
            resource_type=item["type"],
            props=unknown_checking_proxy(props),
            urn=item["urn"],
            name=item["name"],
            opts=_opts(item.get("parent")),
            provider=PolicyProviderResource(
                provider["type"],
                unknown_checking_proxy(dict(provider.get("properties") or {})),
                provider["urn"],
                provider["name"],
            )
            if provider
            else None,
            parent=None,
            dependencies=[],
            property_dependencies={},
        )
    for item in resources:
        resource = built[item["urn"]]
        parent = item.get("parent")
        if parent in built:
            resource.parent = built[parent]
        resource.dependencies.extend(built[d] for d in item.get("dependencies") or () if d in built)
        for key, urns in (item.get("propertyDependencies") or {}).items():
            resource.property_dependencies[key] = [built[u] for u in urns if u in built]
    return list(built.values())


def run_stack_policy(
    policy: TierguardStackPolicy,
    resources: Sequence[Mapping[str, Any]],
    *,
    config: Mapping[str, Any] | None = None,
    today: dt.date | None = None,
) -> Outcome:
    """Validate a stack as ``AnalyzeStack`` does and collect what is reported."""
    args = StackValidationArgs(
        policy_resources(resources), config=dict(config) if config is not None else None
    )

    outcome = _validate(policy, args, today)
    outcome.exempted.extend(drain_stack_notices())
    return outcome


__all__ = [
    "PREVIEW_NOTE",
    "UNKNOWN",
    "Outcome",
    "acl_block",
    "policy_resources",
    "resource",
    "run_resource_policy",
    "run_stack_policy",
    "sg_block",
    "urn_for",
]
