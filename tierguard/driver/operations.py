"""The deployment verbs' decisions, written against the ``Engine`` seam.

``Deployer`` holds what every verb needs (the project, the engine, the backend, how to
talk to the user) and each method is one verb: ``preview``, ``up`` (one stack or many),
``refresh``, ``destroy``, ``outputs``, ``stacks``, ``cancel``. Config is validated before
the engine is touched, so bad input never half-applies anything; the policy pack is
attached on every ``preview`` and ``up``, and every ``up`` (one stack, many, the demo)
passes the policy gate first (``tierguard.driver.gate``): mandatory findings stop it before
any change; changes need ``--yes`` or a confirmation.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from tierguard.config.stackfile import load_named_stack, project_name, short_stack_name
from tierguard.driver.backend import BackendChoice, LockHolder
from tierguard.driver.emulator import Emulator, scratch_stack_file
from tierguard.driver.failures import (
    busy_message,
    forward_interrupt,
    mapped_errors,
    run_interruptibly,
)
from tierguard.driver.gate import offline_findings
from tierguard.driver.progress import Echo, Mode, Progress
from tierguard.driver.seam import Engine, StackApi
from tierguard.driver.verify import Verification, verify_deployment
from tierguard.errors import (
    EngineError,
    Interrupted,
    PolicyViolation,
    TierguardError,
    UsageError,
    VerificationFailed,
)
from tierguard.offline.runner import run_program
from tierguard.plan import NetworkPlan
from tierguard.program import load_plan, region_of_stack

POLICY_DIR = "policy"
SECRET_MASK = "[secret]"


@dataclass(frozen=True)
class Ui:
    """How the verbs talk to the user; the CLI passes click's, tests pass recorders."""

    echo: Echo
    """A line on stdout (results)."""
    note: Echo
    """A line on stderr (warnings, what is happening)."""
    mode: Mode = Mode.PLAIN
    status: Echo | None = None
    confirm: Callable[[str], bool] | None = None
    """Asks a yes/no question; ``None`` when stdin is not a terminal."""


@dataclass(frozen=True)
class Outcome:
    """What one verb did to one stack."""

    stack: str
    verb: str
    changes: Mapping[str, int] = field(default_factory=dict)
    outputs: Mapping[str, Any] = field(default_factory=dict)
    verification: Verification | None = None
    seconds: float = 0.0

    def change_text(self) -> str:
        shown = {op: n for op, n in self.changes.items() if op != "same" and n}
        return ", ".join(f"{n} {op}" for op, n in sorted(shown.items())) or "no changes"


class StackStatus(StrEnum):
    OK = "ok"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class StackResult:
    """One row of the many-stacks summary."""

    stack: str
    status: StackStatus
    outcome: Outcome | None = None
    error: str = ""
    exit_code: int = 0


def mask_outputs(outputs: Mapping[str, Any]) -> dict[str, Any]:
    """Output values by name, secrets replaced by ``[secret]`` (never printed)."""
    return {
        key: SECRET_MASK if getattr(value, "secret", False) else getattr(value, "value", value)
        for key, value in outputs.items()
    }


def plan_for(project_dir: Path, stack: str) -> NetworkPlan:
    """Validate the stack's config (exit 2 on problems) before the engine is touched."""
    return load_plan(load_named_stack(project_dir, stack))


def expected_steps(project_dir: Path, stack: str) -> int:
    """How many resources the engine will report for ``up``/``preview``: every resource the
    program registers (run on the mock engine, as ``preview --offline`` does), plus the
    stack itself and the default AWS provider. 0 when unknown."""
    try:
        run = run_program(project_dir, load_named_stack(project_dir, stack))
    except TierguardError:
        return 0
    return len(run.resources) + 2


def region_of(project_dir: Path, stack: str) -> str:
    return region_of_stack(load_named_stack(project_dir, stack))


def _changes(raw: Mapping[Any, int] | None) -> dict[str, int]:
    return {getattr(op, "value", str(op)): n for op, n in (raw or {}).items()}


