"""``tierguard preview``: what a stack would create, shown before anything exists."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from rich.console import Console

from tierguard.cli._stack import load, stack_options
from tierguard.errors import UsageError
from tierguard.offline.render import print_tree, to_document
from tierguard.offline.runner import run_program
from tierguard.reach import analyze, topology_from_plan
from tierguard.reach.render import matrix_json, print_matrix


def console() -> Console:
    """Plain when not a terminal (CI logs, pipes): never crop lines to a guessed width."""
    return Console(highlight=False, width=None if sys.stdout.isatty() else 400)


@click.command()
@click.option("--offline", is_flag=True, help="Run on the mock engine: no CLI, no cloud.")
@stack_options
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON.")
def preview(offline: bool, stack: str, stack_file: Path | None, cwd: Path, as_json: bool) -> None:
    """Show what the stack would create and who could then reach what."""
    if not offline:
        raise UsageError(
            "a live preview needs the Pulumi CLI and the deployment driver; "
            "use `tierguard preview --offline` (no CLI, no credentials)"
        )
    loaded = load(cwd, stack, stack_file)
    run = run_program(loaded.project_dir, loaded.stack)
    matrix = analyze(topology_from_plan(loaded.plan))
    if as_json:
        document = to_document(run)
        document["reachability"] = matrix_json(matrix)
        click.echo(json.dumps(document, indent=2))
        return
    out = console()
    print_tree(run, out)
    out.print()
    print_matrix(matrix, out, title="Who could reach what once this is deployed")
