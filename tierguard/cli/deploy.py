"""The deployment verbs: ``up``, ``refresh``, ``destroy``, ``outputs``, ``stacks``, ``cancel``,
``demo`` (``preview`` lives in its own module). Each parses flags, validates them and the
stack's config, opens the engine and hands over to ``tierguard.driver``.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from tierguard.cli._shared import (
    common_options,
    context,
    deployer,
    print_outcome,
    require_yes,
)
from tierguard.cli._stack import CWD_OPTION, STACK_OPTION
from tierguard.cli.preview import offline_preview
from tierguard.driver import session
from tierguard.driver.backend import validate_stack_name
from tierguard.driver.demo import run_demo
from tierguard.driver.operations import StackStatus, plan_for, region_of
from tierguard.driver.tools import OFFLINE_HINT
from tierguard.errors import EngineUnavailable, TierguardError, UsageError


def parse_stacks(value: str) -> list[str]:
    names = [name.strip() for name in value.split(",")]
    if any(not name for name in names):
        raise UsageError(f"--stacks {value!r} has an empty name; give names like dev,staging,prod")
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise UsageError(f"--stacks {value!r} names {', '.join(duplicates)} more than once")
    return [validate_stack_name(name) for name in names]


@click.command()
@STACK_OPTION
@click.option("--stacks", "stack_list", metavar="A,B,C", help="Roll out to several stacks.")
@click.option(
    "--parallel",
    type=click.IntRange(min=1, max=32),
    default=1,
    show_default=True,
    help="With --stacks: how many stacks at once.",
)
@click.option("--keep-going", is_flag=True, help="With --stacks: go on after a failure.")
@click.option("--emulator", is_flag=True, help="Deploy to an embedded AWS emulator (moto).")
@click.option(
    "--policy-config",
    type=click.Path(path_type=Path),
    help="Policy pack config JSON passed to the engine.",
)
@common_options
def up(
    stack: str,
    stack_list: str | None,
    parallel: int,
    keep_going: bool,
    emulator: bool,
    policy_config: Path | None,
    yes: bool,
    as_json: bool,
    backend: str | None,
    cwd: Path,
) -> None:
    """Create or update a stack's resources (the stack is created if missing)."""
    ctx = context(cwd, as_json)
    if stack_list is None:
        if parallel != 1 or keep_going:
            raise UsageError("--parallel and --keep-going only apply with --stacks")
        validate_stack_name(stack)
        plan_for(ctx.project_dir, stack)
        require_yes(ctx, yes, "`up` changes AWS")
        driver = deployer(
            ctx, backend=backend, yes=yes, emulator=emulator, policy_config=policy_config
        )
        if emulator:
            region = region_of(ctx.project_dir, stack)
            with session.emulator_stack(
                ctx.project_dir, driver.engine, stack, region=region
            ) as emu:
                outcome = driver.up(stack, emulator=emu, verify_strict=False)
                print_outcome(ctx, outcome)
                click.echo("the emulator stops with this command; its stack is discarded", err=True)
            if outcome.verification is not None and not outcome.verification.ok:
                raise TierguardError("the deployment differs from the plan (see above)")
            return
        print_outcome(ctx, driver.up(stack))
        return
    if emulator:
        raise UsageError("--emulator deploys one stack; use --stack, not --stacks")
    names = parse_stacks(stack_list)
    for name in names:
        plan_for(ctx.project_dir, name)
    if not yes:
        raise UsageError("`up --stacks` changes several stacks: pass --yes")
    driver = deployer(ctx, backend=backend, yes=yes, policy_config=policy_config)
    results = driver.up_many(names, parallel=parallel, keep_going=keep_going)
    if as_json:
        for result in results:
            click.echo(
                json.dumps(
                    {
                        "event": "stack-result",
                        "stack": result.stack,
                        "status": result.status.value,
                        "changes": dict(result.outcome.changes) if result.outcome else {},
                        "error": result.error,
                    }
                )
            )
    else:
        width = max(len("stack"), *(len(r.stack) for r in results))
        click.echo(f"{'stack':<{width}}  {'result':<7}  changes")
        for result in results:
            detail = (
                result.outcome.change_text()
                if result.outcome
                else result.error.splitlines()[0]
                if result.error
                else ""
            )
            click.echo(f"{result.stack:<{width}}  {result.status.value:<7}  {detail}")
    failed = [r for r in results if r.status is StackStatus.FAILED]
    if failed:
        for result in failed:
            for line in result.error.splitlines()[1:]:
                click.echo(f"  {result.stack}: {line}", err=True)
        raise TierguardError(
            f"{len(failed)} of {len(results)} stacks failed: {', '.join(r.stack for r in failed)}"
        )


