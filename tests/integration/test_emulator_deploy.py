"""The real engine on the embedded emulator: up, read back, no perpetual diff, destroy, lock.

Needs the Pulumi CLI on PATH (the AWS plugin is installed by the driver if missing, so the
first run needs the network). Everything else is local: moto on 127.0.0.1, state in the
temporary project's ``.tierguard/emulator/state``.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PROJECT_DIR
from tierguard.driver.backend import choose_backend
from tierguard.driver.emulator import Emulator
from tierguard.driver.operations import Deployer, Ui, plan_for
from tierguard.driver.session import emulator_stack, open_engine
from tierguard.driver.verify import verify_deployment
from tierguard.errors import StackBusy, TierguardError

if shutil.which("pulumi") is None:
    pytest.skip(
        "no pulumi CLI on PATH: install it (https://www.pulumi.com/docs/install/) to run the "
        "end-to-end tests against the embedded emulator",
        allow_module_level=True,
    )

pytestmark = pytest.mark.integration


@dataclass
class Session:
    project: Path
    deployer: Deployer
    emulator: Emulator
    notes: list[str]


def _copy_project(target: Path) -> Path:
    for name in ("Pulumi.yaml", "Pulumi.dev.yaml", "__main__.py"):
        shutil.copy(PROJECT_DIR / name, target / name)
    if (PROJECT_DIR / "policy").is_dir():
        shutil.copytree(PROJECT_DIR / "policy", target / "policy")
    (target / ".venv").symlink_to(PROJECT_DIR / ".venv")
    return target


@pytest.fixture(name="session", scope="module")
def _session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Session]:
    """A copy of the project, a real engine and a fresh emulator for the whole module."""
    project = _copy_project(tmp_path_factory.mktemp("project"))
    environ = {k: v for k, v in os.environ.items() if not k.startswith("PULUMI_BACKEND")}
    backend = choose_backend(project, backend=None, environ=environ, emulator=True)
    engine = open_engine(project, backend)
    notes: list[str] = []
    deployer = Deployer(
        project_dir=project,
        engine=engine,
        backend=backend,
        ui=Ui(echo=notes.append, note=notes.append),
        yes=True,
    )
    with emulator_stack(project, engine, "dev", region="us-east-1") as emulator:
        yield Session(project, deployer, emulator, notes)


class TestOnTheEmulator:
    """Each test brings the stack to the state it needs (pytest-randomly shuffles them)."""

    def test_up_deploys_exactly_the_plan(self, session: Session) -> None:
        """up creates (or converges) the dev stack in moto; reading it back matches the plan."""
        outcome = session.deployer.up("dev", emulator=session.emulator, verify_strict=False)
        assert outcome.verification is not None
        assert outcome.verification.ok, outcome.verification.lines()
        assert set(outcome.outputs) == {
            "vpc_id",
            "subnet_ids",
            "security_group_ids",
            "network_acl_ids",
        }
        assert outcome.outputs["security_group_ids"] == dict(outcome.verification.security_groups)

    def test_a_preview_right_after_up_shows_no_changes(self, session: Session) -> None:
        """No perpetual diff: the engine is asked to fail on any change, and does not."""
        session.deployer.up("dev", emulator=session.emulator)
        outcome = session.deployer.preview("dev", emulator=session.emulator, expect_no_changes=True)
        assert outcome.change_text() == "no changes"

    def test_a_concurrent_up_gets_exit_4(self, session: Session) -> None:
        """While one up holds the stack, another is refused with StackBusy (exit 4)."""
        state = session.project / ".tierguard" / "emulator" / "state" / ".pulumi"
        errors: list[BaseException] = []
        # From empty, the first up creates every resource: it holds the lock long enough.
        session.deployer.destroy("dev", emulator=session.emulator)

        def first() -> None:
            try:
                session.deployer.up("dev", emulator=session.emulator, interruptible=False)
            except TierguardError as exc:  # pragma: no cover - reported below
                errors.append(exc)

        runner = threading.Thread(target=first)
        runner.start()
        deadline = time.monotonic() + 60
        while not any((state / "locks").rglob("*.json")) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert any((state / "locks").rglob("*.json")), "the first up never took the lock"
        with pytest.raises(StackBusy) as caught:
            session.deployer.up("dev", emulator=session.emulator)
        runner.join()
        assert caught.value.exit_code == 4
        assert "tierguard cancel --stack dev" in str(caught.value)
        assert errors == []

    def test_destroy_leaves_nothing_behind(self, session: Session) -> None:
        """After up then destroy, nothing tagged for the stack is left in the emulator."""
        session.deployer.up("dev", emulator=session.emulator)
        session.deployer.destroy("dev", emulator=session.emulator)
        ec2 = session.emulator.ec2()
        plan = plan_for(session.project, "dev")
        left = verify_deployment(ec2, plan)
        assert left.security_groups == {}
        assert left.network_acls == {}
        tagged: Any = [{"Name": "tag:tierguard:stack", "Values": ["dev"]}]
        assert ec2.describe_vpcs(Filters=tagged)["Vpcs"] == []
        assert ec2.describe_subnets(Filters=tagged)["Subnets"] == []
