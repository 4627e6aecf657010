"""``tierguard preview``: what a stack would create, shown before anything exists."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from rich.console import Console

from tierguard.config.stackfile import StackFile, find_project_dir, load_stack, load_yaml
from tierguard.errors import ConfigError, Problem, UsageError
from tierguard.offline.render import print_tree, to_document
from tierguard.offline.runner import run_program
from tierguard.program import plan_from_raw, region_from


def _stack_from_file(path: Path, project_dir: Path) -> StackFile:
    """A stack file given by path (``examples/…``): its name is the file's middle part."""
    doc = load_yaml(path)
    if not isinstance(doc, dict) or not isinstance(doc.get("config"), dict):
        raise ConfigError([Problem(str(path), "must be a mapping with a 'config:' mapping")])
    project = load_yaml(project_dir / "Pulumi.yaml")
    name = path.name.removeprefix("Pulumi.").removesuffix(".yaml").removesuffix(".yml")
    return StackFile(
        project=str(project.get("name", "tierguard")) if isinstance(project, dict) else "tierguard",
        stack=name,
        path=path,
        config=doc["config"],
    )


@click.command()
@click.option("--offline", is_flag=True, help="Run on the mock engine: no CLI, no cloud.")
@click.option("-s", "--stack", default="dev", show_default=True, help="Stack name.")
@click.option(
    "--stack-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Use this stack file instead of Pulumi.<stack>.yaml (e.g. examples/…).",
)
@click.option(
    "-C",
    "--cwd",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path(),
    help="Run as if started in this directory (the project is found upward).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON.")
def preview(offline: bool, stack: str, stack_file: Path | None, cwd: Path, as_json: bool) -> None:
    """Show what the stack would create (policies and reachability follow)."""
    if not offline:
        raise UsageError(
            "a live preview needs the Pulumi CLI and the deployment driver; "
            "use `tierguard preview --offline` (no CLI, no credentials)"
        )
    project_dir = find_project_dir(cwd.resolve())
    stack_doc = (
        _stack_from_file(stack_file, project_dir) if stack_file else load_stack(project_dir, stack)
    )
    raw = stack_doc.config.get("tierguard:network")
    # Validate before running anything: a bad value gets its path, not a program crash.
    plan_from_raw(
        raw,
        region=region_from(stack_doc.config.get("aws:region")),
        stack=stack_doc.stack,
    )
    run = run_program(project_dir, stack_doc)
    if as_json:
        click.echo(json.dumps(to_document(run), indent=2, sort_keys=False))
    else:
        # Not a terminal (CI logs, pipes): never crop lines to a guessed width.
        width = None if sys.stdout.isatty() else 400
        print_tree(run, Console(highlight=False, width=width))
