"""Flow-log usage: records per second and peak memory, end to end (read → attribute → report).

Printed per size: wall seconds, records per wall second, CPU seconds of the process (DuckDB
reads with two threads) split into reading (DuckDB) and attribution (Python), peak RSS, and
the distinct flows attributed.

Run: ``python -m bench.usage [--sizes 100000,1000000,10000000]``. Each size runs in its
own process (peak RSS is per process) over the dev stack deployed in moto with two
instances per tier. A base of ~100,000 generated records (customers, tier to tier, admin
sessions, probes, both ends, replies, NODATA) is made once; a size of N is N/100,000 copies
of it in which the ephemeral port of every connection is shifted by ``copy // 10``, so
each distinct flow appears in ten copies (ten capture windows, as a long connection is
logged) and the distinct flows grow with N — about N/10, ~1,000,000 at 10,000,000 records.
The copies are written by DuckDB as gzip text files of at most 1,000,000 records, as S3
delivery would hold them. Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import os
import pickle
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from tierguard.deployed.inventory import RegionInventory
from tierguard.usage import flowlogs
from tierguard.usage.attribute import Network, attribute
from tierguard.usage.generate import DEFAULT_FIELDS, Record, idle, records, write_log
from tierguard.usage.verdicts import usage_report

BASE = 100_000
#: Copies sharing one port shift: how many records each distinct flow has.
REPEATS = 10
PER_FILE = 1_000_000
#: Linux's ephemeral range, as the generator uses it.
FIRST, COUNT = 32768, 60999 - 32768 + 1


def prepare(size: int, directory: Path) -> None:
    """The inventory (pickled) and the copies for ``size``: made in a process of their
    own, so moto and the generator weigh nothing in the measured process."""
    from moto import mock_aws

    from tests.audit.builders import Account
    from tests.conftest import PROJECT_DIR
    from tests.usage.scenario import deploy_with_instances, dev_intents
    from tierguard.config.stackfile import load_stack
    from tierguard.program import plan_from_raw

    inventory = directory / "inventory.pickle"
    base = directory / "base.log"
    if not inventory.exists():
        os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
        os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
        with mock_aws():
            doc = load_stack(PROJECT_DIR, "dev")
            plan = plan_from_raw(doc.config["tierguard:network"], region="us-east-1", stack="dev")
            deployed = deploy_with_instances(Account(), plan)
        inventory.write_bytes(pickle.dumps(deployed.inventory))
        found: list[Record] = []
        seed = 0
        while len(found) < BASE:
            found.extend(records(dev_intents(deployed), seed=seed, start=1_764_547_200 + seed))
            seed += 1
        interfaces = sorted({r.interface_id for r in found})
        found = found[: BASE - len(interfaces)]
        found.extend(idle(eni, start=1_764_547_200) for eni in interfaces)
        write_log(base, found)
    _copies(base, size, directory)


def _shifted(port: str, shift: str) -> str:
    """SQL: an ephemeral ``port`` moved by ``shift`` within the ephemeral range."""
    return (
        f"CASE WHEN TRY_CAST({port} AS INTEGER) >= {FIRST} THEN CAST(({FIRST} + "
        f"(CAST({port} AS INTEGER) - {FIRST} + {shift}) % {COUNT}) AS VARCHAR) ELSE {port} END"
    )


def _copies(base: Path, size: int, directory: Path) -> Path:
    """``size`` records in gzip files: the base repeated, ephemeral ports shifted."""
    target = directory / f"n{size}"
    if target.exists():
        return target
    target.mkdir()
    copies = max(1, size // BASE)
    names = list(DEFAULT_FIELDS)
    columns = ", ".join(f"'{n}': 'VARCHAR'" for n in names)
    source = f"read_csv('{base}', delim=' ', header=true, columns={{{columns}}}, quote='')"
    per_file = max(1, PER_FILE // BASE)
    shift = f"(copy // {REPEATS}) * 7919"
    select = ", ".join(
        _shifted(f'"{n}"', shift) + f' AS "{n}"' if n in ("srcport", "dstport") else f'"{n}"'
        for n in names
    )
    for first in range(0, copies, per_file):
        last = min(copies, first + per_file)
        duckdb.sql(
            f"COPY (SELECT {select} FROM {source}, range({first}, {last}) AS r(copy)) "
            f"TO '{target / f'{first:05d}.log.gz'}' (FORMAT csv, DELIMITER ' ', HEADER, "
            "QUOTE '', COMPRESSION gzip)"
        )
    return target


def run_one(size: int, directory: Path) -> None:
    """One size, in this process: prints ``records seconds rate peak_mb flows``."""
    inventory: RegionInventory = pickle.loads((directory / "inventory.pickle").read_bytes())
    source = directory / f"n{size}"
    started, cpu = time.perf_counter(), _cpu()
    result = flowlogs.read(source)
    read_cpu = _cpu() - cpu
    network = Network(inventory)
    report = usage_report(network, attribute(network, result.flows), (result.first, result.last))
    seconds, cpu = time.perf_counter() - started, _cpu() - cpu
    lines = result.counts["lines"]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    assert report.rules
    flows = len(result.flows)
    print(
        f"{lines:>10} {seconds:8.1f} {lines / seconds:10,.0f} {cpu:8.1f} {read_cpu:8.1f} "
        f"{cpu - read_cpu:8.1f} {peak:8.0f} {flows:>8}",
        flush=True,
    )


def _cpu() -> float:
    """CPU seconds of this process (all its threads): less sensitive than wall time to
    other work on a shared machine."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.usage")
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--prepare", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--dir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.prepare is not None:
        prepare(args.prepare, args.dir)
        return
    if args.one is not None:
        run_one(args.one, args.dir)
        return
    with tempfile.TemporaryDirectory() as scratch:
        print(
            f"{'records':>10} {'wall s':>8} {'records/s':>10} {'CPU s':>8} {'read':>8} "
            f"{'attrib.':>8} {'peak MB':>8} {'flows':>8}"
        )
        for size in (int(s) for s in args.sizes.split(",")):
            # The copies are written first, in their own process: not part of the figure.
            subprocess.run(
                [sys.executable, "-m", "bench.usage", "--prepare", str(size), "--dir", scratch],
                check=True,
            )
            subprocess.run(
                [sys.executable, "-m", "bench.usage", "--one", str(size), "--dir", scratch],
                check=True,
            )


if __name__ == "__main__":
    main()
