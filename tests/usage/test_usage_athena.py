"""The Athena twin of the aggregation: generated once, parsed as Athena, run as DuckDB.

Only the SQL is exercised here (no Athena): the Athena text must parse in sqlglot's Athena
dialect, and its DuckDB form, run on the same generated records as the file reader, must
give the same flows.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
import sqlglot
from sqlglot import exp

from tests.conftest import PROJECT_DIR, invoke
from tests.usage.scenario import Deployed, dev_intents
from tests.usage.test_usage_flowlogs import CUSTOM
from tierguard.usage.athena import aggregate_query, column, table_ddl
from tierguard.usage.flowlogs import DEFAULT_FORMAT, ReadResult, collect_rows, read
from tierguard.usage.generate import records, write_log

LOCATION = "s3://flow-logs/AWSLogs/123456789012/vpcflowlogs/us-east-1/"


@pytest.mark.parametrize("fields", [DEFAULT_FORMAT, CUSTOM])
def test_duckdb_twin_of_the_athena_query_gives_the_readers_flows(
    dev: Deployed, tmp_path: Path, fields: tuple[str, ...]
) -> None:
    found = records(dev_intents(dev), seed=51)
    path = write_log(tmp_path / "a.log", found, fields)
    con = duckdb.connect()
    types = {"srcport": "INTEGER", "dstport": "INTEGER", "protocol": "BIGINT", "packets": "BIGINT",
             "bytes": "BIGINT", "start": "BIGINT", "end": "BIGINT", "tcp-flags": "INTEGER"}  # fmt: skip
    columns = ", ".join(f"'{column(f)}': '{types.get(f, 'VARCHAR')}'" for f in fields)
    con.execute(
        f"CREATE TABLE vpc_flow_logs AS SELECT *, '2025/12/01' AS day FROM read_csv('{path}', "
        f"delim=' ', header=true, nullstr='-', columns={{{columns}}})"
    )
    twin = ReadResult()
    query = aggregate_query("vpc_flow_logs", fields, since=0, until=2_000_000_000, partitioned=True)
    collect_rows(con.execute(query).fetchall(), twin)
    assert sorted(map(repr, twin.flows)) == sorted(map(repr, read(path).flows))


def test_athena_query_parses_as_athena_with_athena_functions() -> None:
    text = aggregate_query(
        "flowlogs.vpc_flow_logs", CUSTOM, since=1, until=2, partitioned=True, dialect="athena"
    )
    tree = sqlglot.parse_one(text, read="athena")
    assert isinstance(tree, exp.Select)
    assert "BITWISE_OR_AGG(" in text
    assert "BIT_OR(" not in text
    assert "DATE_FORMAT(FROM_UNIXTIME(1), '%Y/%m/%d')" in text


def test_table_ddl_is_a_create_table_with_partition_projection() -> None:
    ddl = table_ddl("flowlogs", "vpc_flow_logs", LOCATION, CUSTOM)
    tree = sqlglot.parse_one(ddl, read="athena")
    assert isinstance(tree, exp.Create)
    names = [c.name for c in tree.find_all(exp.ColumnDef)]
    assert names[: len(CUSTOM)] == [column(f) for f in CUSTOM]
    assert "'storage.location.template'='" + LOCATION + "${day}'" in ddl
    assert "'projection.day.format'='yyyy/MM/dd'" in ddl


def test_cli_prints_the_ddl_and_query_for_an_s3_location(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, err = invoke(
        [
            "usage",
            "--flow-logs",
            LOCATION,
            "--athena-sql",
            "--since",
            "2025-12-01",
            "-C",
            str(PROJECT_DIR),
        ],
        capsys,
        monkeypatch,
    )
    assert code == 0, err
    ddl, query = out.split(";\n\n")
    assert isinstance(sqlglot.parse_one(ddl, read="athena"), exp.Create)
    assert isinstance(sqlglot.parse_one(query.rstrip().rstrip(";"), read="athena"), exp.Select)
    code, _, err = invoke(
        ["usage", "--flow-logs", ".", "--athena-sql", "-C", str(PROJECT_DIR)], capsys, monkeypatch
    )
    assert code == 2
    assert "--athena-sql needs --flow-logs s3://" in err
