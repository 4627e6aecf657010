"""Benchmarks of the offline preview, reachability and the SDK floor.

Run: ``make bench`` (or ``python -m bench [--sizes 100,1000,5000]``). Prints, per size:
the offline preview (the real program on the mock engine, with planning), the SDK floor
(a bare program registering the same number of resources under the same mock engine),
their ratio, the reachability analysis, the deploy critical path (longest dependency
chain), and the fitted growth exponent of each measure.
"""

from __future__ import annotations

import argparse
import math
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.topologies import network_config, topology
from tierguard.config.stackfile import StackFile
from tierguard.offline.runner import ProgramRun, run_program
from tierguard.program import plan_from_raw
from tierguard.reach import analyze, topology_from_plan

PROJECT_DIR = Path(__file__).resolve().parents[1]
RULE_TYPES = {
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
    "aws:ec2/networkAclRule:NetworkAclRule",
}
FLOOR_PROGRAM = """
import pulumi
import pulumi_aws as aws

count = int(pulumi.Config("bench").require("count"))
for n in range(count):
    aws.vpc.SecurityGroupIngressRule(
        f"r{n}", security_group_id="sg-0123456789abcdef0", ip_protocol="tcp",
        from_port=n % 65535, to_port=n % 65535, cidr_ipv4="10.0.0.0/8", description="floor",
    )
"""


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
    preview: float
    floor: float
    reach: float
    critical_path: int


def measure(size: int, repeat: int) -> Row:
    """Every figure for one generated network of about ``size`` rule resources."""
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
    preview = timed(lambda: run_program(PROJECT_DIR, stack), repeat)
    with tempfile.TemporaryDirectory() as floor_dir:
        Path(floor_dir, "__main__.py").write_text(FLOOR_PROGRAM)
        floor_stack = StackFile(
            "floor",
            "bench",
            Path(floor_dir, "Pulumi.bench.yaml"),
            {"bench:count": str(len(run.resources))},
        )
        floor = timed(lambda: run_program(Path(floor_dir), floor_stack), repeat)
    topo = topology_from_plan(plan)
    return Row(
        size=size,
        rules=sum(1 for r in run.resources if r.type in RULE_TYPES),
        tiers=len(plan.tiers),
        plan=plan_time,
        preview=preview,
        floor=floor,
        reach=timed(lambda: analyze(topo), repeat),
        critical_path=critical_path(run),
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--sizes", default="100,1000,5000", help="rule-resource counts")
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (median)")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]

    print(
        f"{'target':>7} {'rules':>6} {'tiers':>5} {'plan s':>8} {'preview s':>10} "
        f"{'floor s':>8} {'ratio':>6} {'reach s':>8} {'crit.path':>9}"
    )
    rows = []
    for size in sizes:
        row = measure(size, args.repeat)
        rows.append(row)
        print(
            f"{row.size:>7} {row.rules:>6} {row.tiers:>5} {row.plan:>8.3f} {row.preview:>10.3f} "
            f"{row.floor:>8.3f} {row.preview / row.floor:>6.2f} {row.reach:>8.3f} "
            f"{row.critical_path:>9}"
        )
    if len(rows) > 1:
        counts = [r.rules for r in rows]
        print(
            f"growth exponent: preview {exponent(counts, [r.preview for r in rows]):.2f}, "
            f"floor {exponent(counts, [r.floor for r in rows]):.2f}, "
            f"reachability {exponent(counts, [r.reach for r in rows]):.2f}"
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


if __name__ == "__main__":
    main()
