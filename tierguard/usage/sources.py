"""Flow logs where AWS delivers them, copied to a local directory for the reader.

``s3://bucket/prefix``: the objects S3 delivery writes under
``AWSLogs/<account>/vpcflowlogs/<region>/YYYY/MM/DD/`` (gzip text or Parquet); days outside
``--since``/``--until`` are skipped by their key. ``logs:GROUP``: a CloudWatch Logs group
(one stream per interface), each stream's messages written as one text file (CloudWatch
has no header line: the default format unless ``--format`` says otherwise). Read-only;
AWS errors become one-line ``AwsError``s as in the audit.
"""

from __future__ import annotations

import re
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tierguard.audit.collect import CLIENT_CONFIG, aws_errors, session
from tierguard.errors import UsageError
from tierguard.usage.athena import run_athena
from tierguard.usage.flowlogs import ReadResult, find_files, read

if TYPE_CHECKING:
    import boto3

    from tierguard.usage.athena import AthenaTable

_DAY = re.compile(r"/(\d{4})/(\d{2})/(\d{2})/")
_SUFFIXES = (".log", ".log.gz", ".txt", ".gz", ".parquet")
_SAFE = re.compile(r"[^A-Za-z0-9._-]")


def is_remote(source: str) -> bool:
    return source.startswith(("s3://", "logs:"))


def _day_outside(key: str, since: int | None, until: int | None) -> bool:
    found = _DAY.search(key)
    if found is None:
        return False
    day = datetime(int(found[1]), int(found[2]), int(found[3]), tzinfo=UTC).timestamp()
    return (since is not None and day + 86400 <= since) or (until is not None and day > until)


def fetch_s3(
    base: boto3.session.Session,
    url: str,
    into: Path,
    *,
    region: str,
    endpoint_url: str | None,
    since: int | None = None,
    until: int | None = None,
) -> int:
    """Download the flow-log objects under ``url`` into ``into``; how many."""
    bucket, _, prefix = url.removeprefix("s3://").partition("/")
    if not bucket:
        raise UsageError(f"--flow-logs {url!r}: write s3://BUCKET/PREFIX")
    count = 0
    with aws_errors("s3", region, endpoint_url):
        s3 = base.client("s3", region_name=region, endpoint_url=endpoint_url, config=CLIENT_CONFIG)
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                key = item["Key"]
                if not key.endswith(_SUFFIXES) or _day_outside(key, since, until):
                    continue
                target = into / "s3" / key
                target.parent.mkdir(parents=True, exist_ok=True)
                s3.download_file(bucket, key, str(target))
                count += 1
    return count


def fetch_logs(
    base: boto3.session.Session,
    group: str,
    into: Path,
    *,
    region: str,
    endpoint_url: str | None,
    since: int | None = None,
    until: int | None = None,
) -> int:
    """Write each stream of ``group`` as a text file in ``into``; how many events."""
    if not group:
        raise UsageError("--flow-logs 'logs:': write logs:LOG_GROUP_NAME")
    count = 0
    bounds: dict[str, Any] = {}
    if since is not None:
        bounds["startTime"] = since * 1000
    if until is not None:
        bounds["endTime"] = until * 1000 + 999
    with aws_errors("logs", region, endpoint_url):
        logs = base.client(
            "logs", region_name=region, endpoint_url=endpoint_url, config=CLIENT_CONFIG
        )
        streams: dict[str, list[str]] = {}
        pages = logs.get_paginator("filter_log_events").paginate(logGroupName=group, **bounds)
        for page in pages:
            for event in page.get("events", []):
                stream = event.get("logStreamName", "stream")
                streams.setdefault(stream, []).append(event.get("message", "").rstrip("\n"))
                count += 1
    directory = into / "logs"
    directory.mkdir(parents=True, exist_ok=True)
    for stream, messages in streams.items():
        (directory / f"{_SAFE.sub('_', stream)}.log").write_text("\n".join(messages) + "\n")
    return count


def fetch(
    source: str,
    into: Path,
    *,
    profile: str | None,
    region: str,
    endpoint_url: str | None,
    since: int | None,
    until: int | None,
) -> Path:
    """Copy a remote source into ``into`` and return the directory to read."""
    base = session(profile)
    if source.startswith("s3://"):
        fetch_s3(
            base, source, into, region=region, endpoint_url=endpoint_url, since=since, until=until
        )
    else:
        fetch_logs(
            base,
            source.removeprefix("logs:"),
            into,
            region=region,
            endpoint_url=endpoint_url,
            since=since,
            until=until,
        )
    return into


def read_source(
    source: str | None,
    *,
    fields: tuple[str, ...] | None,
    since: int | None,
    until: int | None,
    profile: str | None,
    region: str,
    endpoint_url: str | None,
    athena: AthenaTable | None = None,
) -> ReadResult:
    """The summed flows of a source (file, directory, ``s3://``, ``logs:``) read with
    DuckDB, or of an Athena table summed by Athena."""
    if athena is not None:
        return run_athena(
            session(profile),
            athena.query(since, until),
            database=athena.database,
            workgroup=athena.workgroup,
            output_location=athena.output_location,
            region=region,
            endpoint_url=endpoint_url,
        )
    if source is None:
        raise UsageError("--flow-logs is required (or --engine athena with --database/--table)")
    if not is_remote(source):
        return read(Path(source), fields=fields, since=since, until=until)
    with tempfile.TemporaryDirectory(prefix="tierguard-flowlogs-") as scratch:
        local = fetch(
            source,
            Path(scratch),
            profile=profile,
            region=region,
            endpoint_url=endpoint_url,
            since=since,
            until=until,
        )
        return read(local, fields=fields, since=since, until=until)


def check_source(source: str | None) -> None:
    """A bad local path is bad input: said before AWS is asked anything."""
    if source is not None and not is_remote(source):
        find_files(Path(source))
