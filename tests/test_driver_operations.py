"""The verbs' decisions through the fake engine: calls made, errors mapped, nothing leaked."""

from __future__ import annotations

import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from pulumi.automation import EngineEvent

from tests.conftest import PROJECT_DIR
from tests.fake_engine import LOCKED, FakeEngine, FakeStack, engine_failure, write_lock
from tests.test_preview_policies import SSH_FROM_ADMINS, SSH_FROM_ANYWHERE
from tierguard.driver.backend import choose_backend
from tierguard.driver.demo import run_demo
from tierguard.driver.emulator import running_emulator
from tierguard.driver.failures import engine_children, forward_interrupt
from tierguard.driver.gate import offline_findings
from tierguard.driver.operations import Deployer, StackStatus, Ui, expected_steps
from tierguard.driver.progress import Mode
from tierguard.driver.session import emulator_stack
from tierguard.errors import (
    ConfigError,
    EngineError,
    Interrupted,
    PolicyViolation,
    StackBusy,
    StackNotFound,
    TierguardError,
    UsageError,
)


@pytest.fixture(name="project")
def _project(tmp_path: Path) -> Path:
    """A copy of the project's files, with a stand-in policy pack and a second stack."""
    for name in ("Pulumi.yaml", "Pulumi.dev.yaml", "__main__.py"):
        shutil.copy(PROJECT_DIR / name, tmp_path / name)
    shutil.copy(PROJECT_DIR / "Pulumi.dev.yaml", tmp_path / "Pulumi.staging.yaml")
    shutil.copy(PROJECT_DIR / "Pulumi.dev.yaml", tmp_path / "Pulumi.prod.yaml")
    (tmp_path / "policy").mkdir()
    (tmp_path / "policy" / "PulumiPolicy.yaml").write_text("runtime: python\n")
    return tmp_path


class Recorder:
    def __init__(self) -> None:
        self.out: list[str] = []
        self.err: list[str] = []
        self.questions: list[str] = []
        self.answer = True

    def ui(self, *, interactive: bool = False, mode: Mode = Mode.PLAIN) -> Ui:
        def confirm(question: str) -> bool:
            self.questions.append(question)
            return self.answer

        return Ui(
            echo=self.out.append,
            note=self.err.append,
            mode=mode,
            confirm=confirm if interactive else None,
        )

    @property
    def text(self) -> str:
        return "\n".join(self.out + self.err)


def make(
    project: Path,
    engine: FakeEngine,
    recorder: Recorder,
    *,
    yes: bool = True,
    interactive: bool = False,
    policy_config: Path | None = None,
    offline_findings: Callable[[Path, str, Path | None], list[str]] = lambda *_: [],
) -> Deployer:
    """A Deployer over the fake engine; the gate's offline check is ``offline_findings``."""
    backend = choose_backend(project, backend=None, environ={})
    return Deployer(
        project_dir=project,
        engine=engine,
        backend=backend,
        ui=recorder.ui(interactive=interactive),
        yes=yes,
        policy_config=policy_config,
        estimate_steps=lambda _project, _stack: 43,
        policy_check=offline_findings,
    )


