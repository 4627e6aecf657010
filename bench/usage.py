"""Flow-log usage: records per second and peak memory, end to end (read → attribute).

Run: ``python -m bench.usage [--sizes 100000,1000000,10000000]``. Each size runs in its
own process (peak RSS is per process) over the dev stack deployed in moto with two
instances per tier. A base gzip file of 100,000 generated records (distinct ephemeral
ports, both ends, rejects) is written once; a size of N reads it N/100,000 times, so
DuckDB's reading and summing scale with N while the distinct flows handed to attribution
stay those of the base file. Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from moto import mock_aws

from tests.audit.builders import Account
from tests.conftest import PROJECT_DIR
from tests.usage.scenario import deploy_with_instances, dev_intents
from tierguard.config.stackfile import load_stack
from tierguard.program import plan_from_raw
from tierguard.usage import flowlogs
from tierguard.usage.attribute import Network, attribute
from tierguard.usage.generate import Record, records, write_log
from tierguard.usage.verdicts import usage_report

BASE = 100_000


def _network_and_base(directory: Path) -> tuple[Network, Path]:
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    with mock_aws():
        doc = load_stack(PROJECT_DIR, "dev")
        plan = plan_from_raw(doc.config["tierguard:network"], region="us-east-1", stack="dev")
        deployed = deploy_with_instances(Account(), plan)
    base = directory / "base.log.gz"
    if not base.exists():
        found: list[Record] = []
        seed = 0
        while len(found) < BASE:
            found.extend(records(dev_intents(deployed), seed=seed))
            seed += 1
        write_log(base, found[:BASE])
    return Network(deployed.inventory), base


def run_one(size: int, directory: Path) -> None:
    """One size, in this process: prints ``size seconds rate peak_mb flows``."""
    network, base = _network_and_base(directory)
    copies = max(1, size // BASE)
    links = directory / f"x{copies}"
    links.mkdir(exist_ok=True)
    for i in range(copies):
        link = links / f"{i:05d}.log.gz"
        if not link.exists():
            link.symlink_to(base)
    started = time.perf_counter()
    result = flowlogs.read(links)
    report = usage_report(network, attribute(network, result.flows), (result.first, result.last))
    seconds = time.perf_counter() - started
    lines = result.counts["lines"]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    assert report.rules
    flows = len(result.flows)
    print(f"{lines:>10} {seconds:9.2f} {lines / seconds:12,.0f} {peak:9.0f} {flows:>8}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.usage")
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--dir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one is not None:
        run_one(args.one, args.dir)
        return
    with tempfile.TemporaryDirectory() as scratch:
        print(f"{'records':>10} {'seconds':>9} {'records/s':>12} {'peak MB':>9} {'flows':>8}")
        for size in (int(s) for s in args.sizes.split(",")):
            subprocess.run(
                [sys.executable, "-m", "bench.usage", "--one", str(size), "--dir", scratch],
                check=True,
            )


if __name__ == "__main__":
    main()
