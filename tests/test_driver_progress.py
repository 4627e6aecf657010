"""Progress from the engine's event stream: counts, the three renderings, nothing secret."""

from __future__ import annotations

import json
from typing import Any

from pulumi.automation import EngineEvent

from tierguard.driver.progress import Mode, Progress

URN = "urn:pulumi:dev::tierguard::tierguard:index:Network$aws:ec2/securityGroup:SecurityGroup::dev-web"
SECRET = "hunter2-secret"


def step(kind: str, op: str, urn: str = URN) -> EngineEvent:
    metadata: dict[str, Any] = {
        "op": op,
        "urn": urn,
        "type": "aws:ec2/securityGroup:SecurityGroup",
        "provider": "",
        "new": {
            "type": "aws:ec2/securityGroup:SecurityGroup",
            "urn": urn,
            "custom": True,
            "delete": False,
            "id": "sg-1",
            "parent": "",
            "protect": False,
            "inputs": {"password": SECRET},
            "outputs": {"password": SECRET},
            "provider": "",
        },
    }
    return EngineEvent.from_json({"sequence": 1, "timestamp": 0, kind: {"metadata": metadata}})


def diagnostic(severity: str, message: str) -> EngineEvent:
    return EngineEvent.from_json(
        {
            "sequence": 2,
            "timestamp": 0,
            "diagnosticEvent": {
                "urn": URN,
                "message": message,
                "color": "never",
                "severity": severity,
            },
        }
    )


def summary() -> EngineEvent:
    return EngineEvent.from_json(
        {
            "sequence": 3,
            "timestamp": 0,
            "summaryEvent": {
                "maybeCorrupt": False,
                "durationSeconds": 4,
                "resourceChanges": {"create": 1},
                "PolicyPacks": {},
            },
        }
    )


def run(mode: Mode, events: list[EngineEvent], total: int = 34) -> tuple[Progress, list[str]]:
    lines: list[str] = []
    status: list[str] = []
    progress = Progress(
        echo=lines.append, status=status.append, mode=mode, stack="dev", verb="up", total=total
    )
    for event in events:
        progress(event)
    progress.finish()
    return progress, lines + status


class TestRenderings:
    def test_plain_lines_count_done_over_total_with_the_operation(self) -> None:
        """Off a terminal: one line per finished resource, `[done/total] op type name`."""
        progress, lines = run(
            Mode.PLAIN, [step("resourcePreEvent", "create"), step("resOutputsEvent", "create")]
        )
        assert lines == ["[1/34] create aws:ec2/securityGroup:SecurityGroup dev-web"]
        assert progress.changes == {"create": 1}

    def test_json_lines_are_objects_with_the_stack_and_verb(self) -> None:
        """--json: every line parses; resource, diagnostic and summary events are there."""
        _, lines = run(
            Mode.JSON,
            [
                step("resourcePreEvent", "create"),
                step("resOutputsEvent", "create"),
                diagnostic("warning", "deprecated argument"),
                summary(),
            ],
        )
        docs = [json.loads(line) for line in lines]
        assert [d["event"] for d in docs] == [
            "resource-start",
            "resource-done",
            "diagnostic",
            "summary",
        ]
        assert all((d["stack"], d["verb"]) == ("dev", "up") for d in docs)
        assert docs[1]["done"] == 1
        assert docs[1]["total"] == 34

    def test_a_terminal_gets_one_status_line(self) -> None:
        """On a terminal the status line is rewritten in place (carriage return)."""
        _, lines = run(Mode.TTY, [step("resourcePreEvent", "create")])
        assert any(line.startswith("\r\x1b[2K[0/34] create dev-web") for line in lines)

    def test_the_total_grows_when_the_engine_does_more_than_planned(self) -> None:
        """Started resources beyond the estimate raise the total instead of overflowing."""
        _, lines = run(
            Mode.PLAIN,
            [step("resourcePreEvent", "create"), step("resOutputsEvent", "create")],
            total=0,
        )
        assert lines[0].startswith("[1/1] ")


class TestDiagnosticsAndSecrets:
    def test_errors_are_collected_once_not_printed(self) -> None:
        """An error diagnostic repeated by the engine is kept once, for the failure message."""
        progress, lines = run(
            Mode.PLAIN, [diagnostic("error", "boom\n"), diagnostic("error", "boom\n")]
        )
        assert progress.errors == ["dev-web: boom"]
        assert lines == []

    def test_warnings_are_shown_once(self) -> None:
        """Warnings appear as they come, prefixed by severity and resource."""
        _, lines = run(Mode.PLAIN, [diagnostic("warning", "deprecated")])
        assert lines == ["warning: dev-web: deprecated"]

    def test_resource_inputs_and_outputs_are_never_printed(self) -> None:
        """Even in JSON mode no property value (so no secret) reaches the output."""
        for mode in Mode:
            _, lines = run(
                mode, [step("resourcePreEvent", "create"), step("resOutputsEvent", "create")]
            )
            assert SECRET not in "\n".join(lines)
