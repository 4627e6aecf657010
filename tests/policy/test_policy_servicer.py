"""The pack's servicer answers every engine call exactly as the pulumi_policy SDK's own
servicer does: it only decodes each request once and lets the policies share what they
derive from it (``tierguard.policies.serve``). The oracle is the SDK's servicer, given
the same protobuf requests — what the engine sends at preview, at up and after a refresh —
for tierguard's stacks, hand-written programs and generated networks."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pytest
from google.protobuf import json_format
from hypothesis import HealthCheck, given, settings
from pulumi_policy import policy as sdk

from bench.topologies import network_config
from tests.conftest import PROJECT_DIR, stack_file
from tests.policy.test_policy_fixtures import CASES, _case_id, load_case
from tests.test_properties import _valid, networks
from tierguard.cli._stack import load_program
from tierguard.config.stackfile import StackFile
from tierguard.offline.analyzer import (
    PolicyPackClient,
    analyze_request,
    analyze_stack_request,
)
from tierguard.offline.engine import PHASES, engine_calls
from tierguard.offline.inprocess import _DirectStub
from tierguard.offline.runner import run_program
from tierguard.policies import ALL_POLICIES, PACK_OPTIONS
from tierguard.policies.serve import TierguardAnalyzer
from tierguard.policies.testing import UNKNOWN, resource, sg_block
from tierguard.reach.intents import with_stack_intents
from tierguard.rules.normalize import (
    NETWORK_ACL,
    NETWORK_ACL_RULE,
    SECURITY_GROUP,
    VPC_INGRESS_RULE,
)

EXAMPLES = PROJECT_DIR / "examples"
STACKS = [
    (PROJECT_DIR, None),
    *((PROJECT_DIR, path) for path in sorted(EXAMPLES.glob("Pulumi.*.yaml"))),
    *((path, None) for path in sorted(EXAMPLES.iterdir()) if path.is_dir()),
]

#: Levels, a disabled policy, an active and an expired exemption, a policy's parameters.
POLICY_CONFIG: dict[str, Any] = {
    "all": "mandatory",
    "aws-ec2-sg-attached": "disabled",
    "aws-ec2-sg-rule-description-required": "advisory",
    "aws-ec2-sg-no-admin-ports-from-internet": {
        "exemptions": [
            {"resource": "k8s-*", "reason": "break-glass, OPS-42"},
            {"resource": "web", "reason": "old", "expires": "2020-01-01"},
        ]
    },
    "aws-ec2-sg-nacl-consistent": {"exemptions": [{"resource": "web", "reason": "OPS-7"}]},
    "aws-ec2-sg-too-many-rules": {"maxRules": 2},
}


class _Over(PolicyPackClient):
    """The engine's side of the protocol (this client's requests) against a servicer."""

    def __init__(self, servicer: Any) -> None:
        super().__init__()
        self._stub = _DirectStub(servicer)

    def analyze_all(self, resources: Iterable[Mapping[str, Any]]) -> list[Any]:
        return [self._call("Analyze", analyze_request(r)) for r in resources]

    def analyze_stack(self, resources: Any, outputs: Any = None) -> list[Any]:
        return [self._call("AnalyzeStack", analyze_stack_request(resources))]

    def close(self) -> None:
        self._stub = None


def _servicer(kind: type) -> Any:
    options = dict(PACK_OPTIONS)
    return kind(
        options.pop("name"),
        "0.0.1",
        ALL_POLICIES,
        options.pop("enforcement_level"),
        None,
        options.pop("description"),
        options.pop("display_name"),
        None,
        options.pop("provider"),
        options.pop("tags"),
        None,
    )


def _answers(kind: type, stack: StackFile, run: Any, config: dict[str, Any] | None) -> list[Any]:
    """Every response, as JSON, to one phase after another of the engine's calls."""
    client = _Over(_servicer(kind))
    client.configure(with_stack_intents(config, stack.config))
    found = []
    for phase in PHASES:
        calls = engine_calls(run, phase, stack.config)
        responses = [*client.analyze_all(calls.analyze), *client.analyze_stack(calls.stack)]
        found.append([json_format.MessageToDict(r) for r in responses])
    return found


def _assert_same_answers(stack: StackFile, run: Any, config: dict[str, Any] | None) -> None:
    ours = _answers(TierguardAnalyzer, stack, run, config)
    assert ours == _answers(sdk._PolicyAnalyzerServicer, stack, run, config)


@pytest.mark.parametrize("config", [None, POLICY_CONFIG], ids=["defaults", "configured"])
@pytest.mark.parametrize(
    ("project", "path"),
    STACKS,
    ids=lambda v: v.name if isinstance(v, Path) else "dev",
)
def test_the_servicer_answers_as_the_sdks_on_every_example(
    project: Path, path: Path | None, config: dict[str, Any] | None
) -> None:
    loaded = load_program(project, "dev", path)
    run = run_program(loaded.project_dir, loaded.stack)
    _assert_same_answers(loaded.stack, run, config)


