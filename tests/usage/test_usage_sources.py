"""Flow logs where AWS delivers them: S3 objects and CloudWatch Logs streams (moto)."""

from __future__ import annotations

import gzip
import json
import time
from collections import defaultdict
from pathlib import Path

import pytest

from tests.audit.builders import Account
from tests.conftest import PROJECT_DIR, invoke
from tests.usage.scenario import Deployed, dev_intents
from tests.usage.test_usage_attribution import expected_hits
from tierguard.usage.generate import DEFAULT_FIELDS, Record, lines, records

PREFIX = "AWSLogs/123456789012/vpcflowlogs/us-east-1"


def hits_from(out: str) -> dict[str, int]:
    return {r["rule_id"]: r["hits"] for r in json.loads(out)["rules"] if r["hits"]}


def to_s3(account: Account, found: list[Record]) -> None:
    """As S3 delivery writes: gzip text with a header, one object per interface and hour."""
    s3 = account.session.client("s3", region_name=account.region)
    s3.create_bucket(Bucket="flow-logs")
    by_interface: dict[str, list[Record]] = defaultdict(list)
    for rec in found:
        by_interface[rec.interface_id].append(rec)
    for eni, recs in by_interface.items():
        body = "\n".join([" ".join(DEFAULT_FIELDS), *lines(recs)]) + "\n"
        key = f"{PREFIX}/2025/12/01/123456789012_vpcflowlogs_us-east-1_fl-1_20251201T0000Z_{eni}.log.gz"
        s3.put_object(Bucket="flow-logs", Key=key, Body=gzip.compress(body.encode()))
    s3.put_object(
        Bucket="flow-logs", Key=f"{PREFIX}/2025/11/01/old.log.gz", Body=gzip.compress(b"garbage\n")
    )


def to_cloudwatch(account: Account, found: list[Record]) -> None:
    """As CloudWatch delivery writes: one stream per interface, one event per record."""
    logs = account.session.client("logs", region_name=account.region)
    logs.create_log_group(logGroupName="vpc-flow-logs")
    by_interface: dict[str, list[Record]] = defaultdict(list)
    for rec in found:
        by_interface[rec.interface_id].append(rec)
    now = int(time.time() * 1000)
    for eni, recs in by_interface.items():
        stream = f"{eni}-all"
        logs.create_log_stream(logGroupName="vpc-flow-logs", logStreamName=stream)
        logs.put_log_events(
            logGroupName="vpc-flow-logs",
            logStreamName=stream,
            logEvents=[{"timestamp": now, "message": m} for m in lines(recs)],
        )


def test_s3_delivery_objects_attribute_like_local_files(
    dev: Deployed,
    account: Account,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    found = records(dev_intents(dev), seed=41)
    to_s3(account, found)
    code, out, err = invoke(
        [
            "usage",
            "--flow-logs",
            f"s3://flow-logs/{PREFIX}/",
            "--stack",
            "dev",
            "--json",
            "--since",
            "2025-12-01",
            "-C",
            str(PROJECT_DIR),
        ],
        capsys,
        monkeypatch,
    )
    assert code == 0, err
    assert hits_from(out) == dict(expected_hits(dev, found))
    doc = json.loads(out)
    assert "malformed" not in doc["records"]  # the November object was skipped by its key
    assert doc["files"]["read"] == len({r.interface_id for r in found})


def test_cloudwatch_streams_attribute_like_local_files(
    dev: Deployed,
    account: Account,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    found = records(dev_intents(dev), seed=42)
    to_cloudwatch(account, found)
    code, out, err = invoke(
        [
            "usage",
            "--flow-logs",
            "logs:vpc-flow-logs",
            "--stack",
            "dev",
            "--json",
            "-C",
            str(PROJECT_DIR),
        ],
        capsys,
        monkeypatch,
    )
    assert code == 0, err
    assert hits_from(out) == dict(expected_hits(dev, found))
    assert json.loads(out)["files"]["read"] == len({r.interface_id for r in found})


def test_a_missing_bucket_is_one_line_and_exit_3(
    dev: Deployed,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    code, _, err = invoke(
        ["usage", "--flow-logs", "s3://no-such-bucket/x", "-C", str(PROJECT_DIR)],
        capsys,
        monkeypatch,
    )
    assert code == 3
    assert len(err.strip().splitlines()) == 1
    assert "NoSuchBucket" in err
