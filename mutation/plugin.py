"""The pytest plugin of mutant runs (``-p mutation.plugin``, added by ``mutation``).

**Fastest tests first.** mutmut runs a mutant's tests with ``-x``, so a killed mutant
costs the time up to the first failing test. Most mutants are killed by a quick example
test; a hypothesis property or an oracle comparison that takes a second should only run
when the quick ones did not notice. Tests are ordered by the duration mutmut recorded for
them (``mutants/mutmut-stats.json``) in coarse bands, keeping the collection order within
a band so tests sharing a module fixture stay together.

**The Pulumi program runs before the fork.** mutmut forks each mutant's test run from
the process that ran the suite once (recording which tests call which function); the
Pulumi SDK's event loop and gRPC threads do not survive a fork, so a test that runs the
program in a worker waits until the wall-clock timeout, and mutmut would count every
mutant it reaches as killed ("timeout") whatever the mutant does. So the runs of that
first pass are kept, by what determines them (the program's files, the stack, preview or
not), and a worker reuses them; a run never seen before skips its test. A mutant in code
the program itself executes (the plan, the rules it builds) does not change a reused run,
only what the test computes from it: such a test can miss that mutant, never falsely
kill one.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import pytest

from tierguard.config.stackfile import StackFile
from tierguard.offline import runner
from tierguard.offline.mocks import RecordedResource
from tierguard.offline.runner import ProgramRun

#: Upper bounds (seconds) of the bands; a test with no recorded duration goes last.
BANDS = (0.005, 0.05, 0.5)
NO_PROGRAM = "the Pulumi program cannot run in a forked mutmut worker (see mutation/plugin.py)"


def band(duration: float | None) -> int:
    if duration is None:
        return len(BANDS) + 1
    return next((i for i, bound in enumerate(BANDS) if duration <= bound), len(BANDS))


_loaded: dict[float, dict[str, float]] = {}


def recorded_durations() -> dict[str, float]:
    """Test id → seconds, read once per version of the file (workers fork after)."""
    stats = Path("mutmut-stats.json")
    if not stats.exists():
        return {}
    version = stats.stat().st_mtime
    if version not in _loaded:
        _loaded.clear()
        _loaded[version] = json.loads(stats.read_text()).get("duration_by_test", {})
    return _loaded[version]


#: Tests that passed in this process's stats pass.
_passed_in_stats: set[str] = set()


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if os.environ.get("MUTANT_UNDER_TEST") == "stats" and report.when == "call" and report.passed:
        _passed_in_stats.add(report.nodeid)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    durations = recorded_durations()
    if durations:
        items.sort(key=lambda item: band(durations.get(item.nodeid)))
    if os.environ.get("MUTANT_UNDER_TEST") == "" and _passed_in_stats:
        passed = [item for item in items[1:] if item.nodeid in _passed_in_stats]
        if passed:
            config.hook.pytest_deselected(items=passed)
            items[:] = items[:1] + [
                item for item in items[1:] if item.nodeid not in _passed_in_stats
            ]


#: mutmut's names for its own passes, run in its main process before any fork.
MAIN_PROCESS_PASSES = ("stats", "", "fail", "list_all_tests", "mutant_generation")
_real_run_program = runner.run_program
_runs: dict[str, ProgramRun] = {}


def _in_worker() -> bool:
    return os.environ.get("MUTANT_UNDER_TEST") not in MAIN_PROCESS_PASSES


def _run_key(project_dir: Path, stack_file: StackFile, preview: bool) -> str:
    digest = hashlib.sha256()
    for pattern in ("*.py", "*.yaml", "components/*.py"):
        for path in sorted(Path(project_dir).glob(pattern)):
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
    scope = [stack_file.project, stack_file.stack, stack_file.config, preview]
    digest.update(json.dumps(scope, sort_keys=True, default=str).encode())
    return digest.hexdigest()


def run_program(
    project_dir: Path,
    stack_file: StackFile,
    *,
    preview: bool = True,
    on_record: Callable[[RecordedResource], None] | None = None,
) -> ProgramRun:
    """``runner.run_program``, remembered in the main process and replayed in workers
    (``on_record`` then sees the recorded registrations, in their order)."""
    key = _run_key(project_dir, stack_file, preview)
    if _in_worker():
        if key not in _runs:
            pytest.skip(NO_PROGRAM)
        run = _runs[key]
        if on_record is not None:
            for record in run.resources:
                on_record(record)
        return run
    run = _real_run_program(project_dir, stack_file, preview=preview, on_record=on_record)
    _runs[key] = run
    return run


def _no_program(awaitable: Coroutine[Any, Any, Any]) -> None:
    """A program started in a worker by another way than ``run_program``: never wait."""
    awaitable.close()
    pytest.skip(NO_PROGRAM)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Every module's ``run_program`` (they import it by name) goes through the cache."""
    if "MUTANT_UNDER_TEST" not in os.environ:  # set by mutmut for every pass
        return
    for name, module in list(sys.modules.items()):
        ours = name.startswith(("tierguard.", "tests."))
        if ours and getattr(module, "run_program", None) is _real_run_program:
            module.run_program = run_program  # type: ignore[attr-defined]
    if _in_worker():
        pytest.MonkeyPatch().setattr(runner, "_sync_await", _no_program)
