"""The typed seam over the Automation API: exactly the workspace/stack surface tierguard uses.

``StackApi`` and ``WorkspaceApi`` are Protocols that the SDK's own ``Stack`` and
``LocalWorkspace`` satisfy (mypy checks that in ``LocalEngine``), so the verbs are written
against the real signatures while unit tests hand in a fake that records the calls.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Protocol

from pulumi.automation import (
    DestroyResult,
    EngineEvent,
    LocalWorkspace,
    OutputMap,
    PluginInfo,
    PreviewResult,
    PulumiCommand,
    RefreshResult,
    Stack,
    StackSummary,
    UpResult,
)

OnEvent = Callable[[EngineEvent], Any]
OnOutput = Callable[[str], Any]


class WorkspaceApi(Protocol):
    """The workspace calls tierguard makes (a subset of ``pulumi.automation.Workspace``)."""

    def list_stacks(self, include_all: bool | None = None) -> list[StackSummary]: ...

    def list_plugins(self) -> list[PluginInfo]: ...

    def install_plugin(self, name: str, version: str, kind: str = "resource") -> None: ...

    def remove_stack(
        self, stack_name: str, force: bool | None = None, preserve_config: bool | None = None
    ) -> None: ...


class StackApi(Protocol):
    """The stack calls tierguard makes (a subset of ``pulumi.automation.Stack``)."""

    name: str

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
    ) -> UpResult: ...

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
    ) -> PreviewResult: ...

    def refresh(
        self,
        parallel: int | None = None,
        *,
        color: str | None = None,
        on_output: OnOutput | None = None,
        on_error: OnOutput | None = None,
        on_event: OnEvent | None = None,
        show_secrets: bool = True,
    ) -> RefreshResult: ...

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
    ) -> DestroyResult: ...

    def outputs(self) -> OutputMap: ...

    def cancel(self) -> None: ...


class Engine(Protocol):
    """Opens stacks of the project in one workspace; what the verbs are given."""

    @property
    def workspace(self) -> WorkspaceApi: ...

    def select(self, stack: str) -> StackApi:
        """The existing stack (``StackNotFoundError`` otherwise)."""
        ...

    def create_or_select(self, stack: str) -> StackApi:
        """The stack, created first if the backend does not have it."""
        ...


class LocalEngine:
    """The real engine: a ``LocalWorkspace`` rooted at the project (its own ``__main__.py``).

    No ``project_settings`` are passed, so the workspace never rewrites ``Pulumi.yaml``;
    the backend and passphrase reach the CLI through ``env_vars`` only.
    """

    def __init__(
        self, project_dir: Path, *, env: Mapping[str, str], command: PulumiCommand
    ) -> None:
        self._workspace = LocalWorkspace(
            work_dir=str(project_dir),
            env_vars={"PULUMI_SKIP_UPDATE_CHECK": "true", **env},
            pulumi_command=command,
        )

    @property
    def workspace(self) -> WorkspaceApi:
        return self._workspace

    def select(self, stack: str) -> StackApi:
        return Stack.select(stack, self._workspace)

    def create_or_select(self, stack: str) -> StackApi:
        return Stack.create_or_select(stack, self._workspace)
