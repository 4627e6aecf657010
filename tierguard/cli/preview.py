"""``tierguard preview``: what a stack would create, shown before anything exists."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from rich.console import Console

from tierguard.cli._shared import common_options, context, deployer, print_outcome
from tierguard.config.stackfile import StackFile, find_project_dir, load_stack, load_yaml
from tierguard.driver import session
from tierguard.driver.backend import validate_stack_name
from tierguard.driver.operations import plan_for, region_of
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


def offline_preview(*, cwd: Path, stack: str, stack_file: Path | None, as_json: bool) -> None:
    """The plan on the SDK's mock engine: no CLI, no cloud, no credentials."""
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


@click.command()
@click.option("--offline", is_flag=True, help="Run on the mock engine: no CLI, no cloud.")
@click.option("-s", "--stack", default="dev", show_default=True, help="Stack name.")
@click.option(
    "--stack-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Use this stack file instead of Pulumi.<stack>.yaml (e.g. examples/…); --offline only.",
)
@click.option("--emulator", is_flag=True, help="Preview against an embedded AWS emulator (moto).")
@click.option(
    "--policy-config",
    type=click.Path(path_type=Path),
    help="Policy pack config JSON passed to the engine.",
)
@click.option("--expect-no-changes", is_flag=True, help="Fail if the preview shows any change.")
@common_options
def preview(  # noqa: PLR0917  # click passes every option as an argument
    offline: bool,
    stack: str,
    stack_file: Path | None,
    emulator: bool,
    policy_config: Path | None,
    expect_no_changes: bool,
    yes: bool,
    as_json: bool,
    backend: str | None,
    cwd: Path,
) -> None:
    """Show what the stack would change: offline on the mock engine, or live via the engine
    with the policy pack attached (the stack is created if missing)."""
    if offline:
        if emulator or backend or policy_config or expect_no_changes:
            raise UsageError(
                "--offline runs on the mock engine; --emulator, --backend, --policy-config and "
                "--expect-no-changes need the live preview (drop --offline)"
            )
        offline_preview(cwd=cwd, stack=stack, stack_file=stack_file, as_json=as_json)
        return
    if stack_file is not None:
        raise UsageError("--stack-file only works with --offline; a live preview uses --stack")
    ctx = context(cwd, as_json)
    validate_stack_name(stack)
    plan_for(ctx.project_dir, stack)
    driver = deployer(ctx, backend=backend, yes=yes, emulator=emulator, policy_config=policy_config)
    if emulator:
        region = region_of(ctx.project_dir, stack)
        with session.emulator_stack(ctx.project_dir, driver.engine, stack, region=region) as emu:
            outcome = driver.preview(stack, emulator=emu, expect_no_changes=expect_no_changes)
    else:
        outcome = driver.preview(stack, expect_no_changes=expect_no_changes)
    print_outcome(ctx, outcome)
