"""``tierguard audit``: read an AWS account (or an emulator) and report; changes nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from tierguard.audit import audit as run_audit
from tierguard.audit import report_json, report_text
from tierguard.audit.collect import DEFAULT_TIMEOUT, collect
from tierguard.audit.findings import Level
from tierguard.audit.report import Report, sarif_parts
from tierguard.cli._output import OutputFile, writing
from tierguard.cli._stack import CWD_OPTION, load
from tierguard.cli.usage import FlowLogs, flow_log_options, flow_usage, read_flow_logs
from tierguard.errors import AuditFailed, ConfigError, Problem, UsageError
from tierguard.plan import NetworkPlan
from tierguard.program import region_of_stack
from tierguard.reach.intents import INTENTS_KEY, Intent, IntentError, parse_intents
from tierguard.report.sarif import write_sarif

if TYPE_CHECKING:
    from tierguard.usage.verdicts import UsageReport


@click.command()
@flow_log_options
@click.option(
    "-r",
    "--region",
    "regions",
    multiple=True,
    help="A region to audit (repeatable; default: the profile's or AWS_REGION; with "
    "--stack, the stack's region is always included).",
)
@click.option("--profile", help="The AWS profile to use (default: the usual credential chain).")
@click.option(
    "--endpoint-url",
    help="Send every call to this endpoint (an emulator such as moto's server).",
)
@click.option(
    "-s",
    "--stack",
    help="Also report drift between this stack's plan and the groups and ACLs tagged for it.",
)
@click.option(
    "--stack-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="With --stack: use this stack file instead of Pulumi.<stack>.yaml.",
)
@CWD_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option(
    "--fail-on",
    type=click.Choice(["error", "warning", "note"]),
    help="Exit 1 when a finding of this level or worse is reported (a CI gate).",
)
@click.option(
    "--sarif",
    type=OutputFile(),
    help="Also write the findings as SARIF 2.1.0 (GitHub code scanning).",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0.1, max=600),
    default=DEFAULT_TIMEOUT,
    show_default=True,
    metavar="SECONDS",
    help="How long to wait for AWS (or --endpoint-url) to connect and to answer a call.",
)
def audit(
    flow_logs: FlowLogs,
    regions: tuple[str, ...],
    profile: str | None,
    endpoint_url: str | None,
    stack: str | None,
    stack_file: Path | None,
    cwd: Path,
    as_json: bool,
    fail_on: str | None,
    sarif: Path | None,
    timeout: float,
) -> None:
    """Audit security groups and network ACLs as they are: unused groups, real internet
    exposure, hygiene, (with --stack) drift from the stack, and (with --flow-logs) which
    rules and ACL entries traffic used. Read-only."""
    plan: NetworkPlan | None = None
    plan_region: str | None = None
    intents: list[Intent] = []
    if stack_file is not None and stack is None:
        raise UsageError("--stack-file needs --stack: it names the stack to compare with")
    if stack is not None:
        loaded = load(cwd, stack, stack_file)
        plan = loaded.plan
        try:
            intents = parse_intents(loaded.stack.config.get(INTENTS_KEY))
        except IntentError as exc:
            raise ConfigError([Problem(exc.path, exc.reason)]) from None
        plan_region = region_of_stack(loaded.stack)
        if plan_region not in regions:
            regions = (*regions, plan_region)
    inventory = collect(regions, profile=profile, endpoint_url=endpoint_url, timeout=timeout)
    report = run_audit(inventory, plan, plan_region=plan_region, intents=intents)
    usage: UsageReport | None = None
    usage_files = 0
    if flow_logs.requested:
        report, usage, usage_files = _flow_logs(
            report, flow_logs, plan_region, stack, profile, endpoint_url
        )
    if sarif is not None:
        rules, results = sarif_parts(report)
        with writing(sarif, "--sarif"):
            write_sarif(sarif, rules, results)
    if as_json:
        doc = report_json(report)
        if usage is not None:
            doc["flowLogs"] = usage.to_json()
        click.echo(json.dumps(doc, indent=2))
    else:
        click.echo(report_text(report))
        if usage is not None:
            from tierguard.usage.render import text_lines

            click.echo("")
            for line in text_lines(usage, files=usage_files, unreadable=[]):
                click.echo(line)
    if fail_on is not None:
        threshold = Level(fail_on).rank
        failing = [f for f in report.findings if f.level.rank <= threshold]
        if failing:
            raise AuditFailed(
                f"{len(failing)} finding(s) at level {fail_on} or worse (--fail-on {fail_on})"
            )


def _flow_logs(
    report: Report,
    flow_logs: FlowLogs,
    plan_region: str | None,
    stack: str | None,
    profile: str | None,
    endpoint_url: str | None,
) -> tuple[Report, UsageReport, int]:
    """The flow logs attributed in the stack's region (or the one region audited), their
    findings added to the audit's; with --stack, the stack's groups and ACLs only."""
    from tierguard.audit.flowlogs import with_flow_findings
    from tierguard.usage.attribute import Network
    from tierguard.usage.verdicts import for_stack

    regions = report.inventory.regions
    region = plan_region or (regions[0].region if len(regions) == 1 else None)
    if region is None:
        raise UsageError(
            "--flow-logs with several --region: name the stack (--stack) or audit one region; "
            "the logs are attributed in one region"
        )
    inventory = next(r for r in regions if r.region == region)
    result = read_flow_logs(flow_logs, profile=profile, region=region, endpoint_url=endpoint_url)
    network = Network(inventory)
    usage = flow_usage(network, result, flow_logs)
    if stack is not None:
        usage = for_stack(usage, network, stack)
    return with_flow_findings(report, usage, region), usage, result.files
