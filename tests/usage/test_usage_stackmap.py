"""``usage --from-plan``: tiers named by the stack's plan (subnet CIDRs), no account read.

The reference is the same logs attributed through the account (the dev stack deployed in
moto, interfaces and all) and the generator's intents: where tiers have subnets of their
own the two must agree rule for rule; where tiers share subnets (alb and web in public)
the plan can only over-claim use, so nothing it calls unused may carry traffic.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PROJECT_DIR, invoke
from tests.usage.scenario import Deployed, dev_intents
from tests.usage.test_usage_attribution import expected_hits
from tierguard.config.stackfile import load_stack
from tierguard.program import plan_from_raw
from tierguard.usage.generate import DEFAULT_FIELDS, records, write_log

#: Nothing listens here: any AWS call would fail with exit 3.
NOWHERE = "http://127.0.0.1:9"
SHARED = ("alb", "web")


def _rules(
    args: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> dict[str, dict[str, Any]]:
    code, out, err = invoke(
        ["usage", *args, "--stack", "dev", "--json", "-C", str(PROJECT_DIR)], capsys, monkeypatch
    )
    assert code == 0, err
    return {r["rule_id"]: r for r in json.loads(out)["rules"]}


@pytest.mark.parametrize(
    "fields", [DEFAULT_FIELDS, tuple(f for f in DEFAULT_FIELDS if f != "interface-id")]
)
def test_the_plan_agrees_with_the_account_and_never_calls_a_used_rule_unused(
    dev: Deployed,
    tmp_path: Path,
    fields: tuple[str, ...],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    found = records(dev_intents(dev, admin_sessions=0), seed=61)
    logs = write_log(tmp_path / "a.log.gz", found, fields)
    account = _rules(["--flow-logs", str(logs)], capsys, monkeypatch)
    plan = _rules(
        ["--flow-logs", str(logs), "--from-plan", "--endpoint-url", NOWHERE], capsys, monkeypatch
    )
    name_of = {rule_id: name for name, rule_id in dev.rule_ids.items()}
    meant = {name_of[r]: n for r, n in expected_hits(dev, found).items()}
    assert set(plan) == set(dev.rule_ids)  # rules are named by their planned names
    for name, rule_id in dev.rule_ids.items():
        tier = name.split("-")[1]
        by_plan, by_account = plan[name], account[rule_id]
        # Without interface-id both ends' copies of a record sum into one flow: each end
        # is credited with its own share, not the sum.
        assert by_account["hits"] == meant.get(name, 0), name
        if tier in SHARED:
            assert by_plan["hits"] >= by_account["hits"], name
            if by_plan["verdict"] == "unused":
                assert meant.get(name, 0) == 0, name
        else:
            assert by_plan["hits"] == by_account["hits"], name
            assert by_plan["verdict"] == by_account["verdict"], name
    assert plan["dev-web-in-tcp-22-203.0.113.0_24"]["verdict"] == "unused"


def test_shared_subnets_are_said_and_the_diff_still_comes(
    dev: Deployed,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    logs = write_log(tmp_path / "a.log.gz", records(dev_intents(dev, admin_sessions=0), seed=62))
    code, out, err = invoke(
        ["usage", "--flow-logs", str(logs), "--stack", "dev", "--from-plan", "--json",
         "--endpoint-url", NOWHERE, "-C", str(PROJECT_DIR)],
        capsys,
        monkeypatch,
    )  # fmt: skip
    assert code == 0, err
    doc = json.loads(out)
    assert any("alb, web share subnet group 'public'" in n for n in doc["notes"])
    assert "-          - service: ssh\n" in doc["suggested_diff"]
    rejected = {(r["peer"], r["port"], r["dropped_by"]) for r in doc["rejected"]}
    assert ("198.51.100.7", 22, "acl public #50") in rejected  # the blocked range


def test_from_plan_needs_a_stack(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, _, err = invoke(
        ["usage", "--flow-logs", str(tmp_path), "--from-plan", "-C", str(PROJECT_DIR)],
        capsys,
        monkeypatch,
    )
    assert code == 2
    assert "--from-plan needs --stack" in err


def test_the_suggested_diff_applies_and_plans_the_narrowed_acl_entries(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    logs = project / "logs"
    code, _, err = invoke(
        ["generate-flow-logs", "--to", str(logs), "-C", str(project)], capsys, monkeypatch
    )
    assert code == 0, err
    code, out, err = invoke(
        ["usage", "--flow-logs", str(logs), "--stack", "dev", "--from-plan", "--json",
         "-C", str(project)],
        capsys,
        monkeypatch,
    )  # fmt: skip
    assert code == 0, err
    doc = json.loads(out)
    wider = [e for e in doc["acl_entries"] if e["verdict"] == "wider"]
    assert wider
    (project / "change.diff").write_text(doc["suggested_diff"])
    subprocess.run(
        ["patch", "-p1", "-i", "change.diff"], cwd=project, check=True, capture_output=True
    )
    patched = load_stack(project, "dev")
    assert "# Intents as code" in patched.path.read_text()  # comments after an entry stay
    plan = plan_from_raw(patched.config["tierguard:network"], region="us-east-1", stack="dev")
    entries = {
        (e.entry.egress, e.entry.number): e.entry
        for acl in plan.acls.values()
        for e in acl.entries
        if not e.automatic
    }
    for usage in wider:
        egress = usage["direction"] == "egress"
        for new in usage["suggestion"]:
            entry = entries[egress, new["rule_number"]]
            assert f"{entry.traffic} {entry.cidr.compressed}" == new["entry"]
