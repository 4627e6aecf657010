"""Mutation testing of the security semantics with mutmut: every package in one run.

Run: ``make mutation`` (or ``python -m mutation [--only rules,plan] [--workers 2]``).
The packages chosen are mutated together in one scratch copy of the project
(``.mutation/<run>/``: ``all``, or the chosen names joined by ``+``) against the union of
their test selections: mutmut's preliminary pass (every selected test once, recording
which tests call which function) is paid once, not once per package. mutmut runs, per
mutant, only the tests that call the mutated function. A mutant belongs to the package
whose globs match its file; at the end the score per package is printed:

    score = (killed + timed out) / (mutants - documented equivalents)

A mutant that survives (or that no selected test reaches) counts against the score
unless ``docs/testing.md`` lists it as equivalent, with the reason it cannot change any
verdict. Survivors' diffs are written to ``.mutation/<run>/survivors.txt``.
Not part of ``make test`` or CI: it takes the better part of an hour for every package.
"""

from __future__ import annotations

import argparse
import fnmatch
import os
import re
import resource
import shutil
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[1]
WORK_DIR = PROJECT_DIR / ".mutation"
EQUIVALENTS = PROJECT_DIR / "docs" / "testing.md"
#: Tests left out of mutant runs: the policy pack over gRPC and the bench run in another
#: process (no use to a mutant, seconds each); the scenarios and the program properties
#: run the Pulumi program for each example, which a forked worker cannot do (it replays
#: only runs the first pass made, see ``mutation/plugin.py``): they would only skip; the
#: bundle's import check fails on any mutated module (mutmut's trampolines import mutmut).
NOT_FORKABLE = (
    "tests/policy/test_policy_pack_grpc.py",
    "tests/policy/test_policy_dev_stack.py",
    "tests/policy/test_policy_engine_shapes.py",
    "tests/test_scenarios.py",
    "tests/test_bench.py",
    "tests/policy/test_policy_bundle.py",
)
NOT_FORKABLE_TESTS = (
    "tests/test_properties.py::TestProgramProperties",
    # A bound in wall-clock seconds: at a mutation run's load it fails whatever the code.
    "tests/test_hostile_input.py::TestAuditEndpoints"
    "::test_an_endpoint_that_never_answers_is_given_up_after_the_timeout",
)
#: What the tests read besides the package and ``tests/`` (the program, stacks, docs),
#: and this package (its pytest plugin, ``mutation/plugin.py``).
ALSO_COPY = (
    "Pulumi.yaml",
    "Pulumi.dev.yaml",
    "__main__.py",
    "components",
    "policy",
    "examples",
    "docs",
    "bench",
    "README.md",
    "constraints.txt",
    "mutation",
)


@dataclass(frozen=True)
class Package:
    name: str
    mutate: tuple[str, ...]
    """Globs of the files to mutate."""
    tests: tuple[str, ...]
    """The test files that exercise them."""


PACKAGES = (
    Package(
        "rules",
        ("tierguard/rules/*",),
        (
            "tests/test_rules.py",
            "tests/test_rule_shapes.py",
            "tests/test_rule_messages.py",
            "tests/test_hostile_input.py",
            "tests/test_properties.py",
            "tests/test_documented_semantics.py",
            "tests/test_reach.py",
            "tests/test_config_validation.py",
            "tests/policy",
            "tests/audit/test_audit_semantics.py",
            "tests/audit/test_audit_collect.py",
            "tests/audit/test_audit_exposure.py",
        ),
    ),
    Package("policies", ("tierguard/policies/*",), ("tests/policy",)),
    Package(
        "plan",
        ("tierguard/plan/*",),
        (
            "tests/test_plan_semantics.py",
            "tests/test_plan_refusals.py",
            "tests/test_plan_peers.py",
            "tests/test_config_validation.py",
            "tests/test_properties.py",
            "tests/test_documented_semantics.py",
            "tests/test_reach.py",
        ),
    ),
    Package(
        "audit-exposure",
        ("tierguard/audit/exposure.py", "tierguard/rules/exposure.py"),
        (
            "tests/audit/test_audit_exposure.py",
            "tests/audit/test_audit_routes.py",
            "tests/audit/test_audit_semantics.py",
            "tests/audit/test_audit_collect.py",
            "tests/policy/test_policy_resource_policies.py",
            "tests/policy/test_policy_documented_semantics.py",
            "tests/policy/test_policy_semantics.py",
            "tests/test_rules.py",
            "tests/test_rule_shapes.py",
        ),
    ),
    Package(
        "reach",
        ("tierguard/reach/*",),
        (
            "tests/test_reach.py",
            "tests/test_reach_index.py",
            "tests/test_reach_render.py",
            "tests/test_reach_explain_oracle.py",
            "tests/test_reach_semantics.py",
            "tests/test_reach_oracle.py",
            "tests/test_intents.py",
            "tests/test_reach_state.py",
            "tests/test_documented_semantics.py",
            "tests/audit/test_audit_exposure.py",
            "tests/test_driver_verify.py",
            "tests/test_reach_output.py",
            "tests/test_reach_resources.py",
            "tests/test_reach_intents.py",
            "tests/test_reach_deployed.py",
        ),
    ),
)