class TestPreview:
    def test_attaches_the_policy_pack_and_creates_a_missing_stack(self, project: Path) -> None:
        """preview on a new stack: create_or_select, then preview with policy/ attached."""
        engine = FakeEngine()
        outcome = make(project, engine, Recorder()).preview("dev")
        assert engine.verbs() == [("create_or_select", "dev"), ("preview", "dev")]
        assert engine.call("preview").kwargs["policy_packs"] == [str(project / "policy")]
        assert engine.call("preview").kwargs["policy_pack_configs"] is None
        assert outcome.change_text() == "34 create"

    def test_passes_the_policy_config_file(self, project: Path) -> None:
        """--policy-config FILE reaches the engine as policy_pack_configs=[FILE]."""
        config = project / "policy-config.json"
        config.write_text("{}")
        engine = FakeEngine()
        make(project, engine, Recorder(), policy_config=config).preview("dev")
        assert engine.call("preview").kwargs["policy_pack_configs"] == [str(config)]

    def test_a_missing_policy_config_file_is_a_usage_error(self, project: Path) -> None:
        """A policy config path that is not a file stops before the engine, naming it."""
        engine = FakeEngine()
        with pytest.raises(UsageError, match=r"--policy-config '.*nope\.json' is not a file"):
            make(project, engine, Recorder(), policy_config=project / "nope.json")
        assert engine.calls == []

    def test_without_a_policy_pack_it_warns(self, project: Path) -> None:
        """No policy/ directory: the run says so instead of silently skipping policies."""
        shutil.rmtree(project / "policy")
        engine, recorder = FakeEngine(), Recorder()
        make(project, engine, recorder).preview("dev")
        assert engine.call("preview").kwargs["policy_packs"] is None
        assert any("no policy pack" in line for line in recorder.err)

    def test_invalid_config_never_reaches_the_engine(self, project: Path) -> None:
        """Config problems raise ConfigError (exit 2) before any stack is created."""
        stack = project / "Pulumi.dev.yaml"
        stack.write_text(stack.read_text().replace("ports: 8080", "ports: 80800"))
        engine = FakeEngine()
        with pytest.raises(ConfigError, match="80800"):
            make(project, engine, Recorder()).preview("dev")
        assert engine.calls == []

    def test_expect_no_changes_is_passed_on(self, project: Path) -> None:
        """The idempotency check (second preview after up) asks the engine to fail on changes."""
        engine = FakeEngine()
        make(project, engine, Recorder()).preview("dev", expect_no_changes=True)
        assert engine.call("preview").kwargs["expect_no_changes"] is True


class TestUp:
    def test_up_with_yes_attaches_policies_and_masks_secret_outputs(self, project: Path) -> None:
        """up --yes: the gate's preview, then up; policies attached to both; secrets
        neither shown nor returned."""
        engine = FakeEngine()
        outcome = make(project, engine, Recorder()).up("dev")
        assert engine.verbs() == [
            ("create_or_select", "dev"),
            ("preview", "dev"),
            ("create_or_select", "dev"),
            ("up", "dev"),
        ]
        assert engine.call("preview").kwargs["policy_packs"] == [str(project / "policy")]
        assert engine.call("up").kwargs["policy_packs"] == [str(project / "policy")]
        assert engine.call("up").kwargs["show_secrets"] is False
        assert outcome.outputs == {"vpc_id": "vpc-123", "db_password": "[secret]"}

    def test_up_without_yes_off_a_terminal_changes_nothing(self, project: Path) -> None:
        """Not on a terminal and no --yes: a usage error before any engine call."""
        engine = FakeEngine()
        with pytest.raises(UsageError, match="pass --yes"):
            make(project, engine, Recorder(), yes=False).up("dev")
        assert engine.calls == []

    def test_up_on_a_terminal_previews_then_asks(self, project: Path) -> None:
        """Interactive up shows the preview, asks, and only then updates."""
        engine, recorder = FakeEngine(), Recorder()
        make(project, engine, recorder, yes=False, interactive=True).up("dev")
        assert [v for v, _ in engine.verbs()] == [
            "create_or_select",
            "preview",
            "create_or_select",
            "up",
        ]
        assert recorder.questions == ["Apply these changes to stack 'dev'?"]

    def test_declining_the_question_changes_nothing(self, project: Path) -> None:
        """Answering no stops after the preview."""
        engine, recorder = FakeEngine(), Recorder()
        recorder.answer = False
        with pytest.raises(TierguardError, match="not confirmed"):
            make(project, engine, recorder, yes=False, interactive=True).up("dev")
        assert "up" not in [v for v, _ in engine.verbs()]

    def test_emulator_config_has_test_keys_skips_and_only_needed_endpoints(
        self, project: Path
    ) -> None:
        """--emulator: the engine gets a config file with the stack's own config plus test
        keys, every AWS check skipped and ec2/sts endpoints only; afterwards the emulator is
        read back (here nothing was deployed: all missing)."""
        engine = FakeEngine()
        with running_emulator("us-east-1") as emulator:
            outcome = make(project, engine, Recorder()).up(
                "dev", emulator=emulator, verify_strict=False
            )
        assert outcome.verification is not None
        assert not outcome.verification.ok
        url = emulator.url
        config = yaml.safe_load(engine.call("up").kwargs["config_text"])["config"]
        assert {k: v for k, v in config.items() if k.startswith("aws:")} == {
            "aws:region": "us-east-1",
            "aws:accessKey": "test",
            "aws:secretKey": "test",
            "aws:skipCredentialsValidation": "true",
            "aws:skipRequestingAccountId": "true",
            "aws:skipMetadataApiCheck": "true",
            "aws:skipRegionValidation": "true",
            "aws:endpoints": [{"ec2": url, "sts": url}],
        }
        assert "tierguard:network" in config


