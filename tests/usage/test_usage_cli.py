"""``tierguard usage`` end to end: generated logs, the dev stack in moto, the stack file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import PROJECT_DIR, invoke
from tests.usage.scenario import Deployed, dev_intents
from tierguard.usage.generate import records, write_log


def logs(dev: Deployed, tmp_path: Path, *, admin_sessions: int = 5) -> Path:
    found = records(dev_intents(dev, admin_sessions=admin_sessions), seed=31)
    directory = (
        tmp_path / "AWSLogs" / "123456789012" / "vpcflowlogs" / "us-east-1" / "2026" / "12" / "01"
    )
    write_log(directory / "a.log.gz", found)
    return tmp_path / "AWSLogs"


def run(
    args: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> tuple[int, str, str]:
    return invoke(["usage", *args, "-C", str(PROJECT_DIR)], capsys, monkeypatch)


def test_json_has_the_issue_shape_and_the_stack_diff_narrows_ssh(
    dev: Deployed,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    code, out, err = run(
        ["--flow-logs", str(logs(dev, tmp_path)), "--stack", "dev", "--json"], capsys, monkeypatch
    )
    assert code == 0, err
    doc = json.loads(out)
    assert {"window", "records", "rules", "acl_entries", "rejected"} <= set(doc)
    assert doc["window"]["since"] is not None
    by_id = {r["rule_id"]: r for r in doc["rules"]}
    assert set(by_id) == set(dev.rule_ids.values())  # --stack: only the stack's groups
    ssh = by_id[dev.rule_ids["dev-web-in-tcp-22-203.0.113.0_24"]]
    assert {k: ssh[k] for k in ("direction", "protocol", "ports", "peer", "verdict")} == {
        "direction": "ingress",
        "protocol": "tcp",
        "ports": "22",
        "peer": "203.0.113.0/24",
        "verdict": "wider",
    }
    assert ssh["suggestion"] == {"traffic": ["tcp-22"], "peers": ["203.0.113.10/32"]}
    diff = doc["suggested_diff"]
    assert "--- a/Pulumi.dev.yaml" in diff
    assert "-            named_cidr: admins\n" in diff
    assert "+            cidr: 203.0.113.10/32\n" in diff


def test_an_unused_entry_is_removed_in_the_diff_and_fails_the_gate(
    dev: Deployed,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sarif = tmp_path / "usage.sarif"
    code, out, err = run(
        [
            "--flow-logs",
            str(logs(dev, tmp_path, admin_sessions=0)),
            "--stack",
            "dev",
            "--sarif",
            str(sarif),
            "--fail-on",
            "warning",
        ],
        capsys,
        monkeypatch,
    )
    assert code == 1
    assert "--fail-on warning" in err
    assert "Suggested change (not applied):" in out
    assert "-          - service: ssh\n" in out + "\n"
    assert "-            description: SSH from the admin range only" in out
    results = json.loads(sarif.read_text())["runs"][0]["results"]
    unused = [r for r in results if r["ruleId"] == "TG-USAGE-001"]
    assert [r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] for r in unused] == [
        dev.rule_ids["dev-web-in-tcp-22-203.0.113.0_24"]
    ]
    assert any(r["ruleId"] == "TG-USAGE-003" for r in results)  # web → database dropped


def test_text_report_names_rules_entries_and_rejections(
    dev: Deployed,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    code, out, err = run(["--flow-logs", str(logs(dev, tmp_path))], capsys, monkeypatch)
    assert code == 0, err
    assert "Security-group rules" in out
    assert "Network ACL entries" in out
    assert f"by acl {dev.acl_id} #50" in out
    assert "between tiers" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--flow-logs", "/nonexistent/logs"],
            "--flow-logs '/nonexistent/logs' is neither a file nor a directory",
        ),
        (["--flow-logs", ".", "--format", "${srcaddr} ${nope}"], "unknown flow-log field 'nope'"),
        (["--flow-logs", ".", "--since", "yesterday"], "--since 'yesterday' is not a time"),
        (
            ["--flow-logs", ".", "--since", "2026-12-02", "--until", "2026-12-01"],
            "is after --until",
        ),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    args: list[str],
    message: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    code, _, err = run(args, capsys, monkeypatch)
    assert code == 2
    assert len(err.strip().splitlines()) == 1
    assert message in err
