"""Drive the real policy pack over the engine's analyzer gRPC protocol, without the CLI.

``PolicyPackClient`` starts ``policy/__main__.py`` as its own process (the project's
Python, cwd ``policy/``), reads the port the pack prints, and speaks to it with
``AnalyzerStub`` exactly as ``pulumi preview --policy-pack`` does:

1. ``GetPluginInfo`` and ``GetAnalyzerInfo`` (policies, levels, config schemas);
2. ``Configure`` with one ``PolicyConfig`` per policy: the schema's defaults, then the
   ``"all"`` level, then the user's ``--policy-pack-config`` entries, validated against each
   policy's schema as the engine does (``tierguard.policies.pack_config``);
3. ``Analyze`` once per resource (its inputs);
4. ``AnalyzeStack`` once with every resource and the graph (parent, dependencies,
   property dependencies).

Resources are given either exactly as the engine would send them (``EngineCalls`` from
``tierguard.offline.engine``: ``"properties"`` and ``"provider"`` as sent), or in the
offline preview's JSON shape ``{"urn", "type", "name", "id", "parent", "dependencies",
"propertyDependencies", "inputs"}`` (hand-built test data). A value unknown until apply
is spelled as the engine spells it, ``pulumi_policy.proxy.UNKNOWN_STRING_VALUE``.

No call has a deadline, as the engine sets none: a stack of any size is judged however
long its stack policies take, and a pack that dies mid-call fails that call at once. The
process is always terminated when the ``with`` block ends, however it ends.
"""

from __future__ import annotations

import os
import selectors
import subprocess
import sys
import tempfile
import time
from collections import deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Self

import grpc
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

from tierguard.errors import TierguardError
from tierguard.offline.engine import EngineCalls
from tierguard.policies.compliance import Compliance
from tierguard.policies.pack_config import LEVEL_KEY, PolicySchema, reconcile

#: ``Analyze`` calls in flight at once (``PolicyPackClient.analyze_all``): enough to keep
#: the pack busy while requests travel, few enough not to queue a whole stack in memory.
ANALYZE_WINDOW = 32

#: ``policy/`` next to the ``tierguard`` package (a source checkout or editable install).
DEFAULT_PACK_DIR = Path(__file__).resolve().parents[2] / "policy"

_LEVELS = {
    analyzer_pb2.ADVISORY: "advisory",
    analyzer_pb2.MANDATORY: "mandatory",
    analyzer_pb2.REMEDIATE: "remediate",
    analyzer_pb2.DISABLED: "disabled",
}
_LEVEL_VALUES = {name: value for value, name in _LEVELS.items()}
_SEVERITIES = {
    analyzer_pb2.POLICY_SEVERITY_UNSPECIFIED: "",
    analyzer_pb2.POLICY_SEVERITY_LOW: "low",
    analyzer_pb2.POLICY_SEVERITY_MEDIUM: "medium",
    analyzer_pb2.POLICY_SEVERITY_HIGH: "high",
    analyzer_pb2.POLICY_SEVERITY_CRITICAL: "critical",
}


class PolicyPackError(TierguardError):
    """The policy pack could not be started, configured or driven."""


@dataclass(frozen=True)
class Diagnostic:
    """One finding the pack reported, as the engine would print it."""

    policy_name: str
    policy_pack: str
    enforcement_level: str
    """``advisory``, ``mandatory`` (``remediate`` is reported as mandatory by the SDK)."""
    message: str
    urn: str | None
    """The resource the finding is about; ``None`` for a stack-wide finding."""
    severity: str = ""
    description: str = ""

    @property
    def mandatory(self) -> bool:
        return self.enforcement_level == "mandatory"


@dataclass(frozen=True)
class Framework:
    """``PolicyInfo.framework`` as ``GetAnalyzerInfo`` carries it."""

    name: str
    version: str
    reference: str
    specification: str = ""


@dataclass(frozen=True)
class PolicyInfo:
    name: str
    description: str
    enforcement_level: str
    severity: str
    kind: str
    """``resource`` or ``stack``."""
    config_schema: Mapping[str, Any] = field(default_factory=dict)
    required: tuple[str, ...] = ()
    remediation: str = ""
    tags: tuple[str, ...] = ()
    framework: Framework | None = None
    """The one ``PolicyComplianceFramework`` the engine shows (``None`` when unset)."""

    @property
    def compliance(self) -> Compliance:
        """Every framework mapping, read back from the ``compliance:…`` tags."""
        return Compliance.from_tags(self.tags)


@dataclass(frozen=True)
class AnalyzerInfo:
    name: str
    version: str
    supports_config: bool
    policies: tuple[PolicyInfo, ...]

    def policy(self, name: str) -> PolicyInfo:
        for policy in self.policies:
            if policy.name == name:
                return policy
        raise KeyError(name)