class TestEmulatorStackFile:
    def test_the_users_stack_file_is_never_written(self, project: Path) -> None:
        """The emulator's provider config reaches the engine through a scratch copy: the
        user's file keeps its bytes and its inode, and the copy is gone afterwards."""
        engine = FakeEngine()
        stack_file = project / "Pulumi.dev.yaml"
        before, inode = stack_file.read_bytes(), stack_file.stat().st_ino
        with emulator_stack(project, engine, "dev", region="us-east-1") as emulator:
            make(project, engine, Recorder()).up("dev", emulator=emulator, verify_strict=False)
        sent = yaml.safe_load(engine.call("up").kwargs["config_text"])["config"]
        assert sent["tierguard:network"] == yaml.safe_load(before)["config"]["tierguard:network"]
        assert sent["aws:endpoints"] == [{"ec2": emulator.url, "sts": emulator.url}]
        assert stack_file.read_bytes() == before
        assert stack_file.stat().st_ino == inode
        assert not (project / ".tierguard" / "emulator" / "Pulumi.dev.yaml").exists()

    def test_an_edit_after_a_killed_run_is_kept(self, project: Path) -> None:
        """A run killed with its scratch copy left behind, then an edit: the next run reads
        the edit (a fresh copy), and the file still holds it afterwards."""
        engine = FakeEngine()
        scratch = project / ".tierguard" / "emulator" / "Pulumi.dev.yaml"
        scratch.parent.mkdir(parents=True)
        scratch.write_text("config:\n  aws:region: us-west-2\n")  # the killed run's copy
        stack_file = project / "Pulumi.dev.yaml"
        edited = stack_file.read_text().replace("cidr: 10.20.0.0/16", "cidr: 10.21.0.0/16")
        stack_file.write_text(edited)
        with emulator_stack(project, engine, "dev", region="us-east-1") as emulator:
            make(project, engine, Recorder()).up("dev", emulator=emulator, verify_strict=False)
        sent = yaml.safe_load(engine.call("up").kwargs["config_text"])["config"]
        assert sent["tierguard:network"]["vpc"]["cidr"] == "10.21.0.0/16"
        assert stack_file.read_text() == edited


class TestProgressTotals:
    def test_the_expected_total_is_what_the_program_registers_plus_stack_and_provider(
        self, project: Path
    ) -> None:
        """dev: 41 resources under the mock engine, + the stack and the AWS provider."""
        assert expected_steps(project, "dev") == 43

    def test_up_reports_done_over_the_expected_total(self, project: Path) -> None:
        """Each finished resource is a `[done/total]` line on stderr (plain mode)."""
        engine, recorder = FakeEngine(), Recorder()
        urn = "urn:pulumi:dev::tierguard::aws:ec2/vpc:Vpc::dev-vpc"
        engine.events = [
            EngineEvent.from_json(
                {
                    "sequence": 1,
                    "timestamp": 0,
                    "resOutputsEvent": {
                        "metadata": {"op": "create", "urn": urn, "type": "aws:ec2/vpc:Vpc"}
                    },
                }
            )
        ]
        make(project, engine, recorder).up("dev")
        assert "[1/43] create aws:ec2/vpc:Vpc dev-vpc" in recorder.err


