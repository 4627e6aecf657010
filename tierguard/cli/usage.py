"""``tierguard usage``: which rules VPC Flow Logs show used, unused or wider. Read-only."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from tierguard.errors import AuditFailed, UsageError

if TYPE_CHECKING:
    from tierguard.cli._stack import LoadedStack
    from tierguard.usage.athena import AthenaTable
    from tierguard.usage.attribute import Network
    from tierguard.usage.flowlogs import ReadResult
    from tierguard.usage.verdicts import UsageReport


def _stamp(value: str | None, flag: str) -> int | None:
    """Epoch seconds, or an ISO 8601 date/time (UTC unless it says otherwise)."""
    if value is None:
        return None
    text = value.strip()
    if text.isdigit():
        return int(text)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(
            f"{flag} {value!r} is not a time; use ISO 8601 (2026-11-30 or 2026-11-30T12:00Z) "
            "or epoch seconds"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


@dataclass(frozen=True)
class FlowLogs:
    """The flow-log options ``usage`` and ``audit --flow-logs`` share, checked once."""

    source: str | None
    fields: tuple[str, ...] | None
    since: int | None
    until: int | None
    table: AthenaTable
    """The Athena table (``--athena-sql`` prints its DDL; ``--engine athena`` queries it)."""
    engine: str = "duckdb"

    @property
    def athena(self) -> AthenaTable | None:
        return self.table if self.engine == "athena" else None

    @property
    def requested(self) -> bool:
        """Whether any flow logs were asked for (a source, or Athena)."""
        return self.source is not None or self.athena is not None

    @property
    def window(self) -> tuple[int | None, int | None]:
        return self.since, self.until


_FLOW_LOG_OPTIONS = (
    click.option(
        "--flow-logs",
        "source",
        help="Where the flow logs are: a file or directory (.log, .log.gz, .parquet), "
        "s3://BUCKET/PREFIX (S3 delivery), or logs:LOG_GROUP (CloudWatch Logs).",
    ),
    click.option(
        "--format",
        "log_format",
        help="The flow log's custom format for files without a header line, as given to AWS: "
        "'${version} ${interface-id} ${srcaddr} …' (default: the version-2 default format; "
        "with --engine athena: the table's columns).",
    ),
    click.option("--since", help="Only records ending at or after this time (ISO 8601 or epoch)."),
    click.option("--until", help="Only records starting at or before this time."),
    click.option(
        "--engine",
        type=click.Choice(["duckdb", "athena"]),
        default="duckdb",
        show_default=True,
        help="duckdb: read the logs here; athena: sum them in Athena over --database/--table "
        "(the table --athena-sql creates) and read back only the aggregate.",
    ),
    click.option("--database", default="flowlogs", show_default=True, help="Athena database."),
    click.option("--table", default="vpc_flow_logs", show_default=True, help="Athena table."),
    click.option("--workgroup", default="primary", show_default=True, help="Athena workgroup."),
    click.option(
        "--athena-output",
        help="s3://BUCKET/PREFIX/ for Athena's query results (when the workgroup sets none).",
    ),
)


def flow_log_options(command: Callable[..., None]) -> Callable[..., None]:
    """Add the flow-log options; the command receives them as one ``flow_logs``."""

    @functools.wraps(command)
    def wrapper(**kwargs: Any) -> None:
        keys = ("source", "log_format", "since", "until", "engine", "database", "table")
        values = {k: kwargs.pop(k) for k in (*keys, "workgroup", "athena_output")}
        command(flow_logs=_flow_logs(**values), **kwargs)

    for option in reversed(_FLOW_LOG_OPTIONS):
        wrapper = option(wrapper)
    return wrapper


def _flow_logs(
    *,
    source: str | None,
    log_format: str | None,
    since: str | None,
    until: str | None,
    engine: str,
    database: str,
    table: str,
    workgroup: str,
    athena_output: str | None,
) -> FlowLogs:
    from tierguard.usage.athena import AthenaTable
    from tierguard.usage.flowlogs import DEFAULT_FORMAT, parse_format
    from tierguard.usage.sources import check_source

    start, end = _stamp(since, "--since"), _stamp(until, "--until")
    if start is not None and end is not None and start > end:
        raise UsageError(f"--since {since!r} is after --until {until!r}")
    fields = parse_format(log_format) if log_format else None
    if engine == "athena" and source is not None:
        raise UsageError(
            "--engine athena reads --database/--table, not --flow-logs (the table's "
            "LOCATION says where the logs are; --athena-sql prints its DDL)"
        )
    athena = AthenaTable(database, table, workgroup, athena_output, fields or DEFAULT_FORMAT)
    check_source(source)
    return FlowLogs(source, fields, start, end, athena, engine)


def read_flow_logs(
    flow_logs: FlowLogs, *, profile: str | None, region: str, endpoint_url: str | None
) -> ReadResult:
    from tierguard.usage.sources import read_source

    return read_source(
        flow_logs.source,
        fields=flow_logs.fields,
        since=flow_logs.since,
        until=flow_logs.until,
        profile=profile,
        region=region,
        endpoint_url=endpoint_url,
        athena=flow_logs.athena,
    )


def flow_usage(network: Network, result: ReadResult, flow_logs: FlowLogs) -> UsageReport:
    """Attribution and verdicts over the window asked for (else the records' own)."""
    from tierguard.usage.attribute import attribute
    from tierguard.usage.verdicts import usage_report

    since, until = flow_logs.window
    return usage_report(
        network,
        attribute(network, result.flows),
        (since if since is not None else result.first, until if until is not None else result.last),
        read_counts=result.counts,
        notes=network.inventory.notes,
    )


@click.command()
@flow_log_options
@click.option("-r", "--region", help="The region whose groups and ACLs the logs are about.")
@click.option("--profile", help="The AWS profile to use (default: the usual credential chain).")
@click.option("--endpoint-url", help="Send every call to this endpoint (an emulator).")
@click.option(
    "-s", "--stack", help="Report this stack's groups only, and suggest a change to its file."
)
@click.option(
    "--stack-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="With --stack: use this stack file instead of Pulumi.<stack>.yaml.",
)
@click.option(
    "--from-plan",
    is_flag=True,
    help="With --stack: map addresses to tiers through the stack's plan (its subnets' "
    "CIDRs) instead of the account's interfaces; reads no inventory from AWS.",
)
@click.option(
    "-C",
    "--cwd",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path(),
    help="Run as if started in this directory (the project is found upward).",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option(
    "--athena-sql",
    is_flag=True,
    help="Print the Athena table DDL (partition projection) for the s3:// --flow-logs "
    "location and the aggregation query, and exit; nothing is run.",
)
@click.option(
    "--sarif",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the findings as SARIF 2.1.0.",
)
@click.option(
    "--fail-on",
    type=click.Choice(["error", "warning", "note"]),
    help="Exit 1 when a finding of this level or worse is reported (a CI gate).",
)
def usage(
    flow_logs: FlowLogs,
    region: str | None,
    profile: str | None,
    endpoint_url: str | None,
    stack: str | None,
    stack_file: Path | None,
    from_plan: bool,
    cwd: Path,
    as_json: bool,
    athena_sql: bool,
    sarif: Path | None,
    fail_on: str | None,
) -> None:
    """Attribute VPC Flow Logs to security-group rules and ACL entries: rules no flow
    used, rules wider than their traffic (with the narrowest replacement), and rejected
    traffic worth a look. Suggests a stack-file change as a diff; never applies it."""
    from tierguard.audit.collect import collect
    from tierguard.cli._stack import load
    from tierguard.program import region_of_stack
    from tierguard.usage.attribute import Network
    from tierguard.usage.render import failing
    from tierguard.usage.stackmap import plan_inventory

    if stack_file is not None and stack is None:
        raise UsageError("--stack-file needs --stack: it names the stack to report on")
    if from_plan and stack is None:
        raise UsageError("--from-plan needs --stack: the plan of that stack names the tiers")
    if athena_sql:
        _print_athena(flow_logs)
        return
    if not flow_logs.requested:
        raise UsageError("--flow-logs is required (or --engine athena with --database/--table)")
    loaded = load(cwd, stack, stack_file) if stack is not None else None
    if loaded is not None and region is None:
        region = region_of_stack(loaded.stack)
    if from_plan:
        assert loaded is not None
        assert region is not None
        result = read_flow_logs(
            flow_logs, profile=profile, region=region, endpoint_url=endpoint_url
        )
        network = Network(plan_inventory(loaded.plan, result.flows, region))
    else:
        inventory = collect([region] if region else [], profile=profile, endpoint_url=endpoint_url)
        result = read_flow_logs(
            flow_logs,
            profile=profile,
            region=inventory.regions[0].region,
            endpoint_url=endpoint_url,
        )
        network = Network(inventory.regions[0])
    report = flow_usage(network, result, flow_logs)
    diff = ""
    if loaded is not None:
        assert stack is not None
        report, diff = _for_stack(report, network, stack, loaded)
    _emit(report, result, diff, as_json=as_json, sarif=sarif)
    if fail_on is not None and (count := failing(report, fail_on)):
        raise AuditFailed(f"{count} finding(s) at level {fail_on} or worse (--fail-on {fail_on})")


def _emit(
    report: UsageReport, result: ReadResult, diff: str, *, as_json: bool, sarif: Path | None
) -> None:
    from tierguard.report.sarif import write_sarif
    from tierguard.usage.render import SARIF_RULES, sarif_results, text_lines

    if sarif is not None:
        write_sarif(sarif, SARIF_RULES, sarif_results(report))
    if as_json:
        doc = report.to_json()
        doc["files"] = {"read": result.files, "unreadable": result.unreadable}
        doc["suggested_diff"] = diff or None
        click.echo(json.dumps(doc, indent=2))
        return
    for line in text_lines(report, files=result.files, unreadable=result.unreadable):
        click.echo(line)
    if diff:
        click.echo("")
        click.echo("Suggested change (not applied):")
        click.echo(diff.rstrip("\n"))


def _for_stack(
    report: UsageReport, network: Network, stack: str, loaded: LoadedStack
) -> tuple[UsageReport, str]:
    """The stack's groups and its VPC's ACLs only, and the suggested stack-file diff."""
    from tierguard.deployed import tags as tag
    from tierguard.usage.diff import suggested_diff
    from tierguard.usage.verdicts import for_stack

    report = for_stack(report, network, stack)
    names = {r.id: r.tags.get(tag.NAME, "") for g in network.inventory.groups for r in g.rules}
    path = loaded.stack.path
    text = path.read_text(encoding="utf-8")
    acl_names = {a.id: a.tags.get(tag.ACL, a.id) for a in network.inventory.acls}
    diff = suggested_diff(
        text, path.name, loaded.plan, report.rules, names, report.acl_entries, acl_names
    )
    return report, diff


def _print_athena(flow_logs: FlowLogs) -> None:
    from tierguard.usage.athena import table_ddl

    source = flow_logs.source
    if source is None or not source.startswith("s3://"):
        raise UsageError(
            f"--athena-sql needs --flow-logs s3://BUCKET/AWSLogs/ACCOUNT/vpcflowlogs/REGION/, "
            f"not {source!r}"
        )
    table = flow_logs.table
    click.echo(table_ddl(table.database, table.table, source, table.fields) + ";")
    click.echo("")
    click.echo(table.query(flow_logs.since, flow_logs.until) + ";")
