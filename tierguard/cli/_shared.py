"""What the deployment verbs share: common flags, the UI, opening the engine, printing.

The driver (Automation API, the moto emulator, boto3) is imported by the functions that
open the engine, so verbs that never do — an offline preview, reach — start without it.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click
from rich.console import Console

from tierguard.cli._stack import CWD_OPTION
from tierguard.config.stackfile import find_project_dir
from tierguard.errors import UsageError
from tierguard.reach.render import matrix_json, print_matrix

if TYPE_CHECKING:
    from tierguard.driver.operations import Deployer, Outcome, Ui
    from tierguard.driver.verify import Verification
    from tierguard.reach import Matrix

F = TypeVar("F", bound=Callable[..., Any])


def console() -> Console:
    """Plain when not a terminal (CI logs, pipes): never crop lines to a guessed width."""
    if sys.stdout.isatty():
        return Console(highlight=False)
    return Console(highlight=False, width=400, soft_wrap=True)


def common_options(f: F) -> F:
    """``--yes``, ``--json``, ``--backend``, ``--cwd``: shared by every deployment verb."""
    for option in reversed(
        [
            click.option("-y", "--yes", is_flag=True, help="Do not ask; for CI and scripts."),
            click.option("--json", "as_json", is_flag=True, help="JSON lines on stdout."),
            click.option(
                "--backend",
                metavar="URL",
                help="State backend (file://, s3://, https://api.pulumi.com, …); default: "
                "PULUMI_BACKEND_URL, else .tierguard/state/ in the project.",
            ),
            CWD_OPTION,
        ]
    ):
        f = option(f)
    return f


@dataclass(frozen=True)
class Context:
    project_dir: Path
    as_json: bool

    def ui(self) -> Ui:
        from tierguard.driver.operations import Ui
        from tierguard.driver.progress import Mode

        # Progress goes to stderr; a status line only when both streams are a terminal,
        # plain lines whenever stdout is redirected (logs, CI).
        on_terminal = sys.stdout.isatty() and sys.stderr.isatty() and not self.as_json
        mode = Mode.JSON if self.as_json else (Mode.TTY if on_terminal else Mode.PLAIN)
        interactive = sys.stdin.isatty() and not self.as_json
        return Ui(
            echo=click.echo,
            note=lambda line: click.echo(line, err=True),
            mode=mode,
            status=(lambda text: click.echo(text, nl=False, err=True)) if on_terminal else None,
            confirm=(lambda q: click.confirm(q, default=False, err=True)) if interactive else None,
        )


def require_yes(ctx: Context, yes: bool, what: str) -> None:
    """A changing verb off a terminal needs --yes: said before the engine is even opened."""
    if not yes and ctx.ui().confirm is None:
        raise UsageError(f"{what}: pass --yes (stdin is not a terminal, cannot ask)")


def context(cwd: Path, as_json: bool) -> Context:
    return Context(project_dir=find_project_dir(cwd.resolve()), as_json=as_json)


def deployer(
    ctx: Context,
    *,
    backend: str | None,
    yes: bool,
    emulator: bool = False,
    policy_config: Path | None = None,
) -> Deployer:
    """Validate the backend choice, then open the engine (``EngineUnavailable`` → exit 3)."""
    from tierguard.driver import session
    from tierguard.driver.backend import choose_backend
    from tierguard.driver.operations import Deployer

    if policy_config is not None and not policy_config.is_file():
        raise UsageError(
            f"--policy-config {str(policy_config)!r} is not a file; give the path of a policy "
            "pack config JSON file"
        )
    choice = choose_backend(ctx.project_dir, backend=backend, environ=os.environ, emulator=emulator)
    engine = session.open_engine(ctx.project_dir, choice)
    return Deployer(
        project_dir=ctx.project_dir,
        engine=engine,
        backend=choice,
        ui=ctx.ui(),
        yes=yes,
        policy_config=policy_config,
    )


def print_outcome(ctx: Context, outcome: Outcome) -> None:
    if ctx.as_json:
        doc: dict[str, Any] = {
            "event": "result",
            "stack": outcome.stack,
            "verb": outcome.verb,
            "changes": dict(outcome.changes),
            "outputs": dict(outcome.outputs),
            "seconds": round(outcome.seconds, 1),
        }
        if outcome.verification is not None:
            doc["verification"] = outcome.verification.to_json()
            doc["reachability"] = matrix_json(_matrix(ctx, outcome.verification))
        click.echo(json.dumps(doc))
        return
    click.echo(f"{outcome.verb} {outcome.stack}: {outcome.change_text()} ({outcome.seconds:.0f}s)")
    if outcome.outputs:
        click.echo("outputs:")
        for key, value in outcome.outputs.items():
            click.echo(f"  {key}: {json.dumps(value)}")
    if outcome.verification is not None:
        for line in outcome.verification.lines():
            click.echo(line)
        print_matrix(
            _matrix(ctx, outcome.verification),
            console(),
            title="Who can reach what, as deployed (read back from AWS)",
        )


def _matrix(ctx: Context, verification: Verification) -> Matrix:
    from tierguard.driver.operations import plan_for
    from tierguard.driver.verify import deployed_matrix

    return deployed_matrix(plan_for(ctx.project_dir, verification.stack), verification)
