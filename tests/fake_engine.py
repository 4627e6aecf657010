"""A fake engine implementing the driver's seam: records every call, scripts failures.

Failures are built with the SDK's own classifier (``create_command_error``) from the
stderr text the CLI prints, so a test of the mapping also checks that the text is
classified as the driver expects.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from pulumi.automation import (
    CommandError,
    CommandResult,
    DestroyResult,
    EngineEvent,
    OpType,
    OutputMap,
    OutputValue,
    PluginInfo,
    PolicyEvent,
    PreviewResult,
    RefreshResult,
    StackSummary,
    UpdateSummary,
    UpResult,
)
from pulumi.automation.errors import create_command_error

from tierguard.driver.seam import OnEvent, OnOutput, StackApi, WorkspaceApi

LOCKED = (
    "error: the stack is currently locked by 1 lock(s). Either wait for the other process(es) "
    "to end or delete the lock file with `pulumi cancel`."
)
NOT_FOUND = "error: no stack named 'prod' found"


def engine_failure(stderr: str, stdout: str = "") -> CommandError:
    """The error the SDK raises for a CLI run that printed ``stderr`` and exited 255."""
    return create_command_error(CommandResult(stdout=stdout, stderr=stderr, code=255))


@dataclass
class Call:
    what: str
    stack: str
    kwargs: dict[str, Any] = field(default_factory=dict)


def _summary(changes: Mapping[str, int]) -> UpdateSummary:
    return UpdateSummary(
        kind="update",
        start_time=datetime(2026, 1, 1),
        message="",
        environment={},
        config={},
        result="succeeded",
        resource_changes={OpType(op): n for op, n in changes.items()},
    )


class FakeWorkspace:
    def __init__(self, engine: FakeEngine) -> None:
        self.engine = engine

    def list_stacks(self, include_all: bool | None = None) -> list[StackSummary]:
        return [
            StackSummary(name, current=False, update_in_progress=busy, resource_count=count)
            for name, (count, busy) in sorted(self.engine.stacks.items())
        ]

    def list_plugins(self) -> list[PluginInfo]:
        return []

    def install_plugin(self, name: str, version: str, kind: str = "resource") -> None:
        self.engine.calls.append(Call("install_plugin", "", {"name": name, "version": version}))

    def remove_stack(
        self, stack_name: str, force: bool | None = None, preserve_config: bool | None = None
    ) -> None:
        self.engine.calls.append(
            Call("remove_stack", stack_name, {"force": force, "preserve_config": preserve_config})
        )
        self.engine.stacks.pop(stack_name, None)


class FakeStack:
    def __init__(self, name: str, engine: FakeEngine) -> None:
        self.name = name
        self.engine = engine

    def _record(self, what: str, **kwargs: Any) -> None:
        self.engine.calls.append(Call(what, self.name, kwargs))
        failure = self.engine.failures.get((what, self.name)) or self.engine.failures.get(
            (what, "*")
        )
        hook = self.engine.hooks.get(what)
        if hook is not None:
            hook(self, kwargs)
        if failure is not None:
            raise failure

    def _events(self, on_event: OnEvent | None, verb: str) -> None:
        for event in [*self.engine.events, *self.engine.verb_events.get(verb, [])]:
            if on_event is not None:
                on_event(event)

    def _config_file(self, config_file: str | None) -> dict[str, Any]:
        """What the engine would read from ``--config-file`` (its text at call time)."""
        if config_file is None:
            return {"config_file": None}
        return {"config_file": config_file, "config_text": Path(config_file).read_text()}

    def up(
        self,
        parallel: int | None = None,
        *,
        policy_packs: list[str] | None = None,
        policy_pack_configs: list[str] | None = None,
        expect_no_changes: bool | None = None,
        color: str | None = None,
        on_output: OnOutput | None = None,
        on_error: OnOutput | None = None,
        on_event: OnEvent | None = None,
        show_secrets: bool = True,
        config_file: str | None = None,
    ) -> UpResult:
        self._events(on_event, "up")
        self._record(
            "up",
            parallel=parallel,
            policy_packs=policy_packs,
            policy_pack_configs=policy_pack_configs,
            show_secrets=show_secrets,
            **self._config_file(config_file),
        )
        self.engine.stacks[self.name] = (34, False)
        outputs: OutputMap = {
            "vpc_id": OutputValue("vpc-123", secret=False),
            "db_password": OutputValue("hunter2-secret", secret=True),
        }
        return UpResult("", "", summary=_summary({"create": 34}), outputs=outputs)

    def preview(
        self,
        parallel: int | None = None,
        *,
        policy_packs: list[str] | None = None,
        policy_pack_configs: list[str] | None = None,
        expect_no_changes: bool | None = None,
        color: str | None = None,
        on_output: OnOutput | None = None,
        on_error: OnOutput | None = None,
        on_event: OnEvent | None = None,
        config_file: str | None = None,
    ) -> PreviewResult:
        self._events(on_event, "preview")
        self._record(
            "preview",
            policy_packs=policy_packs,
            policy_pack_configs=policy_pack_configs,
            expect_no_changes=expect_no_changes,
            **self._config_file(config_file),
        )
        return PreviewResult("", "", change_summary={OpType.CREATE: 34})

    def refresh(
        self,
        parallel: int | None = None,
        *,
        color: str | None = None,
        on_output: OnOutput | None = None,
        on_error: OnOutput | None = None,
        on_event: OnEvent | None = None,
        show_secrets: bool = True,
    ) -> RefreshResult:
        self._record("refresh", show_secrets=show_secrets)
        return RefreshResult("", "", summary=_summary({"same": 34}))

    def destroy(
        self,
        parallel: int | None = None,
        *,
        color: str | None = None,
        on_output: OnOutput | None = None,
        on_error: OnOutput | None = None,
        on_event: OnEvent | None = None,
        show_secrets: bool = True,
        config_file: str | None = None,
    ) -> DestroyResult:
        self._record("destroy", show_secrets=show_secrets, **self._config_file(config_file))
        self.engine.stacks[self.name] = (0, False)
        return DestroyResult("", "", summary=_summary({"delete": 34}))

    def outputs(self) -> OutputMap:
        self._record("outputs")
        return {
            "vpc_id": OutputValue("vpc-123", secret=False),
            "db_password": OutputValue("hunter2-secret", secret=True),
        }

    def cancel(self) -> None:
        self._record("cancel")
        count, _ = self.engine.stacks[self.name]
        self.engine.stacks[self.name] = (count, False)


Hook = Callable[[FakeStack, dict[str, Any]], None]


class FakeEngine:
    """Stacks by name → (resource count, update in progress)."""

    def __init__(self, stacks: Mapping[str, tuple[int, bool]] | None = None) -> None:
        self.stacks: dict[str, tuple[int, bool]] = dict(stacks or {})
        self.calls: list[Call] = []
        self.failures: dict[tuple[str, str], BaseException] = {}
        self.hooks: dict[str, Hook] = {}
        self.events: list[EngineEvent] = []
        self.verb_events: dict[str, list[EngineEvent]] = {}
        """Events only one verb's run emits (``"preview"`` → …)."""
        self._workspace = FakeWorkspace(self)

    @property
    def workspace(self) -> WorkspaceApi:
        return self._workspace

    def select(self, stack: str) -> StackApi:
        self.calls.append(Call("select", stack))
        if stack not in self.stacks:
            raise engine_failure(f"error: no stack named '{stack}' found")
        return FakeStack(stack, self)

    def create_or_select(self, stack: str) -> StackApi:
        self.calls.append(Call("create_or_select", stack))
        self.stacks.setdefault(stack, (0, False))
        return FakeStack(stack, self)

    def reject_at_preview(self, policy: str, resource: str, message: str) -> None:
        """Make every preview fail as the CLI's does on a mandatory policy violation: the
        policy event on the stream, then a failed command."""
        self.verb_events.setdefault("preview", []).append(
            EngineEvent(
                sequence=1,
                timestamp=0,
                policy_event=PolicyEvent(
                    message=message,
                    color="never",
                    policy_name=policy,
                    policy_pack_name="tierguard",
                    policy_pack_version="0.1.0",
                    policy_pack_version_tag="v0.1.0",
                    enforcement_level="mandatory",
                    resource_urn=f"urn:pulumi:dev::tierguard::aws:vpc/x:X::{resource}",
                ),
            )
        )
        self.failures[("preview", "*")] = engine_failure("error: preview failed")

    def verbs(self) -> list[tuple[str, str]]:
        return [(c.what, c.stack) for c in self.calls]

    def call(self, what: str) -> Call:
        return next(c for c in self.calls if c.what == what)


def write_lock(state: Path, *parts: str, pid: int = 4242) -> Path:
    """A lock file as the file backend writes it (pulumi/pulumi pkg/backend/diy/lock.go:
    ``.pulumi/locks/<QnamePath(fully qualified stack)>/<lock id>.json`` holding
    ``lockContent{pid, username, hostname, timestamp}``)."""
    folder = state.joinpath(".pulumi", "locks", *parts)
    folder.mkdir(parents=True)
    path = folder / "6c1e0a52-5f0f-4a8e-9a57-0d7b9e7c1f3a.json"
    path.write_text(
        json.dumps(
            {
                "pid": pid,
                "username": "alice",
                "hostname": "build-7",
                "timestamp": "2026-12-01T03:00:00.123456789Z",
            }
        )
    )
    return path
