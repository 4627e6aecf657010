"""The policy pack's own analyzer, called in this process: no subprocess, no gRPC.

``InProcessPack`` is a ``PolicyPackClient`` whose stub is the pulumi_policy SDK's
analyzer servicer itself, built with the pack's policies and options (what
``policy/__main__.py`` serves) and with the pack's ``Configure`` check installed. Every
request is the very message the client would send over the wire, and every answer the
servicer's own response, so configuration, dispatch to the policies, the ``can't run
policy … during preview`` notes and the diagnostics are the pack's — only the process
boundary and the serialization onto a socket are gone. This is ``tierguard check``'s
path; ``tierguard preview --offline`` keeps the separate process the engine would start.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from functools import cache
from inspect import isawaitable
from types import MappingProxyType
from typing import Any, NoReturn

import grpc
from pulumi.runtime.proto import analyzer_pb2
from pulumi_policy import (
    EnforcementLevel,
    PolicyCustomTimeouts,
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

from tierguard.offline.analyzer import (
    Diagnostic,
    PolicyPackClient,
    PolicyPackError,
    _diagnostics,
    _root_stack,
)
from tierguard.policies import ALL_POLICIES, PACK_OPTIONS
from tierguard.policies.serve import install_config_check

#: What ``PolicyPack`` reports as its version; the CLI reads ``PulumiPolicy.yaml`` instead.
SDK_PACK_VERSION = "0.0.1"


@cache
def _install_config_check_once() -> None:
    """The pack installs it once per process before serving; so does this process."""
    install_config_check(ALL_POLICIES)


class _Aborted(Exception):
    def __init__(self, code: grpc.StatusCode, details: str) -> None:
        super().__init__(details)
        self.code = code
        self.details = details


class _Context:
    """The one part of a gRPC servicer context the pack uses: ``abort``."""

    def abort(self, code: grpc.StatusCode, details: str) -> NoReturn:
        raise _Aborted(code, details)


class _DirectStub:
    """Calls ``servicer.<Method>(request, context)`` as a stub calls it over a channel."""

    def __init__(self, servicer: Any) -> None:
        self._servicer = servicer

    def __getattr__(self, method: str) -> Callable[..., Any]:
        handler = getattr(self._servicer, method)

        def call(request: Any, timeout: float | None = None) -> Any:
            return handler(request, _Context())

        return call


class InProcessPack(PolicyPackClient):
    """The pack's servicer in this process; a context manager like ``PolicyPackClient``."""

    _servicer: Any = None

    def start(self) -> None:
        _install_config_check_once()
        options = dict(PACK_OPTIONS)
        servicer = sdk._PolicyAnalyzerServicer(
            options.pop("name"),
            SDK_PACK_VERSION,
            ALL_POLICIES,
            options.pop("enforcement_level"),
            None,  # initial_config
            options.pop("description"),
            options.pop("display_name"),
            None,  # readme
            options.pop("provider"),
            options.pop("tags"),
            None,  # repository
        )
        self._stub = _DirectStub(servicer)
        self._servicer = servicer

    def close(self) -> None:
        self._stub = None
        self._servicer = None

    @property
    def running(self) -> bool:
        return self._stub is not None

    def _call(self, method: str, request: Any) -> Any:
        if self._stub is None:
            raise PolicyPackError("the policy pack is not running; use `with InProcessPack()`")
        try:
            return getattr(self._stub, method)(request)
        except _Aborted as exc:
            raise PolicyPackError(f"{method} failed: {exc.code.name}: {exc.details}") from None
        except Exception as exc:
            # Over gRPC the engine sees UNKNOWN with the exception; say the same here.
            raise PolicyPackError(f"{method} failed: UNKNOWN: {exc!r}") from exc

    # The SDK's servicer first turns each request's protobuf Struct back into a dict, once
    # per policy (and per stack policy, every resource): the requests below are those
    # dicts already, given to the servicer's own enforcement levels, configs and violation
    # reporter, with the same proxies, options and links its Analyze/AnalyzeStack build.

    def analyze(self, resource: Mapping[str, Any]) -> list[Diagnostic]:
        servicer = self._ready()
        response = analyzer_pb2.AnalyzeResponse()
        props = _props(resource.get("properties", resource.get("inputs")))
        provider = _provider(resource.get("provider"))
        for policy in ALL_POLICIES:
            level = servicer._get_enforcement_level(policy)
            if level == EnforcementLevel.DISABLED or not isinstance(
                policy, ResourceValidationPolicy
            ):
                continue
            if not policy.has_validation():
                continue
            args = ResourceValidationArgs(
                resource["type"],
                unknown_checking_proxy(props),
                resource["urn"],
                resource["name"],
                _options(resource.get("parent")),
                provider,
                servicer._get_policy_config(policy.name),
                MappingProxyType({}),
            )
            self._validate(servicer, response, policy, level, args)
        return _diagnostics(response, default_urn=resource["urn"])

    def analyze_stack(
        self,
        resources: Sequence[Mapping[str, Any]],
        outputs: Mapping[str, Any] | None = None,
    ) -> list[Diagnostic]:
        servicer = self._ready()
        everything = list(resources)
        root = _root_stack(everything, outputs)
        if root is not None:
            everything.append(root)
        response = analyzer_pb2.AnalyzeResponse()
        linked = _linked(everything)  # once: the policies only read them
        for policy in ALL_POLICIES:
            level = servicer._get_enforcement_level(policy)
            if level == EnforcementLevel.DISABLED or not isinstance(policy, StackValidationPolicy):
                continue
            args = StackValidationArgs(
                linked, servicer._get_policy_config(policy.name), MappingProxyType({})
            )
            self._validate(servicer, response, policy, level, args)
        return _diagnostics(response, default_urn=None)

    def _ready(self) -> Any:
        if self._stub is None:
            raise PolicyPackError("the policy pack is not running; use `with InProcessPack()`")
        return self._servicer

    @staticmethod
    def _validate(servicer: Any, response: Any, policy: Any, level: Any, args: Any) -> None:
        """One policy on one request, as the servicer runs it (its reporter, its notes)."""
        if level == EnforcementLevel.REMEDIATE:
            level = EnforcementLevel.MANDATORY
        report = servicer._create_report_violation(
            response, policy.name, policy.description, level, policy.severity
        )
        try:
            result = policy.validate(args, report)
            if isawaitable(result):
                loop = asyncio.new_event_loop()
                loop.run_until_complete(asyncio.ensure_future(result, loop=loop))
                loop.close()
        except UnknownValueError as exc:
            response.diagnostics.append(
                analyzer_pb2.AnalyzeDiagnostic(
                    policyName=policy.name,
                    policyPackName=PACK_OPTIONS["name"],
                    policyPackVersion=SDK_PACK_VERSION,
                    message=(
                        f"can't run policy '{policy.name}' from policy pack "
                        f"'{PACK_OPTIONS['name']}@v{SDK_PACK_VERSION}' during preview: "
                        f"{exc.message}"
                    ),
                    urn="",
                    description=policy.description,
                    enforcementLevel=analyzer_pb2.ADVISORY,
                )
            )
        except sdk._NotApplicableError:
            pass