class TestFailures:
    def test_a_locked_stack_is_exit_4_naming_the_stack_and_cancel(self, project: Path) -> None:
        """ConcurrentUpdateError (file-backend lock text) → StackBusy with the way out."""
        engine = FakeEngine()
        engine.failures[("up", "dev")] = engine_failure(LOCKED)
        with pytest.raises(StackBusy) as caught:
            make(project, engine, Recorder()).up("dev")
        assert caught.value.exit_code == 4
        assert "stack 'dev' is locked by another update" in str(caught.value)
        assert "`tierguard cancel --stack dev`" in str(caught.value)

    def test_the_cloud_conflict_text_is_exit_4_too(self, project: Path) -> None:
        """Pulumi Cloud's 409 is the same failure."""
        engine = FakeEngine()
        engine.failures[("preview", "dev")] = engine_failure(
            "error: [409] Conflict: Another update is currently in progress."
        )
        with pytest.raises(StackBusy):
            make(project, engine, Recorder()).preview("dev")

    @pytest.mark.parametrize("verb", ["refresh", "destroy", "outputs", "cancel"])
    def test_an_unknown_stack_is_exit_2_listing_the_existing_ones(
        self, project: Path, verb: str
    ) -> None:
        """refresh/destroy/outputs/cancel never create a stack; they list what exists."""
        engine = FakeEngine({"dev": (34, False), "staging": (34, False)})
        with pytest.raises(StackNotFound) as caught:
            getattr(make(project, engine, Recorder()), verb)("prod")
        assert caught.value.exit_code == 2
        assert "stack 'prod' does not exist" in str(caught.value)
        assert "existing stacks: dev, staging" in str(caught.value)
        assert ("create_or_select", "prod") not in engine.verbs()

    def test_engine_errors_carry_the_engines_own_lines(self, project: Path) -> None:
        """A provider failure: exit 1 with the diagnostic lines from the event stream, once."""
        engine = FakeEngine()
        diagnostic = {
            "sequence": 1,
            "timestamp": 0,
            "diagnosticEvent": {
                "urn": "urn:pulumi:dev::tierguard::aws:ec2/securityGroup:SecurityGroup::dev-web",
                "message": "creating EC2 Security Group: UnauthorizedOperation\n",
                "color": "never",
                "severity": "error",
            },
        }
        engine.events = [EngineEvent.from_json(diagnostic), EngineEvent.from_json(diagnostic)]
        engine.failures[("up", "dev")] = engine_failure(
            "", stdout="Updating (dev)\nerror: update failed"
        )
        recorder = Recorder()
        with pytest.raises(EngineError) as caught:
            make(project, engine, recorder).up("dev")
        assert caught.value.exit_code == 1
        assert str(caught.value).splitlines() == [
            "`up` on stack 'dev' failed:",
            "dev-web: creating EC2 Security Group: UnauthorizedOperation",
        ]
        assert "UnauthorizedOperation" not in recorder.text  # printed once, by the caller

    def test_without_events_the_cli_error_lines_are_used(self, project: Path) -> None:
        """When the engine fails before streaming events, its `error:` lines are the message."""
        engine = FakeEngine()
        engine.failures[("refresh", "dev")] = engine_failure(
            "error: failed to decrypt: incorrect passphrase"
        )
        engine.stacks["dev"] = (34, False)
        with pytest.raises(EngineError, match="failed to decrypt: incorrect passphrase"):
            make(project, engine, Recorder()).refresh("dev")

    def test_mandatory_policy_violations_are_listed(self, project: Path) -> None:
        """A mandatory violation stops the preview and is named in the error."""
        engine = FakeEngine()
        engine.events = [
            EngineEvent.from_json(
                {
                    "sequence": 1,
                    "timestamp": 0,
                    "policyEvent": {
                        "resourceUrn": "urn:pulumi:dev::tierguard::aws:vpc/x:X::dev-web-in",
                        "message": "SSH is open to the internet",
                        "color": "never",
                        "policyName": "no-ssh-from-internet",
                        "policyPackName": "tierguard",
                        "policyPackVersion": "0.1.0",
                        "policyPackVersionTag": "0.1.0",
                        "enforcementLevel": "mandatory",
                    },
                }
            )
        ]
        engine.failures[("preview", "dev")] = engine_failure("", stdout="error: preview failed")
        with pytest.raises(PolicyViolation) as caught:
            make(project, engine, Recorder()).preview("dev")
        assert "tierguard/no-ssh-from-internet on dev-web-in: SSH is open to the internet" in str(
            caught.value
        )