class Deployer:
    """The verbs over one engine (one workspace, one backend)."""

    def __init__(
        self,
        *,
        project_dir: Path,
        engine: Engine,
        backend: BackendChoice,
        ui: Ui,
        yes: bool = False,
        policy_config: Path | None = None,
        estimate_steps: Callable[[Path, str], int] = expected_steps,
        policy_check: Callable[[Path, str, Path | None], list[str]] = offline_findings,
    ) -> None:
        self.project_dir = project_dir
        self.estimate_steps = estimate_steps
        self.policy_check = policy_check
        """The offline judgement of the gate (mandatory findings, one line each)."""
        self.engine = engine
        self.backend = backend
        self.ui = ui
        self.yes = yes
        self.policy_config = policy_config
        if policy_config is not None and not policy_config.is_file():
            raise UsageError(
                f"--policy-config {str(policy_config)!r} is not a file; give the path of a "
                "policy pack config JSON file"
            )

    # -- shared pieces -----------------------------------------------------------------

    def plan(self, stack: str) -> NetworkPlan:
        return plan_for(self.project_dir, stack)

    def policy_args(self) -> tuple[list[str] | None, list[str] | None]:
        """``(policy_packs, policy_pack_configs)``: the project's pack and its config."""
        pack = self.project_dir / POLICY_DIR
        if not (pack / "PulumiPolicy.yaml").is_file():
            self.ui.note(f"warning: no policy pack at {pack}; running without policies")
            return None, None
        configs = [str(self.policy_config)] if self.policy_config is not None else None
        return [str(pack)], configs

    def stack_size(self, stack: str) -> int:
        """The resources a stack records (what ``destroy``/``refresh`` will step through)."""
        try:
            summaries = self.engine.workspace.list_stacks()
        except Exception:  # only an estimate for the progress line
            return 0
        return next((s.resource_count or 0 for s in summaries if s.name == stack), 0)

    def progress(self, stack: str, verb: str, *, total: int = 0) -> Progress:
        return Progress(
            echo=self.ui.note if self.ui.mode is not Mode.JSON else self.ui.echo,
            status=self.ui.status,
            mode=self.ui.mode,
            stack=stack,
            verb=verb,
            total=total,
        )

    def require_consent(self, question: str, flag_hint: str) -> None:
        if self.yes:
            return
        if self.ui.confirm is None:
            raise UsageError(f"{flag_hint}: pass --yes (stdin is not a terminal, cannot ask)")
        if not self.ui.confirm(question):
            raise TierguardError("nothing was changed (not confirmed)")

    def locks(self, stack: str) -> list[LockHolder]:
        """Who holds the stack's lock on a file backend, which never reports
        ``updateInProgress`` (``[]`` when unlocked or not a file backend)."""
        try:
            return self.backend.locks(project_name(self.project_dir), stack)
        except TierguardError:  # no readable Pulumi.yaml: nothing to look up
            return []

    def _interrupt_state(self, stack: str, verb: str) -> Interrupted:
        try:
            summary = next(
                (s for s in self.engine.workspace.list_stacks() if s.name == stack), None
            )
        except Exception:  # the backend may be unreachable right after a Ctrl-C
            summary = None
        holders = self.locks(stack)
        if holders:
            return Interrupted(
                f"`{verb}` interrupted; stack {stack!r} is still locked by "
                f"{'; '.join(str(h) for h in holders)}. Once no pulumi process is left, run "
                f"`tierguard cancel --stack {stack}` and then `tierguard refresh --stack {stack}`"
            )
        if summary is not None and summary.update_in_progress:
            return Interrupted(f"`{verb}` interrupted; {busy_message(stack)}")
        count = (
            f"{summary.resource_count} resources"
            if summary and summary.resource_count is not None
            else "the resources"
        )
        next_step = f"Run `tierguard {verb} --stack {stack}` to finish" + (
            f", or `tierguard destroy --stack {stack}` to remove them" if verb == "up" else ""
        )
        return Interrupted(
            f"`{verb}` on stack {stack!r} was interrupted: the engine stopped cleanly after "
            f"the operations in flight; the stack is unlocked and records {count} that exist "
            f"now. {next_step}"
        )

    def _on_interrupt(self) -> None:
        forward_interrupt()
        self.ui.note(
            "interrupt: asking the engine to stop cleanly (operations in flight finish "
            "first); press Ctrl-C again to stop waiting"
        )

    def _run(self, stack: str, verb: str, operation: Callable[[], Outcome]) -> Outcome:
        return run_interruptibly(
            operation,
            on_interrupt=self._on_interrupt,
            on_interrupted_finish=lambda _error: self._interrupt_state(stack, verb),
            on_force=lambda: Interrupted(
                f"stopped waiting for the engine: stack {stack!r} may still be locked and "
                f"partly updated; once no pulumi process is left, run `tierguard cancel "
                f"--stack {stack}` and then `tierguard refresh --stack {stack}`"
            ),
        )

    def _emulator_config(self, stack: str, emulator: Emulator | None) -> str | None:
        """On the emulator, the scratch stack file the engine reads instead of the user's
        (written after ``stack init``, which may add the encryption salt to the user's)."""
        if emulator is None:
            return None
        name = short_stack_name(stack)
        scratch = scratch_stack_file(self.project_dir, stack)
        return str(emulator.write_stack_config(self.project_dir / f"Pulumi.{name}.yaml", scratch))

    # -- verbs -------------------------------------------------------------------------

    @staticmethod
    def _violation(stack: str, source: str, lines: Sequence[str]) -> PolicyViolation:
        return PolicyViolation(
            "\n".join(
                [
                    f"nothing was applied to stack {stack!r}: {len(lines)} mandatory policy "
                    f"violation(s) in {source}:",
                    *(f"  {line}" for line in lines),
                ]
            )
        )

    def check_policies(self, stack: str, *, emulator: Emulator | None = None) -> Outcome:
        """The gate before ``up``: the offline judgement, then the engine's policy-checked
        preview; ``PolicyViolation`` (exit 1) on a mandatory finding of either."""
        findings = self.policy_check(self.project_dir, stack, self.policy_config)
        if findings:
            raise self._violation(
                stack, "the offline policy check (resources as after up)", findings
            )
        return self.preview(stack, emulator=emulator)

    def preview(
        self, stack: str, *, emulator: Emulator | None = None, expect_no_changes: bool = False
    ) -> Outcome:
        """What ``up`` would change (policies checked); the stack is created if missing."""
        self.plan(stack)
        progress = self.progress(
            stack, "preview", total=self.estimate_steps(self.project_dir, stack)
        )
        try:
            with mapped_errors(
                stack,
                self.engine.workspace,
                verb="preview",
                backend=self.backend.description,
                collected=lambda: progress.errors + progress.violations,
            ):
                handle = self.engine.create_or_select(stack)
                started = time.monotonic()
                packs, configs = self.policy_args()
                result = handle.preview(
                    policy_packs=packs,
                    policy_pack_configs=configs,
                    expect_no_changes=expect_no_changes or None,
                    color="never",
                    on_event=progress,
                    config_file=self._emulator_config(stack, emulator),
                )
        except EngineError:
            if progress.violations:
                raise self._violation(stack, "the engine's preview", progress.violations) from None
            raise
        finally:
            progress.finish()
        if progress.violations:  # a preview never succeeds with them; fail closed if it did
            raise self._violation(stack, "the engine's preview", progress.violations)
        return Outcome(
            stack,
            "preview",
            changes=_changes(result.change_summary),
            seconds=time.monotonic() - started,
        )

    def up(
        self,
        stack: str,
        *,
        emulator: Emulator | None = None,
        parallel: int | None = None,
        progress: Progress | None = None,
        interruptible: bool = True,
        verify_strict: bool = True,
        checked: bool = False,
    ) -> Outcome:
        """Create or update the stack's resources (created if missing), policies enforced.

        The policy gate (``check_policies``) runs first unless ``checked`` says the caller
        ran it. On the emulator the result is read back and verified; differences raise
        ``VerificationFailed`` unless ``verify_strict`` is off (the outcome carries them).
        """
        plan = self.plan(stack)
        if not self.yes and self.ui.confirm is None:
            raise UsageError("`up` changes AWS: pass --yes (stdin is not a terminal, cannot ask)")
        if not checked:
            shown = self.check_policies(stack, emulator=emulator)
            self.ui.note(f"preview of {stack}: {shown.change_text()}")
        if not self.yes:
            self.require_consent(f"Apply these changes to stack {stack!r}?", "`up` changes AWS")
        reporter = progress or self.progress(
            stack, "up", total=self.estimate_steps(self.project_dir, stack)
        )

        def operation() -> Outcome:
            with mapped_errors(
                stack,
                self.engine.workspace,
                verb="up",
                backend=self.backend.description,
                collected=lambda: reporter.errors + reporter.violations,
            ):
                handle = self.engine.create_or_select(stack)
                started = time.monotonic()
                packs, configs = self.policy_args()
                result = handle.up(
                    parallel,
                    policy_packs=packs,
                    policy_pack_configs=configs,
                    color="never",
                    on_event=reporter,
                    show_secrets=False,
                    config_file=self._emulator_config(stack, emulator),
                )
            reporter.finish()
            verification = verify_deployment(emulator.ec2(), plan) if emulator is not None else None
            return Outcome(
                stack,
                "up",
                changes=_changes(result.summary.resource_changes),
                outputs=mask_outputs(result.outputs),
                verification=verification,
                seconds=time.monotonic() - started,
            )

        outcome = self._run(stack, "up", operation) if interruptible else operation()
        if verify_strict and outcome.verification is not None and not outcome.verification.ok:
            raise VerificationFailed("\n".join(outcome.verification.lines()))
        return outcome

    def up_many(
        self, stacks: Sequence[str], *, parallel: int = 1, keep_going: bool = False
    ) -> list[StackResult]:
        """Roll out to several stacks in order (or ``parallel`` at a time); stop at the first
        failure unless ``keep_going``. Every stack's config is validated and every stack
        passes the policy gate before any is changed: one refusal changes none."""
        for stack in stacks:
            self.plan(stack)
        if not self.yes:
            raise UsageError("`up --stacks` changes several stacks: pass --yes")
        refused = self._gate_all(stacks)
        if refused:
            return refused
        results: dict[str, StackResult] = {}
        stop = False
        # Estimated here, one after the other: the mock engine is process-global.
        reporters = {
            stack: self.progress(stack, "up", total=self.estimate_steps(self.project_dir, stack))
            for stack in stacks
        }

        def one(stack: str) -> StackResult:
            if stop:
                return StackResult(stack, StackStatus.SKIPPED, error="after an earlier failure")
            reporter = reporters[stack]
            if reporter.mode is Mode.TTY:
                reporter.mode = Mode.PLAIN  # several stacks at once cannot share a status line
            try:
                outcome = self.up(stack, progress=reporter, interruptible=False, checked=True)
            except TierguardError as exc:
                return StackResult(
                    stack, StackStatus.FAILED, error=str(exc), exit_code=exc.exit_code
                )
            return StackResult(stack, StackStatus.OK, outcome=outcome)

        def batch() -> Outcome:
            nonlocal stop
            if parallel <= 1:
                for stack in stacks:
                    results[stack] = one(stack)
                    if results[stack].status is StackStatus.FAILED and not keep_going:
                        stop = True
            else:
                with ThreadPoolExecutor(max_workers=parallel) as pool:
                    futures: dict[str, Future[StackResult]] = {}
                    for stack in stacks:
                        futures[stack] = pool.submit(one, stack)
                    for stack, future in futures.items():
                        results[stack] = future.result()
                        if results[stack].status is StackStatus.FAILED and not keep_going:
                            stop = True
            return Outcome(",".join(stacks), "up")

        def interrupted(_error: BaseException | None) -> Interrupted:
            finished = [s for s in stacks if s in results and results[s].status is StackStatus.OK]
            return Interrupted(
                f"`up --stacks` was interrupted after {', '.join(finished) or 'no stack'} "
                "finished; the engine stopped the stacks in progress cleanly. `tierguard "
                "stacks` shows what each holds; run the same command again to finish"
            )

        run_interruptibly(
            batch,
            on_interrupt=self._on_interrupt,
            on_interrupted_finish=interrupted,
            on_force=lambda: Interrupted(
                "stopped waiting for the engine: stacks in progress may still be locked; once "
                "no pulumi process is left, run `tierguard cancel` and `tierguard refresh` on "
                "them (`tierguard stacks` shows which)"
            ),
        )
        return [results[s] for s in stacks]

    def _gate_all(self, stacks: Sequence[str]) -> list[StackResult]:
        """Every stack through the policy gate; the summary rows if any is refused (then
        nothing is applied anywhere), else ``[]``."""
        failed: dict[str, TierguardError] = {}
        for stack in stacks:
            try:
                self.check_policies(stack)
            except TierguardError as exc:
                failed[stack] = exc
        if not failed:
            return []
        names = ", ".join(failed)
        return [
            StackResult(
                stack,
                StackStatus.FAILED,
                error=str(failed[stack]),
                exit_code=failed[stack].exit_code,
            )
            if stack in failed
            else StackResult(
                stack, StackStatus.SKIPPED, error=f"not applied: the policy gate refused {names}"
            )
            for stack in stacks
        ]

    def refresh(self, stack: str) -> Outcome:
        """Adopt what really exists into the state (the stack must exist)."""
        self.require_consent(f"Refresh stack {stack!r} from AWS?", "`refresh` rewrites state")
        progress = self.progress(stack, "refresh", total=self.stack_size(stack))

        def operation() -> Outcome:
            with mapped_errors(
                stack,
                self.engine.workspace,
                verb="refresh",
                backend=self.backend.description,
                collected=lambda: progress.errors,
            ):
                handle = self.engine.select(stack)
                started = time.monotonic()
                result = handle.refresh(color="never", on_event=progress, show_secrets=False)
            progress.finish()
            return Outcome(
                stack,
                "refresh",
                changes=_changes(result.summary.resource_changes),
                seconds=time.monotonic() - started,
            )

        return self._run(stack, "refresh", operation)

    def destroy(self, stack: str, *, emulator: Emulator | None = None) -> Outcome:
        """Delete every resource of the stack (the stack and its history stay)."""
        self.require_consent(f"Destroy every resource of stack {stack!r}?", "`destroy` deletes")
        progress = self.progress(stack, "destroy", total=self.stack_size(stack))

        def operation() -> Outcome:
            with mapped_errors(
                stack,
                self.engine.workspace,
                verb="destroy",
                backend=self.backend.description,
                collected=lambda: progress.errors,
            ):
                handle = self.engine.select(stack)
                started = time.monotonic()
                result = handle.destroy(
                    color="never",
                    on_event=progress,
                    show_secrets=False,
                    config_file=self._emulator_config(stack, emulator),
                )
            progress.finish()
            return Outcome(
                stack,
                "destroy",
                changes=_changes(result.summary.resource_changes),
                seconds=time.monotonic() - started,
            )

        return self._run(stack, "destroy", operation)

    def outputs(self, stack: str) -> dict[str, Any]:
        """The stack's outputs, secrets masked."""
        with mapped_errors(
            stack, self.engine.workspace, verb="outputs", backend=self.backend.description
        ):
            return mask_outputs(self.engine.select(stack).outputs())

    def stacks(self) -> list[dict[str, Any]]:
        """Every stack of the project in the backend."""
        with mapped_errors(
            "", self.engine.workspace, verb="stacks", backend=self.backend.description
        ):
            summaries = self.engine.workspace.list_stacks()
        rows = []
        for s in sorted(summaries, key=lambda s: s.name):
            holders = self.locks(s.name)
            rows.append(
                {
                    "name": s.name,
                    "resources": s.resource_count,
                    "last_update": s.last_update.isoformat() if s.last_update else None,
                    "update_in_progress": bool(s.update_in_progress) or bool(holders),
                    "locked_by": [str(h) for h in holders],
                }
            )
        return rows

    def cancel(self, stack: str) -> None:
        """Clear the stack's lock (after a crash); dangerous while an update really runs."""
        self.require_consent(
            f"Cancel the update holding stack {stack!r}? Only do this when no update is "
            "really running",
            "`cancel` clears a lock",
        )
        with mapped_errors(
            stack, self.engine.workspace, verb="cancel", backend=self.backend.description
        ):
            handle: StackApi = self.engine.select(stack)
            handle.cancel()
