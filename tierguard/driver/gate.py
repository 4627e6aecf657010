"""The policy gate every verb that applies changes passes before the engine changes anything.

``Stack.up()`` runs ``pulumi up --yes --skip-preview``: the engine's Analyze stops a bad
resource before its step, but stack policies (AnalyzeStack) run only after every step has
executed, so at ``up`` a mandatory stack finding fails the update once the resources exist
(``engine-protocol.md``). The driver therefore judges first, twice:

1. offline, here: the real program on the mock engine and the real pack over the analyzer
   protocol, sent what the engine sends during ``up`` (``tierguard.offline.engine``, phase
   ``up``: Analyze with every input known, AnalyzeStack with the outputs after apply) —
   the verdicts the stack policies would otherwise give only once the resources exist;
2. through the engine: a preview with the pack attached (``Deployer.preview``).

Either one's mandatory findings raise ``PolicyViolation`` (exit 1) before ``up`` is called.
"""

from __future__ import annotations

from pathlib import Path

from tierguard.config.stackfile import load_named_stack
from tierguard.offline.analyzer import PolicyPackClient
from tierguard.offline.engine import engine_calls
from tierguard.offline.policies import EXEMPTION_POLICIES, read_policy_config
from tierguard.offline.runner import run_program


def offline_findings(project_dir: Path, stack: str, policy_config: Path | None) -> list[str]:
    """The pack's mandatory findings on the stack as ``up`` would apply it, one line each
    (``policy on name: why``).

    Invalid pack config raises ``ConfigError`` (exit 2), as the engine would refuse it.
    """
    config = read_policy_config(policy_config)
    stack_file = load_named_stack(project_dir, stack)
    run = run_program(project_dir, stack_file)
    calls = engine_calls(run, "up", stack_file.config)
    with PolicyPackClient() as client:
        diagnostics = client.run_calls(calls, config)
    lines = []
    for d in diagnostics:
        if not d.mandatory or d.policy_name in EXEMPTION_POLICIES:
            continue
        where = f" on {d.urn.rsplit('::', 1)[-1]}" if d.urn else " on the stack"
        detail = next((line for line in d.message.splitlines()[1:] if line.strip()), "")
        lines.append(f"{d.policy_name}{where}: {detail or d.message.splitlines()[0]}")
    return list(dict.fromkeys(lines))
