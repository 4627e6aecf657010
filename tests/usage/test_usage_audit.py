"""``tierguard audit --flow-logs``: the usage findings among the audit's, same sources.

What must be found comes from the stack file and the generated traffic's intents: with no
admin sessions the SSH rule from the admin range carried nothing; web has no egress rule
to the database, so its calls there are dropped between tiers.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.audit.builders import Account
from tests.conftest import PROJECT_DIR, invoke
from tests.usage.scenario import Deployed, dev_intents
from tests.usage.test_usage_attribution import expected_hits
from tierguard.usage.deliver import to_s3
from tierguard.usage.generate import records, write_log

SSH = "dev-web-in-tcp-22-203.0.113.0_24"


def _audit(
    args: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> tuple[int, str, str]:
    return invoke(["audit", *args, "--stack", "dev", "-C", str(PROJECT_DIR)], capsys, monkeypatch)


@pytest.mark.parametrize("where", ["file", "s3"])
def test_audit_reports_flow_findings_beside_its_own(
    dev: Deployed,
    account: Account,
    tmp_path: Path,
    where: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    found = records(dev_intents(dev, admin_sessions=0), seed=71)
    if where == "file":
        source = str(write_log(tmp_path / "a.log.gz", found))
    else:
        s3 = account.session.client("s3", region_name=account.region)
        s3.create_bucket(Bucket="flow-logs")
        to_s3(s3, "flow-logs", found, region=account.region)
        source = "s3://flow-logs/AWSLogs/"
    sarif = tmp_path / "audit.sarif"
    code, out, err = _audit(
        ["--flow-logs", source, "--json", "--sarif", str(sarif)], capsys, monkeypatch
    )
    assert code == 0, err
    doc = json.loads(out)
    by_rule: dict[str, list[dict[str, object]]] = {}
    for finding in doc["findings"]:
        by_rule.setdefault(finding["ruleId"], []).append(finding)
    unused = {f["resource"]["id"] for f in by_rule["audit-flow-rule-unused"]}  # type: ignore[index]
    assert unused == {dev.rule_ids[SSH]}
    between = by_rule["audit-flow-rejected-between-tiers"]
    assert all("web: tcp port 3306 to 10.20." in str(f["what"]) for f in between)
    hits = {r["rule_id"]: r["hits"] for r in doc["flowLogs"]["rules"] if r["hits"]}
    assert hits == dict(expected_hits(dev, found))
    assert {r["rule_id"] for r in doc["flowLogs"]["rules"]} == set(dev.rule_ids.values())
    rules = {r["id"] for r in json.loads(sarif.read_text())["runs"][0]["tool"]["driver"]["rules"]}
    assert {"audit-flow-rule-unused", "audit-flow-rejected-between-tiers"} <= rules


def test_the_text_report_ends_with_the_usage_tables_and_the_gate_counts_them(
    dev: Deployed,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    logs = write_log(tmp_path / "a.log.gz", records(dev_intents(dev, admin_sessions=0), seed=72))
    code, out, err = _audit(["--flow-logs", str(logs), "--fail-on", "warning"], capsys, monkeypatch)
    assert code == 1
    assert "audit-flow-rule-unused" in out
    assert "Security-group rules" in out
    assert "Network ACL entries" in out
    assert "--fail-on warning" in err


def test_a_bad_flow_log_path_is_refused_before_aws_is_asked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, _, err = _audit(
        ["--flow-logs", str(tmp_path / "missing"), "--endpoint-url", "http://127.0.0.1:9"],
        capsys,
        monkeypatch,
    )
    assert code == 2
    assert "is neither a file nor a directory" in err
