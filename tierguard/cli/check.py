"""``tierguard check``: the fast path for editors, pre-commit and tight loops."""

from __future__ import annotations

from pathlib import Path

import click

from tierguard.cli._stack import CWD_OPTION, STACK_OPTION
from tierguard.cli.preview import offline_preview
from tierguard.errors import PolicyViolation, UsageError


@click.command()
@click.argument(
    "stack_files", nargs=-1, type=click.Path(dir_okay=False, exists=True, path_type=Path)
)
@STACK_OPTION
@CWD_OPTION
@click.option("--json", "as_json", is_flag=True, help="One JSON document per stack file.")
@click.option(
    "--policy-config",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Policy pack config (JSON, as `pulumi --policy-pack-config` takes it).",
)
@click.option(
    "--sarif",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write policy findings as SARIF 2.1.0 (one stack file only).",
)
def check(
    stack_files: tuple[Path, ...],
    stack: str,
    cwd: Path,
    as_json: bool,
    policy_config: Path | None,
    sarif: Path | None,
) -> None:
    """The fast path: judge stack files with the policy pack and reachability in this
    process — for editors, pre-commit and tight loops.

    It prints the verdicts, the resource counts and who could reach what (--json: the
    offline preview's document). The program's resources are derived from the plan (the
    same registrations the program makes, held equal by the test suite) and the pack's own
    analyzer is called without starting it, so the verdicts are those of `tierguard preview
    --offline`, which stays the engine-faithful gate: it runs the real program on the SDK's
    mock engine and the pack as its own process over gRPC, as `pulumi preview
    --policy-pack` does.

    STACK_FILES: stack files to check (what pre-commit passes); none checks --stack.
    Exit 1 when any mandatory policy fails, 2 for invalid config.
    """
    if sarif is not None and len(stack_files) > 1:
        raise UsageError("--sarif writes one stack file's findings; give one stack file")
    violations: list[str] = []
    for stack_file in stack_files or (None,):
        try:
            offline_preview(
                cwd=cwd,
                stack=stack,
                stack_file=stack_file,
                as_json=as_json,
                policy_config=policy_config,
                sarif=sarif,
                fast=True,
            )
        except PolicyViolation as exc:
            violations.append(str(exc))
    if violations:
        raise PolicyViolation("\n".join(violations))