def _props(value: Mapping[str, Any] | None) -> Any:
    return deserialize_properties(dict(value or {}))


def _options(parent: str | None) -> PolicyResourceOptions:
    return PolicyResourceOptions(
        False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [], parent or None
    )


def _provider(provider: Mapping[str, Any] | None) -> PolicyProviderResource | None:
    if not provider:
        return None
    return PolicyProviderResource(
        provider["type"],
        unknown_checking_proxy(_props(provider.get("properties"))),
        provider["urn"],
        provider["name"],
    )


def _linked(resources: Sequence[Mapping[str, Any]]) -> list[PolicyResource]:
    """``PolicyResource`` objects linked by parent and dependencies, as ``AnalyzeStack``."""
    built: dict[str, PolicyResource] = {}
    for item in resources:
        if "properties" in item:
            props = dict(item["properties"] or {})
        else:
            props = dict(item.get("inputs") or {})
            if item.get("id") and "id" not in props:
                props["id"] = item["id"]
        built[item["urn"]] = PolicyResource(
            item["type"],
            unknown_checking_proxy(_props(props)),
            item["urn"],
            item["name"],
            _options(item.get("parent")),
            _provider(item.get("provider")),
            None,
            [],
            {},
        )
    for item in resources:
        resource = built[item["urn"]]
        parent = item.get("parent")
        if parent and parent in built:
            resource.parent = built[parent]
        resource.dependencies.extend(built[d] for d in item.get("dependencies") or () if d in built)
        for key, urns in (item.get("propertyDependencies") or {}).items():
            resource.property_dependencies[key] = [built[u] for u in urns if u in built]
    return list(built.values())
