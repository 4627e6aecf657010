"""The policy pack's own analyzer, called in this process: no subprocess, no gRPC.

``InProcessPack`` is a ``PolicyPackClient`` whose stub is the pack's analyzer servicer
itself (``tierguard.policies.serve.TierguardAnalyzer``, what ``policy/__main__.py``
serves), built with the pack's policies and options. Configuration, dispatch to the
policies, the ``can't run policy … during preview`` notes and the diagnostics are the
pack's — only the process boundary and the serialization onto a socket are gone: the
requests are given to the servicer as the decoded resources its ``Analyze`` and
``AnalyzeStack`` would make of them. This is ``tierguard check``'s path; ``tierguard
preview --offline`` keeps the separate process the engine would start.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, NoReturn

import grpc
from pulumi_policy import (
    PolicyCustomTimeouts,
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
)
from pulumi_policy.deserialize import deserialize_properties
from pulumi_policy.proxy import unknown_checking_proxy

from tierguard.offline.analyzer import (
    Diagnostic,
    PolicyPackClient,
    PolicyPackError,
    _diagnostics,
    _root_stack,
)
from tierguard.policies import ALL_POLICIES, PACK_OPTIONS
from tierguard.policies.serve import TierguardAnalyzer, link

#: What ``PolicyPack`` reports as its version; the CLI reads ``PulumiPolicy.yaml`` instead.
SDK_PACK_VERSION = "0.0.1"


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

    _servicer: TierguardAnalyzer | None = None

    def start(self) -> None:
        options = dict(PACK_OPTIONS)
        servicer = TierguardAnalyzer(
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

    # The requests are given as the servicer's Analyze/AnalyzeStack decode them: props
    # behind the SDK's unknown-checking proxy, options, provider, the linked graph.

    def analyze(self, resource: Mapping[str, Any]) -> list[Diagnostic]:
        response = self._ready().analyze_resource(
            resource["type"],
            _props(resource.get("properties", resource.get("inputs"))),
            resource["urn"],
            resource["name"],
            _options(resource.get("parent")),
            _provider(resource.get("provider")),
        )
        return _diagnostics(response, default_urn=resource["urn"])

    def analyze_all(self, resources: Iterable[Mapping[str, Any]]) -> list[Diagnostic]:
        return [d for resource in resources for d in self.analyze(resource)]

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
        response = servicer.analyze_stack_resources(_linked(everything))
        return _diagnostics(response, default_urn=None)

    def _ready(self) -> TierguardAnalyzer:
        if self._servicer is None:
            raise PolicyPackError("the policy pack is not running; use `with InProcessPack()`")
        return self._servicer


def _props(value: Mapping[str, Any] | None) -> Any:
    return unknown_checking_proxy(deserialize_properties(dict(value or {})))


def _options(parent: str | None) -> PolicyResourceOptions:
    return PolicyResourceOptions(
        False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [], parent or None
    )


def _provider(provider: Mapping[str, Any] | None) -> PolicyProviderResource | None:
    if not provider:
        return None
    return PolicyProviderResource(
        provider["type"], _props(provider.get("properties")), provider["urn"], provider["name"]
    )


def _linked(resources: Sequence[Mapping[str, Any]]) -> list[PolicyResource]:
    """``PolicyResource`` objects linked by parent and dependencies, as ``AnalyzeStack``."""
    built: dict[str, PolicyResource] = {}
    providers: dict[int, PolicyProviderResource | None] = {}
    for item in resources:
        if "properties" in item:
            props = dict(item["properties"] or {})
        else:
            props = dict(item.get("inputs") or {})
            if item.get("id") and "id" not in props:
                props["id"] = item["id"]
        provider = item.get("provider")
        if id(provider) not in providers:  # the engine calls share one provider reference
            providers[id(provider)] = _provider(provider)
        built[item["urn"]] = PolicyResource(
            item["type"],
            _props(props),
            item["urn"],
            item["name"],
            _options(item.get("parent")),
            providers[id(provider)],
            None,
            [],
            {},
        )
    link(
        built,
        (
            (
                item["urn"],
                item.get("parent"),
                item.get("dependencies") or (),
                item.get("propertyDependencies") or {},
            )
            for item in resources
        ),
    )
    return list(built.values())
