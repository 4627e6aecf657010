"""``tierguard preview``: what a stack would create, whether policy allows it, and who
could then reach what — shown before anything exists."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from rich.console import Console

from tierguard.cli._stack import load, stack_options
from tierguard.errors import PolicyViolation, UsageError
from tierguard.offline.policies import (
    judge,
    print_report,
    read_policy_config,
    report_json,
    sarif_parts,
)
from tierguard.offline.render import print_tree, to_document
from tierguard.offline.runner import run_program
from tierguard.reach import analyze, topology_from_plan
from tierguard.reach.render import dot, matrix_json, mermaid, print_matrix
from tierguard.report.sarif import sarif_document

TOOL_VERSION = "0.1.0"


def console() -> Console:
    """Plain when not a terminal (CI logs, pipes): never crop lines to a guessed width."""
    if sys.stdout.isatty():
        return Console(highlight=False)
    return Console(highlight=False, width=400, soft_wrap=True)


@click.command()
@click.option("--offline", is_flag=True, help="Run on the mock engine: no CLI, no cloud.")
@stack_options
@click.option(
    "--policy-config",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Policy pack config (JSON, as `pulumi --policy-pack-config` takes it).",
)
@click.option(
    "--json", "as_json", is_flag=True, help="Print plan, policies and reachability as JSON."
)
@click.option(
    "--sarif",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write policy findings as SARIF 2.1.0 (GitHub code scanning).",
)
@click.option(
    "--diagram",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the reachability graph: Mermaid, or Graphviz DOT for *.dot.",
)
def preview(
    offline: bool,
    stack: str,
    stack_file: Path | None,
    cwd: Path,
    policy_config: Path | None,
    as_json: bool,
    sarif: Path | None,
    diagram: Path | None,
) -> None:
    """Show what the stack would create, judge it with the policy pack, and show who
    could reach what. Exit 1 on a mandatory policy violation."""
    if not offline:
        raise UsageError(
            "a live preview needs the Pulumi CLI and the deployment driver; "
            "use `tierguard preview --offline` (no CLI, no credentials)"
        )
    loaded = load(cwd, stack, stack_file)
    pack_config = read_policy_config(policy_config)
    run = run_program(loaded.project_dir, loaded.stack)
    document = to_document(run)
    report = judge(document["resources"], document["outputs"], pack_config)
    matrix = analyze(topology_from_plan(loaded.plan))
    if sarif is not None:
        rules, results = sarif_parts(report, loaded.plan, loaded.stack, loaded.project_dir)
        sarif.write_text(
            json.dumps(sarif_document("tierguard", TOOL_VERSION, rules, results), indent=2)
        )
    if diagram is not None:
        diagram.write_text(dot(matrix) if diagram.suffix == ".dot" else mermaid(matrix))
    if as_json:
        document["policies"] = report_json(report)
        document["reachability"] = matrix_json(matrix)
        click.echo(json.dumps(document, indent=2))
    else:
        out = console()
        print_tree(run, out)
        out.print()
        print_report(report, out)
        out.print()
        print_matrix(matrix, out, title="Who could reach what once this is deployed")
    if report.mandatory:
        raise PolicyViolation(
            f"{len(report.mandatory)} mandatory policy violation(s) in stack "
            f"{loaded.stack.stack!r}: nothing should be deployed until they are fixed"
        )
