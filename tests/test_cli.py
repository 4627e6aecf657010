"""The ``tierguard`` command: offline preview output, JSON shape, exit codes, no tracebacks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PROJECT_DIR, invoke


class TestOfflinePreview:
    def test_tree_shows_every_rule_with_its_key_inputs(
        self, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The text tree names each rule with protocol, port, peer and description."""
        code, out, _ = invoke(
            ["preview", "--offline", "--cwd", str(PROJECT_DIR)], capsys, monkeypatch
        )
        assert code == 0
        assert (
            "SecurityGroupIngressRule dev-alb-in-tcp-443-internet-ipv4  tcp 443 from 0.0.0.0/0  “HTTPS from the internet (IPv4)”"
            in out
        )
        assert "NetworkAclRule dev-public-in-50  #50 in deny all 198.51.100.0/24" in out
        assert "34 resources to create" in out
        assert "nothing was sent to AWS" in out

    def test_json_has_the_documented_shape(
        self, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """project, stack, resources with urn/type/name/id/parent/dependencies/
        propertyDependencies/inputs, outputs, policies, reachability; ids resolved within the
        plan."""
        code, out, _ = invoke(
            ["preview", "--offline", "--json", "--cwd", str(PROJECT_DIR)], capsys, monkeypatch
        )
        assert code == 0
        doc: dict[str, Any] = json.loads(out)
        assert set(doc) == {"project", "stack", "resources", "outputs", "policies", "reachability"}
        assert (doc["project"], doc["stack"]) == ("tierguard", "dev")
        for resource in doc["resources"]:
            assert set(resource) == {
                "urn",
                "type",
                "name",
                "id",
                "parent",
                "dependencies",
                "propertyDependencies",
                "inputs",
            }
        by_name = {r["name"]: r for r in doc["resources"] if r["id"]}
        rule = by_name["dev-app-in-tcp-8080-tier-web"]
        assert rule["inputs"]["referencedSecurityGroupId"] == by_name["dev-web"]["id"]
        assert rule["inputs"]["fromPort"] == 8080
        assert rule["propertyDependencies"]["referencedSecurityGroupId"] == [
            by_name["dev-web"]["urn"]
        ]
        assert by_name["dev-web"]["urn"] in rule["dependencies"]
        assert rule["parent"].endswith("tierguard:index:SecurityTier::dev-app")
        urns = [r["urn"] for r in doc["resources"]]
        assert all(r["parent"] in urns for r in doc["resources"][1:]), "parents come first"
        assert doc["outputs"]["security_group_ids"]["web"] == by_name["dev-web"]["id"]

    def test_json_is_identical_across_runs(self) -> None:
        """Two processes with different hash seeds print the same bytes: the SDK gathers
        dependencies in sets, whose order changes with the seed."""
        outputs = {
            subprocess.run(
                [sys.executable, "-m", "tierguard", "preview", "--offline", "--json"],
                cwd=PROJECT_DIR,
                env={**os.environ, "PYTHONHASHSEED": seed},
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            for seed in ("1", "2")
        }
        assert len(outputs) == 1

    def test_examples_run_by_path(
        self, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """--stack-file runs an example's stack file; its name is the stack name."""
        code, out, _ = invoke(
            [
                "preview",
                "--offline",
                "--json",
                "--cwd",
                str(PROJECT_DIR),
                "--stack-file",
                str(PROJECT_DIR / "examples/Pulumi.web-server.yaml"),
            ],
            capsys,
            monkeypatch,
        )
        assert code == 0
        assert json.loads(out)["stack"] == "web-server"


class TestBadInput:
    def test_invalid_config_exits_2_with_the_path(
        self, project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A host-bits CIDR in the stack file: exit 2, the path and the fix, nothing run."""
        stack = project / "Pulumi.dev.yaml"
        stack.write_text(
            stack.read_text().replace("admins: 203.0.113.0/24", "admins: 203.0.113.7/24")
        )
        code, out, err = invoke(
            ["preview", "--offline", "--cwd", str(project)], capsys, monkeypatch
        )
        assert code == 2
        assert out == ""
        assert (
            err
            == "error: tierguard:network.named_cidrs.admins: '203.0.113.7/24' has host bits set (did you mean 203.0.113.0/24?)\n"
        )

    def test_missing_stack_file_lists_the_stacks(
        self, project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A stack without a file names the stacks that exist."""
        code, _, err = invoke(
            ["preview", "--offline", "--stack", "prod", "--cwd", str(project)], capsys, monkeypatch
        )
        assert code == 2
        assert "no such stack file for stack 'prod'; stacks here: dev" in err

    def test_yaml_syntax_errors_give_line_and_column(
        self, project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Broken YAML points at the place."""
        (project / "Pulumi.dev.yaml").write_text("config:\n  tierguard:network: {vpc: [\n")
        code, _, err = invoke(["preview", "--offline", "--cwd", str(project)], capsys, monkeypatch)
        assert code == 2
        assert "Pulumi.dev.yaml:3:1: YAML error:" in err

    def test_duplicate_keys_are_errors_not_last_wins(
        self, project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Two tiers named 'web' would silently drop one; it is refused with both lines."""
        stack = project / "Pulumi.dev.yaml"
        text = stack.read_text().replace("      app:\n", "      web:\n", 1)
        stack.write_text(text)
        code, _, err = invoke(["preview", "--offline", "--cwd", str(project)], capsys, monkeypatch)
        assert code == 2
        assert "duplicate key 'web' (first defined on line" in err

    def test_live_preview_without_an_obtainable_cli_exits_3(
        self, project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Without --offline, no `pulumi` and no download: exit 3, one line naming the
        offline preview, and nothing created in the project."""
        from pulumi.automation import PulumiCommand

        def no_network(*_args: object, **_kwargs: object) -> PulumiCommand:
            raise OSError("<urlopen error [Errno -2] Name or service not known>")

        monkeypatch.setattr("shutil.which", lambda _name: None)
        monkeypatch.setattr(PulumiCommand, "install", no_network)
        code, out, err = invoke(["preview", "--cwd", str(project)], capsys, monkeypatch)
        assert code == 3
        assert err.count("\n") == 1
        assert "`tierguard preview --offline` works without it" in err
        assert out == ""
        assert not (project / ".tierguard").exists()

    def test_unknown_flag_exits_2(
        self, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """click's usage errors keep their exit code."""
        code, _, err = invoke(["preview", "--offlien"], capsys, monkeypatch)
        assert code == 2
        assert "No such option" in err


def test_console_script_reports_without_traceback(project: Path) -> None:
    """The installed command, in its own process: exit 2, one line, no traceback."""
    stack = project / "Pulumi.dev.yaml"
    stack.write_text(stack.read_text().replace("ports: 8080", "ports: 80800"))
    result = subprocess.run(
        [sys.executable, "-m", "tierguard", "preview", "--offline", "--cwd", str(project)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert (
        result.stderr
        == "error: tierguard:network.tiers.app.ingress[0].ports: port 80800 is outside 0-65535\n"
    )
    assert "Traceback" not in result.stdout + result.stderr
