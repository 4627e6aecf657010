"""The one error hierarchy of tierguard, mapped to exit codes at the CLI boundary.

::

    TierguardError (1)            anything tierguard reports without a traceback
    ├── ConfigError (2)           the stack file or the network description is invalid
    │                             (carries one Problem per offending value)
    ├── UsageError (2)            a command-line flag or argument is invalid
    ├── ProgramError (1)          the Pulumi program failed under the mock engine
    ├── PolicyPackError (1)       the policy pack could not be started or driven
    │                             (tierguard.offline.analyzer)
    └── PolicyViolation (1)       the pack reported mandatory violations

Catch ``TierguardError`` to handle every expected failure; anything else is a bug.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True)
class Problem:
    """One invalid value: where it is (a config path) and what is wrong with it."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class TierguardError(Exception):
    """Base of every error tierguard reports to a user; ``exit_code`` is the process status."""

    exit_code: ClassVar[int] = 1


class ConfigError(TierguardError):
    """The network description (or the stack file holding it) cannot be used as given."""

    exit_code: ClassVar[int] = 2

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: Sequence[Problem] = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class UsageError(TierguardError):
    """A command-line flag or argument is invalid."""

    exit_code: ClassVar[int] = 2


class ProgramError(TierguardError):
    """The Pulumi program raised while running under the mock engine."""

    exit_code: ClassVar[int] = 1


class PolicyViolation(TierguardError):
    """The policy pack found mandatory violations: the change must not be applied."""

    exit_code: ClassVar[int] = 1