_RESULT = re.compile(r"^\s+(?P<mutant>\S+): (?P<status>.+)$")


def documented_equivalents() -> list[str]:
    """Mutant names (or ``*`` patterns) listed in ``docs/testing.md``, in backticks."""
    if not EQUIVALENTS.exists():
        return []
    return re.findall(r"`([\w.ǁ]+__mutmut_[\d*]+)`", EQUIVALENTS.read_text())


def _listed(mutant: str, equivalents: list[str]) -> bool:
    return any(fnmatch.fnmatchcase(mutant, pattern) for pattern in equivalents)


def _project_files() -> list[str]:
    """Tracked and new (not ignored) files: what a fresh clone plus your work holds."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=PROJECT_DIR,
        capture_output=True,
        check=True,
        text=True,
    ).stdout.split("\0")
    return [name for name in listed if name and (PROJECT_DIR / name).is_file()]


def _copy(names: list[str], target: Path) -> None:
    for name in names:
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(PROJECT_DIR / name, target / name)


def _union(parts: Iterable[tuple[str, ...]]) -> list[str]:
    return list(dict.fromkeys(item for part in parts for item in part))


def prepare(packages: list[Package], target: Path) -> None:
    """A fresh copy of the project with the run's mutmut configuration."""
    shutil.rmtree(target, ignore_errors=True)
    _copy(_project_files(), target)
    configure(packages, target)


def configure(packages: list[Package], target: Path) -> None:
    """The project's ``pyproject.toml`` plus a ``[tool.mutmut]`` mutating every chosen
    package against the union of their tests."""
    pytest_args = ["-p", "no:randomly", "-p", "no:cacheprovider", "-q"]
    pytest_args += ["-p", "mutation.plugin"]
    # A worker inherits the first pass's sockets and event loops (mutation/plugin.py):
    # their ResourceWarnings at exit say nothing about a mutant.
    pytest_args += ["-W", "ignore::ResourceWarning", "-p", "no:unraisableexception"]
    pytest_args += ["--hypothesis-profile=mutation"]
    pytest_args += [f"--ignore={path}" for path in NOT_FORKABLE]
    pytest_args += [f"--deselect={test}" for test in NOT_FORKABLE_TESTS]
    config = f"""

[tool.mutmut]
source_paths = ["tierguard"]
only_mutate = {_union(p.mutate for p in packages)!r}
also_copy = {list(ALSO_COPY)!r}
pytest_add_cli_args_test_selection = {_union(p.tests for p in packages)!r}
pytest_add_cli_args = {pytest_args!r}
timeout_multiplier = 30.0
"""
    # mutmut stops a mutant at this many times its tests' recorded duration, by the
    # wall clock: at load 15 a test takes five to eight times as long as it did when
    # recorded, and at five times (the old setting) slow survivors were stopped and
    # counted as killed ("timeout").
    project = (PROJECT_DIR / "pyproject.toml").read_text()
    (target / "pyproject.toml").write_text(project + config.replace("'", '"'))


def mutmut(workdir: Path, *args: str, log: Path | None = None) -> str:
    command = [sys.executable, "-m", "mutmut", *args]
    if log is None:
        done = subprocess.run(command, cwd=workdir, capture_output=True, text=True, check=False)
        return done.stdout if done.returncode == 0 else f"mutmut {args}: {done.stderr.strip()}"
    with log.open("a") as out:
        subprocess.run(command, cwd=workdir, stdout=out, stderr=subprocess.STDOUT, check=False)
    return ""


@dataclass(frozen=True)
class Score:
    package: str
    statuses: Counter[str]
    equivalent: int

    @property
    def total(self) -> int:
        return sum(self.statuses.values())

    @property
    def killed(self) -> int:
        return self.statuses["killed"] + self.statuses["timeout"]

    @property
    def value(self) -> float:
        judged = self.total - self.equivalent
        return 100.0 if judged <= 0 else 100.0 * self.killed / judged


def results_of(workdir: Path) -> dict[str, str]:
    """Mutant name → mutmut's status (killed, survived, no tests, timeout, …)."""
    results: dict[str, str] = {}
    for line in mutmut(workdir, "results", "--all", "true").splitlines():
        if match := _RESULT.match(line):
            results[match["mutant"]] = match["status"]
    return results


def source_of(mutant: str) -> str:
    """The file a mutant is in: ``tierguard.plan.acls.x_acl_entry__mutmut_3`` →
    ``tierguard/plan/acls.py`` (mutmut drops ``__init__`` from a package's names)."""
    module = mutant.rpartition(".")[0].replace(".", "/")
    return module + ".py" if (PROJECT_DIR / f"{module}.py").is_file() else f"{module}/__init__.py"