class TestInterrupt:
    def test_ctrl_c_during_up_waits_for_the_engine_and_reports_the_stack(
        self, project: Path
    ) -> None:
        """First Ctrl-C: the engine (which got SIGINT from the terminal) is left to stop
        cleanly, then the user learns the stack is unlocked, its size and what to run."""
        engine, recorder = FakeEngine(), Recorder()
        finished = threading.Event()

        def interrupted_up(stack: FakeStack, _kwargs: dict[str, Any]) -> None:
            signal.raise_signal(signal.SIGINT)  # delivered to the main thread
            time.sleep(0.5)  # the engine finishing its in-flight operations
            engine.stacks["dev"] = (12, False)
            finished.set()
            raise engine_failure("error: update canceled")

        engine.hooks["up"] = interrupted_up
        with pytest.raises(Interrupted) as caught:
            make(project, engine, recorder).up("dev")
        assert finished.is_set()
        assert caught.value.exit_code == 130
        assert "unlocked and records 12 resources" in str(caught.value)
        assert "`tierguard up --stack dev`" in str(caught.value)
        assert any("asking the engine to stop cleanly" in line for line in recorder.err)

    def test_a_lock_left_after_ctrl_c_points_to_cancel(self, project: Path) -> None:
        """If the stack is still locked after the engine exits, the message says so."""
        engine = FakeEngine()

        def interrupted_up(stack: FakeStack, _kwargs: dict[str, Any]) -> None:
            signal.raise_signal(signal.SIGINT)
            time.sleep(0.5)
            engine.stacks["dev"] = (12, True)
            raise engine_failure("error: update canceled")

        engine.hooks["up"] = interrupted_up
        with pytest.raises(Interrupted, match="tierguard cancel --stack dev"):
            make(project, engine, Recorder()).up("dev")

    def test_an_update_that_completes_despite_ctrl_c_is_reported_as_done(
        self, project: Path
    ) -> None:
        """Ctrl-C too late to stop anything: the engine finished, so up succeeds."""
        engine = FakeEngine()

        def late_interrupt(stack: FakeStack, _kwargs: dict[str, Any]) -> None:
            signal.raise_signal(signal.SIGINT)
            time.sleep(0.3)

        engine.hooks["up"] = late_interrupt
        outcome = make(project, engine, Recorder()).up("dev")
        assert outcome.change_text() == "34 create"


class TestForwardedInterrupt:
    def test_in_a_terminals_foreground_nothing_is_forwarded(self) -> None:
        """The terminal already sent SIGINT to the engine: a second one would kill it."""
        killed: list[tuple[int, int]] = []
        pids = forward_interrupt(
            foreground=lambda: True,
            children=lambda: [4242],
            kill=lambda pid, sig: killed.append((pid, sig)),
        )
        assert pids == []
        assert killed == []

    def test_otherwise_the_pulumi_child_gets_exactly_one_sigint(self, tmp_path: Path) -> None:
        """From CI (no terminal), a real child named `pulumi` is found and interrupted once."""
        fake_cli = tmp_path / "pulumi"
        shutil.copy("/bin/sleep", fake_cli)
        child = subprocess.Popen([str(fake_cli), "30"])
        try:
            deadline = time.monotonic() + 5
            while child.pid not in engine_children() and time.monotonic() < deadline:
                time.sleep(0.02)
            assert forward_interrupt(foreground=lambda: False) == [child.pid]
            assert child.wait(timeout=5) == -signal.SIGINT
        finally:
            child.kill()


