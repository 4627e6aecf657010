"""Flow logs where AWS delivers them: S3 objects and CloudWatch Logs streams (moto)."""

from __future__ import annotations

import gzip
import json
import re
import time
from pathlib import Path
from typing import Literal

import pytest

from tests.audit.builders import Account
from tests.conftest import PROJECT_DIR, invoke
from tests.usage.scenario import Deployed, dev_intents
from tests.usage.test_usage_attribution import expected_hits
from tierguard.usage.deliver import to_cloudwatch, to_s3
from tierguard.usage.generate import records

PREFIX = "AWSLogs/123456789012/vpcflowlogs/us-east-1"
#: AWS's documented object names for S3 delivery (flow-logs-s3, "Log file name").
KEY = re.compile(
    r"^AWSLogs/123456789012/vpcflowlogs/us-east-1/(\d{4})/(\d{2})/(\d{2})/"
    r"123456789012_vpcflowlogs_us-east-1_fl-[0-9a-f]+_\1\2\3T\d{4}Z_[0-9a-f]+\.(log\.gz|parquet)$"
)


def hits_from(out: str) -> dict[str, int]:
    return {r["rule_id"]: r["hits"] for r in json.loads(out)["rules"] if r["hits"]}


@pytest.mark.parametrize("file_format", ["text", "parquet"])
def test_s3_delivery_objects_attribute_like_local_files(
    dev: Deployed,
    account: Account,
    file_format: Literal["text", "parquet"],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    found = records(dev_intents(dev), seed=41)
    s3 = account.session.client("s3", region_name=account.region)
    s3.create_bucket(Bucket="flow-logs")
    keys = to_s3(s3, "flow-logs", found, region=account.region, file_format=file_format)
    assert keys
    assert all(KEY.match(k) for k in keys), keys
    s3.put_object(
        Bucket="flow-logs", Key=f"{PREFIX}/2025/11/01/old.log.gz", Body=gzip.compress(b"garbage\n")
    )
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
    assert doc["files"]["read"] == len(keys)


def test_cloudwatch_streams_attribute_like_local_files(
    dev: Deployed,
    account: Account,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    now = int(time.time()) // 3600 * 3600 - 3600  # CloudWatch takes the last 14 days only
    found = records(dev_intents(dev), seed=42, start=now)
    logs_client = account.session.client("logs", region_name=account.region)
    streams = to_cloudwatch(logs_client, "vpc-flow-logs", found)
    assert set(streams) == {f"{r.interface_id}-all" for r in found}  # one per interface
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
