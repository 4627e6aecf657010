"""``tierguard reach``: who can reach what, or one question with its explanation.

The answer is computed from resources: those the project's program registers on the
mock engine (any Pulumi Python project, tierguard's or not), or those a state file
(``pulumi stack export``) records with ``--state``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape

from tierguard.cli._output import OutputFile, writing
from tierguard.cli._params import ProtocolType
from tierguard.cli._shared import console
from tierguard.cli._stack import LoadedProgram, load_program, stack_options
from tierguard.errors import ConfigError, IntentsBroken, Problem, UsageError
from tierguard.offline.engine import engine_calls
from tierguard.offline.runner import ProgramRun, run_program
from tierguard.offline.state import read_state
from tierguard.program import region_of_stack
from tierguard.reach import Topology, analyze, explain, source_named
from tierguard.reach.intents import (
    INTENTS_KEY,
    IntentError,
    evaluate_intents,
    parse_intents,
)
from tierguard.reach.render import (
    dot,
    explanation_json,
    intents_json,
    matrix_json,
    mermaid,
    print_explanation,
    print_matrix,
)
from tierguard.reach.resources import ResourceTopology, topology_from_resources
from tierguard.rules import ALL, TCP
from tierguard.rules.protocols import is_icmp, protocol_has_ports, protocol_name
from tierguard.rules.values import CODES


def program_topology(loaded: LoadedProgram, run: ProgramRun) -> ResourceTopology:
    """The network the program's resources describe once deployed (what the engine hands
    the pack after ``up``); a tierguard stack's named CIDRs are sources and its tiers keep
    their configured order."""
    plan = loaded.plan
    return topology_from_resources(
        engine_calls(run, "up", loaded.stack.config).stack,
        named_cidrs=plan.named_cidrs if plan is not None else None,
        order=tuple(plan.tiers) if plan is not None else (),
    )


def registered(loaded: LoadedProgram) -> ProgramRun:
    """What the program registers: for a tierguard stack, derived from its plan without
    running the program (the fast path ``tierguard check`` takes; a test holds it equal to
    the recorded run); any other program runs on the SDK's mock engine."""
    if loaded.plan is None:
        return run_program(loaded.project_dir, loaded.stack)
    from tierguard.offline.planned import planned_run

    return planned_run(
        loaded.plan,
        project=loaded.stack.project,
        stack=loaded.stack.stack,
        region=region_of_stack(loaded.stack),
    )


def check_stack_intents(topology: Topology, raw: object, *, as_json: bool) -> None:
    """``--check``: every declared intent, ✓ or ✗ with the path that breaks it."""
    try:
        intents = parse_intents(raw)
    except IntentError as exc:
        raise ConfigError([Problem(exc.path, exc.reason)]) from None
    if not intents:
        raise UsageError(
            f"--check: the stack declares no intents; add a list under {INTENTS_KEY} "
            "(see the README, 'Intents as code')"
        )
    results = evaluate_intents(topology, intents)
    if as_json:
        click.echo(json.dumps({"intents": intents_json(results)}, indent=2))
    else:
        out = console()
        for result in results:
            out.print(f"{'✓' if result.holds else '✗'} {escape(str(result.intent))}")
            for violation in result.violations:
                out.print(f"    {escape(violation)}")
    broken = sum(1 for r in results if not r.holds)
    if broken:
        raise IntentsBroken(f"{broken} of {len(results)} intents broken")


def print_notes(notes: Sequence[str], out: Console) -> None:
    if notes:
        out.print("Not known from the resources:")
        for note in notes:
            out.print(f"  - {escape(note)}")


@click.command()
@stack_options
@click.option(
    "--state",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Read resources from a state file (`pulumi stack export` output) instead of "
    "running the program.",
)
@click.option(
    "--from",
    "source",
    help="A source: internet-ipv4, internet-ipv6, a named CIDR, a tier, or an address/CIDR.",
)
@click.option("--to", "target", help="A tier.")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    help="With --from and --to: explain this port (for icmp/icmpv6: this message type).",
)
@click.option(
    "--protocol",
    type=ProtocolType(),
    help="A protocol by name or number (tcp is the default with --port); without --port, "
    "only this protocol's reachability is shown.",
)
@click.option(
    "--check",
    is_flag=True,
    help="Check the intents the stack declares (tierguard:intents); exit 1 when one is broken.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option(
    "--diagram",
    type=OutputFile(),
    help="Also write the graph: Mermaid (.md/.mmd), or Graphviz DOT when the name ends in .dot.",
)
def reach(
    stack: str,
    stack_file: Path | None,
    cwd: Path,
    state: Path | None,
    source: str | None,
    target: str | None,
    port: int | None,
    protocol: int | None,
    check: bool,
    as_json: bool,
    diagram: Path | None,
) -> None:
    """Who can reach which tier on which ports, through security groups and network ACLs,
    computed from the resources of the project's program (or of a state file). A tierguard
    stack's resources are derived from its plan, as `tierguard check` derives them; any
    other program runs on the mock engine."""
    if state is not None:
        found = topology_from_resources(read_state(state).resources)
    else:
        loaded = load_program(cwd, stack, stack_file)
        found = program_topology(loaded, registered(loaded))
    topology = found.topology
    if check:
        config = load_program(cwd, stack, stack_file).stack.config
        check_stack_intents(topology, config.get(INTENTS_KEY), as_json=as_json)
        return
    if target is not None and target not in topology.tiers:
        raise UsageError(f"--to {target!r} is not a tier; tiers: {', '.join(topology.tiers)}")
    try:
        chosen = source_named(topology, source) if source is not None else None
    except ValueError as exc:
        raise UsageError(f"--from {exc}") from None
    number = protocol
    if port is not None:
        if chosen is None or target is None:
            raise UsageError("--port needs --from and --to: it explains one connection")
        number = TCP if number is None else number
        if number == ALL:
            raise UsageError("--protocol all cannot be explained packet by packet; name one")
        if is_icmp(number) and port > 255:
            raise UsageError(
                f"--port {port} is not an ICMP type; use 0-255 with {protocol_name(number)}"
            )
        explanation = explain(
            topology,
            chosen,
            topology.tiers[target],
            number,
            port * CODES if is_icmp(number) else port if protocol_has_ports(number) else None,
        )
        if as_json:
            click.echo(json.dumps(explanation_json(explanation), indent=2))
        else:
            out = console()
            print_explanation(explanation, out)
            print_notes(found.notes, out)
        return
    only = None if number is None or number == ALL else (number,)
    matrix = analyze(topology, [chosen] if chosen is not None else None, only)
    if target is not None:
        matrix = type(matrix)(
            matrix.sources, (target,), {k: v for k, v in matrix.cells.items() if k[1] == target}
        )
    if diagram is not None:
        with writing(diagram, "--diagram"):
            diagram.write_text(dot(matrix) if diagram.suffix == ".dot" else mermaid(matrix))
    if as_json:
        click.echo(json.dumps(matrix_json(matrix), indent=2))
    else:
        out = console()
        print_matrix(matrix, out)
        print_notes(found.notes, out)
