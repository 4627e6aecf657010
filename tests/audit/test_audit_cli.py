"""``tierguard audit`` end to end, over HTTP against moto's server (``--endpoint-url``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.audit import example
from tests.audit.builders import Account, deploy, from_group, tcp
from tests.conftest import PROJECT_DIR, invoke
from tierguard.audit.findings import CATALOG
from tierguard.config.stackfile import load_stack
from tierguard.program import plan_from_raw


def scenario(account: Account) -> dict[str, str]:
    """The issue's scenarios in one account: ids by role."""
    subnets = [account.subnet("10.0.1.0/24"), account.subnet("10.0.2.0/24", zone="us-east-1b")]
    ids = {
        "on-instance": account.group("on-instance", tcp(22)),
        "on-lb": account.group("on-lb", tcp(443, description="HTTPS from customers")),
        "referenced": account.group("referenced"),
        "unused": account.group("unused"),
    }
    account.internet_route(subnets[0])
    account.instance(subnets[0], [ids["on-instance"]], public_ip=True)
    account.load_balancer(subnets, [ids["on-lb"]])
    account.ec2.authorize_security_group_ingress(
        GroupId=ids["on-instance"], IpPermissions=[from_group(8080, ids["referenced"])]
    )
    return ids


def audit_json(
    account: Account,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    *extra: str,
) -> dict[str, Any]:
    assert account.endpoint_url is not None
    code, out, err = invoke(
        [
            "audit",
            "--endpoint-url",
            account.endpoint_url,
            "--region",
            account.region,
            "--json",
            *extra,
        ],
        capsys,
        monkeypatch,
    )
    assert (code, err) == (0, "")
    document: dict[str, Any] = json.loads(out)
    return document


def rule_ids_for(document: dict[str, Any], resource: str) -> set[str]:
    return {f["ruleId"] for f in document["findings"] if f["resource"]["id"] == resource}


