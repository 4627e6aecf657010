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

from collections.abc import Callable
from functools import cache
from typing import Any, NoReturn

import grpc
from pulumi_policy import policy as sdk

from tierguard.offline.analyzer import PolicyPackClient, PolicyPackError
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

    def close(self) -> None:
        self._stub = None

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
