"""The policy gate every verb that applies changes passes before the engine changes anything.

``Stack.up()`` runs ``pulumi up --yes --skip-preview``: the engine's Analyze stops a bad
resource before its step, but stack policies (AnalyzeStack) run only after every step has
executed, so at ``up`` a mandatory stack finding fails the update once the resources exist
(``engine-protocol.md``). The driver therefore judges first, twice:

1. offline, here: the real program on the mock engine and the real pack over the analyzer
   protocol, as ``tierguard preview --offline`` runs them — resources with their ids
   known, as the stack policies see them after an ``up``;
2. through the engine: a preview with the pack attached (``Deployer.preview``).

Either one's mandatory findings raise ``PolicyViolation`` (exit 1) before ``up`` is called.
"""

from __future__ import annotations

from pathlib import Path

from tierguard.config.stackfile import load_stack
from tierguard.offline.policies import judge, read_policy_config
from tierguard.offline.render import to_document
from tierguard.offline.runner import run_program


def offline_findings(project_dir: Path, stack: str, policy_config: Path | None) -> list[str]:
    """The pack's mandatory findings on the stack, one line each (``policy on name: why``).

    Invalid pack config raises ``ConfigError`` (exit 2), as the engine would refuse it.
    """
    config = read_policy_config(policy_config)
    run = run_program(project_dir, load_stack(project_dir, stack.rsplit("/", 1)[-1]))
    document = to_document(run)
    report = judge(document["resources"], document["outputs"], config)
    lines = []
    for d in report.mandatory:
        where = f" on {d.urn.rsplit('::', 1)[-1]}" if d.urn else " on the stack"
        detail = next((line for line in d.message.splitlines()[1:] if line.strip()), "")
        lines.append(f"{d.policy_name}{where}: {detail or d.message.splitlines()[0]}")
    return lines
