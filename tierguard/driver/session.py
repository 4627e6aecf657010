"""Opening an engine for the project, and the throw-away stack an emulator run uses.

``open_engine`` finds (or installs) the CLI, builds the workspace over the project with
the chosen backend, and makes sure the AWS plugin is there; each failure is one
``EngineUnavailable`` line.

``emulator_stack`` brackets an emulator run. Its resources die with the emulator, so its
state lives in its own backend folder and is removed before and after the run. The
provider config for the emulator goes into a scratch copy of the stack file
(``Emulator.write_stack_config``), never into the user's ``Pulumi.<stack>.yaml``: nothing
has to be restored, so a killed run cannot undo an edit. A backup left by an older
version that restored the file is compared with the file and refused when they differ.
One emulator run per project at a time: a second one gets ``StackBusy`` instead of
removing the first one's stack under it.
"""

from __future__ import annotations

import fcntl
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from pulumi.automation import CommandError, PulumiCommand

from tierguard.config.stackfile import short_stack_name
from tierguard.driver.backend import BackendChoice, ensure_dir
from tierguard.driver.emulator import (
    EMULATOR_DIR,
    Emulator,
    running_emulator,
    scratch_stack_file,
)
from tierguard.driver.seam import Engine, LocalEngine, WorkspaceApi
from tierguard.driver.tools import ensure_aws_plugin, find_cli
from tierguard.errors import ConfigError, Problem, StackBusy


def open_engine(
    project_dir: Path,
    backend: BackendChoice,
    *,
    cli: Callable[[Path], PulumiCommand] | None = None,
) -> Engine:
    """The real engine over ``project_dir``; ``EngineUnavailable`` when it cannot be had."""
    command = (cli or find_cli)(project_dir)
    backend.prepare()
    engine = LocalEngine(project_dir, env=backend.env, command=command)
    ensure_aws_plugin(engine.workspace)
    return engine


def _forget(workspace: WorkspaceApi, stack: str) -> None:
    """Drop an emulator stack's state (its resources died with its emulator)."""
    try:
        if any(s.name == stack for s in workspace.list_stacks()):
            workspace.remove_stack(stack, force=True, preserve_config=True)
    except CommandError:
        pass  # nothing to forget, or the folder is gone: either way nothing is left


def _check_leftover_backup(stack_file: Path, backup: Path) -> None:
    """A ``.orig`` copy from an older tierguard: dropped if it matches the file, else refused."""
    if not backup.exists():
        return
    try:
        same = backup.read_bytes() == stack_file.read_bytes()
    except OSError:
        same = False
    if not same:
        raise ConfigError(
            [
                Problem(
                    str(backup),
                    f"a backup of {stack_file.name} left by an interrupted emulator run differs "
                    f"from {stack_file}; tierguard restores nothing: keep the version you want "
                    f"in {stack_file.name}, then delete {backup}",
                )
            ]
        )
    backup.unlink()


@contextmanager
def emulator_stack(
    project_dir: Path, engine: Engine, stack: str, *, region: str
) -> Iterator[Emulator]:
    """A running emulator and a fresh ``stack`` in the emulator backend; cleaned up after."""
    name = short_stack_name(stack)
    scratch = scratch_stack_file(project_dir, stack)
    ensure_dir(scratch.parent)
    with (project_dir / EMULATOR_DIR / "lock").open("w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise StackBusy(
                f"another emulator run is using {project_dir}; wait for it to finish (the "
                "emulator lives only as long as that command)"
            ) from None
        _check_leftover_backup(
            project_dir / f"Pulumi.{name}.yaml", scratch.with_name(f"{scratch.name}.orig")
        )
        try:
            _forget(engine.workspace, stack)
            with running_emulator(region) as emulator:
                yield emulator
        finally:
            _forget(engine.workspace, stack)
            scratch.unlink(missing_ok=True)
