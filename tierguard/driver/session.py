"""Opening an engine for the project, and the throw-away stack an emulator run uses.

``open_engine`` finds (or installs) the CLI, builds the workspace over the project with
the chosen backend, and makes sure the AWS plugin is there; each failure is one
``EngineUnavailable`` line.

``emulator_stack`` brackets an emulator run. Its resources die with the emulator, so its
state lives in its own backend folder and is removed before and after the run; the
provider config written for the emulator goes into ``Pulumi.<stack>.yaml`` (that is where
``set_all_config`` writes), so the file is backed up first and restored afterwards —
also at the start of the next run if a crash skipped the restore. One emulator run per
project at a time: a second one gets ``StackBusy`` instead of removing the first one's
stack under it.
"""

from __future__ import annotations

import fcntl
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from pulumi.automation import CommandError, PulumiCommand

from tierguard.driver.backend import BackendChoice
from tierguard.driver.emulator import Emulator, running_emulator
from tierguard.driver.seam import Engine, LocalEngine, WorkspaceApi
from tierguard.driver.tools import ensure_aws_plugin, find_cli
from tierguard.errors import StackBusy

BACKUP_DIR = Path(".tierguard") / "emulator"


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


@contextmanager
def emulator_stack(
    project_dir: Path, engine: Engine, stack: str, *, region: str
) -> Iterator[Emulator]:
    """A running emulator and a fresh ``stack`` in the emulator backend; cleaned up after."""
    name = stack.rsplit("/", 1)[-1]
    stack_file = project_dir / f"Pulumi.{name}.yaml"
    backup = project_dir / BACKUP_DIR / f"Pulumi.{name}.yaml.orig"
    backup.parent.mkdir(parents=True, exist_ok=True)
    with (project_dir / BACKUP_DIR / "lock").open("w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise StackBusy(
                f"another emulator run is using {project_dir}; wait for it to finish (the "
                "emulator lives only as long as that command)"
            ) from None
        if backup.exists():  # a previous run crashed before restoring
            shutil.copy2(backup, stack_file)
        shutil.copy2(stack_file, backup)
        try:
            _forget(engine.workspace, stack)
            with running_emulator(region) as emulator:
                yield emulator
        finally:
            _forget(engine.workspace, stack)
            shutil.copy2(backup, stack_file)
            backup.unlink()
