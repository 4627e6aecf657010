"""A self-contained copy of the policy pack for ``pulumi policy publish``.

``policy/`` runs locally with the repository's ``.venv`` (``PulumiPolicy.yaml``:
``virtualenv: ../.venv``), where ``tierguard`` is installed. The service builds a published
pack's environment from its ``requirements.txt`` alone, and ``tierguard`` is not on PyPI, so
the bundle carries the modules the pack imports (``tierguard.policies``, ``tierguard.rules``,
``tierguard.errors``; pure Python, needing only the pins of requirements.txt) next to
``__main__.py``, and a ``PulumiPolicy.yaml`` without the local virtualenv.
``python -m tierguard.policies.bundle DIR`` (``make policy-bundle``) writes it; then
``pulumi policy publish DIR``.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
PACK_DIR = ROOT / "policy"
PACKAGES = ("tierguard/policies", "tierguard/rules")
MODULES = ("tierguard/errors.py",)
INIT = '"""tierguard: the modules the published policy pack imports (a bundle)."""\n'


def build_bundle(dest: Path) -> Path:
    """Write the publishable pack into ``dest`` (replaced if it exists); returns ``dest``."""
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    for name in ("__main__.py", "requirements.txt"):
        shutil.copy2(PACK_DIR / name, dest / name)
    settings = yaml.safe_load((PACK_DIR / "PulumiPolicy.yaml").read_text(encoding="utf-8"))
    settings["runtime"] = {"name": "python", "options": {"toolchain": "pip"}}
    (dest / "PulumiPolicy.yaml").write_text(yaml.safe_dump(settings, sort_keys=False))
    (dest / "tierguard").mkdir()
    (dest / "tierguard" / "__init__.py").write_text(INIT, encoding="utf-8")
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package, dest / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    for module in MODULES:
        shutil.copy2(ROOT / module, dest / module)
    return dest


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "build/policy")
    print(build_bundle(target))
