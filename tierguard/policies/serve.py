"""How the pack is served: the SDK's analyzer servicer, decoding each request once.

``TierguardAnalyzer`` answers the engine's calls as the pulumi_policy SDK's servicer does —
the same policies in the same order, levels, configs, violation reports, "can't run policy
… during preview" notes and not-applicable results — with two differences the engine
cannot see:

* **Each request is decoded once.** The SDK's servicer turns the request's protobuf back
  into props for every policy (for ``AnalyzeStack``, every resource for every stack
  policy); here one decoded resource (or one linked list of the stack's resources) is
  handed to all of them. The policies only read it.
* **Derived values are shared.** The policies run inside a request scope
  (``tierguard.policies.memo``), so the stack view and normalised rules are built once per
  request instead of once per policy.

Its ``Configure`` also refuses config the policies do not declare: the engine validates
``--policy-pack-config`` against each policy's schema (``tierguard.policies.pack_config``),
but passes on names that are no policy and keys a policy does not declare, so a typo would
leave the default in force without a word. Problems end the call with ``INVALID_ARGUMENT``
and one line each (the engine prints them as ``configuring policy pack "tierguard": …``).

``policy/__main__.py`` serves it through ``PolicyPack`` (``install_servicer``);
``tierguard check`` calls it in-process (``tierguard.offline.inprocess``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Sequence
from inspect import isawaitable
from types import MappingProxyType
from typing import Any

import grpc
from google.protobuf import json_format
from pulumi.runtime.proto import analyzer_pb2
from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy import policy as sdk
from pulumi_policy.deserialize import deserialize_properties
from pulumi_policy.proxy import UnknownValueError, unknown_checking_proxy

from tierguard.policies.memo import request_scope
from tierguard.policies.pack_config import PolicySchema, received_problems


def policy_schemas(policies: Sequence[Policy]) -> list[PolicySchema]:
    """Each policy's name, level and config schema, as ``GetAnalyzerInfo`` reports them."""
    return [
        PolicySchema(
            name=p.name,
            enforcement_level=p.enforcement_level.value if p.enforcement_level else "advisory",
            properties=dict(p.config_schema.properties) if p.config_schema else {},
            required=tuple(p.config_schema.required or ()) if p.config_schema else (),
        )
        for p in policies
    ]


