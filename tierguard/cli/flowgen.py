"""``tierguard generate-flow-logs``: realistic VPC Flow Logs for a stack, for demos and tests.

Addresses come from the stack's planned subnets, traffic from its rules (every ingress rule
gets the traffic it is there for, internet-facing tiers get probes), written where AWS
delivers flow logs: a local directory in S3's key layout, an S3 bucket, or a CloudWatch
Logs group (one stream per interface). Nothing else is touched.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Literal

import click

from tierguard.cli._stack import CWD_OPTION, load
from tierguard.errors import UsageError


@click.command("generate-flow-logs")
@click.option("-s", "--stack", default="dev", show_default=True, help="Stack name.")
@click.option(
    "--stack-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Use this stack file instead of Pulumi.<stack>.yaml.",
)
@CWD_OPTION
@click.option(
    "--to",
    "target",
    required=True,
    help="A directory (S3's key layout under it), s3://BUCKET[/PREFIX] or logs:LOG_GROUP.",
)
@click.option(
    "--file-format",
    type=click.Choice(["text", "parquet"]),
    default="text",
    show_default=True,
    help="S3 delivery's file format (a directory or s3://).",
)
@click.option(
    "--connections",
    type=click.IntRange(1, 1_000_000),
    default=20,
    show_default=True,
    help="Connections per rule (internet-facing rules get three times as many).",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed.")
@click.option(
    "--quiet-admins",
    is_flag=True,
    help="No traffic for rules from named ranges (admins): they show up as unused.",
)
@click.option("--endpoint-url", help="Send every AWS call to this endpoint (an emulator).")
@click.option("--profile", help="The AWS profile to use (default: the usual credential chain).")
def generate_flow_logs(
    stack: str,
    stack_file: Path | None,
    cwd: Path,
    target: str,
    file_format: Literal["text", "parquet"],
    connections: int,
    seed: int,
    quiet_admins: bool,
    endpoint_url: str | None,
    profile: str | None,
) -> None:
    """Write generated flow logs for the stack (a directory, S3 or CloudWatch Logs)."""
    from tierguard.audit.collect import CLIENT_CONFIG, aws_errors, session
    from tierguard.program import region_of_stack
    from tierguard.usage.deliver import to_cloudwatch, to_directory, to_s3
    from tierguard.usage.generate import plan_endpoints, plan_intents, records

    loaded = load(cwd, stack, stack_file)
    region = region_of_stack(loaded.stack)
    intents = plan_intents(
        loaded.plan,
        plan_endpoints(loaded.plan),
        connections=connections,
        idle_cidr_rules=quiet_admins,
    )
    # CloudWatch Logs takes events from the last 14 days only: the last full hour.
    start = int(time.time()) // 3600 * 3600 - 3600
    found = records(intents, seed=seed, start=start)
    if target.startswith("s3://"):
        bucket, _, prefix = target.removeprefix("s3://").partition("/")
        if not bucket:
            raise UsageError(f"--to {target!r}: write s3://BUCKET[/PREFIX]")
        with aws_errors("s3", region, endpoint_url):
            s3 = session(profile).client(
                "s3", region_name=region, endpoint_url=endpoint_url, config=CLIENT_CONFIG
            )
            keys = to_s3(s3, bucket, found, region=region, prefix=prefix, file_format=file_format)
        where = f"{len(keys)} object(s) under s3://{bucket}/{keys[0].rsplit('/', 1)[0]}/"
    elif target.startswith("logs:"):
        group = target.removeprefix("logs:")
        if not group:
            raise UsageError("--to 'logs:': write logs:LOG_GROUP_NAME")
        with aws_errors("logs", region, endpoint_url):
            logs = session(profile).client(
                "logs", region_name=region, endpoint_url=endpoint_url, config=CLIENT_CONFIG
            )
            streams = to_cloudwatch(logs, group, found)
        where = f"{len(streams)} stream(s) of log group {group}"
    else:
        directory = Path(target)
        if directory.exists() and not directory.is_dir():
            raise UsageError(f"--to {target!r} is a file; give a directory")
        files = to_directory(directory, found, region=region, file_format=file_format)
        where = f"{len(files)} file(s) under {directory / 'AWSLogs'}/"
    click.echo(f"{len(found)} flow-log records for stack {stack} → {where}", err=True)
