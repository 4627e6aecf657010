"""The deployment verbs on the command line: flags, exit codes, output, and the demo."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from botocore.config import Config

from tests.conftest import invoke
from tests.fake_engine import LOCKED, FakeEngine, FakeStack, engine_failure, write_lock
from tests.moto_deploy import deploy_plan
from tierguard.driver import session
from tierguard.driver.backend import BackendChoice
from tierguard.driver.operations import plan_for
from tierguard.driver.seam import Engine
from tierguard.driver.session import emulator_stack
from tierguard.errors import ConfigError, EngineUnavailable, StackBusy


@pytest.fixture(name="engine")
def _engine(monkeypatch: pytest.MonkeyPatch) -> FakeEngine:
    """The fake stands in for the engine the CLI would open (backend prepared as usual)."""
    engine = FakeEngine()
    monkeypatch.delenv("PULUMI_CONFIG_PASSPHRASE", raising=False)
    monkeypatch.delenv("PULUMI_BACKEND_URL", raising=False)

    def open_engine(project_dir: Path, backend: BackendChoice, **_: Any) -> Engine:
        backend.prepare()
        engine.backend = backend  # type: ignore[attr-defined]  # recorded for assertions
        return engine

    monkeypatch.setattr(session, "open_engine", open_engine)
    return engine


class TestVerbs:
    def test_up_json_prints_parseable_lines_with_masked_outputs(
        self,
        project: Path,
        engine: FakeEngine,
        capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        """`up --yes --json`: every stdout line is JSON; the result masks secrets."""
        code, out, _ = invoke(["up", "--yes", "--json", "-C", str(project)], capsys, monkeypatch)
        assert code == 0
        docs = [json.loads(line) for line in out.splitlines()]
        assert docs[-1]["event"] == "result"
        assert docs[-1]["outputs"] == {"vpc_id": "vpc-123", "db_password": "[secret]"}
        assert "hunter2-secret" not in out

    def test_the_generated_passphrase_is_never_printed(
        self,
        project: Path,
        engine: FakeEngine,
        capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        """The embedded backend's passphrase file exists (0600) and its content is not shown."""
        code, out, err = invoke(["up", "--yes", "-C", str(project)], capsys, monkeypatch)
        assert code == 0
        secret = (project / ".tierguard" / "passphrase").read_text()
        assert secret not in out + err
        assert engine.backend.env["PULUMI_BACKEND_URL"] == (  # type: ignore[attr-defined]
            f"file://{project / '.tierguard' / 'state'}"
        )

    def test_destroy_of_an_unknown_stack_is_exit_2_with_the_list(
        self,
        project: Path,
        engine: FakeEngine,
        capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        """One `error:` line, the existing stacks, no traceback."""
        engine.stacks["dev"] = (34, False)
        code, _, err = invoke(
            ["destroy", "--stack", "prod", "--yes", "-C", str(project)], capsys, monkeypatch
        )
        assert code == 2
        assert err.startswith("error: stack 'prod' does not exist")
        assert "existing stacks: dev" in err
        assert "Traceback" not in err

    def test_stacks_shows_the_file_backends_lock(
        self,
        project: Path,
        engine: FakeEngine,
        capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        """`tierguard stacks` on the embedded file backend: the lock file, not the engine's
        (always false) updateInProgress, says who holds the stack."""
        engine.stacks.update({"dev": (34, False), "prod": (3, False)})
        write_lock(project / ".tierguard" / "state", "organization", "tierguard", "prod")
        code, out, err = invoke(["stacks", "-C", str(project)], capsys, monkeypatch)
        assert code == 0, err
        dev, prod = out.splitlines()
        assert dev == "dev  34 resources  last update -"
        assert prod.startswith(
            "prod  3 resources  last update -  (locked by alice@build-7 (pid 4242) since "
            "2026-12-01T03:00:00.123456789Z"
        )

    def test_a_locked_stack_is_exit_4(
        self,
        project: Path,
        engine: FakeEngine,
        capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        """Another update holds dev: exit 4 and how to recover."""
        engine.failures[("up", "dev")] = engine_failure(LOCKED)
        code, _, err = invoke(["up", "--yes", "-C", str(project)], capsys, monkeypatch)
        assert code == 4
        assert "tierguard cancel --stack dev" in err

    @pytest.mark.parametrize(
        "case",
        [
            (["up", "--stack", "bad name"], "stack name 'bad name' is not valid"),
            (["up", "--backend", "ftp://x", "--yes"], "backend URL 'ftp://x' is not valid"),
            (["up", "--stacks", "dev,,prod", "--yes"], "--stacks 'dev,,prod' has an empty name"),
            (["up", "--stacks", "dev,dev", "--yes"], "names dev more than once"),
            (["up", "--parallel", "2", "--yes"], "--parallel and --keep-going only apply"),
            (["up", "--stacks", "dev", "--emulator", "--yes"], "--emulator deploys one stack"),
            (["preview", "--offline", "--emulator"], "--offline runs on the mock engine"),
            (
                ["preview", "--stack-file", "x.yaml"],
                "--stack-file, --sarif and --diagram work with --offline",
            ),
            (["destroy"], "`destroy` deletes: pass --yes"),
            (["up", "--stacks", "dev"], "`up --stacks` changes several stacks: pass --yes"),
        ],
    )
    def test_bad_flags_are_one_line_exit_2_and_change_nothing(
        self,
        project: Path,
        engine: FakeEngine,
        capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch,
        case: tuple[list[str], str],
    ) -> None:
        """Each names the value and what is valid; the engine is never called."""
        args, message = case
        code, _, err = invoke([*args, "-C", str(project)], capsys, monkeypatch)
        assert code == 2
        assert message in err
        assert err.count("\n") == 1
        assert engine.calls == []

    def test_many_stacks_print_one_summary_table(
        self,
        project: Path,
        engine: FakeEngine,
        capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        """`up --stacks dev,staging --keep-going`: a row per stack; a failure makes exit 1."""
        shutil.copy(project / "Pulumi.dev.yaml", project / "Pulumi.staging.yaml")
        engine.failures[("up", "staging")] = engine_failure("error: boom")
        code, out, err = invoke(
            ["up", "--stacks", "dev,staging", "--keep-going", "--yes", "-C", str(project)],
            capsys,
            monkeypatch,
        )
        assert code == 1
        rows = out.splitlines()
        assert rows[0].split() == ["stack", "result", "changes"]
        assert rows[1].split()[:3] == ["dev", "ok", "34"]
        assert rows[2].split()[:2] == ["staging", "failed"]
        assert "1 of 2 stacks failed: staging" in err

    def test_stacks_and_outputs(
        self,
        project: Path,
        engine: FakeEngine,
        capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        """`stacks --json` lists; `outputs` prints values with secrets masked."""
        engine.stacks["dev"] = (34, False)
        code, out, _ = invoke(["stacks", "--json", "-C", str(project)], capsys, monkeypatch)
        assert code == 0
        assert json.loads(out)[0]["name"] == "dev"
        code, out, _ = invoke(["outputs", "-C", str(project)], capsys, monkeypatch)
        assert code == 0
        assert out.splitlines() == ['vpc_id: "vpc-123"', 'db_password: "[secret]"']


@pytest.fixture(name="provisioning")
def _provisioning(project: Path, engine: FakeEngine) -> FakeEngine:
    """The fake engine, whose `up` creates the plan in the emulator named by the config file
    it is handed (as the provider would)."""

    def provision(stack: FakeStack, kwargs: dict[str, Any]) -> None:
        config = yaml.safe_load(kwargs["config_text"])["config"]
        ec2 = boto3.client(
            "ec2",
            region_name=config["aws:region"],
            endpoint_url=config["aws:endpoints"][0]["ec2"],
            aws_access_key_id="test",
            aws_secret_access_key="test",
            config=Config(retries={"max_attempts": 1}),
        )
        deploy_plan(ec2, plan_for(project, stack.name))

    engine.hooks["up"] = provision
    return engine


class TestDemo:
    def test_demo_deploys_to_the_emulator_verifies_and_destroys(
        self,
        project: Path,
        provisioning: FakeEngine,
        capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        """With an engine (here: the fake, creating the plan in moto as the provider would),
        demo sets the emulator config, passes the policy gate (offline check and a
        policy-checked preview), reads back a verified deployment, destroys, drops the
        throw-away stack keeping the stack file, and leaves that file as it was."""
        before = (project / "Pulumi.dev.yaml").read_text()
        code, out, err = invoke(["demo", "-C", str(project)], capsys, monkeypatch)
        assert code == 0, err
        engine = provisioning
        verbs = ("preview", "up", "destroy")
        assert [v for v, _ in engine.verbs() if v in verbs] == [
            "preview",  # the policy gate, on the emulator
            "up",
            "destroy",
        ]
        scratch = str(project / ".tierguard" / "emulator" / "Pulumi.dev.yaml")
        assert all(engine.call(verb).kwargs["config_file"] == scratch for verb in verbs)
        assert "verified: 4 security groups, 8 rules, 1 network ACLs, 7 ACL entries match" in out
        assert "destroy dev: 34 delete" in out
        assert (project / "Pulumi.dev.yaml").read_text() == before
        removed = [c for c in engine.calls if c.what == "remove_stack"]
        assert removed
        assert all(c.kwargs == {"force": True, "preserve_config": True} for c in removed)

    def test_up_on_the_emulator_prints_outputs_and_the_verification(
        self,
        project: Path,
        provisioning: FakeEngine,
        capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        """`up --emulator --yes`: outputs, then the verification, then that the emulator's
        stack is discarded; exit 0."""
        code, out, err = invoke(
            ["up", "--emulator", "--yes", "-C", str(project)], capsys, monkeypatch
        )
        assert code == 0, err
        lines = out.splitlines()
        assert lines[0].startswith("up dev: 34 create")
        assert '  vpc_id: "vpc-123"' in lines
        assert any(line.startswith("verified: ") for line in lines)
        assert "its stack is discarded" in err

    def test_without_a_cli_demo_says_so_once_and_previews_offline(
        self,
        project: Path,
        capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        """No engine obtainable: one `demo:` line on stderr, the offline tree, exit 0."""

        def unavailable(project_dir: Path, backend: BackendChoice, **_: Any) -> Engine:
            raise EngineUnavailable(
                "the Pulumi CLI v3 is not on PATH and could not be installed into x (offline); "
                "`tierguard preview --offline` works without it"
            )

        monkeypatch.setattr(session, "open_engine", unavailable)
        code, out, err = invoke(["demo", "-C", str(project)], capsys, monkeypatch)
        assert code == 0
        assert err.splitlines() == [
            "demo: the Pulumi CLI v3 is not on PATH and could not be installed into x "
            "(offline); showing the offline preview instead"
        ]
        assert "34 resources to create" in out


class TestEmulatorSession:
    def test_a_second_emulator_run_on_the_project_is_refused(self, project: Path) -> None:
        """While one emulator session holds the project, another gets StackBusy (exit 4)."""
        engine = FakeEngine()
        with (
            emulator_stack(project, engine, "dev", region="us-east-1"),
            pytest.raises(StackBusy, match="another emulator run is using"),
            emulator_stack(project, engine, "dev", region="us-east-1"),
        ):
            pass  # pragma: no cover - never entered

    def test_a_leftover_backup_that_differs_is_refused_not_restored(self, project: Path) -> None:
        """A `.orig` from an older version's killed run plus an edit made since: refused with
        what to do, and neither file is touched."""
        stack_file = project / "Pulumi.dev.yaml"
        original = stack_file.read_text()
        backup = project / ".tierguard" / "emulator" / "Pulumi.dev.yaml.orig"
        backup.parent.mkdir(parents=True)
        backup.write_text(original)
        edited = original + "  aws:profile: mine\n"
        stack_file.write_text(edited)
        with (
            pytest.raises(ConfigError, match=r"differs from .*Pulumi\.dev\.yaml.*then delete"),
            emulator_stack(project, FakeEngine(), "dev", region="us-east-1"),
        ):
            pass  # pragma: no cover - never entered
        assert stack_file.read_text() == edited
        assert backup.read_text() == original

    def test_a_leftover_backup_equal_to_the_file_is_dropped(self, project: Path) -> None:
        """A `.orig` identical to the stack file carries nothing: it is removed."""
        backup = project / ".tierguard" / "emulator" / "Pulumi.dev.yaml.orig"
        backup.parent.mkdir(parents=True)
        backup.write_bytes((project / "Pulumi.dev.yaml").read_bytes())
        with emulator_stack(project, FakeEngine(), "dev", region="us-east-1"):
            pass
        assert not backup.exists()
