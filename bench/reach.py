"""How long ``tierguard reach`` takes on a network of about N rules (default 10,000).

Run: ``python -m bench.reach [--rules 10000] [--repeat 3]``. Prints

- in process: the analysis alone (every source x every tier) on the planned topology of the
  generated network (``bench.topologies.network_config``), and on the directly built
  ``bench.topologies.topology`` of the same size;
- whole process: ``tierguard reach --json --stack-file STACK`` as a user runs it (interpreter
  start, the program on the mock engine, the topology from its resources, the analysis, the
  JSON), median wall time and peak memory.
"""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Sequence
from pathlib import Path

from bench.__main__ import timed
from bench.processes import TIERGUARD, run_process, write_stack
from bench.topologies import network_config, topology
from tierguard.program import plan_from_raw
from tierguard.reach import Topology, analyze, topology_from_plan


def rule_count(topo: Topology) -> int:
    return sum(len(t.rules) for t in topo.tiers.values()) + sum(
        len(a.entries) for a in topo.acls.values()
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.reach", description=__doc__)
    parser.add_argument("--rules", type=int, default=10_000, help="about this many rules")
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (median)")
    args = parser.parse_args(argv)
    planned = topology_from_plan(
        plan_from_raw(network_config(args.rules), region="us-east-1", stack="bench")
    )
    built = topology(args.rules)
    for label, topo in (("planned network", planned), ("built topology", built)):
        matrix = analyze(topo)
        seconds = timed(lambda topo=topo: analyze(topo), args.repeat)  # type: ignore[misc]
        print(
            f"in process, {label}: {rule_count(topo)} rules, {len(topo.tiers)} tiers, "
            f"{len(matrix.cells)} cells: {seconds:.2f} s"
        )
    with tempfile.TemporaryDirectory() as scratch:
        stack = write_stack(Path(scratch), args.rules)
        argv_reach = [*TIERGUARD, "reach", "--json", "--stack-file", str(stack)]
        samples = [run_process(argv_reach) for _ in range(args.repeat)]
    failed = [s.returncode for s in samples if s.returncode != 0]
    if failed:
        raise SystemExit(f"tierguard reach failed (exit {failed[0]})")
    ordered = sorted(s.seconds for s in samples)
    print(
        f"whole process, tierguard reach --json --stack-file (about {args.rules} rules): "
        f"{ordered[len(ordered) // 2]:.2f} s, peak {max(s.peak_mb for s in samples):.0f} MB"
    )


if __name__ == "__main__":
    main()
