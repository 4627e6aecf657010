"""Backend, passphrase, CLI discovery and plugin installation: the engine's surroundings."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from pulumi.automation import PluginInfo, PulumiCommand
from semver import VersionInfo

from tests.fake_engine import FakeEngine, engine_failure
from tierguard.driver.backend import choose_backend, validate_stack_name
from tierguard.driver.tools import (
    SDK_VERSION as sdk_version,
)
from tierguard.driver.tools import (
    aws_plugin_version,
    ensure_aws_plugin,
    find_cli,
)
from tierguard.errors import EngineUnavailable, UsageError


class TestBackend:
    def test_the_embedded_default_is_a_state_folder_in_the_project(self, tmp_path: Path) -> None:
        """No flag, no env: file backend in .tierguard/state, passphrase *file* for the CLI."""
        choice = choose_backend(tmp_path, backend=None, environ={})
        assert choice.embedded
        assert choice.env == {
            "PULUMI_BACKEND_URL": f"file://{tmp_path / '.tierguard' / 'state'}",
            "PULUMI_CONFIG_PASSPHRASE_FILE": str(tmp_path / ".tierguard" / "passphrase"),
        }
        assert not (tmp_path / ".tierguard").exists()  # nothing until the engine is there

    def test_the_passphrase_is_generated_once_readable_only_by_the_user(
        self, tmp_path: Path
    ) -> None:
        """prepare() writes a random passphrase with mode 0600 and never rewrites it."""
        choice = choose_backend(tmp_path, backend=None, environ={})
        choice.prepare()
        path = tmp_path / ".tierguard" / "passphrase"
        secret = path.read_text()
        assert len(secret) >= 32
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        choose_backend(tmp_path, backend=None, environ={}).prepare()
        assert path.read_text() == secret
        assert secret not in repr(choice)
        assert (tmp_path / ".tierguard" / "state").is_dir()

    def test_an_environment_passphrase_wins_and_no_file_is_made(self, tmp_path: Path) -> None:
        """PULUMI_CONFIG_PASSPHRASE set: it is inherited by the CLI; no file is generated."""
        choice = choose_backend(tmp_path, backend=None, environ={"PULUMI_CONFIG_PASSPHRASE": "x"})
        choice.prepare()
        assert "PULUMI_CONFIG_PASSPHRASE_FILE" not in choice.env
        assert not (tmp_path / ".tierguard" / "passphrase").exists()

    def test_backend_flag_beats_the_environment(self, tmp_path: Path) -> None:
        """--backend, then PULUMI_BACKEND_URL, then the embedded folder."""
        environ = {"PULUMI_BACKEND_URL": "s3://from-env", "PULUMI_CONFIG_PASSPHRASE": "x"}
        assert choose_backend(tmp_path, backend="s3://flag", environ=environ).url == "s3://flag"
        assert choose_backend(tmp_path, backend=None, environ=environ).url == "s3://from-env"

    def test_pulumi_cloud_needs_no_passphrase(self, tmp_path: Path) -> None:
        """https:// backends manage secrets themselves."""
        choice = choose_backend(tmp_path, backend="https://api.pulumi.com", environ={})
        assert choice.env == {"PULUMI_BACKEND_URL": "https://api.pulumi.com"}

    def test_a_shared_bucket_without_a_passphrase_is_refused(self, tmp_path: Path) -> None:
        """A generated passphrase is for the embedded folder only; s3:// must bring its own."""
        with pytest.raises(UsageError, match="'s3://team-state' needs a secrets passphrase"):
            choose_backend(tmp_path, backend="s3://team-state", environ={})

    @pytest.mark.parametrize("url", ["ftp://x", "team-state", "s3://", ""])
    def test_a_bad_backend_url_names_the_value_and_the_valid_forms(
        self, tmp_path: Path, url: str
    ) -> None:
        """Unknown schemes and empty locations are usage errors (exit 2)."""
        with pytest.raises(UsageError, match="is not valid; use file://<dir>, s3://<bucket>"):
            choose_backend(
                tmp_path, backend=url or "://", environ={"PULUMI_CONFIG_PASSPHRASE": "x"}
            )

    def test_emulator_state_is_kept_apart(self, tmp_path: Path) -> None:
        """--emulator uses its own folder and refuses --backend."""
        choice = choose_backend(tmp_path, backend=None, environ={}, emulator=True)
        assert choice.url.endswith(".tierguard/emulator/state")
        with pytest.raises(UsageError, match="cannot be combined with --emulator"):
            choose_backend(tmp_path, backend="s3://b", environ={}, emulator=True)


