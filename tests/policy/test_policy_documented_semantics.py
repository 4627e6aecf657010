"""Policy verdicts that hinge on AWS's documented rule semantics (see also
``tests/test_documented_semantics.py``): what a port range covers, and ``-1`` ports."""

from __future__ import annotations

import pytest

from tierguard.policies.base import TierguardResourcePolicy
from tierguard.policies.exposure import SG_ADMIN_PORTS, SG_ALL_TRAFFIC, SG_HIGH_RISK_PORTS
from tierguard.policies.stack import SG_REDUNDANT_RULES
from tierguard.policies.testing import resource, run_resource_policy, run_stack_policy, sg_block
from tierguard.rules import ALL_PORTS, TCP
from tierguard.rules.normalize import SECURITY_GROUP, sg_traffic

TEN = ["10.0.0.0/8"]
WORLD = ["0.0.0.0/0"]


def _group(*ingress: dict[str, object]) -> dict[str, object]:
    return resource(
        SECURITY_GROUP, "web", {"description": "web tier", "ingress": list(ingress), "egress": []}
    )


class TestRedundancyNeedsFullCoverage:
    """A rule is redundant only when another rule allows every port it allows."""

    def test_a_rule_sharing_only_its_first_port_is_not_redundant(self) -> None:
        """tcp 443-8443 is not covered by tcp 80-443: deleting it would cut off 444-8443."""
        group = _group(
            sg_block("tcp", 80, 443, cidrBlocks=TEN), sg_block("tcp", 443, 8443, cidrBlocks=TEN)
        )
        assert run_stack_policy(SG_REDUNDANT_RULES, [group]).clean

    def test_a_rule_inside_another_is_redundant(self) -> None:
        """tcp 100-200 from 10/8 is inside tcp 80-443 from 10/8."""
        group = _group(
            sg_block("tcp", 80, 443, cidrBlocks=TEN), sg_block("tcp", 100, 200, cidrBlocks=TEN)
        )
        outcome = run_stack_policy(SG_REDUNDANT_RULES, [group])
        assert len(outcome.violations) == 1
        assert "already covered by" in outcome.text()


class TestMinusOnePortsMeanAllPorts:
    """EC2 reads TCP/UDP ``fromPort``/``toPort`` of -1 as every port (like 0-65535)."""

    def test_the_normalised_traffic_is_every_port(self) -> None:
        """tcp -1/-1 reads as TCP 0-65535."""
        assert sg_traffic("tcp", -1, -1) == sg_traffic("tcp", 0, 65535)
        assert sg_traffic("tcp", -1, -1).ports == ALL_PORTS
        assert sg_traffic("tcp", -1, -1).exposes_port(TCP, 22)

    @pytest.mark.parametrize("policy", [SG_ADMIN_PORTS, SG_HIGH_RISK_PORTS, SG_ALL_TRAFFIC])
    def test_all_tcp_from_the_world_is_reported(self, policy: TierguardResourcePolicy) -> None:
        """An all-TCP rule from 0.0.0.0/0 opens SSH, databases and every port."""
        props = {"description": "web", "ingress": [sg_block("tcp", -1, -1, cidrBlocks=WORLD)]}
        assert run_resource_policy(policy, SECURITY_GROUP, props).violations