def owns(package: Package, mutant: str) -> bool:
    source = source_of(mutant)
    return any(fnmatch.fnmatchcase(source, pattern) for pattern in package.mutate)


def run(packages: list[Package], workers: int, *, survivors: bool) -> Path:
    """Mutate the packages afresh in one mutmut run; with ``survivors``, re-test only the
    mutants the last run left alive, against the current tests (the packages' source must
    be unchanged). Returns the run's directory."""
    workdir = WORK_DIR / (
        "all" if len(packages) == len(PACKAGES) else "+".join(p.name for p in packages)
    )
    retest: list[str] = []
    if survivors and (workdir / "mutants").is_dir():
        # Timeouts too: a slow survivor stopped under load is not a kill.
        retest = [m for m, s in results_of(workdir).items() if s != "killed"]
        _copy([n for n in _project_files() if n.startswith(("tests/", "docs/"))], workdir)
        configure(packages, workdir)  # the test selection may have grown
        # New tests are unknown to the recorded test-to-function map: collect it again.
        (workdir / "mutants" / "mutmut-stats.json").unlink(missing_ok=True)
    else:
        prepare(packages, workdir)
    if retest or not survivors:
        command = ["run", "--max-children", str(workers), *retest]
        mutmut(workdir, *command, log=workdir / "mutmut.log")
        for _ in range(2):  # mutmut stopped early (a worker crash): resume the rest
            if "not checked" not in results_of(workdir).values():
                break
            mutmut(workdir, "run", "--max-children", str(workers), log=workdir / "mutmut.log")
    return workdir


def scores(packages: list[Package], workdir: Path, equivalents: list[str]) -> list[Score]:
    """Each package's score from the run's results; survivors' diffs to ``survivors.txt``."""
    results = results_of(workdir)
    found: list[Score] = []
    with (workdir / "survivors.txt").open("w") as report:
        for package in packages:
            mine = {m: s for m, s in results.items() if owns(package, m)}
            alive = [m for m, s in sorted(mine.items()) if s not in ("killed", "timeout")]
            report.write(f"# {package.name}\n\n")
            for mutant in alive:
                if not _listed(mutant, equivalents):
                    report.write(mutmut(workdir, "show", mutant) + "\n")
            equivalent = sum(1 for m in alive if _listed(m, equivalents))
            found.append(Score(package.name, Counter(mine.values()), equivalent))
    return found


def table(scores: list[Score]) -> str:
    head = f"{'package':<16}{'mutants':>8}{'killed':>8}{'survived':>9}{'no tests':>9}"
    head += f"{'equiv.':>8}{'score':>8}"
    lines = [head, "-" * len(head)]
    for s in scores:
        lines.append(
            f"{s.package:<16}{s.total:>8}{s.killed:>8}{s.statuses['survived']:>9}"
            f"{s.statuses['no tests']:>9}{s.equivalent:>8}{s.value:>7.1f}%"
        )
    return "\n".join(lines)


def _cpu_seconds() -> float:
    """CPU time (user + system) of the finished child processes: mutmut and its workers."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m mutation", description=__doc__)
    names = [p.name for p in PACKAGES]
    parser.add_argument(
        "--only", default=",".join(names), help=f"comma-separated, of {', '.join(names)}"
    )
    parser.add_argument("--workers", type=int, default=2, help="mutants tested at once")
    parser.add_argument(
        "--survivors",
        action="store_true",
        help="after adding tests: re-test only the last run's survivors and timeouts "
        "(same checkout otherwise)",
    )
    options = parser.parse_args()
    chosen = [n.strip() for n in options.only.split(",") if n.strip()]
    unknown = sorted(set(chosen) - set(names))
    if unknown:
        parser.error(f"--only: unknown package(s) {', '.join(unknown)}; use {', '.join(names)}")
    packages = [p for p in PACKAGES if p.name in chosen]
    print(f"mutating {', '.join(glob for p in packages for glob in p.mutate)} …", flush=True)
    started, cpu, load = time.monotonic(), _cpu_seconds(), os.getloadavg()[0]
    workdir = run(packages, options.workers, survivors=options.survivors)
    minutes, cpu_minutes = (time.monotonic() - started) / 60, (_cpu_seconds() - cpu) / 60
    print()
    print(table(scores(packages, workdir, documented_equivalents())))
    print(
        f"\n{minutes:.1f} min wall, {cpu_minutes:.1f} min CPU (mutmut and its workers); "
        f"load average {load:.1f} at the start, {os.getloadavg()[0]:.1f} at the end"
    )
    print(f"survivors' diffs in {workdir}/survivors.txt, the run's log in {workdir}/mutmut.log")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
