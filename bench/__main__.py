"""Benchmarks of the offline preview, the fast check, reachability and the SDK floor.

Run: ``make bench`` (or ``python -m bench [--sizes 100,1000,5000,10000]``). Two tables:

1. whole processes (``bench.processes``): ``tierguard preview --offline``, ``tierguard
   check`` and the SDK floor process on the same generated stack files, run alternately,
   with their ratios, peak memory and growth exponents — what a user waits for;
2. in one process, the preview's parts: planning, the program on the mock engine, the
   policy pack over gRPC, reachability and rendering, beside the in-process SDK floor, and
   the deploy critical path (longest dependency chain).
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.floor import run_floor
from bench.processes import (
    has_check_verb,
    has_checkov,
    measure_processes,
    print_process_header,
    print_process_row,
)
from bench.topologies import network_config, topology
from tierguard.config.stackfile import StackFile
from tierguard.offline.policies import judge, report_json
from tierguard.offline.render import to_document
from tierguard.offline.runner import ProgramRun, run_program
from tierguard.program import plan_from_raw
from tierguard.reach import analyze, topology_from_plan
from tierguard.reach.render import matrix_json

PROJECT_DIR = Path(__file__).resolve().parents[1]
RULE_TYPES = {
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
    "aws:ec2/networkAclRule:NetworkAclRule",
}


def timed(fn: Callable[[], object], repeat: int) -> float:
    """Median wall time of ``repeat`` runs, in seconds."""
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def critical_path(run: ProgramRun) -> int:
    """Length (in resources) of the longest dependency chain among custom resources."""
    by_urn = run.by_urn()
    memo: dict[str, int] = {}

    def depth(urn: str) -> int:
        if urn not in memo:
            resource = by_urn[urn]
            deps = [d for d in resource.dependencies if d in by_urn and by_urn[d].custom]
            memo[urn] = 1 + max((depth(d) for d in deps), default=0)
        return memo[urn]

    return max((depth(r.urn) for r in run.resources if r.custom), default=0)


def exponent(sizes: Sequence[float], times: Sequence[float]) -> float:
    """Least-squares slope of log(time) over log(size): 1.0 is linear."""
    xs = [math.log(s) for s in sizes]
    ys = [math.log(t) for t in times]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum(
        (x - mx) ** 2 for x in xs
    )


@dataclass(frozen=True)
class Row:
    size: int
    rules: int
    tiers: int
    plan: float
    program: float
    pack: float
    reach: float
    render: float
    floor: float
    critical_path: int

    @property
    def preview(self) -> float:
        return self.plan + self.program + self.pack + self.reach + self.render


def measure(size: int, repeat: int) -> Row:
    """Every in-process figure for one generated network of about ``size`` rule resources."""
    network = network_config(size)
    plan = plan_from_raw(network, region="us-east-1", stack="bench")
    plan_time = timed(lambda: plan_from_raw(network, region="us-east-1", stack="bench"), repeat)
    stack = StackFile(
        "tierguard",
        "bench",
        PROJECT_DIR / "Pulumi.bench.yaml",
        {"aws:region": "us-east-1", "tierguard:network": network},
    )
    run = run_program(PROJECT_DIR, stack)
    program = timed(lambda: run_program(PROJECT_DIR, stack), repeat)
    pack = timed(lambda: judge(run, stack.config, None), repeat)
    report = judge(run, stack.config, None)
    topo = topology_from_plan(plan)
    matrix = analyze(topo)

    def render() -> None:
        rendered = to_document(run)
        rendered["policies"] = report_json(report)
        rendered["reachability"] = matrix_json(matrix)
        json.dumps(rendered, indent=2)

    return Row(
        size=size,
        rules=sum(1 for r in run.resources if r.type in RULE_TYPES),
        tiers=len(plan.tiers),
        plan=plan_time,
        program=program,
        pack=pack,
        reach=timed(lambda: analyze(topology_from_plan(plan)), repeat),
        render=timed(render, repeat),
        floor=timed(lambda: run_floor(len(run.resources)), repeat),
        critical_path=critical_path(run),
    )


def print_in_process(sizes: Sequence[int], repeat: int) -> None:
    print(
        f"{'target':>7} {'rules':>6} {'tiers':>5} {'plan s':>7} {'program s':>9} "
        f"{'pack s':>7} {'reach s':>7} {'render s':>8} {'sum s':>7} {'floor s':>7} "
        f"{'ratio':>6} {'crit.path':>9}"
    )
    rows = []
    for size in sizes:
        row = measure(size, repeat)
        rows.append(row)
        print(
            f"{row.size:>7} {row.rules:>6} {row.tiers:>5} {row.plan:>7.3f} {row.program:>9.3f} "
            f"{row.pack:>7.3f} {row.reach:>7.3f} {row.render:>8.3f} {row.preview:>7.3f} "
            f"{row.floor:>7.3f} {row.preview / row.floor:>6.2f} {row.critical_path:>9}"
        )
    if len(rows) > 1:
        counts = [r.rules for r in rows]
        print(
            f"growth exponent: program {exponent(counts, [r.program for r in rows]):.2f}, "
            f"pack {exponent(counts, [r.pack for r in rows]):.2f}, "
            f"reachability {exponent(counts, [r.reach for r in rows]):.2f}, "
            f"floor {exponent(counts, [r.floor for r in rows]):.2f}"
        )
    big = topology(10_000)
    rule_count = sum(len(t.rules) for t in big.tiers.values()) + sum(
        len(a.entries) for a in big.acls.values()
    )
    elapsed = timed(lambda: analyze(big), 1)
    print(
        f"reachability, {rule_count} rules in {len(big.tiers)} tiers, every source x tier: "
        f"{elapsed:.3f} s"
    )


def print_processes(sizes: Sequence[int], repeat: int) -> None:
    with_check = has_check_verb()
    with_checkov = has_checkov()
    rows = []
    print_process_header()
    for size in sizes:
        row = measure_processes(size, repeat, with_check=with_check, with_checkov=with_checkov)
        rows.append(row)
        print_process_row(row)
    if len(rows) > 1:
        counts = [r.resources for r in rows]
        parts = [
            f"preview {exponent(counts, [r.preview.seconds for r in rows]):.2f}",
            f"floor {exponent(counts, [r.floor.seconds for r in rows]):.2f}",
        ]
        checks = [r.check.seconds for r in rows if r.check]
        if len(checks) == len(rows):
            parts.append(f"check {exponent(counts, checks):.2f}")
        print(f"growth exponent (whole processes): {', '.join(parts)}")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--sizes", default="100,1000,5000,10000", help="rule-resource counts")
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (median)")
    parser.add_argument(
        "--tables",
        choices=("all", "processes", "in-process"),
        default="all",
        help="which table(s) to print",
    )
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    if args.tables in ("all", "processes"):
        print("Whole processes (median of alternating runs; MB = peak RSS):")
        print_processes(sizes, args.repeat)
    if args.tables in ("all", "in-process"):
        if args.tables == "all":
            print()
        print("In one process, the offline preview's parts:")
        print_in_process(sizes, args.repeat)


if __name__ == "__main__":
    main()
