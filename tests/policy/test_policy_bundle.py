"""The pack as `pulumi policy publish` uploads it: its own requirements.txt (the service
builds the environment from it alone) and every module it imports inside the directory."""

from __future__ import annotations

import ast
import re
import sys
from importlib import metadata
from pathlib import Path

from tierguard.offline.analyzer import PolicyPackClient
from tierguard.policies import ALL_POLICIES
from tierguard.policies.bundle import PACK_DIR, ROOT, build_bundle


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~;\[ ]", requirement, maxsplit=1)[0].strip().lower().replace("-", "_")


def _requirements() -> dict[str, str]:
    lines = (PACK_DIR / "requirements.txt").read_text().splitlines()
    pins = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    return {_name(pin): pin.split("==", 1)[1] for pin in pins}


def _closure(names: set[str]) -> set[str]:
    """The distributions ``names`` install, with everything they require (installed)."""
    seen: set[str] = set()
    todo = list(names)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue
        todo.extend(_name(r) for r in requires if "extra ==" not in r)
    return seen


def test_requirements_are_pinned_as_the_project_is() -> None:
    constraints = {
        _name(line): line.split("==", 1)[1].strip()
        for line in (ROOT / "constraints.txt").read_text().splitlines()
        if "==" in line and not line.startswith("#")
    }
    assert _requirements()
    for name, version in _requirements().items():
        assert constraints[name] == version, name


def test_the_bundle_imports_only_what_it_carries_or_requires(tmp_path: Path) -> None:
    """Every import of the published directory is the standard library, a module inside it,
    or installed by requirements.txt (directly or as a dependency)."""
    bundle = build_bundle(tmp_path / "policy")
    installed = _closure(set(_requirements()))
    provided = {
        module
        for module, dists in metadata.packages_distributions().items()
        if any(_name(d) in installed for d in dists)
    }
    carried = {p.name for p in bundle.iterdir() if p.is_dir()} | {"__main__"}
    for path in bundle.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                roots = {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                roots = {node.module.split(".")[0]}
            else:
                continue
            for root in roots - {"__future__"}:
                assert root in sys.stdlib_module_names or root in carried or root in provided, (
                    f"{path.relative_to(bundle)} imports {root}"
                )
    settings = (bundle / "PulumiPolicy.yaml").read_text()
    assert "virtualenv" not in settings
    assert "version: 0.1.0" in settings


def test_the_bundle_is_a_working_pack(tmp_path: Path) -> None:
    """Started from the bundle directory, it serves every policy over the analyzer protocol."""
    bundle = build_bundle(tmp_path / "policy")
    with PolicyPackClient(bundle, python=sys.executable) as client:
        info = client.analyzer_info()
    assert info.name == "tierguard"
    assert {p.name for p in info.policies} == {p.name for p in ALL_POLICIES}
