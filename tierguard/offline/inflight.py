"""Registrations in flight on the mock engine, kept few while the program runs.

The language host runs a Pulumi program as one synchronous call: every resource is
constructed before the SDK's event loop gets a turn, so each one's registration — its
``Output``s, futures, tasks and request — waits in memory until the program returns
(about 75 KB a resource: 4 GB at 50,000). The mock engine answers at once, so the offline
runner lets the loop catch up while the program runs: a stack transformation (the SDK's
public hook, called as each resource is constructed; it changes nothing) runs the loop
whenever more than ``LIMIT`` registrations are unanswered, until half of them are, the
way the SDK's ``_sync_await`` runs it for a blocking invoke. Each resource's request is
unchanged; only when the SDK sends it changes.

If no registration is answered for ``STALL_SECONDS`` (one waits for a value the program
has not produced yet), the rest of the run is not bounded: the program then runs as the
language host runs it.
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from typing import Any

import pulumi

#: Unanswered registrations that make the program wait; it goes on at half as many.
LIMIT = 200
#: How long a wait may see no answer at all before bounding is given up for the run.
STALL_SECONDS = 2.0


def _settle(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)


class InFlight:
    """Counts constructions (program thread) and answers (the monitor's threads)."""

    def __init__(self) -> None:
        self._limit: int | None = LIMIT
        self._constructed = 0
        self._answered = 0
        self._lock = threading.Lock()
        self._waiter: asyncio.Future[None] | None = None
        self._program: asyncio.Task[Any] | None = None
        self._keep: int | None = None

    def start(self) -> None:
        """Bound the program from here on; call it on the program's task, in the stack."""
        self._program = asyncio.current_task()
        pulumi.runtime.register_stack_transformation(self._constructing)

    def answered(self) -> None:
        """The monitor answered one registration (called on its worker threads)."""
        with self._lock:
            self._answered += 1
            waiter = self._waiter
            if waiter is not None and self._unanswered() <= (self._limit or 0) // 2:
                self._waiter = None
                waiter.get_loop().call_soon_threadsafe(_settle, waiter)

    def _unanswered(self) -> int:
        return self._constructed - self._answered

    def _constructing(self, _args: pulumi.ResourceTransformationArgs) -> None:
        """The stack transformation: count the resource; wait if too many are in flight.

        Only the program's own code waits (not an ``apply`` creating resources on another
        task, nor a construction during the wait)."""
        loop = asyncio.get_event_loop()
        with self._lock:
            self._constructed += 1
            if (
                self._limit is None
                or self._unanswered() <= self._limit
                or asyncio.current_task() is not self._program
            ):
                return
            waiter = self._waiter = loop.create_future()
            answered = self._answered
        stall = loop.call_later(STALL_SECONDS, _settle, waiter)
        self._run_loop(loop, waiter)
        stall.cancel()
        if self._answered == answered:
            self._limit = None

    def _run_loop(self, loop: asyncio.AbstractEventLoop, until: asyncio.Future[None]) -> None:
        """Run the loop until ``until`` is done, from inside the program's turn of it.

        As ``pulumi.runtime.sync_await._sync_await`` does it, but for many waits: the
        turn that runs the program pops the handles it found queued, so a wait must
        leave at least that many queued (topped up with cancelled ones). ``_sync_await``
        tops up to what it found, which grows with every wait; that turn is the same for
        every wait of one program and needs no more than were queued at the first. (The
        monitor's threads append to the queue meanwhile: nothing is ever taken off it
        here.)"""
        ready: deque[asyncio.Handle] = loop._ready  # type: ignore[attr-defined]
        if self._keep is None:
            self._keep = len(ready)
        task = asyncio.current_task(loop)
        if task is not None:
            asyncio.tasks._leave_task(loop, task)
        try:
            while not until.done():
                loop._run_once()  # type: ignore[attr-defined]
        finally:
            while len(ready) < self._keep:
                filler = asyncio.Handle(lambda: None, (), loop)
                filler.cancel()
                ready.append(filler)
            if task is not None:
                asyncio.tasks._enter_task(loop, task)
