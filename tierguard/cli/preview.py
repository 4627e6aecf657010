"""``tierguard preview``: what a stack would change, whether policy allows it, and who
could then reach what.

``--offline`` runs the real program on the SDK's mock engine and the real policy pack
over the analyzer protocol — no CLI, no credentials; without it, the engine previews
through the Automation API with the pack attached.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import click

from tierguard.cli._output import OutputFile, writing
from tierguard.cli._shared import common_options, console, context, deployer, print_outcome
from tierguard.cli._stack import STACK_OPTION, LoadedProgram, load_program
from tierguard.cli.reach import print_notes, program_topology, registered
from tierguard.config.parse import CONFIG_KEY
from tierguard.errors import PolicyViolation, UsageError
from tierguard.offline.analyzer import Diagnostic, PolicyPackClient
from tierguard.offline.policies import (
    judge,
    print_report,
    read_policy_config,
    report_json,
    sarif_parts,
)
from tierguard.offline.render import print_counts, print_tree, to_document
from tierguard.offline.runner import ProgramRun, run_program
from tierguard.offline.stream import AnalyzeStream
from tierguard.reach import analyze
from tierguard.reach.render import dot, matrix_json, mermaid, print_matrix
from tierguard.report.sarif import write_sarif


def _program_with_pack(
    loaded: LoadedProgram, pack_config: dict[str, Any] | None
) -> tuple[PolicyPackClient, ProgramRun, list[Diagnostic]]:
    """The program on the mock engine, the pack started at once on the other core and sent
    each resource's ``Analyze`` as it registers; the pack is closed if anything fails."""
    pack = PolicyPackClient()
    pack.launch()
    stream = AnalyzeStream(pack, loaded.stack, pack_config)
    try:
        run = run_program(loaded.project_dir, loaded.stack, on_record=stream.record)
        return pack, run, stream.finish(run)
    except BaseException:
        stream.stop()
        pack.close()
        raise


def offline_preview(
    *,
    cwd: Path,
    stack: str,
    stack_file: Path | None,
    as_json: bool,
    policy_config: Path | None = None,
    sarif: Path | None = None,
    diagram: Path | None = None,
    fast: bool = False,
) -> None:
    """The plan on the mock engine, judged by the policy pack, with who could reach what.

    ``fast`` (``tierguard check``): the program's registrations derived from the plan and
    the pack's servicer called in this process — the same requests, the same verdicts,
    without the SDK's program run or the pack's process.

    Raises ``PolicyViolation`` (exit 1) after reporting when a mandatory policy fails at
    preview or — on the applied state — after ``up``.
    """
    loaded = load_program(cwd, stack, stack_file)
    pack_config = read_policy_config(policy_config)
    if fast:
        from tierguard.offline.inprocess import InProcessPack

        if loaded.plan is None:
            raise UsageError(
                f"tierguard check reads the {CONFIG_KEY!r} config of a tierguard stack, and "
                f"{loaded.stack.path} has none; run `tierguard preview --offline` for any "
                "other Pulumi program"
            )
        run = registered(loaded)
        report = judge(run, loaded.stack.config, pack_config, pack=InProcessPack())
        document = to_document(run) if as_json else {}
        found = program_topology(loaded, run)
        matrix = analyze(found.topology)
    else:
        pack, run, analyzed = _program_with_pack(loaded, pack_config)
        # The pack judges on the other core while this one renders and computes reachability.
        with ThreadPoolExecutor(1) as pool:
            judged = pool.submit(
                judge, run, loaded.stack.config, pack_config, pack=pack, analyzed=analyzed
            )
            document = to_document(run)
            found = program_topology(loaded, run)
            matrix = analyze(found.topology)
            report = judged.result()
    if sarif is not None:
        rules, results = sarif_parts(report, loaded.plan, loaded.stack, loaded.project_dir)
        with writing(sarif, "--sarif"):
            write_sarif(sarif, rules, results)
    if diagram is not None:
        with writing(diagram, "--diagram"):
            diagram.write_text(dot(matrix) if diagram.suffix == ".dot" else mermaid(matrix))
    if as_json:
        document["policies"] = report_json(report)
        document["reachability"] = matrix_json(matrix)
        click.echo(json.dumps(document, indent=2))
    else:
        out = console()
        # check's readers (an editor, a hook) want verdicts: the counts, not the tree.
        (print_counts if fast else print_tree)(run, out)
        out.print()
        print_report(report, out)
        out.print()
        print_matrix(matrix, out, title="Who could reach what once this is deployed")
        print_notes(found.notes, out)
    later = report.mandatory_only_after_up
    if report.mandatory or later:
        extra = f" ({len(later)} of them only after `up`)" if later else ""
        raise PolicyViolation(
            f"{len(report.mandatory) + len(later)} mandatory policy violation(s){extra} in "
            f"stack {loaded.stack.stack!r}: nothing should be deployed until they are fixed"
        )


@click.command()
@click.option("--offline", is_flag=True, help="Run on the mock engine: no CLI, no cloud.")
@STACK_OPTION
@click.option(
    "--stack-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Use this stack file instead of Pulumi.<stack>.yaml (e.g. examples/…); --offline only.",
)
@click.option("--emulator", is_flag=True, help="Preview against an embedded AWS emulator (moto).")
@click.option(
    "--policy-config",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Policy pack config (JSON, as `pulumi --policy-pack-config` takes it).",
)
@click.option(
    "--sarif",
    type=OutputFile(),
    help="With --offline: also write policy findings as SARIF 2.1.0 (GitHub code scanning).",
)
@click.option(
    "--diagram",
    type=OutputFile(),
    help="With --offline: also write the reachability graph (Mermaid, or DOT for *.dot).",
)
@click.option("--expect-no-changes", is_flag=True, help="Fail if the preview shows any change.")
@common_options
def preview(
    offline: bool,
    stack: str,
    stack_file: Path | None,
    emulator: bool,
    policy_config: Path | None,
    sarif: Path | None,
    diagram: Path | None,
    expect_no_changes: bool,
    yes: bool,
    as_json: bool,
    backend: str | None,
    cwd: Path,
) -> None:
    """Show what the stack would change: offline on the mock engine, or live via the engine
    with the policy pack attached (the stack is created if missing)."""
    if offline:
        if emulator or backend or expect_no_changes:
            raise UsageError(
                "--offline runs on the mock engine; --emulator, --backend and "
                "--expect-no-changes need the live preview (drop --offline)"
            )
        offline_preview(
            cwd=cwd,
            stack=stack,
            stack_file=stack_file,
            as_json=as_json,
            policy_config=policy_config,
            sarif=sarif,
            diagram=diagram,
        )
        return
    if stack_file is not None or sarif is not None or diagram is not None:
        raise UsageError(
            "--stack-file, --sarif and --diagram work with --offline; a live preview reports "
            "through the engine (use --stack)"
        )
    # The live preview's driver (Automation API, emulator) loads only on this path.
    from tierguard.driver import session
    from tierguard.driver.backend import validate_stack_name
    from tierguard.driver.operations import plan_for, region_of

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
