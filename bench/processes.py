"""Whole-process benchmarks: what a user waits for, interpreter start and imports included.

Each subject runs as its own process on the same generated stack file:

- ``preview``: ``tierguard preview --offline --json`` (program, policy pack over gRPC,
  reachability, rendering);
- ``check``: ``tierguard check`` (the in-process fast path), when the CLI has that verb;
- ``floor``: ``python -m bench.floor N`` — a bare program registering the same number of
  resources on the same mock engine (the SDK's floor);
- ``checkov``: ``checkov -d`` on the equivalent Terraform (``bench.terraform``), when
  Checkov is installed in ``bench/checkov/.venv`` (``make bench-checkov``): a reference for
  what scanning the same network takes elsewhere.

The subjects run alternately (preview, check, floor, preview, …) so that the noise of a
shared machine falls on all of them alike; ratios within one run are the figures to read.
Peak memory is the ``ru_maxrss`` that ``wait4`` reports for the process — the largest of
it and its children (the policy pack), as ``/usr/bin/time -v`` reports it; CPU is the user
and system time of the process and its children, which a loaded machine inflates less
than wall time (the preview's two processes need two free cores to overlap).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from bench.terraform import CHECKOV, write_terraform
from bench.topologies import network_config

PROJECT_DIR = Path(__file__).resolve().parents[1]
TIERGUARD = [sys.executable, "-m", "tierguard"]


@dataclass(frozen=True)
class Sample:
    seconds: float
    peak_mb: float
    returncode: int
    stdout: bytes
    cpu: float = 0.0
    """User and system CPU seconds of the process and its children (the policy pack)."""


#: As on a user's machine, modules are compiled once and cached (this environment may set
#: PYTHONDONTWRITEBYTECODE, which would make every process compile them again).
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def run_process(argv: Sequence[str], *, cwd: Path = PROJECT_DIR) -> Sample:
    """Run ``argv`` to completion: wall time, peak RSS (of it and its children), output."""
    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        process = subprocess.Popen(
            list(argv),
            cwd=cwd,
            stdout=out,
            stderr=subprocess.DEVNULL,
            stdin=subprocess.DEVNULL,
            env=ENV,
        )
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        # ru_maxrss is in KiB on Linux.
        cpu = usage.ru_utime + usage.ru_stime
        return Sample(elapsed, usage.ru_maxrss / 1024, process.returncode, out.read(), cpu)


def write_stack(directory: Path, size: int) -> Path:
    """A stack file for a generated network of about ``size`` rule resources."""
    path = directory / f"Pulumi.bench{size}.yaml"
    config = {"aws:region": "us-east-1", "tierguard:network": network_config(size)}
    path.write_text(yaml.safe_dump({"config": config}, sort_keys=False))
    return path


def has_check_verb() -> bool:
    return run_process([*TIERGUARD, "check", "--help"]).returncode == 0


@dataclass(frozen=True)
class ProcessRow:
    size: int
    resources: int
    preview: Sample
    floor: Sample
    check: Sample | None
    checkov: Sample | None = None


def _median(samples: Sequence[Sample]) -> Sample:
    ordered = sorted(samples, key=lambda s: s.seconds)
    middle = ordered[len(ordered) // 2]
    return Sample(
        statistics.median(s.seconds for s in samples),
        max(s.peak_mb for s in samples),
        middle.returncode,
        middle.stdout,
        statistics.median(s.cpu for s in samples),
    )


def has_checkov() -> bool:
    return CHECKOV.is_file()


def measure_processes(
    size: int, repeat: int, *, with_check: bool, with_checkov: bool = False
) -> ProcessRow:
    """Alternate the subjects ``repeat`` times on one generated stack; medians and peaks."""
    with tempfile.TemporaryDirectory() as scratch:
        stack = write_stack(Path(scratch), size)
        terraform = write_terraform(stack, Path(scratch) / "terraform") if with_checkov else None
        checkov_argv = [str(CHECKOV), "-d", str(terraform), "--skip-download", "--compact"]
        preview_argv = [*TIERGUARD, "preview", "--offline", "--json", "--stack-file", str(stack)]
        check_argv = [*TIERGUARD, "check", str(stack)]
        previews: list[Sample] = []
        floors: list[Sample] = []
        checks: list[Sample] = []
        checkovs: list[Sample] = []
        resources = 0
        for _ in range(repeat):
            previews.append(run_process(preview_argv))
            if not resources:
                try:
                    resources = len(json.loads(previews[-1].stdout)["resources"])
                except (ValueError, KeyError):
                    raise SystemExit(
                        f"tierguard preview failed at {size} (exit {previews[-1].returncode})"
                    ) from None
            if with_check:
                checks.append(run_process(check_argv))
                if checks[-1].returncode not in (0, 1):  # 1: a mandatory violation, judged
                    raise SystemExit(
                        f"tierguard check failed at {size} (exit {checks[-1].returncode})"
                    )
            floors.append(run_process([sys.executable, "-m", "bench.floor", str(resources)]))
            if terraform is not None:
                checkovs.append(run_process(checkov_argv))
                if checkovs[-1].returncode not in (0, 1):  # 1: failed checks, judged
                    raise SystemExit(f"checkov failed at {size} (exit {checkovs[-1].returncode})")
    return ProcessRow(
        size=size,
        resources=resources,
        preview=_median(previews),
        floor=_median(floors),
        check=_median(checks) if checks else None,
        checkov=_median(checkovs) if checkovs else None,
    )


def print_process_header() -> None:
    print(
        f"{'target':>7} {'resources':>9} {'preview s':>9} {'MB':>5} {'check s':>8} {'MB':>5} "
        f"{'floor s':>8} {'MB':>5} {'prev/floor':>10} {'mem ratio':>9} {'floor/check':>11} "
        f"{'checkov s':>9} {'MB':>5} {'prev/checkov':>12} {'CPU prev/floor':>14}",
        flush=True,
    )


def print_process_row(row: ProcessRow) -> None:
    if row.check:
        check = f"{row.check.seconds:>8.2f} {row.check.peak_mb:>5.0f}"
        speedup = f"{row.floor.seconds / row.check.seconds:>11.1f}"
    else:
        check, speedup = f"{'-':>8} {'-':>5}", f"{'-':>11}"
    if row.checkov:
        checkov = (
            f"{row.checkov.seconds:>9.2f} {row.checkov.peak_mb:>5.0f} "
            f"{row.preview.seconds / row.checkov.seconds:>12.2f}"
        )
    else:
        checkov = f"{'-':>9} {'-':>5} {'-':>12}"
    print(
        f"{row.size:>7} {row.resources:>9} {row.preview.seconds:>9.2f} "
        f"{row.preview.peak_mb:>5.0f} {check} {row.floor.seconds:>8.2f} "
        f"{row.floor.peak_mb:>5.0f} {row.preview.seconds / row.floor.seconds:>10.2f} "
        f"{row.preview.peak_mb / row.floor.peak_mb:>9.2f} {speedup} {checkov} "
        f"{row.preview.cpu / row.floor.cpu:>14.2f}",
        flush=True,
    )
