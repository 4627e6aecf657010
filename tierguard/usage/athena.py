"""The same aggregation for Amazon Athena: the table DDL and the query, generated.

For organisation-scale logs the summing runs where the data is. The aggregation is
defined once (``QUERY``, written for DuckDB) and transpiled to Athena's dialect with
sqlglot; tests run the DuckDB form on the same data as the file reader and parse the
Athena form. The DDL is AWS's documented flow-log table (space-delimited text, header
skipped) with partition projection over the ``YYYY/MM/DD`` key layout S3 delivery writes.
``run_athena`` executes the query (``--engine athena``): start, poll with backoff until
a final state, page the aggregate back, and hand its rows to the same ``collect_rows`` as
the file reader. Against moto only the plumbing can be exercised (moto runs no SQL).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlglot

from tierguard.audit.collect import CLIENT_CONFIG, aws_errors
from tierguard.errors import AwsError, UsageError
from tierguard.usage.flowlogs import DEFAULT_FORMAT, ReadResult, check_fields, collect_rows

if TYPE_CHECKING:
    import boto3


@dataclass(frozen=True)
class AthenaTable:
    """Where ``--engine athena`` runs: the flow-logs table and the workgroup."""

    database: str
    table: str
    workgroup: str = "primary"
    output_location: str | None = None
    """``s3://…`` for query results, when the workgroup does not set one."""
    fields: tuple[str, ...] = DEFAULT_FORMAT

    def __post_init__(self) -> None:
        _identifier(self.database, "--database")
        _identifier(self.table, "--table")
        if self.output_location is not None and not self.output_location.startswith("s3://"):
            raise UsageError(f"--athena-output {self.output_location!r}: write s3://BUCKET/PREFIX/")

    def query(self, since: int | None, until: int | None) -> str:
        return aggregate_query(
            f"{self.database}.{self.table}",
            self.fields,
            since=since,
            until=until,
            partitioned=True,
            dialect="athena",
        )


#: Column types of AWS's documented Athena table for flow logs.
_TYPES = {
    "version": "int",
    "srcport": "int",
    "dstport": "int",
    "protocol": "bigint",
    "packets": "bigint",
    "bytes": "bigint",
    "start": "bigint",
    "end": "bigint",
    "tcp-flags": "int",
}
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
#: Columns the aggregation reads; absent ones are NULL.
_READ = (
    "interface-id",
    "srcaddr",
    "dstaddr",
    "srcport",
    "dstport",
    "protocol",
    "action",
    "flow-direction",
    "pkt-srcaddr",
    "pkt-dstaddr",
)

QUERY = """
SELECT 'ok' AS status, {interface_id}, srcaddr, dstaddr, {srcport}, {dstport}, protocol,
  action, {flow_direction}, {pkt_srcaddr}, {pkt_dstaddr}, bit_or({tcp_flags}) AS tcp_flags,
  count(*) AS records, sum(packets) AS packets, sum(bytes) AS bytes,
  min("start") AS first_seen, max("end") AS last_seen
FROM {table}
WHERE {log_status} AND action IN ('ACCEPT', 'REJECT') {window}
GROUP BY {keys}
"""
"""The one definition; the columns and ``bit_or`` are DuckDB's spelling."""


def _identifier(value: str, flag: str) -> str:
    if not _NAME.match(value):
        raise UsageError(f"{flag} {value!r}: use letters, digits and _ (a Glue name)")
    return value


def duckdb_type(field: str) -> str:
    """The DuckDB type of a field's column (as AWS's Parquet and Athena types it)."""
    return {"int": "INTEGER", "bigint": "BIGINT"}.get(_TYPES.get(field, ""), "VARCHAR")


def column(field: str) -> str:
    """A flow-log field's column name (``-`` → ``_``, as in AWS's DDL and Parquet)."""
    return field.replace("-", "_")


def table_ddl(
    database: str, table: str, location: str, fields: Sequence[str] = DEFAULT_FORMAT
) -> str:
    """``CREATE EXTERNAL TABLE`` for flow logs under ``location`` (``s3://…/AWSLogs/<account>/
    vpcflowlogs/<region>/``), partitioned by day with projection: no ``MSCK REPAIR``."""
    database = _identifier(database, "--database")
    table = _identifier(table, "--table")
    check_fields(fields, where="the table's fields")
    if not location.startswith("s3://"):
        raise UsageError(f"{location!r}: the table location must be s3://BUCKET/PREFIX/")
    location = location.rstrip("/") + "/"
    columns = ",\n".join(f"  `{column(f)}` {_TYPES.get(f, 'string')}" for f in fields)
    return (
        f"CREATE EXTERNAL TABLE IF NOT EXISTS `{database}`.`{table}` (\n{columns}\n)\n"
        "PARTITIONED BY (`day` string)\n"
        "ROW FORMAT DELIMITED FIELDS TERMINATED BY ' '\n"
        f"LOCATION '{location}'\n"
        "TBLPROPERTIES (\n"
        "  'skip.header.line.count'='1',\n"
        "  'projection.enabled'='true',\n"
        "  'projection.day.type'='date',\n"
        "  'projection.day.format'='yyyy/MM/dd',\n"
        "  'projection.day.range'='2020/01/01,NOW',\n"
        "  'projection.day.interval'='1',\n"
        "  'projection.day.interval.unit'='DAYS',\n"
        f"  'storage.location.template'='{location}${{day}}'\n"
        ")"
    )


