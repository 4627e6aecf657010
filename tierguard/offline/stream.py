"""The preview's ``Analyze`` calls, sent while the program still registers.

The engine analyzes each resource before its step, as the program registers it; it does
not wait for the program to finish. ``AnalyzeStream`` does the same offline: the mock
monitor hands it each registration (``run_program(..., on_record=stream.record)``), a
thread connects to the pack (started at once, on the other core), configures it and sends
each resource's request as soon as it is registered
(``tierguard.offline.engine.PreviewAnalyze``: the same request ``engine_calls`` builds,
a test holds them equal), so the pack judges while the program runs. ``finish`` returns
the diagnostics in the engine's step order, as ``PolicyPackClient.run_calls`` reports
them; the stack policies' ``AnalyzeStack`` follows once the program is done.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator, Mapping
from typing import Any

from tierguard.config.stackfile import StackFile
from tierguard.offline.analyzer import Diagnostic, PolicyPackClient
from tierguard.offline.engine import PreviewAnalyze
from tierguard.offline.mocks import RecordedResource
from tierguard.offline.render import ordered
from tierguard.offline.runner import ProgramRun
from tierguard.reach.intents import with_stack_intents


class AnalyzeStream:
    """Sends a preview's ``Analyze`` requests to ``client`` as resources register."""

    def __init__(
        self, client: PolicyPackClient, stack: StackFile, pack_config: Mapping[str, Any] | None
    ) -> None:
        self._client = client
        self._requests = PreviewAnalyze(stack.project, stack.stack, stack.config)
        self._config = with_stack_intents(pack_config, stack.config)
        self._registered: queue.SimpleQueue[RecordedResource | None] = queue.SimpleQueue()
        self._found: dict[str, list[Diagnostic]] = {}
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._send, name="analyze-stream", daemon=True)
        self._thread.start()

    def record(self, resource: RecordedResource) -> None:
        """The mock monitor's hook: one registration, in registration order."""
        self._registered.put(resource)

    def _each_request(self) -> Iterator[dict[str, Any]]:
        yield from self._requests.first()
        while (resource := self._registered.get()) is not None:
            yield self._requests.request(resource)

    def _send(self) -> None:
        try:
            self._client.start()
            self._client.configure(self._config)
            for urn, diagnostics in self._client.analyze_each(self._each_request()):
                self._found[urn] = diagnostics
        except BaseException as exc:  # handed to finish(), on the caller's thread
            self._error = exc

    def stop(self) -> None:
        """End the stream (the program is done, or failed) and wait for the last answer."""
        self._registered.put(None)
        self._thread.join()

    def finish(self, run: ProgramRun) -> list[Diagnostic]:
        """Every ``Analyze`` diagnostic of the preview, in the engine's step order."""
        self.stop()
        if self._error is not None:
            raise self._error
        order = [r["urn"] for r in self._requests.first()] + [r.urn for r in ordered(run)]
        return [d for urn in order for d in self._found[urn]]
