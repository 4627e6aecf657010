"""Generated records delivered where AWS delivers flow logs: S3 objects and CloudWatch Logs.

S3 (AWS's documented layout): ``[prefix/]AWSLogs/<account>/vpcflowlogs/<region>/YYYY/MM/DD/
<account>_vpcflowlogs_<region>_<flow-log-id>_<YYYYMMDDTHHmmZ>_<hash>.log.gz`` — gzip text
with a header line naming the fields — or the same name ending ``.parquet`` (columns named
with ``_``, numbers typed as AWS's Parquet schema types them). One object per hour.

CloudWatch Logs: one stream per interface (``<eni>-all``), one event per record, no header
line, the event time the record's start. CloudWatch accepts events from the last 14 days
only: generate records near now for it.
"""

from __future__ import annotations

import gzip
import hashlib
import tempfile
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import duckdb

from tierguard.usage.athena import column, duckdb_type
from tierguard.usage.generate import ACCOUNT, DEFAULT_FIELDS, Record, lines, write_log

if TYPE_CHECKING:
    from mypy_boto3_logs import CloudWatchLogsClient
    from mypy_boto3_logs.type_defs import InputLogEventTypeDef
    from mypy_boto3_s3 import S3Client

FLOW_LOG_ID = "fl-0123456789abcdef0"
#: CloudWatch Logs' PutLogEvents limit per call (events).
_BATCH = 10_000


def hourly(found: Iterable[Record]) -> dict[datetime, list[Record]]:
    hours: dict[datetime, list[Record]] = defaultdict(list)
    for rec in found:
        hour = datetime.fromtimestamp(rec.start - rec.start % 3600, UTC)
        hours[hour].append(rec)
    return dict(sorted(hours.items()))


def s3_key(
    hour: datetime, *, account: str, region: str, suffix: str, prefix: str = "", part: str = ""
) -> str:
    stamp = hour.strftime("%Y%m%dT%H%MZ")
    digest = hashlib.sha256(f"{account}{region}{stamp}{part}".encode()).hexdigest()[:8]
    head = f"{prefix.strip('/')}/" if prefix.strip("/") else ""
    return (
        f"{head}AWSLogs/{account}/vpcflowlogs/{region}/{hour:%Y/%m/%d}/"
        f"{account}_vpcflowlogs_{region}_{FLOW_LOG_ID}_{stamp}_{digest}{suffix}"
    )


def write_parquet(path: Path, found: Iterable[Record], fields: Sequence[str]) -> Path:
    """Records as S3 delivery's Parquet: ``_`` column names, typed numbers, NULL for ``-``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        text = write_log(Path(scratch) / "records.log", found, fields, header=False)
        columns = ", ".join(
            f"CAST(nullif(column{i:0{len(str(len(fields) - 1))}d}, '-') AS {duckdb_type(name)})"
            f' AS "{column(name)}"'
            for i, name in enumerate(fields)
        )
        source = str(text).replace("'", "''")
        target = str(path).replace("'", "''")
        duckdb.sql(
            f"COPY (SELECT {columns} FROM read_csv('{source}', delim=' ', header=false, "
            f"all_varchar=true, quote='', escape='')) TO '{target}' (FORMAT parquet)"
        )
    return path


def to_s3(
    s3: S3Client,
    bucket: str,
    found: Iterable[Record],
    *,
    region: str,
    account: str = ACCOUNT,
    prefix: str = "",
    fields: Sequence[str] = DEFAULT_FIELDS,
    file_format: Literal["text", "parquet"] = "text",
) -> list[str]:
    """Put the records in ``bucket`` as S3 delivery would; the keys written."""
    keys = []
    suffix = ".log.gz" if file_format == "text" else ".parquet"
    for hour, recs in hourly(found).items():
        key = s3_key(hour, account=account, region=region, suffix=suffix, prefix=prefix)
        if file_format == "text":
            body = "\n".join([" ".join(fields), *lines(recs, fields)]) + "\n"
            data = gzip.compress(body.encode())
        else:
            with tempfile.TemporaryDirectory() as scratch:
                data = write_parquet(Path(scratch) / "x.parquet", recs, fields).read_bytes()
        s3.put_object(Bucket=bucket, Key=key, Body=data)
        keys.append(key)
    return keys


def to_directory(
    directory: Path,
    found: Iterable[Record],
    *,
    region: str,
    account: str = ACCOUNT,
    fields: Sequence[str] = DEFAULT_FIELDS,
    file_format: Literal["text", "parquet"] = "text",
) -> list[Path]:
    """The S3 objects ``to_s3`` would write, as files under ``directory``."""
    suffix = ".log.gz" if file_format == "text" else ".parquet"
    written = []
    for hour, recs in hourly(found).items():
        path = directory / s3_key(hour, account=account, region=region, suffix=suffix)
        if file_format == "text":
            written.append(write_log(path, recs, fields))
        else:
            written.append(write_parquet(path, recs, fields))
    return written


def to_cloudwatch(
    logs: CloudWatchLogsClient,
    group: str,
    found: Iterable[Record],
    *,
    fields: Sequence[str] = DEFAULT_FIELDS,
) -> dict[str, int]:
    """Put the records in log group ``group``, one stream per interface; events per stream."""
    streams: dict[str, list[Record]] = defaultdict(list)
    for rec in found:
        streams[f"{rec.interface_id}-all"].append(rec)
    existing = {
        s["logGroupName"] for s in logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]
    }
    if group not in existing:
        logs.create_log_group(logGroupName=group)
    written = {}
    for stream, recs in sorted(streams.items()):
        logs.create_log_stream(logGroupName=group, logStreamName=stream)
        recs.sort(key=lambda r: r.start)
        events: list[InputLogEventTypeDef] = [
            {"timestamp": rec.start * 1000, "message": message}
            for rec, message in zip(recs, lines(recs, fields), strict=True)
        ]
        for i in range(0, len(events), _BATCH):
            answer = logs.put_log_events(
                logGroupName=group, logStreamName=stream, logEvents=events[i : i + _BATCH]
            )
            rejected = answer.get("rejectedLogEventsInfo")
            if rejected:
                raise ValueError(
                    f"CloudWatch Logs refused events of {stream}: {rejected} (events must be "
                    "from the last 14 days: generate records near now)"
                )
        written[stream] = len(events)
    return written
