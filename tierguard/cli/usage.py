"""``tierguard usage``: which rules VPC Flow Logs show used, unused or wider. Read-only."""

from __future__ import annotations

import dataclasses
import json
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from tierguard.errors import AuditFailed, UsageError

if TYPE_CHECKING:
    from tierguard.cli._stack import LoadedStack
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


@click.command()
@click.option(
    "--flow-logs",
    "source",
    required=True,
    help="Where the flow logs are: a file or directory (.log, .log.gz, .parquet), "
    "s3://BUCKET/PREFIX (S3 delivery), or logs:LOG_GROUP (CloudWatch Logs).",
)
@click.option(
    "--format",
    "log_format",
    help="The flow log's custom format for files without a header line, as given to AWS: "
    "'${version} ${interface-id} ${srcaddr} …' (default: the version-2 default format).",
)
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
    "-C",
    "--cwd",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path(),
    help="Run as if started in this directory (the project is found upward).",
)
@click.option("--since", help="Only records ending at or after this time (ISO 8601 or epoch).")
@click.option("--until", help="Only records starting at or before this time.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option(
    "--athena-sql",
    is_flag=True,
    help="Print the Athena table DDL (partition projection) for the s3:// --flow-logs "
    "location and the aggregation query, and exit; nothing is run.",
)
@click.option("--database", default="flowlogs", show_default=True, help="With --athena-sql.")
@click.option("--table", default="vpc_flow_logs", show_default=True, help="With --athena-sql.")
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
    source: str,
    log_format: str | None,
    region: str | None,
    profile: str | None,
    endpoint_url: str | None,
    stack: str | None,
    stack_file: Path | None,
    cwd: Path,
    since: str | None,
    until: str | None,
    as_json: bool,
    athena_sql: bool,
    database: str,
    table: str,
    sarif: Path | None,
    fail_on: str | None,
) -> None:
    """Attribute VPC Flow Logs to security-group rules and ACL entries: rules no flow
    used, rules wider than their traffic (with the narrowest replacement), and rejected
    traffic worth a look. Suggests a stack-file change as a diff; never applies it."""
    from tierguard.audit.collect import collect
    from tierguard.cli._stack import load
    from tierguard.program import region_from
    from tierguard.usage.attribute import Network, attribute
    from tierguard.usage.flowlogs import find_files, parse_format, read
    from tierguard.usage.render import failing
    from tierguard.usage.sources import fetch, is_remote
    from tierguard.usage.verdicts import usage_report

    if stack_file is not None and stack is None:
        raise UsageError("--stack-file needs --stack: it names the stack to report on")
    start, end = _stamp(since, "--since"), _stamp(until, "--until")
    if start is not None and end is not None and start > end:
        raise UsageError(f"--since {since!r} is after --until {until!r}")
    fields = parse_format(log_format) if log_format else None
    if athena_sql:
        _print_athena(source, database, table, fields, start, end)
        return
    loaded = load(cwd, stack, stack_file) if stack is not None else None
    if loaded is not None and region is None:
        raw = loaded.stack.config.get("aws:region")
        region = region_from(raw if isinstance(raw, str) else None)
    if not is_remote(source):
        find_files(Path(source))  # a bad path is bad input: said before AWS is asked
    inventory = collect([region] if region else [], profile=profile, endpoint_url=endpoint_url)
    with tempfile.TemporaryDirectory(prefix="tierguard-flowlogs-") as scratch:
        local = Path(source)
        if is_remote(source):
            local = fetch(
                source,
                Path(scratch),
                profile=profile,
                region=inventory.regions[0].region,
                endpoint_url=endpoint_url,
                since=start,
                until=end,
            )
        result = read(local, fields=fields, since=start, until=end)
    network = Network(inventory.regions[0])
    report = usage_report(
        network,
        attribute(network, result.flows),
        (start if start is not None else result.first, end if end is not None else result.last),
        read_counts=result.counts,
    )
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
    from tierguard.audit.inventory import TAG_STACK
    from tierguard.usage.diff import suggested_diff

    groups = [g for g in network.inventory.groups if g.tags.get(TAG_STACK) == stack]
    mine = {g.id for g in groups}
    vpcs = {g.vpc_id for g in groups}
    acls = {a.id for a in network.inventory.acls if a.vpc_id in vpcs}
    report = dataclasses.replace(
        report,
        rules=tuple(r for r in report.rules if r.group_id in mine),
        acl_entries=tuple(e for e in report.acl_entries if e.ref.acl_id in acls),
    )
    names = {r.id: r.tags.get("Name", "") for g in groups for r in g.rules}
    path = loaded.stack.path
    text = path.read_text(encoding="utf-8")
    return report, suggested_diff(text, path.name, loaded.plan, report.rules, names)


def _print_athena(
    source: str,
    database: str,
    table: str,
    fields: tuple[str, ...] | None,
    start: int | None,
    end: int | None,
) -> None:
    from tierguard.usage.athena import aggregate_query, table_ddl
    from tierguard.usage.flowlogs import DEFAULT_FORMAT

    if not source.startswith("s3://"):
        raise UsageError(
            f"--athena-sql needs --flow-logs s3://BUCKET/AWSLogs/ACCOUNT/vpcflowlogs/REGION/, "
            f"not {source!r}"
        )
    chosen = fields or DEFAULT_FORMAT
    click.echo(table_ddl(database, table, source, chosen) + ";")
    click.echo("")
    query = aggregate_query(
        f"{database}.{table}", chosen, since=start, until=end, partitioned=True, dialect="athena"
    )
    click.echo(query + ";")
