"""The Athena twin of the aggregation: generated once, parsed as Athena, run as DuckDB.

The SQL: the Athena text must parse in sqlglot's Athena dialect, and its DuckDB form, run
on the same generated records as the file reader, must give the same flows.

The execution (``--engine athena``) against moto's Athena, which runs no SQL: its results
are seeded through moto's documented queue (``/moto-api/static/athena/query-results``)
with the rows the DuckDB twin computed, so what is exercised is the plumbing — the query
tierguard starts, the polling, paging the answer back, failure and timeout states, error
messages — never Athena's own evaluation of the query.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
import requests
import sqlglot
from moto.athena.models import athena_backends
from moto.moto_api import state_manager
from sqlglot import exp

from tests.audit.builders import REGION, Account
from tests.conftest import PROJECT_DIR, invoke
from tests.usage.scenario import Deployed, dev_intents
from tests.usage.test_usage_attribution import expected_hits
from tests.usage.test_usage_flowlogs import CUSTOM
from tests.usage.test_usage_sources import hits_from
from tierguard.errors import AwsError
from tierguard.usage.athena import (
    AthenaTable,
    aggregate_query,
    column,
    duckdb_type,
    run_athena,
    table_ddl,
)
from tierguard.usage.flowlogs import DEFAULT_FORMAT, ReadResult, collect_rows, read
from tierguard.usage.generate import records, write_log

ACCOUNT = "123456789012"  # moto's default account
LOCATION = "s3://flow-logs/AWSLogs/123456789012/vpcflowlogs/us-east-1/"


@pytest.mark.parametrize("fields", [DEFAULT_FORMAT, CUSTOM])
def test_duckdb_twin_of_the_athena_query_gives_the_readers_flows(
    dev: Deployed, tmp_path: Path, fields: tuple[str, ...]
) -> None:
    found = records(dev_intents(dev), seed=51)
    path = write_log(tmp_path / "a.log", found, fields)
    _, rows = twin_rows(path, fields, since=0, until=2_000_000_000)
    twin = ReadResult()
    collect_rows(rows, twin)
    assert sorted(map(repr, twin.flows)) == sorted(map(repr, read(path).flows))


def twin_rows(
    path: Path, fields: tuple[str, ...], *, since: int | None = None, until: int | None = None
) -> tuple[list[str], list[tuple[object, ...]]]:
    """The aggregate's column names and rows, by DuckDB over a table typed as AWS's DDL."""
    con = duckdb.connect()
    columns = ", ".join(f"'{column(f)}': '{duckdb_type(f)}'" for f in fields)
    con.execute(
        f"CREATE TABLE vpc_flow_logs AS SELECT *, '2025/12/01' AS day FROM read_csv('{path}', "
        f"delim=' ', header=true, nullstr='-', columns={{{columns}}})"
    )
    query = aggregate_query("vpc_flow_logs", fields, since=since, until=until, partitioned=True)
    cursor = con.execute(query)
    names = [d[0] for d in cursor.description]
    return names, cursor.fetchall()


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


# -- --engine athena against moto ------------------------------------------------------


def seed(names: list[str], rows: list[tuple[object, ...]]) -> None:
    """Queue one result in moto's Athena, as Athena returns a SELECT: a header row first,
    every value as text, NULL as an empty cell."""
    cells = [{"Data": [{"VarCharValue": n} for n in names]}]
    cells += [
        {"Data": [{} if v is None else {"VarCharValue": str(v)} for v in row]} for row in rows
    ]
    answer = requests.post(
        "http://motoapi.amazonaws.com/moto-api/static/athena/query-results",
        json={
            "results": [
                {"rows": cells, "column_info": [{"Name": n, "Type": "varchar"} for n in names]}
            ]
        },
        timeout=10,
    )
    assert answer.status_code == 201


def executions() -> list[Any]:
    return list(athena_backends[ACCOUNT][REGION].executions.values())


def test_engine_athena_attributes_what_athena_answers(
    dev: Deployed,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    found = records(dev_intents(dev), seed=52)
    seed(*twin_rows(write_log(tmp_path / "a.log", found), DEFAULT_FORMAT))
    code, out, err = invoke(
        ["usage", "--engine", "athena", "--database", "flowlogs", "--table", "vpc_flow_logs",
         "--athena-output", "s3://athena-results/tierguard/", "--stack", "dev", "--json",
         "-C", str(PROJECT_DIR)],
        capsys,
        monkeypatch,
    )  # fmt: skip
    assert code == 0, err
    assert hits_from(out) == dict(expected_hits(dev, found))
    (execution,) = executions()
    assert execution.query == AthenaTable("flowlogs", "vpc_flow_logs").query(None, None)
    assert isinstance(sqlglot.parse_one(execution.query, read="athena"), exp.Select)
    assert execution.context == {"Database": "flowlogs"}
    assert execution.config["OutputLocation"].startswith("s3://athena-results/tierguard/")


def _run(account: Account, **options: Any) -> ReadResult:
    return run_athena(
        account.session,
        "SELECT 1",
        database="flowlogs",
        workgroup="primary",
        output_location=None,
        region=account.region,
        endpoint_url=None,
        **options,
    )


@pytest.fixture(name="slow_athena")
def _slow_athena() -> Iterator[None]:
    """Each query stays QUEUED, then RUNNING, for three polls each (moto's state manager)."""
    state_manager.set_transition(
        model_name="athena::execution", transition={"progression": "manual", "times": 3}
    )
    yield
    state_manager.unset_transition(model_name="athena::execution")


@pytest.mark.usefixtures("slow_athena")
def test_a_running_query_is_polled_with_backoff_until_it_succeeds(
    account: Account, tmp_path: Path
) -> None:
    path = write_log(tmp_path / "a.log", records([], seed=0))
    names, _ = twin_rows(path, DEFAULT_FORMAT)
    row = ("ok", "eni-1", "10.0.0.1", "10.0.0.2", 40000, 443, 6, "ACCEPT", None, None, None,
           None, 3, 30, 3000, 100, 160)  # fmt: skip
    seed(names, [row])
    slept: list[float] = []
    result = _run(account, sleep=slept.append)
    # moto advances a state every third poll: the 6th poll says SUCCEEDED, after 5 waits
    assert slept == [0.2, 0.4, 0.8, 1.6, 3.2]
    (flow,) = result.flows
    assert (flow.records, flow.packets, flow.bytes, flow.dst_port) == (3, 30, 3000, 443)
    assert flow.ingress is None
    assert flow.tcp_flags is None


@pytest.mark.usefixtures("slow_athena")
def test_a_failed_or_cancelled_query_is_one_aws_error_with_its_state(account: Account) -> None:
    def fail(_: float) -> None:  # Athena fails the query while tierguard waits
        executions()[-1].status = "FAILED"

    with pytest.raises(AwsError, match=r"^Athena query [0-9a-f-]+ FAILED: no reason given$"):
        _run(account, sleep=fail)
    athena = account.session.client("athena", region_name=account.region)

    def cancel(_: float) -> None:  # someone stops it from the console
        athena.stop_query_execution(QueryExecutionId=executions()[-1].id)

    with pytest.raises(AwsError, match=r"CANCELLED"):
        _run(account, sleep=cancel)


def test_a_query_running_too_long_is_stopped(account: Account) -> None:
    state_manager.set_transition(
        model_name="athena::execution", transition={"progression": "manual", "times": 1000}
    )
    try:
        with pytest.raises(AwsError, match=r"still (QUEUED|RUNNING) after 1 s; stopped it"):
            _run(account, sleep=lambda _: None, timeout=1.0)
    finally:
        state_manager.unset_transition(model_name="athena::execution")
    athena = account.session.client("athena", region_name=account.region)
    state = athena.get_query_execution(QueryExecutionId=executions()[-1].id)
    assert state["QueryExecution"]["Status"]["State"] == "CANCELLED"


def test_an_answer_that_is_not_the_aggregate_is_refused(account: Account, tmp_path: Path) -> None:
    names, _ = twin_rows(write_log(tmp_path / "a.log", []), DEFAULT_FORMAT)
    seed(names, [tuple("x" for _ in names)])
    with pytest.raises(AwsError, match="not the aggregation tierguard sent"):
        _run(account)


def test_engine_athena_takes_no_flow_logs_source(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, _, err = invoke(
        ["usage", "--engine", "athena", "--flow-logs", ".", "-C", str(PROJECT_DIR)],
        capsys,
        monkeypatch,
    )
    assert code == 2
    assert "--engine athena reads --database/--table, not --flow-logs" in err