def _struct(values: Mapping[str, Any]) -> Any:
    message = struct_pb2.Struct()
    message.update(dict(values))
    return message


class PolicyPackClient:
    """The pack as a subprocess plus a gRPC stub; use it as a context manager."""

    def __init__(
        self,
        pack_dir: Path | None = None,
        *,
        python: str | None = None,
        startup_timeout: float = 60.0,
        call_timeout: float | None = None,
    ) -> None:
        """``call_timeout``: a deadline per RPC, in seconds. ``None`` (the default), as the
        engine calls its analyzers: a large stack's ``AnalyzeStack`` takes as long as it
        takes, and a pack that dies fails the call at once (``UNAVAILABLE``)."""
        self.pack_dir = (pack_dir or DEFAULT_PACK_DIR).resolve()
        self.python = (
            os.path.abspath(python) if python and os.sep in python else (python or sys.executable)
        )
        self.startup_timeout = startup_timeout
        self.call_timeout = call_timeout
        self._process: subprocess.Popen[bytes] | None = None
        self._stderr: IO[bytes] | None = None
        self._channel: Any = None
        self._stub: Any = None
        self.port: int | None = None

    # -------------------------------------------------------------------------- lifecycle

    def __enter__(self) -> Self:
        if self._stub is None:
            self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def launch(self) -> None:
        """Start the pack's process without waiting for it to listen, so its start-up (an
        interpreter, the SDK, the policies) overlaps what the caller does next — the offline
        preview runs the program meanwhile; ``start`` (or ``with``) then connects."""
        if not (self.pack_dir / "__main__.py").is_file():
            raise PolicyPackError(f"no policy pack at {self.pack_dir} (missing __main__.py)")
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 (closed in close())
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        try:
            self._process = subprocess.Popen(
                [self.python, "-u", "__main__.py"],
                cwd=self.pack_dir,
                stdout=subprocess.PIPE,
                stderr=self._stderr,
                stdin=subprocess.DEVNULL,
                env=env,
            )
        except BaseException:
            self.close()
            raise

    def start(self) -> None:
        """Start the pack (unless ``launch`` did) and connect; raises ``PolicyPackError`` if
        it never listens."""
        if self._process is None:
            self.launch()
        try:
            self.port = self._read_port()
            self._channel = grpc.insecure_channel(f"127.0.0.1:{self.port}")
            grpc.channel_ready_future(self._channel).result(timeout=self.startup_timeout)
            self._stub = analyzer_pb2_grpc.AnalyzerStub(self._channel)
        except BaseException:
            self.close()
            raise

    def _read_port(self) -> int:
        assert self._process is not None
        assert self._process.stdout is not None
        deadline = time.monotonic() + self.startup_timeout
        buffer = b""
        with selectors.DefaultSelector() as selector:
            selector.register(self._process.stdout, selectors.EVENT_READ)
            while b"\n" not in buffer:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise PolicyPackError(
                        f"the policy pack printed no port within {self.startup_timeout:.0f}s"
                        f"{self._stderr_tail()}"
                    )
                if not selector.select(timeout=remaining):
                    continue
                chunk = os.read(self._process.stdout.fileno(), 4096)
                if not chunk:
                    raise PolicyPackError(
                        f"the policy pack exited (status {self._process.wait()}) before "
                        f"listening{self._stderr_tail()}"
                    )
                buffer += chunk
        line = buffer.split(b"\n", 1)[0].strip()
        try:
            return int(line)
        except ValueError:
            raise PolicyPackError(
                f"the policy pack printed {line!r} instead of its port{self._stderr_tail()}"
            ) from None

    def _stderr_tail(self) -> str:
        if self._stderr is None:
            return ""
        self._stderr.seek(0)
        text = self._stderr.read().decode(errors="replace").strip()
        return f":\n{text[-2000:]}" if text else ""

    def close(self) -> None:
        """Disconnect and terminate the pack (killing it if it does not stop)."""
        if self._channel is not None:
            self._channel.close()
            self._channel = None
            self._stub = None
        process, self._process = self._process, None
        if process is not None:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=5)
            if process.stdout is not None:
                process.stdout.close()
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    # ------------------------------------------------------------------------------ calls

    def _call(self, method: str, request: Any) -> Any:
        if self._stub is None:
            raise PolicyPackError("the policy pack is not running; use `with PolicyPackClient()`")
        try:
            return getattr(self._stub, method)(request, timeout=self.call_timeout)
        except grpc.RpcError as exc:
            raise PolicyPackError(
                f"{method} failed: {exc.code().name}: {exc.details()}{self._stderr_tail()}"
            ) from exc

    def plugin_version(self) -> str:
        """``GetPluginInfo``: the pulumi_policy SDK version serving the pack."""
        return str(self._call("GetPluginInfo", empty_pb2.Empty()).version)

    def analyzer_info(self) -> AnalyzerInfo:
        """``GetAnalyzerInfo``: the pack's name and its policies with levels and schemas."""
        info = self._call("GetAnalyzerInfo", empty_pb2.Empty())
        policies = tuple(
            PolicyInfo(
                name=p.name,
                description=p.description,
                enforcement_level=_LEVELS.get(p.enforcementLevel, "advisory"),
                severity=_SEVERITIES.get(p.severity, ""),
                kind="stack" if p.policy_type == analyzer_pb2.POLICY_TYPE_STACK else "resource",
                config_schema=json_format.MessageToDict(p.configSchema.properties),
                required=tuple(p.configSchema.required),
                remediation=p.remediation_steps,
                tags=tuple(p.tags),
                framework=Framework(
                    p.framework.name,
                    p.framework.version,
                    p.framework.reference,
                    p.framework.specification,
                )
                if p.HasField("framework")
                else None,
            )
            for p in info.policies
        )
        return AnalyzerInfo(info.name, info.version, bool(info.supportsConfig), policies)

    def configure(self, config: Mapping[str, Any] | None = None) -> dict[str, dict[str, Any]]:
        """``Configure`` as the engine does from a ``--policy-pack-config`` object.

        The config is reconciled and validated as the engine and the pack do it
        (``tierguard.policies.pack_config``); ``ConfigError`` names every problem. Returns
        the effective per-policy config sent.
        """
        info = self.analyzer_info()
        effective = reconcile(
            [
                PolicySchema(p.name, p.enforcement_level, p.config_schema, p.required)
                for p in info.policies
            ],
            config,
        ).policies
        request = analyzer_pb2.ConfigureAnalyzerRequest()
        for name, values in effective.items():
            properties = {k: v for k, v in values.items() if k != LEVEL_KEY}
            request.policyConfig[name].CopyFrom(
                analyzer_pb2.PolicyConfig(
                    enforcementLevel=_LEVEL_VALUES[values[LEVEL_KEY]],
                    properties=_struct(properties),
                )
            )
        self._call("Configure", request)
        return {name: dict(values) for name, values in effective.items()}

    def analyze(self, resource: Mapping[str, Any]) -> list[Diagnostic]:
        """``Analyze`` one resource's inputs, as the engine does before each step."""
        response = self._call("Analyze", analyze_request(resource))
        return _diagnostics(response, default_urn=resource["urn"])

    def analyze_all(self, resources: Iterable[Mapping[str, Any]]) -> list[Diagnostic]:
        """``Analyze`` each resource (``analyze_each``); diagnostics in the order given."""
        return [d for _, found in self.analyze_each(resources) for d in found]

    def analyze_each(
        self, resources: Iterable[Mapping[str, Any]]
    ) -> Iterator[tuple[str, list[Diagnostic]]]:
        """``Analyze`` each resource with up to ``ANALYZE_WINDOW`` calls in flight, as the
        engine analyzes the steps it runs in parallel: the pack judges one resource while
        the next requests travel. Yields each URN with its diagnostics, in order."""
        if self._stub is None:
            raise PolicyPackError("the policy pack is not running; use `with PolicyPackClient()`")
        method = self._stub.Analyze
        pending: deque[tuple[Any, str]] = deque()

        def settle() -> tuple[str, list[Diagnostic]]:
            future, urn = pending.popleft()
            try:
                response = future.result()
            except grpc.RpcError as exc:
                raise PolicyPackError(
                    f"Analyze failed: {exc.code().name}: {exc.details()}{self._stderr_tail()}"
                ) from exc
            return urn, _diagnostics(response, default_urn=urn)

        for resource in resources:
            request = analyze_request(resource)
            pending.append((method.future(request, timeout=self.call_timeout), resource["urn"]))
            if len(pending) >= ANALYZE_WINDOW:
                yield settle()
        while pending:
            yield settle()

    def analyze_stack(
        self,
        resources: Sequence[Mapping[str, Any]],
        outputs: Mapping[str, Any] | None = None,
    ) -> list[Diagnostic]:
        """``AnalyzeStack`` with every resource and its graph, as at the end of a preview.

        ``outputs`` (the stack's exports) become the properties of the root
        ``pulumi:pulumi:Stack`` resource, as the engine sends them, unless ``resources``
        already holds the root stack.
        """
        everything = list(resources)
        root = _root_stack(everything, outputs)
        if root is not None:
            everything.append(root)
        response = self._call("AnalyzeStack", analyze_stack_request(everything))
        return _diagnostics(response, default_urn=None)

    def run_calls(
        self, calls: EngineCalls, config: Mapping[str, Any] | None = None
    ) -> list[Diagnostic]:
        """Configure, then ``Analyze`` and ``AnalyzeStack`` exactly as ``calls`` spell them."""
        self.configure(config)
        found = self.analyze_all(calls.analyze)
        found.extend(self.analyze_stack(calls.stack))
        return found

    def stack_diagnostics(
        self, calls: EngineCalls, config: Mapping[str, Any] | None = None
    ) -> list[Diagnostic]:
        """Only ``AnalyzeStack``: what the stack policies report once ``calls.phase`` ran."""
        self.configure(config)
        return self.analyze_stack(calls.stack)

    def run(
        self,
        resources: Sequence[Mapping[str, Any]],
        config: Mapping[str, Any] | None = None,
        *,
        outputs: Mapping[str, Any] | None = None,
    ) -> list[Diagnostic]:
        """Configure, analyze every resource, then the stack: one preview's worth."""
        self.configure(config)
        found = self.analyze_all(resources)
        found.extend(self.analyze_stack(resources, outputs))
        return found