class TestStackNames:
    @pytest.mark.parametrize("name", ["dev", "prod-eu_1.a", "acme/tierguard/prod"])
    def test_valid_names_pass(self, name: str) -> None:
        """Pulumi's characters, optionally org/project/stack."""
        assert validate_stack_name(name) == name

    @pytest.mark.parametrize("name", ["", "bad name", "a/b/c/d", "x" * 101, "dev;rm"])
    def test_invalid_names_say_what_is_valid(self, name: str) -> None:
        """The error names the value and the allowed characters."""
        with pytest.raises(UsageError, match="is not valid; use letters, digits"):
            validate_stack_name(name)


class TestCliDiscovery:
    def test_a_pulumi_on_path_is_used_as_is(self, tmp_path: Path) -> None:
        """`pulumi` on PATH: opened, nothing installed."""
        opened: list[str] = []
        installed: list[str] = []

        def opener() -> PulumiCommand:
            opened.append("pulumi")
            return PulumiCommand.__new__(PulumiCommand)

        def installer(root: str, version: VersionInfo) -> PulumiCommand:
            installed.append(root)
            raise AssertionError("must not install")

        find_cli(tmp_path, which=lambda _: "/usr/bin/pulumi", opener=opener, installer=installer)
        assert opened == ["pulumi"]
        assert installed == []

    def test_the_wanted_version_is_the_installed_sdks(self) -> None:
        """The CLI to install matches the pulumi package (3.272.0 here)."""
        from importlib.metadata import version

        assert str(sdk_version) == version("pulumi")

    def test_without_one_the_sdks_version_is_installed_into_the_project(
        self, tmp_path: Path
    ) -> None:
        """No `pulumi`: PulumiCommand.install into .tierguard/pulumi/<sdk version>."""
        calls: list[tuple[str, VersionInfo]] = []

        def installer(root: str, version: VersionInfo) -> PulumiCommand:
            calls.append((root, version))
            return PulumiCommand.__new__(PulumiCommand)

        find_cli(tmp_path, which=lambda _: None, installer=installer)
        assert calls == [(str(tmp_path / ".tierguard" / "pulumi" / str(sdk_version)), sdk_version)]

    def test_no_network_is_exit_3_with_one_line_naming_the_offline_preview(
        self, tmp_path: Path
    ) -> None:
        """The download fails: EngineUnavailable says what is missing and what works."""

        def installer(root: str, version: VersionInfo) -> PulumiCommand:
            raise OSError("<urlopen error [Errno -2] Name or service not known>")

        with pytest.raises(EngineUnavailable) as caught:
            find_cli(tmp_path, which=lambda _: None, installer=installer)
        message = str(caught.value)
        assert caught.value.exit_code == 3
        assert "\n" not in message
        assert f"Pulumi CLI v{sdk_version} is not on PATH" in message
        assert "Name or service not known" in message
        assert message.endswith("`tierguard preview --offline` works without it")


class TestAwsPlugin:
    def test_the_plugin_matching_pulumi_aws_is_installed(self) -> None:
        """install_plugin('aws', 'v<pulumi_aws version>') when the workspace lacks it."""
        engine = FakeEngine()
        version = ensure_aws_plugin(engine.workspace)
        assert version == aws_plugin_version()
        assert version.startswith("v7.")
        assert [(c.what, c.kwargs) for c in engine.calls] == [
            ("install_plugin", {"name": "aws", "version": version})
        ]

    def test_an_installed_plugin_is_not_reinstalled(self) -> None:
        """Already listed by the workspace: no install call."""
        engine = FakeEngine()
        plugin = PluginInfo(
            name="aws",
            kind="resource",
            size=1,
            last_used_time=None,  # type: ignore[arg-type]  # unused by the driver
            version=aws_plugin_version().removeprefix("v"),
        )
        engine._workspace.list_plugins = lambda: [plugin]  # type: ignore[method-assign]  # scripted answer
        ensure_aws_plugin(engine.workspace)
        assert engine.calls == []

    def test_a_failed_plugin_install_is_exit_3(self) -> None:
        """No network for the plugin either: EngineUnavailable naming the plugin version."""
        engine = FakeEngine()

        def fail(name: str, version: str, kind: str = "resource") -> None:
            raise engine_failure("error: could not download plugin")

        engine._workspace.install_plugin = fail  # type: ignore[method-assign]  # scripted failure
        with pytest.raises(EngineUnavailable, match=r"AWS provider plugin v7\.[0-9.]+ is not"):
            ensure_aws_plugin(engine.workspace)
