"""``tierguard audit``: read an AWS account (or an emulator) and report; changes nothing."""

from __future__ import annotations

import json
from pathlib import Path

import click

from tierguard.audit import audit as run_audit
from tierguard.audit import report_json, report_text
from tierguard.audit.collect import DEFAULT_TIMEOUT, collect
from tierguard.audit.findings import Level
from tierguard.audit.report import sarif_parts
from tierguard.cli._output import OutputFile, writing
from tierguard.cli._stack import CWD_OPTION, load
from tierguard.errors import AuditFailed, ConfigError, Problem, UsageError
from tierguard.plan import NetworkPlan
from tierguard.program import region_from
from tierguard.reach.intents import INTENTS_KEY, Intent, IntentError, parse_intents
from tierguard.report.sarif import write_sarif


@click.command()
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
    exposure, hygiene, and (with --stack) drift from the stack. Read-only."""
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
        raw_region = loaded.stack.config.get("aws:region")
        plan_region = region_from(raw_region if isinstance(raw_region, str) else None)
        if plan_region not in regions:
            regions = (*regions, plan_region)
    inventory = collect(regions, profile=profile, endpoint_url=endpoint_url, timeout=timeout)
    report = run_audit(inventory, plan, plan_region=plan_region, intents=intents)
    if sarif is not None:
        rules, results = sarif_parts(report)
        with writing(sarif, "--sarif"):
            write_sarif(sarif, rules, results)
    if as_json:
        click.echo(json.dumps(report_json(report), indent=2))
    else:
        click.echo(report_text(report))
    if fail_on is not None:
        threshold = Level(fail_on).rank
        failing = [f for f in report.findings if f.level.rank <= threshold]
        if failing:
            raise AuditFailed(
                f"{len(failing)} finding(s) at level {fail_on} or worse (--fail-on {fail_on})"
            )
