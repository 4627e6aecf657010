"""Finding the Pulumi CLI and the AWS provider plugin, installing them when missing.

A ``pulumi`` on PATH is used as is. Otherwise the CLI matching the installed SDK is
installed into the project (``.tierguard/pulumi/``) with ``PulumiCommand.install``, and
the AWS plugin matching the installed ``pulumi_aws`` is installed through the workspace.
When that cannot be done (no network), ``EngineUnavailable`` (exit 3) says what is
missing and that ``tierguard preview --offline`` needs neither.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version
from pathlib import Path

from pulumi.automation import CommandError, InvalidVersionError, PulumiCommand
from semver import VersionInfo

from tierguard.driver.seam import WorkspaceApi
from tierguard.errors import EngineUnavailable

CLI_DIR = Path(".tierguard") / "pulumi"
#: The installed Pulumi SDK's version: the CLI version to install when none is on PATH.
SDK_VERSION = VersionInfo.parse(package_version("pulumi"))
OFFLINE_HINT = "`tierguard preview --offline` works without it"

#: Seams for tests: how to find ``pulumi`` on PATH, open it, and install it.
Which = Callable[[str], str | None]
Opener = Callable[[], PulumiCommand]
Installer = Callable[[str, VersionInfo], PulumiCommand]


def _install(root: str, version: VersionInfo) -> PulumiCommand:
    return PulumiCommand.install(root=root, version=version)


def find_cli(
    project_dir: Path,
    *,
    which: Which | None = None,
    opener: Opener | None = None,
    installer: Installer | None = None,
) -> PulumiCommand:
    """The ``pulumi`` on PATH, else one installed into the project; ``EngineUnavailable``."""
    which = which or shutil.which
    opener = opener or PulumiCommand
    installer = installer or _install
    wanted = SDK_VERSION
    if which("pulumi") is not None:
        try:
            return opener()
        except (OSError, subprocess.SubprocessError, InvalidVersionError) as exc:
            raise EngineUnavailable(
                f"the `pulumi` on PATH cannot be used ({_reason(exc)}); install Pulumi CLI "
                f"v{wanted} or later; {OFFLINE_HINT}"
            ) from None
    root = project_dir / CLI_DIR / str(wanted)
    try:
        return installer(str(root), wanted)
    except (OSError, subprocess.SubprocessError, InvalidVersionError) as exc:
        raise EngineUnavailable(
            f"the Pulumi CLI v{wanted} is not on PATH and could not be installed into "
            f"{root} ({_reason(exc)}); {OFFLINE_HINT}"
        ) from None


def aws_plugin_version() -> str:
    """The AWS provider plugin version matching the installed ``pulumi_aws`` (``v7.51.1``)."""
    try:
        return f"v{package_version('pulumi_aws')}"
    except PackageNotFoundError:
        raise EngineUnavailable(
            f"the pulumi_aws package is not installed (run `make setup`); {OFFLINE_HINT}"
        ) from None


def ensure_aws_plugin(workspace: WorkspaceApi) -> str:
    """Install the matching AWS plugin unless the workspace already has it; its version."""
    version = aws_plugin_version()
    try:
        installed = {
            (p.name, f"v{p.version}".replace("vv", "v"))
            for p in workspace.list_plugins()
            if p.version
        }
        if ("aws", version) not in installed:
            workspace.install_plugin("aws", version)
    except CommandError as exc:
        raise EngineUnavailable(
            f"the AWS provider plugin {version} is not installed and could not be installed "
            f"({_reason(exc)}); {OFFLINE_HINT}"
        ) from None
    return version


def _reason(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    text = lines[-1] if lines else type(exc).__name__
    return text if len(text) < 200 else text[:197] + "..."
