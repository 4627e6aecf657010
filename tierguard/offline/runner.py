"""Run the real Pulumi program on the SDK's mock engine: no CLI, no cloud, no credentials.

The program (``__main__.py``) runs exactly as the Python language host runs it — inside a
stack resource, with the stack's config set as the engine sets it — and every
registration is recorded; they are answered while the program runs, a bounded number in
flight (``tierguard.offline.inflight``). Mocks are process-global in the SDK, so each run
installs its own fresh settings and monitor; runs never see each other's resources.
"""

from __future__ import annotations

import runpy
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime import config as runtime_config
from pulumi.runtime import settings
from pulumi.runtime.mocks import set_mocks
from pulumi.runtime.stack import run_in_stack
from pulumi.runtime.sync_await import _sync_await

from tierguard.config.stackfile import PROJECT_FILE, StackFile, load_yaml
from tierguard.errors import ConfigError, Problem, ProgramError
from tierguard.offline.inflight import InFlight
from tierguard.offline.mocks import PlanMocks, RecordedResource, RecordingMonitor
from tierguard.program import region_of_stack

PROGRAM = "__main__.py"


@dataclass(frozen=True)
class ProgramRun:
    """Everything the program registered, in registration order, and the stack outputs."""

    project: str
    stack: str
    resources: tuple[RecordedResource, ...]
    outputs: dict[str, Any]

    def of_type(self, type_: str) -> list[RecordedResource]:
        return [r for r in self.resources if r.type == type_]

    def by_urn(self) -> dict[str, RecordedResource]:
        return {r.urn: r for r in self.resources}


@contextmanager
def _on_path(directory: Path) -> Iterator[None]:
    """Import the project's own packages the way the language host does (cwd first)."""
    entry = str(directory)
    sys.path.insert(0, entry)
    try:
        yield
    finally:
        sys.path.remove(entry)


def program_path(project_dir: Path) -> Path:
    """The program the language host runs: ``Pulumi.yaml``'s ``main`` (a directory holding
    ``__main__.py``, or a Python file) relative to the project, else ``__main__.py`` (also
    for a bare directory without ``Pulumi.yaml``, as benchmarks and tests run one)."""
    path = project_dir / PROJECT_FILE
    project = load_yaml(path) if path.is_file() else None
    main = project.get("main") if isinstance(project, dict) else None
    if main is None:
        return project_dir / PROGRAM
    where = f"{project_dir / PROJECT_FILE}: main"
    if not isinstance(main, str) or not main.strip():
        raise ConfigError([Problem(where, "must be a path relative to the project")])
    target = project_dir / main
    program = target / PROGRAM if target.is_dir() else target
    if not program.is_file():
        raise ConfigError(
            [
                Problem(
                    where,
                    f"{main!r}: no {program.name} there (a directory with {PROGRAM}, "
                    "or a .py file)",
                )
            ]
        )
    return program


def run_program(
    project_dir: Path,
    stack_file: StackFile,
    *,
    preview: bool = True,
    on_record: Callable[[RecordedResource], None] | None = None,
) -> ProgramRun:
    """Run ``project_dir/__main__.py`` for ``stack_file`` under mocks and record it;
    ``on_record`` sees each registration as it happens."""
    mocks = PlanMocks(region=region_of_stack(stack_file))
    in_flight = InFlight()
    monitor = RecordingMonitor(mocks, on_record, on_answer=in_flight.answered)
    runtime_config.set_all_config(stack_file.engine_config(), [])
    set_mocks(
        mocks,
        project=stack_file.project,
        stack=stack_file.stack,
        preview=preview,
        monitor=monitor,
    )
    # set_mocks installs a finished root stack for unit tests; the program gets its own,
    # as under the language host, so its exports arrive as the stack's outputs.
    settings.set_root_resource(None)  # type: ignore[arg-type]
    program = program_path(project_dir)

    def main() -> None:
        in_flight.start()
        runpy.run_path(str(program), run_name="__main__")

    try:
        with _on_path(program.parent):
            _sync_await(run_in_stack(main))
    except pulumi.RunError as exc:
        raise ProgramError(f"{program} stopped: {exc}") from None
    except Exception as exc:
        hint = ""
        if mocks.unanswered:
            hint = (
                f"; it called data sources the mock engine cannot answer without AWS "
                f"({', '.join(mocks.unanswered)}): pass such values through the stack's "
                "config instead"
            )
        raise ProgramError(f"{program} failed under the mock engine: {exc!r}{hint}") from exc
    seen: set[str] = set()
    for resource in monitor.recorded:
        if resource.urn in seen:  # the engine's own refusal (pkg/engine, TestDuplicateURN)
            raise ProgramError(
                f"{program} stopped: Duplicate resource URN '{resource.urn}'; try giving it "
                "a unique name"
            )
        seen.add(resource.urn)
    return ProgramRun(
        project=stack_file.project,
        stack=stack_file.stack,
        resources=tuple(monitor.recorded),
        outputs=monitor.stack_outputs,
    )
