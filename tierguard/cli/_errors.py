"""The one way an error leaves the ``tierguard`` command.

tierguard's own errors (``tierguard.errors``) and click's (an unknown flag, a bad value for
a typed option) are shown alike, as click's ``ClickException.show`` does it: the usage
line and the ``--help`` hint first when a flag was wrong, then one ``error: …`` line per
problem on stderr. The exit code comes from tierguard's error hierarchy, whoever raised.
"""

from __future__ import annotations

from typing import IO, Any

import click

from tierguard.errors import Interrupted, TierguardError, UsageError


class Reported:
    """An error as the command reports it: ``show()`` it, then exit with ``exit_code``
    (click's ``ClickException`` contract, for every error)."""

    def __init__(self, error: TierguardError, ctx: click.Context | None = None) -> None:
        self.message = str(error) or type(error).__name__
        self.exit_code = error.exit_code
        self.ctx = ctx

    @classmethod
    def of(cls, exc: TierguardError | click.ClickException | click.exceptions.Abort) -> Reported:
        """Any error the command can end with, in tierguard's hierarchy: click's errors are
        all bad input (``UsageError``), an abort at a prompt is an interruption."""
        if isinstance(exc, TierguardError):
            return cls(exc)
        if isinstance(exc, click.exceptions.Abort):
            return cls(Interrupted("aborted"))
        ctx = exc.ctx if isinstance(exc, click.UsageError) else None
        return cls(UsageError(exc.format_message()), ctx)

    def show(self, file: IO[Any] | None = None) -> None:
        err = file is None
        if self.ctx is not None:
            hint = ""
            if self.ctx.command.get_help_option(self.ctx) is not None:
                hint = f"Try '{self.ctx.command_path} {self.ctx.help_option_names[0]}' for help.\n"
            click.echo(f"{self.ctx.get_usage()}\n{hint}", file=file, err=err)
        for line in self.message.splitlines():
            click.echo(f"error: {line}", file=file, err=err)