STACK_TYPE = "pulumi:pulumi:Stack"


def _root_stack(
    resources: Sequence[Mapping[str, Any]], outputs: Mapping[str, Any] | None
) -> dict[str, Any] | None:
    if outputs is None or not resources or any(r["type"] == STACK_TYPE for r in resources):
        return None
    # urn:pulumi:<stack>::<project>::<type>::<name>
    head = str(resources[0]["urn"]).split("::")
    stack, project = head[0].removeprefix("urn:pulumi:"), head[1]
    return {
        "urn": f"urn:pulumi:{stack}::{project}::{STACK_TYPE}::{project}-{stack}",
        "type": STACK_TYPE,
        "name": f"{project}-{stack}",
        "id": None,
        "parent": None,
        "dependencies": [],
        "propertyDependencies": {},
        "inputs": dict(outputs),
    }


def analyze_request(resource: Mapping[str, Any]) -> Any:
    """The ``AnalyzeRequest`` for one resource (``properties`` as sent, or ``inputs``)."""
    properties = resource.get("properties", resource.get("inputs")) or {}
    return analyzer_pb2.AnalyzeRequest(
        type=resource["type"],
        properties=_struct(properties),
        urn=resource["urn"],
        name=resource["name"],
        options=analyzer_pb2.AnalyzerResourceOptions(parent=resource.get("parent") or ""),
        provider=_provider(resource.get("provider")),
    )


