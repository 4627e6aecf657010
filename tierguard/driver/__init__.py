"""The deployment driver: tierguard's verbs over the Pulumi Automation API.

One concern per module:

- ``backend``: where state lives (embedded ``.tierguard/state/`` or ``--backend``) and the
  passphrase file;
- ``tools``: finding or installing the Pulumi CLI and the AWS plugin;
- ``seam``: the typed Protocols over ``pulumi.automation`` and the real ``LocalEngine``;
- ``operations``: the verbs' decisions (``Deployer``);
- ``failures``: SDK errors → tierguard errors, and Ctrl-C handling;
- ``progress``: the engine event stream rendered for a terminal, a log or JSON;
- ``emulator``/``session``: moto on 127.0.0.1 and the throw-away stack that uses it;
- ``verify``: reading deployed groups and ACLs back and comparing them with the plan;
- ``demo``: up, verify, destroy on the emulator.
"""

from tierguard.driver.backend import BackendChoice, choose_backend
from tierguard.driver.demo import DemoResult, run_demo
from tierguard.driver.emulator import Emulator, running_emulator
from tierguard.driver.operations import Deployer, Outcome, StackResult, StackStatus, Ui
from tierguard.driver.seam import Engine, LocalEngine, StackApi, WorkspaceApi
from tierguard.driver.session import emulator_stack, open_engine
from tierguard.driver.verify import Difference, DifferenceKind, Verification, verify_deployment

__all__ = [
    "BackendChoice",
    "DemoResult",
    "Deployer",
    "Difference",
    "DifferenceKind",
    "Emulator",
    "Engine",
    "LocalEngine",
    "Outcome",
    "StackApi",
    "StackResult",
    "StackStatus",
    "Ui",
    "Verification",
    "WorkspaceApi",
    "choose_backend",
    "emulator_stack",
    "open_engine",
    "run_demo",
    "running_emulator",
    "verify_deployment",
]
