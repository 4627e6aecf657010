"""The ``tierguard`` command: a thin shell over the library, errors mapped to exit codes.

Exit codes: 0 success, 1 failure (a program or engine error, a failed verification, a
mandatory policy violation), 2 bad input (config, flags, stack files, an unknown stack),
3 something outside is unavailable (no Pulumi CLI could be found or installed; for
``tierguard audit``, AWS refused or could not be reached), 4 the stack is locked by another
update, 130 interrupted. Errors are printed as one line per problem, never as a traceback.
Each verb lives in its own module and is registered here.
"""

from __future__ import annotations

import sys

import click

from tierguard.cli.audit import audit
from tierguard.cli.deploy import cancel, demo, destroy, outputs, refresh, stacks, up
from tierguard.cli.preview import preview
from tierguard.cli.reach import reach
from tierguard.errors import TierguardError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="tierguard")
def cli() -> None:
    """Least-privilege security groups and network ACLs for tiered AWS VPCs."""


cli.add_command(audit)
cli.add_command(preview)
cli.add_command(reach)
for verb in (up, refresh, destroy, outputs, stacks, cancel, demo):
    cli.add_command(verb)


def main() -> None:
    """Console-script entry point: run the CLI and map tierguard errors to exit codes."""
    try:
        cli.main(standalone_mode=False)
    except TierguardError as exc:
        for line in str(exc).splitlines() or [type(exc).__name__]:
            click.echo(f"error: {line}", err=True)
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
