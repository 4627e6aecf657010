"""The embedded demo: ``up`` on the emulator, read back and verify, then ``destroy``.

Returns typed values (the ``up`` outcome with its ``Verification``, and the destroy
outcome) so the caller can hand the verified, really-deployed rules on (for example to
the reachability matrix) before printing.
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

from tierguard.driver.operations import Deployer, Outcome, region_of
from tierguard.driver.session import emulator_stack
from tierguard.errors import TierguardError


@dataclass(frozen=True)
class DemoResult:
    up: Outcome
    destroy: Outcome

    @property
    def verified(self) -> bool:
        return self.up.verification is not None and self.up.verification.ok


def run_demo(project_dir: Path, deployer: Deployer, stack: str) -> DemoResult:
    """Deploy ``stack`` to a fresh emulator, verify it, destroy it; the emulator stops after.

    Differences found by the verification do not skip the destroy; they are in the
    result for the caller to report (``DemoResult.verified``).
    """
    with emulator_stack(
        project_dir, deployer.engine, stack, region=region_of(project_dir, stack)
    ) as emulator:
        try:
            up = deployer.up(stack, emulator=emulator, verify_strict=False)
        except BaseException:
            with suppress(TierguardError):  # the first failure is the one to report
                deployer.destroy(stack, emulator=emulator)
            raise
        destroyed = deployer.destroy(stack, emulator=emulator)
    return DemoResult(up=up, destroy=destroyed)
