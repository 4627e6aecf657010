"""The same aggregation for Amazon Athena: the table DDL and the query, generated.

For organisation-scale logs the summing runs where the data is. The aggregation is
defined once (``QUERY``, written for DuckDB) and transpiled to Athena's dialect with
sqlglot; tests run the DuckDB form on the same data as the file reader and parse the
Athena form. The DDL is AWS's documented flow-log table (space-delimited text, header
skipped) with partition projection over the ``YYYY/MM/DD`` key layout S3 delivery writes.
Only the generation is exercised here: no Athena query is run.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import sqlglot

from tierguard.errors import UsageError
from tierguard.usage.flowlogs import DEFAULT_FORMAT, check_fields

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
