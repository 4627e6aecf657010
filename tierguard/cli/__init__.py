"""The ``tierguard`` command: a thin shell over the library, errors mapped to exit codes.

Exit codes: 0 success, 1 failure (a program or engine error, a failed verification, a
mandatory policy violation), 2 bad input (config, flags, stack files, an unknown stack),
3 something outside is unavailable (no Pulumi CLI could be found or installed; for
``tierguard audit``, AWS refused or could not be reached), 4 the stack is locked by another
update, 130 interrupted. Errors, tierguard's and click's alike, are printed by
``_errors.Reported``: ``error: …`` per problem, never a traceback.
Each verb lives in its own module and is registered here by name; a verb's module is
imported only when that verb runs (an offline preview never loads boto3, moto or the
audit; ``--help`` loads them all to list them).
"""

from __future__ import annotations

import atexit
import gc
import importlib
import sys

import click

from tierguard.cli._errors import Reported
from tierguard.errors import TierguardError

#: Verb → ``module:attribute`` of its click command, in the order ``--help`` lists them.
VERBS = {
    "audit": "tierguard.cli.audit:audit",
    "check": "tierguard.cli.check:check",
    "usage": "tierguard.cli.usage:usage",
    "generate-flow-logs": "tierguard.cli.flowgen:generate_flow_logs",
    "preview": "tierguard.cli.preview:preview",
    "reach": "tierguard.cli.reach:reach",
    "up": "tierguard.cli.deploy:up",
    "refresh": "tierguard.cli.deploy:refresh",
    "destroy": "tierguard.cli.deploy:destroy",
    "outputs": "tierguard.cli.deploy:outputs",
    "stacks": "tierguard.cli.deploy:stacks",
    "cancel": "tierguard.cli.deploy:cancel",
    "demo": "tierguard.cli.deploy:demo",
}


class LazyGroup(click.Group):
    """A group whose verbs are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(VERBS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = VERBS.get(cmd_name)
        if target is None:
            return None
        module, attribute = target.split(":")
        command = getattr(importlib.import_module(module), attribute)
        assert isinstance(command, click.Command)
        return command


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
