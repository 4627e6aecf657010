"""The ``tierguard`` command: a thin shell over the library, errors mapped to exit codes.

Exit codes: 0 success, 1 failure (a program or engine error, a failed verification, a
mandatory policy violation), 2 bad input (config, flags, stack files, an unknown stack),
3 something outside is unavailable (no Pulumi CLI could be found or installed; for
``tierguard audit``, AWS refused or could not be reached), 4 the stack is locked by another
update, 130 interrupted. Errors, tierguard's and click's alike, are printed by
``_errors.Reported``: ``error: …`` per problem, never a traceback.
Each verb lives in its own module and is registered here by name; a verb's module is
imported only when that verb runs (an offline preview never loads boto3, moto or the
audit; ``--help`` loads none of them).
"""

from __future__ import annotations

import atexit
import gc
import importlib
import sys
from typing import NamedTuple

import click

from tierguard.cli._errors import Reported
from tierguard.errors import TierguardError


class Verb(NamedTuple):
    target: str
    """``module:attribute`` of the click command."""
    summary: str
    """Its one-line help, as ``--help`` lists it."""


#: The verbs. Each one's help is written here too, so that ``--help`` imports none of them
#: (they load boto3, moto, the Automation API); a test holds it equal to the command's own.
VERBS = {
    "audit": Verb(
        "tierguard.cli.audit:audit",
        (
            "Audit security groups and network ACLs as they are: unused groups, real "
            "internet exposure, hygiene, (with --stack) drift from the stack, and (with "
            "--flow-logs) which rules and ACL entries traffic used."
        ),
    ),
    "check": Verb(
        "tierguard.cli.check:check",
        (
            "The fast path: judge stack files with the policy pack and reachability in this"
            " process — for editors, pre-commit and tight loops."
        ),
    ),
    "usage": Verb(
        "tierguard.cli.usage:usage",
        (
            "Attribute VPC Flow Logs to security-group rules and ACL entries: rules no flow"
            " used, rules wider than their traffic (with the narrowest replacement), and "
            "rejected traffic worth a look."
        ),
    ),
    "generate-flow-logs": Verb(
        "tierguard.cli.flowgen:generate_flow_logs",
        "Write generated flow logs for the stack (a directory, S3 or CloudWatch Logs).",
    ),
    "preview": Verb(
        "tierguard.cli.preview:preview",
        (
            "Show what the stack would change: offline on the mock engine, or live via the "
            "engine with the policy pack attached (the stack is created if missing)."
        ),
    ),
    "reach": Verb(
        "tierguard.cli.reach:reach",
        (
            "Who can reach which tier on which ports, through security groups and network "
            "ACLs, computed from the resources of the project's program (or of a state "
            "file)."
        ),
    ),
    "up": Verb(
        "tierguard.cli.deploy:up",
        "Create or update a stack's resources (the stack is created if missing).",
    ),
    "refresh": Verb(
        "tierguard.cli.deploy:refresh",
        "Read the stack's resources from AWS into its state.",
    ),
    "destroy": Verb(
        "tierguard.cli.deploy:destroy",
        "Delete every resource of the stack.",
    ),
    "outputs": Verb(
        "tierguard.cli.deploy:outputs",
        "Print the stack's outputs (secrets masked).",
    ),
    "stacks": Verb(
        "tierguard.cli.deploy:stacks",
        "List the project's stacks in the backend.",
    ),
    "cancel": Verb(
        "tierguard.cli.deploy:cancel",
        "Clear a stack's update lock (after a crashed or killed run).",
    ),
    "demo": Verb(
        "tierguard.cli.deploy:demo",
        ("up --emulator --yes, outputs and verification, destroy (offline preview without a CLI)."),
    ),
}


class LazyGroup(click.Group):
    """A group whose verbs are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(VERBS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        verb = VERBS.get(cmd_name)
        if verb is None:
            return None
        module, attribute = verb.target.split(":")
        command = getattr(importlib.import_module(module), attribute)
        assert isinstance(command, click.Command)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The verbs and their help as click lists them, without importing any."""
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max(len(name) for name in names)
        with formatter.section("Commands"):
            formatter.write_dl(
                [
                    (name, click.Command(name, help=VERBS[name].summary).get_short_help_str(limit))
                    for name in names
                ]
            )


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="tierguard")
def cli() -> None:
    """Least-privilege security groups and network ACLs for tiered AWS VPCs."""


#: The cyclic garbage collector's thresholds for a CLI run. A program on the mock engine,
#: the pack's requests and the plan allocate millions of short-lived objects; at Python's
#: default (700 allocations) the collector rescans the whole heap so often that it costs
#: about as much CPU as the work itself. Cycles are still collected, in larger batches.
GC_THRESHOLDS = (50_000, 20, 20)


def main() -> None:
    """Console-script entry point: run the CLI and map tierguard errors to exit codes.
    The collector's thresholds are restored on the way out, for a caller in-process."""
    previous = gc.get_threshold()
    gc.set_threshold(*GC_THRESHOLDS)
    try:
        cli.main(prog_name="tierguard", standalone_mode=False)
    except (TierguardError, click.ClickException, click.exceptions.Abort) as exc:
        reported = Reported.of(exc)
        reported.show()
        sys.exit(reported.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    finally:
        gc.set_threshold(*previous)


@atexit.register
def _close_event_loop() -> None:
    """At exit, close the event loop the Pulumi SDK ran a program on, while the
    interpreter is whole.

    Left open, it is closed by its finaliser during interpreter shutdown, which can run
    after its self-pipe socket was finalised and print "Exception ignored … Invalid file
    descriptor: -1" after a clean exit (seen after a program failed on the mock engine).
    Not closed when ``main`` returns: tests call ``main`` in a process whose loop goes on.
    """
    asyncio = sys.modules.get("asyncio")
    if asyncio is None:  # nothing imported asyncio, so no loop exists
        return
    try:
        loop = asyncio.get_event_loop_policy().get_event_loop()
    except RuntimeError:
        return
    if not loop.is_running() and not loop.is_closed():
        loop.close()
