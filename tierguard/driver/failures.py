"""Engine failures mapped onto tierguard's errors, and Ctrl-C handled without leaving a lock.

The SDK classifies the CLI's stderr (``pulumi.automation.errors``); this module only maps
those classes: ``ConcurrentUpdateError`` → ``StackBusy`` (exit 4), ``StackNotFoundError`` →
``StackNotFound`` (exit 2, listing the stacks that exist), any other ``CommandError`` →
``EngineError`` (exit 1) carrying the engine's own diagnostic lines, never a traceback.

Ctrl-C: a terminal delivers SIGINT to the whole foreground process group, so the engine
receives it too and starts its own clean cancellation (it finishes the operations in
flight, writes the state and releases the lock). The driver must therefore keep reading
the engine's output until it exits instead of dying on ``KeyboardInterrupt`` (closing the
pipes would kill the engine mid-write). Operations run on a worker thread; the main
thread waits, reports the first Ctrl-C and keeps waiting; a second Ctrl-C gives up.
When tierguard is not in a terminal's foreground (``kill -INT`` from CI, say) the
engine did not get the signal, so it is forwarded, once, to the ``pulumi`` child.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

from pulumi.automation import (
    CommandError,
    ConcurrentUpdateError,
    InvalidVersionError,
    StackNotFoundError,
)

from tierguard.driver.seam import WorkspaceApi
from tierguard.errors import EngineError, EngineUnavailable, Interrupted, StackBusy, StackNotFound

T = TypeVar("T")

#: Lines of the engine's output that are progress or chrome, not diagnostics.
_NOISE_PREFIXES = ("code:", "stdout:", "stderr:", "Updating (", "Previewing ", "View Live")


def engine_lines(exc: CommandError, collected: Iterable[str] = ()) -> list[str]:
    """The engine's own error lines: the diagnostics seen on the event stream if any,
    else the ``error:`` lines of the CLI's output, else its last stderr lines."""
    seen = [line for line in collected if line.strip()]
    if seen:
        return list(dict.fromkeys(seen))
    text = str(exc)
    stdout, _, stderr = text.partition("\n stderr: ")
    errors = [
        line.strip()
        for line in (stdout + "\n" + stderr).splitlines()
        if line.strip().startswith("error:")
    ]
    if errors:
        return list(dict.fromkeys(line.removeprefix("error:").strip() for line in errors))
    tail = [
        line.strip()
        for line in stderr.splitlines()
        if line.strip() and not line.strip().startswith(_NOISE_PREFIXES)
    ]
    return tail[-10:] or ["the engine failed without a message"]


def _stack_names(workspace: WorkspaceApi) -> str:
    try:
        names = sorted(s.name for s in workspace.list_stacks())
    except CommandError:
        return "(the backend could not list them)"
    return ", ".join(names) if names else "none"


def busy_message(stack: str) -> str:
    return (
        f"stack {stack!r} is locked by another update; wait for it to finish. If no update "
        f"is running (a crashed or killed run left the lock), run `tierguard cancel --stack "
        f"{stack}` and then `tierguard refresh --stack {stack}`"
    )


@contextmanager
def mapped_errors(
    stack: str,
    workspace: WorkspaceApi,
    *,
    verb: str,
    backend: str,
    collected: Callable[[], list[str]] = list,
) -> Iterator[None]:
    """Translate the SDK's errors raised inside the block (most specific first)."""
    try:
        yield
    except ConcurrentUpdateError:
        raise StackBusy(busy_message(stack)) from None
    except StackNotFoundError:
        raise StackNotFound(
            f"stack {stack!r} does not exist in {backend}; existing stacks: "
            f"{_stack_names(workspace)} (`tierguard up --stack {stack}` creates it)"
        ) from None
    except CommandError as exc:
        lines = engine_lines(exc, collected())
        raise EngineError("\n".join([f"`{verb}` on stack {stack!r} failed:", *lines])) from None
    except InvalidVersionError as exc:
        raise EngineUnavailable(f"the Pulumi CLI cannot be used: {exc}") from None


def in_terminal_foreground() -> bool:
    """Whether a terminal's Ctrl-C reaches our whole process group (and so the engine)."""
    for stream in (sys.stdin, sys.stderr, sys.stdout):
        try:
            return os.tcgetpgrp(stream.fileno()) == os.getpgrp()
        except (OSError, AttributeError, ValueError):
            continue
    return False


def engine_children(proc: Path = Path("/proc/self/task")) -> list[int]:
    """Our direct child processes running ``pulumi`` (Linux ``/proc``; elsewhere none)."""
    pids: list[int] = []
    try:
        for task in proc.iterdir():
            pids.extend(int(pid) for pid in (task / "children").read_text().split())
    except OSError:
        return []
    found: list[int] = []
    for pid in pids:
        try:
            if Path(f"/proc/{pid}/comm").read_text().strip() == "pulumi":
                found.append(pid)
        except OSError:
            continue
    return found


def forward_interrupt(
    *,
    foreground: Callable[[], bool] = in_terminal_foreground,
    children: Callable[[], list[int]] = engine_children,
    kill: Callable[[int, int], None] = os.kill,
) -> list[int]:
    """Ask the engine to stop cleanly unless the terminal already did; the pids signalled.

    Exactly one SIGINT: a second one makes the engine terminate without cleaning up.
    """
    if foreground():
        return []
    pids = children()
    for pid in pids:
        kill(pid, signal.SIGINT)
    return pids


@dataclass
class _Result(Generic[T]):
    value: T | None = None
    error: BaseException | None = None
    finished: bool = False


def run_interruptibly(
    operation: Callable[[], T],
    *,
    on_interrupt: Callable[[], None],
    on_interrupted_finish: Callable[[BaseException | None], Interrupted],
    on_force: Callable[[], Interrupted],
    poll: float = 0.2,
) -> T:
    """Run ``operation`` on a worker thread, surviving the first Ctrl-C.

    First Ctrl-C: ``on_interrupt()`` tells the user the engine is stopping cleanly and the
    wait goes on; when the operation then fails (usually with the engine's cancellation
    error), ``on_interrupted_finish(error)`` builds the ``Interrupted`` to raise, telling
    the stack's state. If it completed anyway (the engine was already done), its result
    is returned. A second Ctrl-C raises ``on_force()`` at once.
    """
    result: _Result[T] = _Result()
    done = threading.Event()

    def work() -> None:
        try:
            result.value = operation()
        except BaseException as exc:  # handed to the main thread, re-raised there
            result.error = exc
        finally:
            result.finished = True
            done.set()

    worker = threading.Thread(target=work, name="tierguard-engine", daemon=True)
    interrupted = False
    while True:
        try:
            if worker.ident is None:
                worker.start()  # inside the try: a Ctrl-C can land while start() waits
            while not done.wait(poll):
                pass
            break
        except KeyboardInterrupt:
            if worker.ident is None:  # pressed before the operation began: nothing ran
                raise Interrupted("interrupted before anything was sent to the engine") from None
            if interrupted:
                raise on_force() from None
            interrupted = True
            on_interrupt()
    if interrupted and result.error is not None:
        raise on_interrupted_finish(result.error)
    if result.error is not None:
        raise result.error
    return result.value  # type: ignore[return-value]  # set whenever no error was raised