SSH_FINDING = "aws-ec2-sg-no-admin-ports-from-internet on web-ssh: port 22 open to 0.0.0.0/0"


class TestPolicyGate:
    """Every path that applies changes is judged first; a mandatory finding means no `up`
    call at all (``Stack.up()`` skips the engine's preview, and stack policies only run
    after the steps: engine-protocol.md)."""

    def test_a_mandatory_finding_at_the_engines_preview_stops_up_with_yes(
        self, project: Path
    ) -> None:
        engine = FakeEngine()
        engine.reject_at_preview(
            "aws-ec2-nacl-no-admin-ports-from-internet", "dev-public-acl", "port 22 is open"
        )
        with pytest.raises(PolicyViolation) as info:
            make(project, engine, Recorder()).up("dev")
        assert info.value.exit_code == 1
        assert "up" not in [verb for verb, _ in engine.verbs()]
        assert str(info.value).splitlines() == [
            "nothing was applied to stack 'dev': 1 mandatory policy violation(s) in the "
            "engine's preview:",
            "  tierguard/aws-ec2-nacl-no-admin-ports-from-internet on dev-public-acl: "
            "port 22 is open",
        ]

    def test_on_a_terminal_the_violation_stops_before_the_question(self, project: Path) -> None:
        engine, recorder = FakeEngine(), Recorder()
        engine.reject_at_preview("p", "r", "no")
        with pytest.raises(PolicyViolation):
            make(project, engine, recorder, yes=False, interactive=True).up("dev")
        assert recorder.questions == []
        assert "up" not in [verb for verb, _ in engine.verbs()]

    def test_an_offline_finding_stops_up_before_the_engine_is_touched(self, project: Path) -> None:
        """The after-up view (stack policies on resources with ids) is judged offline first."""
        engine = FakeEngine()
        seen: list[tuple[str, Path | None]] = []

        def findings(_project: Path, stack: str, config: Path | None) -> list[str]:
            seen.append((stack, config))
            return [SSH_FINDING]

        with pytest.raises(PolicyViolation, match="offline policy check"):
            make(project, engine, Recorder(), offline_findings=findings).up("dev")
        assert seen == [("dev", None)]
        assert engine.calls == []

    def test_the_emulator_path_of_up_and_demo_is_gated_too(self, project: Path) -> None:
        """`up --emulator` and `demo` call ``Deployer.up`` with an emulator: same gate."""
        engine = FakeEngine()
        engine.reject_at_preview("p", "r", "no")
        with running_emulator("us-east-1") as emulator, pytest.raises(PolicyViolation):
            make(project, engine, Recorder()).up("dev", emulator=emulator, verify_strict=False)
        assert "up" not in [verb for verb, _ in engine.verbs()]
        assert ("preview", "dev") in engine.verbs()

    def test_demo_applies_nothing_on_a_mandatory_finding(self, project: Path) -> None:
        """run_demo: the gate refuses, nothing is deployed (destroy of the empty throw-away
        stack is the demo's cleanup)."""
        engine = FakeEngine()
        engine.reject_at_preview("p", "r", "no")
        with pytest.raises(PolicyViolation):
            run_demo(project, make(project, engine, Recorder()), "dev")
        assert "up" not in [verb for verb, _ in engine.verbs()]

    def test_a_rollout_applies_nothing_when_one_stack_is_refused(self, project: Path) -> None:
        """Every stack passes the gate before any is changed: prod's finding stops dev too."""
        engine = FakeEngine()

        def findings(_project: Path, stack: str, _config: Path | None) -> list[str]:
            return [SSH_FINDING] if stack == "prod" else []

        results = make(project, engine, Recorder(), offline_findings=findings).up_many(
            ["dev", "staging", "prod"], parallel=2
        )
        assert [(r.stack, r.status) for r in results] == [
            ("dev", StackStatus.SKIPPED),
            ("staging", StackStatus.SKIPPED),
            ("prod", StackStatus.FAILED),
        ]
        assert results[2].exit_code == 1
        assert "policy gate refused prod" in results[0].error
        assert "up" not in [verb for verb, _ in engine.verbs()]

    def test_a_rollout_previews_each_stack_once(self, project: Path) -> None:
        engine = FakeEngine()
        make(project, engine, Recorder()).up_many(["dev", "staging"])
        assert [(v, s) for v, s in engine.verbs() if v in ("preview", "up")] == [
            ("preview", "dev"),
            ("preview", "staging"),
            ("up", "dev"),
            ("up", "staging"),
        ]

    def test_the_real_offline_check_refuses_ssh_open_to_the_world(self, project: Path) -> None:
        """The default check runs the real program and pack: SSH from anywhere on the dev
        stack is mandatory, so `up --yes` never reaches the engine."""
        stack = project / "Pulumi.dev.yaml"
        stack.write_text(stack.read_text().replace(SSH_FROM_ADMINS, SSH_FROM_ANYWHERE))
        engine = FakeEngine()
        with pytest.raises(PolicyViolation) as info:
            make(project, engine, Recorder(), offline_findings=offline_findings).up("dev")
        assert "aws-ec2-sg-no-admin-ports-from-internet on dev-web-in-tcp-22-internet-ipv4" in str(
            info.value
        )
        assert engine.calls == []