def analyze_stack_request(resources: Iterable[Mapping[str, Any]]) -> Any:
    """The ``AnalyzeStackRequest`` for the stack's resources, graph included."""
    return analyzer_pb2.AnalyzeStackRequest(resources=[_stack_resource(r) for r in resources])


def _provider(provider: Mapping[str, Any] | None) -> Any:
    """An ``AnalyzerProviderResource``; ``None`` (the field unset) for a component."""
    if not provider:
        return None
    return analyzer_pb2.AnalyzerProviderResource(
        type=provider["type"],
        properties=_struct(provider.get("properties") or {}),
        urn=provider["urn"],
        name=provider["name"],
    )


def _stack_resource(resource: Mapping[str, Any]) -> Any:
    if "properties" in resource:
        properties = dict(resource["properties"] or {})
    else:
        properties = dict(resource.get("inputs") or {})
        if resource.get("id") and "id" not in properties:
            properties["id"] = resource["id"]
    dependencies: Mapping[str, Iterable[str]] = resource.get("propertyDependencies") or {}
    return analyzer_pb2.AnalyzerResource(
        type=resource["type"],
        properties=_struct(properties),
        urn=resource["urn"],
        name=resource["name"],
        options=analyzer_pb2.AnalyzerResourceOptions(parent=resource.get("parent") or ""),
        parent=resource.get("parent") or "",
        dependencies=list(resource.get("dependencies") or ()),
        propertyDependencies={
            key: analyzer_pb2.AnalyzerPropertyDependencies(urns=list(urns))
            for key, urns in dependencies.items()
        },
        provider=_provider(resource.get("provider")),
    )


def _diagnostics(response: Any, *, default_urn: str | None) -> list[Diagnostic]:
    return [
        Diagnostic(
            policy_name=d.policyName,
            policy_pack=d.policyPackName,
            enforcement_level=_LEVELS.get(d.enforcementLevel, "advisory"),
            message=d.message,
            urn=d.urn or default_urn,
            severity=_SEVERITIES.get(d.severity, ""),
            description=d.description,
        )
        for d in response.diagnostics
    ]
