"""Options and loading shared by the verbs that read a stack file."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import click

from tierguard.config.parse import CONFIG_KEY
from tierguard.config.stackfile import (
    StackFile,
    available_stacks,
    find_project_dir,
    load_project,
    load_stack,
    load_yaml,
)
from tierguard.errors import ConfigError, Problem
from tierguard.plan import NetworkPlan
from tierguard.program import load_plan

F = TypeVar("F", bound=Callable[..., Any])


STACK_OPTION = click.option("-s", "--stack", default="dev", show_default=True, help="Stack name.")
CWD_OPTION = click.option(
    "-C",
    "--cwd",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=Path(),
    help="Run as if started in this directory (the project is found upward).",
)


def stack_options(command: F) -> F:
    """``--stack``, ``--stack-file`` and ``--cwd``, as every stack-reading verb takes them."""
    for option in reversed(
        [
            STACK_OPTION,
            click.option(
                "--stack-file",
                type=click.Path(dir_okay=False, path_type=Path),
                help="Use this stack file instead of Pulumi.<stack>.yaml (e.g. examples/…).",
            ),
            CWD_OPTION,
        ]
    ):
        command = option(command)
    return command


@dataclass(frozen=True)
class LoadedStack:
    project_dir: Path
    stack: StackFile
    plan: NetworkPlan


@dataclass(frozen=True)
class LoadedProgram:
    """Any Pulumi Python project's stack; ``plan`` only when it configures tierguard."""

    project_dir: Path
    stack: StackFile
    plan: NetworkPlan | None


def _stack_from_file(path: Path, project_dir: Path) -> StackFile:
    """A stack file given by path: its stack name is the file's middle part."""
    doc = load_yaml(path)
    if not isinstance(doc, dict) or not isinstance(doc.get("config"), dict):
        raise ConfigError([Problem(str(path), "must be a mapping with a 'config:' mapping")])
    project = load_yaml(project_dir / "Pulumi.yaml")
    name = path.name.removeprefix("Pulumi.").removesuffix(".yaml").removesuffix(".yml")
    project_name = project.get("name") if isinstance(project, dict) else None
    return StackFile(
        project=str(project_name or "tierguard"), stack=name, path=path, config=doc["config"]
    )


def _read_stack(cwd: Path, stack: str, stack_file: Path | None) -> tuple[Path, StackFile]:
    project_dir = find_project_dir(cwd.resolve())
    if stack_file:
        return project_dir, _stack_from_file(stack_file, project_dir)
    # The driver package loads the Automation API, moto and boto3: only this function.
    from tierguard.driver.backend import validate_stack_name

    validate_stack_name(stack)  # what the deploy verbs would refuse, refused here too
    if not available_stacks(project_dir) and not (project_dir / f"Pulumi.{stack}.yaml").exists():
        # A project whose stacks have no config yet has no stack files: Pulumi runs it so.
        return project_dir, load_project(project_dir, stack)
    return project_dir, load_stack(project_dir, stack)


def load(cwd: Path, stack: str, stack_file: Path | None) -> LoadedStack:
    """Find the project, read the stack file and validate its network into a plan.

    Validation happens here, before anything runs, so bad config is reported by path.
    """
    project_dir, doc = _read_stack(cwd, stack, stack_file)
    return LoadedStack(project_dir, doc, load_plan(doc))


def load_program(cwd: Path, stack: str, stack_file: Path | None) -> LoadedProgram:
    """Like ``load``, for any Pulumi project: the plan only where ``tierguard:network`` is
    set (and then validated as strictly), so a program that is not tierguard's runs too."""
    project_dir, doc = _read_stack(cwd, stack, stack_file)
    return LoadedProgram(project_dir, doc, load_plan(doc) if CONFIG_KEY in doc.config else None)
