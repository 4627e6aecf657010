"""``tierguard reach``: who can reach what, or one question with its explanation."""

from __future__ import annotations

import json
from pathlib import Path

import click

from tierguard.cli._shared import console
from tierguard.cli._stack import load, stack_options
from tierguard.errors import UsageError
from tierguard.reach import analyze, explain, source_named, topology_from_plan
from tierguard.reach.render import (
    dot,
    explanation_json,
    matrix_json,
    mermaid,
    print_explanation,
    print_matrix,
)
from tierguard.rules import parse_protocol
from tierguard.rules.protocols import VALID_SPELLINGS, protocol_has_ports


@click.command()
@stack_options
@click.option(
    "--from",
    "source",
    help="A source: internet-ipv4, internet-ipv6, a named CIDR, a tier, or an address/CIDR.",
)
@click.option("--to", "target", help="A tier.")
@click.option(
    "--port", type=click.IntRange(0, 65535), help="With --from and --to: explain this port."
)
@click.option(
    "--protocol", default="tcp", show_default=True, help="With --port: tcp, udp, icmp, icmpv6."
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option(
    "--diagram",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the graph: Mermaid (.md/.mmd), or Graphviz DOT when the name ends in .dot.",
)
def reach(
    stack: str,
    stack_file: Path | None,
    cwd: Path,
    source: str | None,
    target: str | None,
    port: int | None,
    protocol: str,
    as_json: bool,
    diagram: Path | None,
) -> None:
    """Who can reach which tier on which ports, through security groups and network ACLs."""
    loaded = load(cwd, stack, stack_file)
    topology = topology_from_plan(loaded.plan)
    if target is not None and target not in topology.tiers:
        raise UsageError(f"--to {target!r} is not a tier; tiers: {', '.join(topology.tiers)}")
    try:
        chosen = source_named(topology, source) if source is not None else None
    except ValueError as exc:
        raise UsageError(f"--from {exc}") from None
    if port is not None:
        if chosen is None or target is None:
            raise UsageError("--port needs --from and --to: it explains one connection")
        try:
            number = parse_protocol(protocol)
        except ValueError:
            raise UsageError(
                f"--protocol {protocol!r} is not valid; use {VALID_SPELLINGS}"
            ) from None
        explanation = explain(
            topology,
            chosen,
            topology.tiers[target],
            number,
            port if protocol_has_ports(number) else None,
        )
        if as_json:
            click.echo(json.dumps(explanation_json(explanation), indent=2))
        else:
            print_explanation(explanation, console())
        return
    matrix = analyze(topology, [chosen] if chosen is not None else None)
    if target is not None:
        matrix = type(matrix)(
            matrix.sources, (target,), {k: v for k, v in matrix.cells.items() if k[1] == target}
        )
    if diagram is not None:
        diagram.write_text(dot(matrix) if diagram.suffix == ".dot" else mermaid(matrix))
    if as_json:
        click.echo(json.dumps(matrix_json(matrix), indent=2))
    else:
        print_matrix(matrix, console())