class TestFileBackendLocks:
    """The file backend never reports ``updateInProgress`` in ``stack ls --json``; its lock
    is a file (engine-protocol.md), so tierguard reads it."""

    def test_stacks_shows_a_lock_the_engine_does_not_report(self, project: Path) -> None:
        engine = FakeEngine({"dev": (34, False), "prod": (3, False)})
        deployer = make(project, engine, Recorder())
        assert deployer.backend.state_dir is not None
        lock = write_lock(deployer.backend.state_dir, "organization", "tierguard", "prod")
        rows = {r["name"]: r for r in deployer.stacks()}
        assert rows["dev"]["update_in_progress"] is False
        assert rows["dev"]["locked_by"] == []
        assert rows["prod"]["update_in_progress"] is True
        assert rows["prod"]["locked_by"] == [
            f"alice@build-7 (pid 4242) since 2026-12-01T03:00:00.123456789Z ({lock})"
        ]

    def test_a_legacy_backend_locks_by_stack_name_only(self, project: Path) -> None:
        """Before project-scoped stacks (meta.yaml version 0) the lock folder is the name."""
        engine = FakeEngine({"dev": (34, False)})
        deployer = make(project, engine, Recorder())
        assert deployer.backend.state_dir is not None
        write_lock(deployer.backend.state_dir, "dev")
        assert deployer.locks("dev")[0].username == "alice"
        assert deployer.locks("organization/tierguard/dev")[0].pid == 4242
        assert deployer.locks("staging") == []

    def test_a_lock_left_after_ctrl_c_is_reported_not_called_unlocked(self, project: Path) -> None:
        """The engine was stopped before it released the lock: the message says who holds
        it and what to run, never 'unlocked'."""
        engine, recorder = FakeEngine(), Recorder()
        deployer = make(project, engine, recorder)
        assert deployer.backend.state_dir is not None
        state = deployer.backend.state_dir

        def interrupted_up(_stack: FakeStack, _kwargs: dict[str, Any]) -> None:
            write_lock(state, "organization", "tierguard", "dev", pid=999)
            signal.raise_signal(signal.SIGINT)
            time.sleep(0.3)
            raise engine_failure("error: update canceled")

        engine.hooks["up"] = interrupted_up
        with pytest.raises(Interrupted) as caught:
            deployer.up("dev")
        message = str(caught.value)
        assert "is still locked by alice@build-7 (pid 999)" in message
        assert "unlocked" not in message
        assert "`tierguard cancel --stack dev`" in message


