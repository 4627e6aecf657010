"""Progress from the engine's event stream: resources done / total and the current operation.

Three renderings of the same events: a single updating status line on a terminal, one
plain line per finished resource otherwise, and one JSON object per line with ``--json``.
Only operation, type and name are ever shown (never inputs or outputs, so never a
secret). Error diagnostics and mandatory policy violations are *collected*, not printed:
the failure that ends the command prints them once.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from pulumi.automation import EngineEvent, OpType

Echo = Callable[[str], None]


class Mode(StrEnum):
    TTY = "tty"
    PLAIN = "plain"
    JSON = "json"


def _name(urn: str) -> str:
    return urn.rsplit("::", 1)[-1]


@dataclass
class Progress:
    """An ``on_event`` callback; thread-safe (events arrive on the SDK's reader thread)."""

    echo: Echo
    """Prints one line."""
    mode: Mode
    stack: str
    verb: str
    total: int = 0
    started: int = 0
    done: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    changes: dict[str, int] = field(default_factory=dict)
    status: Echo | None = None
    """Writes without a newline (a terminal's status line); only used in ``Mode.TTY``."""
    _seen: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _status_shown: bool = False

    def __call__(self, event: EngineEvent) -> None:
        with self._lock:
            self._handle(event)

    def _emit(self, doc: dict[str, object], text: str | None) -> None:
        if self.mode is Mode.JSON:
            self.echo(json.dumps({"stack": self.stack, "verb": self.verb, **doc}))
        elif text is not None:
            self._clear_status()
            self.echo(text)

    def _clear_status(self) -> None:
        if self.mode is Mode.TTY and self._status_shown and self.status is not None:
            self.status("\r\x1b[2K")
            self._status_shown = False

    def _status(self, op: str, urn: str) -> None:
        total = max(self.total, self.started)
        if self.mode is Mode.TTY and self.status is not None:
            self.status(f"\r\x1b[2K[{self.done}/{total}] {op} {_name(urn)}")
            self._status_shown = True

    def _handle(self, event: EngineEvent) -> None:
        if (pre := event.resource_pre_event) is not None:
            meta = pre.metadata
            if meta.urn not in self._seen:
                self._seen.add(meta.urn)
                self.started += 1
            self._status(meta.op.value, meta.urn)
            self._emit(
                {
                    "event": "resource-start",
                    "op": meta.op.value,
                    "type": meta.type,
                    "name": _name(meta.urn),
                    "done": self.done,
                    "total": max(self.total, self.started),
                },
                None,
            )
        elif (res := event.res_outputs_event) is not None:
            meta = res.metadata
            self.done += 1
            if meta.op is not OpType.SAME:
                self.changes[meta.op.value] = self.changes.get(meta.op.value, 0) + 1
            total = max(self.total, self.started)
            self._emit(
                {
                    "event": "resource-done",
                    "op": meta.op.value,
                    "type": meta.type,
                    "name": _name(meta.urn),
                    "done": self.done,
                    "total": total,
                },
                None
                if self.mode is Mode.TTY
                else f"[{self.done}/{total}] {meta.op.value} {meta.type} {_name(meta.urn)}",
            )
            if self.mode is Mode.TTY:
                self._status(meta.op.value, meta.urn)
        elif (failed := event.res_op_failed_event) is not None:
            meta = failed.metadata
            self.failed += 1
            self._emit(
                {"event": "resource-failed", "op": meta.op.value, "name": _name(meta.urn)},
                f"failed: {meta.op.value} {meta.type} {_name(meta.urn)}",
            )
        elif (diag := event.diagnostic_event) is not None:
            if diag.ephemeral:
                return
            message = diag.message.rstrip()
            where = f"{_name(diag.urn)}: " if diag.urn else ""
            if diag.severity == "error":
                lines = [f"{where}{line}" for line in message.splitlines() if line.strip()]
                self.errors.extend(line for line in lines if line not in self.errors)
                if self.mode is Mode.JSON:
                    self._emit(
                        {"event": "diagnostic", "severity": "error", "message": message}, None
                    )
                return
            if diag.severity in ("warning", "info") and message:
                self._emit(
                    {"event": "diagnostic", "severity": diag.severity, "message": message},
                    f"{diag.severity}: {where}{message}",
                )
        elif (policy := event.policy_event) is not None:
            text = (
                f"{policy.policy_pack_name}/{policy.policy_name}"
                f"{' on ' + _name(policy.resource_urn) if policy.resource_urn else ''}: "
                f"{policy.message.strip()}"
            )
            if policy.enforcement_level == "mandatory":
                self.violations.append(text)
                if self.mode is Mode.JSON:
                    self._emit({"event": "policy", "level": "mandatory", "message": text}, None)
            else:
                self._emit(
                    {"event": "policy", "level": policy.enforcement_level, "message": text},
                    f"policy ({policy.enforcement_level}): {text}",
                )
        elif (out := event.stdout_event) is not None:
            message = out.message.rstrip()
            if message and self.mode is Mode.JSON:
                self._emit({"event": "stdout", "message": message}, None)
        elif (summary := event.summary_event) is not None:
            self._clear_status()
            counts = {
                getattr(op, "value", str(op)): n for op, n in summary.resource_changes.items()
            }
            self._emit(
                {
                    "event": "summary",
                    "changes": counts,
                    "duration_seconds": summary.duration_seconds,
                },
                None,
            )

    def finish(self) -> None:
        """Clear a terminal status line before the command prints its result."""
        with self._lock:
            self._clear_status()