def aggregate_query(
    table: str,
    fields: Sequence[str] = DEFAULT_FORMAT,
    *,
    since: int | None = None,
    until: int | None = None,
    partitioned: bool = False,
    dialect: str = "duckdb",
) -> str:
    """The aggregation over ``table`` in ``dialect`` (``duckdb`` or ``athena``)."""
    check_fields(fields, where="the table's fields")
    present = set(fields)
    values: dict[str, str] = {"table": table}
    for field in (*_READ, "tcp-flags"):
        name = column(field)
        values[name] = name if field in present else f"CAST(NULL AS VARCHAR) AS {name}"
    values["keys"] = ", ".join(column(f) for f in _READ if f in present)
    if "tcp-flags" not in present:
        values["tcp_flags"] = "CAST(NULL AS INTEGER)"
    values["log_status"] = "log_status = 'OK'" if "log-status" in present else "true"
    window = []
    if since is not None:
        window.append(f'AND coalesce("end", "start") >= {int(since)}')
        if partitioned:
            window.append(f"AND day >= strftime(to_timestamp({int(since)}), '%Y/%m/%d')")
    if until is not None:
        window.append(f'AND coalesce("start", "end") <= {int(until)}')
        if partitioned:
            window.append(f"AND day <= strftime(to_timestamp({int(until)}), '%Y/%m/%d')")
    values["window"] = " ".join(window)
    query = QUERY.format(**values)
    if dialect == "duckdb":
        return query
    (athena,) = sqlglot.transpile(query, read="duckdb", write=dialect, pretty=True)
    return athena


#: The aggregate's columns that are numbers (Athena returns every value as text).
_NUMBERS = frozenset(
    ("srcport", "dstport", "protocol", "tcp_flags", "records", "packets", "bytes", "first_seen")
) | {"last_seen"}
_FINAL = {"SUCCEEDED", "FAILED", "CANCELLED"}
#: Seconds between polls: short at first (small queries), then at most every 5 s.
FIRST_POLL, MAX_POLL = 0.2, 5.0


def _value(cell: Mapping[str, Any], name: str) -> object:
    text = cell.get("VarCharValue")
    if text is None:
        return None
    if name in _NUMBERS:
        try:
            return int(text)
        except ValueError:
            raise AwsError(
                f"Athena returned {text!r} for the number column {name!r}: not the "
                "aggregation tierguard sent (check --table holds flow logs)"
            ) from None
    return text


def result_rows(pages: Iterable[Mapping[str, Any]]) -> Iterator[tuple[object, ...]]:
    """The rows of ``get_query_results`` pages as tuples, typed by column name; the
    header row Athena puts first in a SELECT's results is skipped."""
    names: list[str] | None = None
    header_skipped = False
    for page in pages:
        result = page.get("ResultSet", {})
        if names is None:
            names = [c["Name"] for c in result.get("ResultSetMetadata", {}).get("ColumnInfo", [])]
        for row in result.get("Rows", []):
            cells = row.get("Data", [])
            if not header_skipped:
                header_skipped = True
                if [c.get("VarCharValue") for c in cells] == names:
                    continue
            if len(cells) != len(names):
                raise AwsError(
                    f"Athena returned a row of {len(cells)} values for {len(names)} columns"
                )
            yield tuple(_value(cell, name) for cell, name in zip(cells, names, strict=True))


def run_athena(
    base: boto3.session.Session,
    query: str,
    *,
    database: str,
    workgroup: str,
    output_location: str | None,
    region: str,
    endpoint_url: str | None,
    timeout: float = 1800.0,
    sleep: Callable[[float], None] = time.sleep,
) -> ReadResult:
    """Run the aggregation in Athena and read its rows as the file reader reads DuckDB's."""
    result = ReadResult()
    with aws_errors("athena", region, endpoint_url):
        athena = base.client(
            "athena", region_name=region, endpoint_url=endpoint_url, config=CLIENT_CONFIG
        )
        started: dict[str, Any] = {
            "QueryString": query,
            "QueryExecutionContext": {"Database": database},
            "WorkGroup": workgroup,
        }
        if output_location is not None:
            started["ResultConfiguration"] = {"OutputLocation": output_location}
        execution = athena.start_query_execution(**started)["QueryExecutionId"]
        _wait(athena, execution, timeout=timeout, sleep=sleep)
        pages = athena.get_paginator("get_query_results").paginate(
            QueryExecutionId=execution, PaginationConfig={"PageSize": 1000}
        )
        collect_rows(result_rows(pages), result)
    return result


def _wait(athena: Any, execution: str, *, timeout: float, sleep: Callable[[float], None]) -> None:
    """Poll until the query ends; a failed or cancelled query is an ``AwsError`` with
    Athena's reason, a query still running after ``timeout`` is stopped."""
    waited, delay = 0.0, FIRST_POLL
    while True:
        status = athena.get_query_execution(QueryExecutionId=execution)["QueryExecution"]
        state = status.get("Status", {}).get("State", "")
        if state == "SUCCEEDED":
            return
        if state in _FINAL:
            reason = status["Status"].get("StateChangeReason") or "no reason given"
            raise AwsError(f"Athena query {execution} {state}: {reason}")
        if waited >= timeout:
            athena.stop_query_execution(QueryExecutionId=execution)
            raise AwsError(
                f"Athena query {execution} still {state or 'pending'} after {timeout:g} s; "
                "stopped it (narrow --since/--until)"
            )
        sleep(delay)
        waited += delay
        delay = min(delay * 2, MAX_POLL)