class TestManyStacks:
    def test_in_order_stops_at_the_first_failure(self, project: Path) -> None:
        """dev ok, staging locked, prod skipped: one result per stack, in order."""
        engine = FakeEngine()
        engine.failures[("up", "staging")] = engine_failure(LOCKED)
        results = make(project, engine, Recorder()).up_many(["dev", "staging", "prod"])
        assert [(r.stack, r.status) for r in results] == [
            ("dev", StackStatus.OK),
            ("staging", StackStatus.FAILED),
            ("prod", StackStatus.SKIPPED),
        ]
        assert results[1].exit_code == 4
        assert ("up", "prod") not in engine.verbs()

    def test_keep_going_runs_every_stack(self, project: Path) -> None:
        """--keep-going: a failure does not stop the others."""
        engine = FakeEngine()
        engine.failures[("up", "dev")] = engine_failure("error: boom")
        results = make(project, engine, Recorder()).up_many(
            ["dev", "staging", "prod"], keep_going=True
        )
        assert [r.status for r in results] == [
            StackStatus.FAILED,
            StackStatus.OK,
            StackStatus.OK,
        ]

    def test_parallel_updates_every_stack(self, project: Path) -> None:
        """--parallel 3: all three stacks are updated, results in the order given."""
        engine = FakeEngine()
        results = make(project, engine, Recorder()).up_many(["prod", "dev", "staging"], parallel=3)
        assert [r.stack for r in results] == ["prod", "dev", "staging"]
        assert sorted(s for v, s in engine.verbs() if v == "up") == ["dev", "prod", "staging"]

    def test_an_invalid_stack_config_stops_before_any_update(self, project: Path) -> None:
        """Every stack's config is validated before the first one is touched."""
        (project / "Pulumi.prod.yaml").write_text("config: {tierguard:network: {name: 1}}\n")
        engine = FakeEngine()
        with pytest.raises(ConfigError):
            make(project, engine, Recorder()).up_many(["dev", "prod"])
        assert engine.calls == []


class TestOtherVerbs:
    def test_outputs_mask_secrets(self, project: Path) -> None:
        """outputs never returns a secret's value."""
        engine = FakeEngine({"dev": (34, False)})
        assert make(project, engine, Recorder()).outputs("dev") == {
            "vpc_id": "vpc-123",
            "db_password": "[secret]",
        }

    def test_destroy_needs_consent(self, project: Path) -> None:
        """Without --yes and off a terminal, destroy is refused before selecting the stack."""
        engine = FakeEngine({"dev": (34, False)})
        with pytest.raises(UsageError, match="pass --yes"):
            make(project, engine, Recorder(), yes=False).destroy("dev")
        assert engine.calls == []

    def test_cancel_clears_the_lock(self, project: Path) -> None:
        """cancel --yes selects the stack and cancels its update."""
        engine = FakeEngine({"dev": (34, True)})
        make(project, engine, Recorder()).cancel("dev")
        assert engine.verbs() == [("select", "dev"), ("cancel", "dev")]
        assert engine.stacks["dev"] == (34, False)

    def test_stacks_lists_every_stack_sorted(self, project: Path) -> None:
        """stacks: name, resource count and whether an update holds it."""
        engine = FakeEngine({"staging": (3, True), "dev": (34, False)})
        rows = make(project, engine, Recorder()).stacks()
        assert [(r["name"], r["resources"], r["update_in_progress"]) for r in rows] == [
            ("dev", 34, False),
            ("staging", 3, True),
        ]
