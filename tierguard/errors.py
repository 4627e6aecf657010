"""The one error hierarchy of tierguard, mapped to exit codes at the CLI boundary.

::

    TierguardError (1)            anything tierguard reports without a traceback
    ├── ConfigError (2)           the stack file or the network description is invalid
    │                             (carries one Problem per offending value)
    ├── UsageError (2)            a command-line flag or argument is invalid
    ├── StackNotFound (2)         the stack does not exist in the backend (lists those that do)
    ├── ProgramError (1)          the Pulumi program failed under the mock engine
    ├── PolicyPackError (1)       the policy pack could not be started or driven
    │                             (tierguard.offline.analyzer)
    ├── PolicyViolation (1)       the pack reported mandatory violations
    ├── EngineError (1)           the engine or a provider failed (its own diagnostic lines)
    ├── VerificationFailed (1)    what the emulator holds after `up` differs from the plan
    ├── EngineUnavailable (3)     no Pulumi CLI (or AWS plugin) and none could be installed
    ├── StackBusy (4)             another update holds the stack's lock
    ├── Interrupted (130)         Ctrl-C during an engine operation (the state is reported)
    ├── AuditFailed (1)           `tierguard audit --fail-on` found findings at that level
    └── AwsError (3)              AWS (or the --endpoint-url) refused or could not be
                                  reached: no credentials, access denied, no connection

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


class IntentsBroken(TierguardError):
    """``reach --check``: the network breaks intents the stack declares."""

    exit_code: ClassVar[int] = 1


class StackNotFound(TierguardError):
    """``refresh``/``destroy``/``outputs``/``cancel`` named a stack the backend does not have."""

    exit_code: ClassVar[int] = 2


class EngineError(TierguardError):
    """The engine or a provider reported errors; the message is the engine's own lines."""

    exit_code: ClassVar[int] = 1


class VerificationFailed(TierguardError):
    """The resources read back from the emulator differ from the plan."""

    exit_code: ClassVar[int] = 1


class EngineUnavailable(TierguardError):
    """The Pulumi CLI or the AWS provider plugin is missing and could not be installed."""

    exit_code: ClassVar[int] = 3


class StackBusy(TierguardError):
    """Another update holds the stack (``tierguard cancel`` clears a stale lock)."""

    exit_code: ClassVar[int] = 4


class Interrupted(TierguardError):
    """The user pressed Ctrl-C while the engine was working."""

    exit_code: ClassVar[int] = 130


class AwsError(TierguardError):
    """AWS answered with an error or could not be reached; the message is one line and
    never contains credentials."""

    exit_code: ClassVar[int] = 3


class AuditFailed(TierguardError):
    """``tierguard audit --fail-on LEVEL`` reported findings at that level or worse."""

    exit_code: ClassVar[int] = 1