class TestThroughTheServer:
    def test_the_json_report_has_the_issues_scenarios(
        self,
        server_account: Account,
        capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        """Over HTTP: public SSH is an error, one group is unused, used ones say why."""
        ids = scenario(server_account)
        document = audit_json(server_account, capsys, monkeypatch)
        assert "audit-exposure-reachable" in rule_ids_for(document, ids["on-instance"])
        assert "audit-sg-unused" in rule_ids_for(document, ids["unused"])
        for role in ("on-instance", "on-lb", "referenced"):
            assert "audit-sg-unused" not in rule_ids_for(document, ids[role])
        used_by = {g["id"]: [u["kind"] for u in g["usedBy"]] for g in document["groups"]}
        assert used_by[ids["on-lb"]] == ["ELBv2 load balancer"]
        assert used_by[ids["referenced"]] == ["rule"]
        assert used_by[ids["unused"]] == []
        assert document["summary"]["error"] == sum(
            1 for f in document["findings"] if f["level"] == "error"
        )

    def test_every_finding_is_ready_for_sarif(
        self,
        server_account: Account,
        capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        """Every finding has a catalogued id and level, a message, a resource, a unique print."""
        scenario(server_account)
        document = audit_json(server_account, capsys, monkeypatch)
        catalog = {r.id: r.level.value for r in CATALOG}
        assert document["findings"]
        for finding in document["findings"]:
            assert catalog[finding["ruleId"]] == finding["level"]
            assert finding["message"].startswith(finding["what"])
            assert "Fix: " in finding["message"]
            assert finding["resource"]["region"] == "us-east-1"
            assert finding["resource"]["id"]
        assert [r["id"] for r in document["rules"]] == list(catalog)
        fingerprints = [f["fingerprint"] for f in document["findings"]]
        assert len(set(fingerprints)) == len(fingerprints)

    def test_sarif_has_one_result_per_finding(
        self,
        server_account: Account,
        capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path,
    ) -> None:
        """--sarif writes SARIF 2.1.0: the catalog's rules, one result per finding at its
        resource, with the finding's fingerprint for GitHub to track it across runs."""
        ids = scenario(server_account)
        out = tmp_path / "audit.sarif"
        document = audit_json(server_account, capsys, monkeypatch, "--sarif", str(out))
        sarif = json.loads(out.read_text())
        assert sarif["version"] == "2.1.0"
        [run] = sarif["runs"]
        results = run["results"]
        assert len(results) == len(document["findings"])
        assert {r["id"] for r in run["tool"]["driver"]["rules"]} == {r["ruleId"] for r in results}
        [public_ssh] = [
            r
            for r in results
            if r["ruleId"] == "audit-exposure-reachable"
            and ids["on-instance"] in r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]
        ]
        assert public_ssh["level"] == "error"
        assert public_ssh["partialFingerprints"]["tierguard/v1"] in {
            f["fingerprint"] for f in document["findings"]
        }

    def test_fail_on_makes_the_audit_a_gate(
        self,
        server_account: Account,
        capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        """--fail-on error exits 1 when an error is found, with one line saying how many;
        without it the same audit exits 0."""
        scenario(server_account)
        assert server_account.endpoint_url is not None
        base = [
            "audit",
            "--endpoint-url",
            server_account.endpoint_url,
            "--region",
            server_account.region,
        ]
        code, _, err = invoke([*base, "--fail-on", "error"], capsys, monkeypatch)
        assert code == 1
        assert err.startswith("error: ")
        assert "finding(s) at level error or worse (--fail-on error)" in err
        code, _, err = invoke(base, capsys, monkeypatch)
        assert (code, err) == (0, "")

    def test_the_text_report_lists_usage_then_findings(
        self,
        server_account: Account,
        capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        """People get the usage table, the findings most severe first, and a summary."""
        ids = scenario(server_account)
        assert server_account.endpoint_url is not None
        code, out, _ = invoke(
            ["audit", "--endpoint-url", server_account.endpoint_url, "-r", "us-east-1"],
            capsys,
            monkeypatch,
        )
        assert code == 0
        assert f"unused ({ids['unused']}): unused" in out
        assert "Default security groups in us-east-1:" in out
        levels = [
            line.split()[0]
            for line in out.splitlines()
            if line.startswith(("  ERROR", "  WARNING", "  NOTE"))
        ]
        assert {"ERROR", "WARNING", "NOTE"} <= set(levels)
        assert levels == sorted(levels, key=["ERROR", "WARNING", "NOTE"].index)
        assert out.rstrip().endswith("Read-only: nothing was changed.")

    def test_a_hand_added_rule_is_drift_against_the_dev_stack(
        self,
        server_account: Account,
        capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        """--stack dev compares with Pulumi.dev.yaml's plan, in the stack's own region."""
        stack = load_stack(PROJECT_DIR, "dev")
        plan = plan_from_raw(stack.config["tierguard:network"], region="us-east-1", stack="dev")
        ids = deploy(server_account, plan)
        server_account.ec2.authorize_security_group_ingress(
            GroupId=ids["database"], IpPermissions=[tcp(3306, "10.0.0.0/8")]
        )
        assert server_account.endpoint_url is not None
        code, out, err = invoke(
            [
                "audit",
                "--endpoint-url",
                server_account.endpoint_url,
                "--stack",
                "dev",
                "-C",
                str(PROJECT_DIR),
                "--json",
            ],
            capsys,
            monkeypatch,
        )
        assert (code, err) == (0, "")
        document = json.loads(out)
        assert document["stack"] == "dev"
        drift = [f for f in document["findings"] if f["ruleId"].startswith("audit-drift-")]
        assert [(f["ruleId"], f["resource"]["id"]) for f in drift] == [
            ("audit-drift-added", ids["database"])
        ]
        assert "ingress TCP 3306 from 10.0.0.0/8" in drift[0]["what"]

    def test_the_dev_stacks_intents_are_judged_on_the_account(
        self,
        server_account: Account,
        capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        """Deployed as planned (one instance per tier in its subnet group, so the subnets'
        ACLs apply), every intent holds; MySQL opened to the world by hand breaks "internet
        must not reach database" and "blocked reaches nothing"."""
        stack = load_stack(PROJECT_DIR, "dev")
        plan = plan_from_raw(stack.config["tierguard:network"], region="us-east-1", stack="dev")
        ids = deploy(server_account, plan)
        for name, tier in plan.tiers.items():
            first = plan.subnets_in(tier.subnet_group or "")[0]
            server_account.instance(ids[first.key], [ids[name]])
        assert server_account.endpoint_url is not None
        args = ["audit", "--endpoint-url", server_account.endpoint_url, "--stack", "dev"]
        args += ["-C", str(PROJECT_DIR), "--json"]

        def broken() -> list[dict[str, Any]]:
            code, out, err = invoke(args, capsys, monkeypatch)
            assert (code, err) == (0, "")
            return [f for f in json.loads(out)["findings"] if f["ruleId"] == "audit-intent-broken"]

        assert [f["what"] for f in broken()] == []
        server_account.ec2.authorize_security_group_ingress(
            GroupId=ids["database"], IpPermissions=[tcp(3306, "0.0.0.0/0")]
        )
        found = broken()
        assert {f["resource"]["id"] for f in found} == {ids["database"]}
        whats = sorted(f["what"] for f in found)
        assert len(whats) == 2
        assert "The blocked range reaches nothing" in whats[0]
        assert "blocked (198.51.100.0/24) reaches tier database on tcp 3306" in whats[0]
        assert "internet (IPv4) reaches tier database on tcp 3306" in whats[1]


class TestTheDocumentedExample:
    def test_the_example_of_docs_audit_md_still_runs(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """The docs' example runs: RDP reachable, SSH drift and latent, one unused group."""
        assert example.main(["--json"]) == 0
        document = json.loads(capsys.readouterr().out)
        found = {(f["ruleId"], f["resource"]["name"]) for f in document["findings"]}
        assert ("audit-exposure-reachable", "launch-wizard-1") in found
        assert ("audit-sg-unused", "old-batch-workers") in found
        (web,) = [name for rule, name in found if rule == "audit-drift-added"]
        assert web.startswith("dev-web-")
        assert ("audit-exposure-latent", web) in found


class TestErrors:
    def test_an_unknown_region_exits_2_with_one_line(
        self, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A usage error: one line on stderr, no traceback, nothing on stdout."""
        code, out, err = invoke(["audit", "--region", "us-eest-1"], capsys, monkeypatch)
        assert (code, out) == (2, "")
        assert (
            err
            == "error: --region 'us-eest-1' is not an AWS region (for example us-east-1, eu-west-1)\n"
        )

    def test_an_unreachable_endpoint_exits_3_without_credentials_in_the_output(
        self, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """AWS failures exit 3 with one line; the keys in the environment never appear."""
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
        code, out, err = invoke(
            ["audit", "--endpoint-url", "http://127.0.0.1:9", "--region", "us-east-1"],
            capsys,
            monkeypatch,
        )
        assert code == 3
        assert out == ""
        assert err.count("\n") == 1
        assert err.startswith("error: cannot reach sts in us-east-1 at http://127.0.0.1:9")
        assert "AKIA" not in err
        assert "wJalr" not in err

    def test_missing_credentials_exit_3(
        self, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """No credentials anywhere: the message says how to provide them."""
        monkeypatch.delenv("AWS_ACCESS_KEY_ID")
        monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
        code, _, err = invoke(["audit", "--region", "us-east-1"], capsys, monkeypatch)
        assert code == 3
        assert err.startswith("error: no AWS credentials found: pass --profile")

    def test_a_stack_file_needs_a_stack(
        self, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """--stack-file alone is a usage error, before anything is read."""
        code, _, err = invoke(
            ["audit", "--stack-file", "examples/Pulumi.web-server.yaml"], capsys, monkeypatch
        )
        assert code == 2
        assert "--stack-file needs --stack" in err