class TierguardAnalyzer(sdk._PolicyAnalyzerServicer):
    """The SDK's servicer with each request decoded once and shared by every policy."""

    def __init__(self, name: str, version: str, policies: list[Policy], *args: Any) -> None:
        super().__init__(name, version, policies, *args)
        self.pack_name = name
        self.pack_version = version
        self.policies = policies
        self.stack_tags: MappingProxyType[str, str] = MappingProxyType({})

    # ------------------------------------------------------------------ the engine's calls

    def Configure(self, request: Any, context: Any) -> Any:
        received = {
            name: json_format.MessageToDict(request.policyConfig[name].properties)
            for name in request.policyConfig
        }
        problems = received_problems(policy_schemas(self.policies), received)
        if problems:
            context.abort(
                grpc.StatusCode.INVALID_ARGUMENT,
                "invalid policy pack config:\n" + "\n".join(str(p) for p in problems),
            )
        return super().Configure(request, context)  # type: ignore[no-untyped-call]

    def ConfigureStack(self, request: Any, context: Any) -> Any:
        self.stack_tags = MappingProxyType(dict(request.tags))
        return super().ConfigureStack(request, context)

    def Analyze(self, request: Any, _context: Any) -> Any:
        self._configure_runtime_settings()  # type: ignore[no-untyped-call]
        return self.analyze_resource(
            request.type,
            _decoded(request.properties),
            request.urn,
            request.name,
            self._get_resource_options(request),
            self._get_provider_resource(request),
        )

    def AnalyzeStack(self, request: Any, _context: Any) -> Any:
        self._configure_runtime_settings()  # type: ignore[no-untyped-call]
        providers: dict[bytes, PolicyProviderResource | None] = {}
        built: dict[str, PolicyResource] = {}
        for r in request.resources:
            # Every resource names the same few providers: each decoded once.
            key = r.provider.SerializeToString(deterministic=True)
            if key not in providers:
                providers[key] = self._get_provider_resource(r)
            built[r.urn] = PolicyResource(
                r.type,
                _decoded(r.properties),
                r.urn,
                r.name,
                self._get_resource_options(r),
                providers[key],
                None,
                [],
                {},
            )
        link(
            built,
            (
                (r.urn, r.parent, r.dependencies, _urns(r.propertyDependencies))
                for r in request.resources
            ),
        )
        return self.analyze_stack_resources(list(built.values()))

    # ------------------------------------------------------------- decoded requests, shared

    def analyze_resource(
        self,
        resource_type: str,
        props: Any,
        urn: str,
        name: str,
        options: PolicyResourceOptions,
        provider: PolicyProviderResource | None,
    ) -> Any:
        """``Analyze`` on one decoded resource: every resource policy, one request scope."""
        response = analyzer_pb2.AnalyzeResponse()
        with request_scope():
            for policy in self.policies:
                level = self._get_enforcement_level(policy)
                if level == EnforcementLevel.DISABLED or not isinstance(
                    policy, ResourceValidationPolicy
                ):
                    continue
                if not policy.has_validation():
                    response.not_applicable.append(
                        analyzer_pb2.PolicyNotApplicable(
                            policy_name=policy.name, reason="Policy does not implement validate"
                        )
                    )
                    continue
                args = ResourceValidationArgs(
                    resource_type,
                    props,
                    urn,
                    name,
                    options,
                    provider,
                    self._get_policy_config(policy.name),
                    self.stack_tags,
                )
                self._validate(response, policy, level, args)
        return response

    def analyze_stack_resources(self, resources: list[PolicyResource]) -> Any:
        """``AnalyzeStack`` on the linked resources: every stack policy, one request scope."""
        response = analyzer_pb2.AnalyzeResponse()
        with request_scope():
            for policy in self.policies:
                level = self._get_enforcement_level(policy)
                if level == EnforcementLevel.DISABLED or not isinstance(
                    policy, StackValidationPolicy
                ):
                    continue
                args = StackValidationArgs(
                    resources, self._get_policy_config(policy.name), self.stack_tags
                )
                self._validate(response, policy, level, args)
        return response

    def _validate(self, response: Any, policy: Policy, level: EnforcementLevel, args: Any) -> None:
        """One policy on one request, as the SDK's servicer runs it."""
        if level == EnforcementLevel.REMEDIATE:
            level = EnforcementLevel.MANDATORY  # reported as mandatory, as the SDK does
        report = self._create_report_violation(
            response, policy.name, policy.description, level, policy.severity
        )
        try:
            result = policy.validate(args, report)  # type: ignore[attr-defined]
            if isawaitable(result):
                loop = asyncio.new_event_loop()
                loop.run_until_complete(asyncio.ensure_future(result, loop=loop))
                loop.close()
        except UnknownValueError as exc:
            response.diagnostics.append(
                analyzer_pb2.AnalyzeDiagnostic(
                    policyName=policy.name,
                    policyPackName=self.pack_name,
                    policyPackVersion=self.pack_version,
                    message=(
                        f"can't run policy '{policy.name}' from policy pack "
                        f"'{self.pack_name}@v{self.pack_version}' during preview: "
                        f"{exc.message}"
                    ),
                    urn="",
                    description=policy.description,
                    enforcementLevel=analyzer_pb2.ADVISORY,
                )
            )
        except sdk._NotApplicableError as exc:
            response.not_applicable.append(
                analyzer_pb2.PolicyNotApplicable(policy_name=policy.name, reason=exc.reason or "")
            )


def _urns(property_dependencies: Any) -> dict[str, Iterable[str]]:
    return {key: value.urns for key, value in property_dependencies.items()}


def _decoded(properties: Any) -> Any:
    """A request's protobuf properties as the policies read them (unknowns raise)."""
    return unknown_checking_proxy(deserialize_properties(json_format.MessageToDict(properties)))


#: For each resource: its URN, parent, dependencies and property dependencies.
Graph = Iterable[tuple[str, str | None, Iterable[str], Mapping[str, Iterable[str]]]]


def link(built: Mapping[str, PolicyResource], graph: Graph) -> None:
    """Fill in parents, dependencies and property dependencies as ``AnalyzeStack`` does:
    ``graph`` yields ``(urn, parent, dependencies, {property: urns})``; URNs outside the
    stack are dropped."""
    for urn, parent, dependencies, property_dependencies in graph:
        resource = built[urn]
        if parent and parent in built:
            resource.parent = built[parent]
        resource.dependencies.extend(built[d] for d in dependencies if d in built)
        for key, urns in property_dependencies.items():
            resource.property_dependencies[key] = [built[u] for u in urns if u in built]


def install_servicer() -> None:
    """Make ``PolicyPack`` serve ``TierguardAnalyzer``; call before ``PolicyPack(...)``."""
    sdk._PolicyAnalyzerServicer = TierguardAnalyzer  # type: ignore[misc,assignment]
