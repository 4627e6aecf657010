"""Every policy has examples that must pass and examples that must fail, in the style of
Checkov's per-check example directories: ``fixtures/<policy>/{pass,fail}/<case>.json``.

A case is a small stack: resources in the offline preview's JSON shape, except that
``parent`` and ``propertyDependencies`` name resources instead of spelling URNs; an optional
pack config (``--policy-pack-config``); ``about``, what the case shows; and, for a failing
case, ``messages``: what its policy must report, word for word (each checked against the
case and AWS's behaviour when written), so that a finding with the wrong port, entry or
advice fails the case too. Each runs
through the pack's own analyzer servicer in this process, as ``tierguard check`` does:
Configure, Analyze per resource, AnalyzeStack. A passing case has no diagnostic of its
policy at all (no preview note either); a failing one has at least one, and its message
is the sentence built from the violation's fields, with the fix once.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tierguard.offline.inprocess import InProcessPack
from tierguard.offline.policies import EXEMPTION_POLICIES
from tierguard.policies import ALL_POLICIES
from tierguard.policies.testing import resource, urn_for

FIXTURES = Path(__file__).parent / "fixtures"
CASES = sorted(FIXTURES.glob("*/*/*.json"))
VERDICTS = ("pass", "fail")


def load_case(path: Path) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """The case's resources (names resolved to URNs) and its pack config."""
    doc = json.loads(path.read_text())
    assert set(doc) <= {"about", "messages", "resources", "config"}, f"{path}: unknown keys"
    assert doc.get("about"), f"{path}: say what the case shows in 'about'"
    urns = {r["name"]: urn_for(r["type"], r["name"]) for r in doc["resources"]}
    resources = [
        resource(
            r["type"],
            r["name"],
            r.get("inputs"),
            id=r.get("id"),
            parent=urns[r["parent"]] if r.get("parent") else None,
            property_dependencies={
                key: [urns[name] for name in names]
                for key, names in (r.get("propertyDependencies") or {}).items()
            },
        )
        for r in doc["resources"]
    ]
    return resources, doc.get("config")


@pytest.fixture(scope="module", name="pack")
def _pack() -> Iterator[InProcessPack]:
    with InProcessPack() as pack:
        yield pack


def _case_id(path: Path) -> str:
    return f"{path.parent.parent.name}/{path.parent.name}/{path.stem}"


@pytest.mark.parametrize("path", CASES, ids=_case_id)
def test_case(path: Path, pack: InProcessPack) -> None:
    """The case's policy reports nothing on a pass case and a violation on a fail case."""
    policy, verdict = path.parent.parent.name, path.parent.name
    assert verdict in VERDICTS, f"{path}: put cases under pass/ or fail/"
    resources, config = load_case(path)
    found = [d for d in pack.run(resources, config) if d.policy_name == policy]
    if verdict == "pass":
        assert found == [], [d.message for d in found]
        return
    assert found, f"{policy} reported nothing"
    expected = json.loads(path.read_text()).get("messages")
    if expected is not None:
        assert [d.message.partition("\n")[2] for d in found] == expected
    if policy not in EXEMPTION_POLICIES:
        for diagnostic in found:
            assert diagnostic.message.count("Fix:") == 1, diagnostic.message


def test_every_policy_has_passing_and_failing_cases() -> None:
    """Each policy of the pack has at least one case of each kind, and every fixture
    directory names a policy of the pack."""
    names = {p.name for p in ALL_POLICIES}
    assert {d.name for d in FIXTURES.iterdir() if d.is_dir()} <= names
    for name in sorted(names):
        for verdict in VERDICTS:
            assert list((FIXTURES / name / verdict).glob("*.json")), f"{name}: no {verdict} case"
