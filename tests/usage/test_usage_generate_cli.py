"""``tierguard generate-flow-logs`` writes where AWS delivers, and ``usage`` reads it back.

The dev stack's own words (``Pulumi.dev.yaml``) say what the report must show: with the
admins quiet, the SSH rule from the admin range is unused and every other ingress rule
carried traffic; the probes on telnet and RDP are rejected from outside.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.audit.builders import Account
from tests.conftest import PROJECT_DIR, invoke

SSH_FROM_ADMINS = "dev-web-in-tcp-22-203.0.113.0_24"


def _generate(
    target: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *extra: str
) -> str:
    code, _, err = invoke(
        ["generate-flow-logs", "--stack", "dev", "--to", target, "--quiet-admins", *extra,
         "-C", str(PROJECT_DIR)],
        capsys,
        monkeypatch,
    )  # fmt: skip
    assert code == 0, err
    return err


def _report(
    source: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> dict[str, object]:
    code, out, err = invoke(
        ["usage", "--flow-logs", source, "--stack", "dev", "--from-plan", "--json",
         "-C", str(PROJECT_DIR)],
        capsys,
        monkeypatch,
    )  # fmt: skip
    assert code == 0, err
    doc: dict[str, object] = json.loads(out)
    return doc


def _check(doc: dict[str, object]) -> None:
    rules = {r["rule_id"]: r for r in doc["rules"]}  # type: ignore[attr-defined]
    assert rules[SSH_FROM_ADMINS]["verdict"] == "unused"
    ingress = [r for r in rules.values() if r["direction"] == "ingress"]
    assert all(r["hits"] > 0 for r in ingress if r["rule_id"] != SSH_FROM_ADMINS)
    probes = {(r["port"], r["internal"]) for r in doc["rejected"]}  # type: ignore[attr-defined]
    assert {(23, False), (3389, False)} <= probes


@pytest.mark.parametrize("file_format", ["text", "parquet"])
def test_a_directory_in_s3_layout(
    tmp_path: Path,
    file_format: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _generate(str(tmp_path), capsys, monkeypatch, "--file-format", file_format)
    files = list((tmp_path / "AWSLogs" / "123456789012" / "vpcflowlogs" / "us-east-1").rglob("*"))
    suffix = ".log.gz" if file_format == "text" else ".parquet"
    assert any(f.name.endswith(suffix) for f in files)
    _check(_report(str(tmp_path), capsys, monkeypatch))


def test_moto_s3_and_cloudwatch_logs(
    account: Account, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    account.session.client("s3", region_name=account.region).create_bucket(Bucket="org-logs")
    said = _generate("s3://org-logs/org", capsys, monkeypatch)
    assert "under s3://org-logs/org/AWSLogs/123456789012/vpcflowlogs/us-east-1/" in said
    _check(_report("s3://org-logs/org/AWSLogs/", capsys, monkeypatch))
    said = _generate("logs:/vpc/flow-logs", capsys, monkeypatch)
    assert "16 stream(s)" in said  # one per interface: 4 tiers x 2 subnets x 2 hosts
    _check(_report("logs:/vpc/flow-logs", capsys, monkeypatch))


def test_a_missing_bucket_is_one_line_and_exit_3(
    account: Account, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, _, err = invoke(
        ["generate-flow-logs", "--to", "s3://nope", "-C", str(PROJECT_DIR)], capsys, monkeypatch
    )
    assert code == 3
    assert "NoSuchBucket" in err
    assert len(err.strip().splitlines()) == 1