@click.command()
@STACK_OPTION
@common_options
def refresh(stack: str, yes: bool, as_json: bool, backend: str | None, cwd: Path) -> None:
    """Read the stack's resources from AWS into its state."""
    ctx = context(cwd, as_json)
    validate_stack_name(stack)
    require_yes(ctx, yes, "`refresh` rewrites state")
    print_outcome(ctx, deployer(ctx, backend=backend, yes=yes).refresh(stack))


@click.command()
@STACK_OPTION
@common_options
def destroy(stack: str, yes: bool, as_json: bool, backend: str | None, cwd: Path) -> None:
    """Delete every resource of the stack."""
    ctx = context(cwd, as_json)
    validate_stack_name(stack)
    require_yes(ctx, yes, "`destroy` deletes")
    print_outcome(ctx, deployer(ctx, backend=backend, yes=yes).destroy(stack))


@click.command()
@STACK_OPTION
@common_options
def outputs(stack: str, yes: bool, as_json: bool, backend: str | None, cwd: Path) -> None:
    """Print the stack's outputs (secrets masked)."""
    ctx = context(cwd, as_json)
    validate_stack_name(stack)
    values = deployer(ctx, backend=backend, yes=yes).outputs(stack)
    if as_json:
        click.echo(json.dumps(values))
    else:
        for key, value in values.items():
            click.echo(f"{key}: {json.dumps(value)}")


@click.command()
@common_options
def stacks(yes: bool, as_json: bool, backend: str | None, cwd: Path) -> None:
    """List the project's stacks in the backend."""
    ctx = context(cwd, as_json)
    rows = deployer(ctx, backend=backend, yes=yes).stacks()
    if as_json:
        click.echo(json.dumps(rows))
        return
    if not rows:
        click.echo("no stacks yet (`tierguard up --stack NAME` creates one)")
    for row in rows:
        busy = (
            f"  (locked by {'; '.join(row['locked_by'])})"
            if row["locked_by"]
            else "  (update in progress)"
            if row["update_in_progress"]
            else ""
        )
        count = "?" if row["resources"] is None else row["resources"]
        click.echo(
            f"{row['name']}  {count} resources  last update {row['last_update'] or '-'}{busy}"
        )


@click.command()
@STACK_OPTION
@common_options
def cancel(stack: str, yes: bool, as_json: bool, backend: str | None, cwd: Path) -> None:
    """Clear a stack's update lock (after a crashed or killed run)."""
    ctx = context(cwd, as_json)
    validate_stack_name(stack)
    require_yes(ctx, yes, "`cancel` clears a lock")
    deployer(ctx, backend=backend, yes=yes).cancel(stack)
    message = f"lock on stack {stack!r} cleared; run `tierguard refresh --stack {stack}` next"
    click.echo(json.dumps({"event": "cancelled", "stack": stack}) if as_json else message)


@click.command()
@STACK_OPTION
@CWD_OPTION
def demo(stack: str, cwd: Path) -> None:
    """up --emulator --yes, outputs and verification, destroy (offline preview without a CLI)."""
    ctx = context(cwd, as_json=False)
    validate_stack_name(stack)
    plan_for(ctx.project_dir, stack)
    try:
        driver = deployer(ctx, backend=None, yes=True, emulator=True)
    except EngineUnavailable as exc:
        reason = str(exc).removesuffix(f"; {OFFLINE_HINT}")
        click.echo(f"demo: {reason}; showing the offline preview instead", err=True)
        offline_preview(cwd=cwd, stack=stack, stack_file=None, as_json=False)
        return
    result = run_demo(ctx.project_dir, driver, stack)
    print_outcome(ctx, result.up)
    print_outcome(ctx, result.destroy)
    if not result.verified:
        raise TierguardError("the deployment differs from the plan (see above)")
