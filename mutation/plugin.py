"""The pytest plugin of mutant runs (``-p mutation.plugin``, added by ``mutation``).

**Fastest tests first.** mutmut runs a mutant's tests with ``-x``, so a killed mutant
costs the time up to the first failing test. Most mutants are killed by a quick example
test; a hypothesis property or an oracle comparison that takes a second should only run
when the quick ones did not notice. Tests are ordered by the duration mutmut recorded for
them (``mutants/mutmut-stats.json``) in coarse bands, keeping the collection order within
a band so tests sharing a module fixture stay together.

**No Pulumi program in a forked worker.** mutmut forks each mutant's test run from a
process that already ran the suite once; the Pulumi SDK's event loop and gRPC threads do
not survive a fork, so a test that runs the program waits until the wall-clock timeout,
and mutmut would count every mutant it reaches as killed ("timeout") whatever the
mutant does. Under mutmut such a test is skipped instead: it can neither kill nor falsely
kill a mutant, and the semantics it relies on are tested directly.
"""

from __future__ import annotations

import json
import os
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

import pytest

from tierguard.offline import runner

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


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    durations = recorded_durations()
    if durations:
        items.sort(key=lambda item: band(durations.get(item.nodeid)))


def _no_program(awaitable: Coroutine[Any, Any, Any]) -> None:
    awaitable.close()
    pytest.skip(NO_PROGRAM)


def pytest_configure(config: pytest.Config) -> None:
    if "MUTANT_UNDER_TEST" not in os.environ:  # set by mutmut for every test run
        return
    pytest.MonkeyPatch().setattr(runner, "_sync_await", _no_program)