def test_the_servicer_answers_as_the_sdks_on_a_bench_network() -> None:
    stack = stack_file(network_config(300), stack="bench")
    _assert_same_answers(stack, run_program(PROJECT_DIR, stack), POLICY_CONFIG)


@settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(network=networks())
def test_the_servicer_answers_as_the_sdks_on_generated_networks(network: dict[str, Any]) -> None:
    if _valid(network) is None:
        return
    stack = stack_file(network)
    _assert_same_answers(stack, run_program(PROJECT_DIR, stack), POLICY_CONFIG)


def _unknown_stack() -> list[dict[str, Any]]:
    """At preview: rules whose group or ACL is unknown, unknown peers, an unknown inline
    list, an ACL whose subnets are unknown — what the stack view notes as not evaluated."""
    group = resource(
        SECURITY_GROUP,
        "web",
        {"vpcId": "vpc-1", "ingress": [sg_block("tcp", 22, cidrBlocks=["0.0.0.0/0"]), UNKNOWN]},
    )
    return [
        group,
        resource(
            VPC_INGRESS_RULE,
            "orphan",
            {"securityGroupId": UNKNOWN, "ipProtocol": "tcp", "fromPort": 22.0, "toPort": 22.0},
        ),
        resource(
            VPC_INGRESS_RULE,
            "db-from-x",
            {
                "securityGroupId": "sg-1",
                "ipProtocol": "tcp",
                "fromPort": 5432.0,
                "toPort": 5432.0,
                "referencedSecurityGroupId": UNKNOWN,
            },
        ),
        resource(NETWORK_ACL, "acl", {"subnetIds": [UNKNOWN], "ingress": UNKNOWN}),
        resource(
            NETWORK_ACL_RULE,
            "lost-entry",
            {"networkAclId": UNKNOWN, "ruleNumber": 100.0, "egress": False, "protocol": "-1"},
        ),
    ]


def test_the_servicer_notes_the_same_unknowns_as_the_sdks() -> None:
    """Each stack policy reports what it could not evaluate at preview, whichever policy
    of the request first built the shared view."""
    resources = _unknown_stack()
    answers = [
        json_format.MessageToDict(_Over(_servicer(kind)).analyze_stack(resources)[0])
        for kind in (TierguardAnalyzer, sdk._PolicyAnalyzerServicer)
    ]
    assert answers[0] == answers[1]
    noted = {
        rule: {d["policyName"] for d in answers[0]["diagnostics"] if f"{rule}: the" in d["message"]}
        for rule in ("orphan", "lost-entry")
    }
    # Every stack policy reading the security groups cannot judge the rule whose group is
    # unknown; every one reading the ACLs, the entry whose ACL is unknown.
    assert noted["orphan"] == SG_STACK_POLICIES
    assert noted["lost-entry"] == ACL_STACK_POLICIES


SG_STACK_POLICIES = {
    "aws-ec2-sg-attached",
    "aws-ec2-sg-data-store-via-tier-reference",
    "aws-ec2-sg-max-groups-per-resource",
    "aws-ec2-sg-nacl-consistent",
    "aws-ec2-sg-no-internet-via-prefix-list",
    "aws-ec2-sg-no-redundant-rules",
    "aws-ec2-sg-no-rule-management-conflicts",
    "aws-ec2-sg-private-source-within-vpc",
    "aws-ec2-sg-rule-quota",
    "aws-ec2-sg-too-many-rules",
    "aws-ec2-vpc-default-sg-closed",
}
ACL_STACK_POLICIES = {
    "aws-ec2-nacl-attached-to-subnet",
    "aws-ec2-nacl-no-admin-ports-from-internet",
    "aws-ec2-nacl-no-all-traffic-from-internet",
    "aws-ec2-nacl-no-high-risk-ports-from-internet",
    "aws-ec2-nacl-no-shadowed-rules",
    "aws-ec2-nacl-return-traffic-allowed",
    "aws-ec2-sg-nacl-consistent",
    "aws-ec2-sg-no-rule-management-conflicts",
}


@pytest.mark.parametrize("path", CASES, ids=_case_id)
def test_the_servicer_answers_as_the_sdks_on_every_fixture(path: Path) -> None:
    """The policy fixtures hold a finding (or a clean case) of every policy, exemptions and
    parameters in their configs: each resource's ``Analyze`` and the ``AnalyzeStack`` get
    the SDK's answers, violations included (the examples above are mostly clean)."""
    resources, config = load_case(path)
    answers = []
    for kind in (TierguardAnalyzer, sdk._PolicyAnalyzerServicer):
        client = _Over(_servicer(kind))
        client.configure(config)
        responses = [*client.analyze_all(resources), *client.analyze_stack(resources)]
        answers.append([json_format.MessageToDict(r) for r in responses])
    assert answers[0] == answers[1]
    reported = {d["policyName"] for a in answers[0] for d in a.get("diagnostics", ())}
    assert (path.parent.parent.name in reported) is (path.parent.name == "fail")
