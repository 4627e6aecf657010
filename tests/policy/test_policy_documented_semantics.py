"""Policy verdicts that hinge on AWS's documented rule semantics (see also
``tests/test_documented_semantics.py``): what a port range covers, and ``-1`` ports."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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


def _pairwise_redundancy(group: dict[str, object]) -> list[str]:
    """The redundancy verdicts by the obvious scan of every pair of the group's rules."""
    from tierguard.policies.graph import StackResources, StackView
    from tierguard.policies.stack import _peer_covers, _rule_text
    from tierguard.policies.testing import policy_resources

    found = []
    for view_group in StackView(StackResources(policy_resources([group]))).groups.values():
        rules = view_group.rules
        for index, rule in enumerate(rules):
            for other_index, other in enumerate(rules):
                if other_index == index or other.rule.direction is not rule.rule.direction:
                    continue
                if not (_peer_covers(other, rule) and other.rule.traffic.covers(rule.rule.traffic)):
                    continue
                same = _peer_covers(rule, other) and rule.rule.traffic.covers(other.rule.traffic)
                if same and other_index > index:
                    continue
                kind = "duplicates" if same else "is already covered by"
                found.append(f"{_rule_text(rule)} {kind} {_rule_text(other)}")
                break
    return found


_PEERS: list[dict[str, Any]] = [
    {"cidrBlocks": ["10.0.0.0/8"]},
    {"cidrBlocks": ["10.1.0.0/16", "10.1.2.0/24"]},
    {"cidrBlocks": ["10.1.2.3/32"]},
    {"cidrBlocks": ["0.0.0.0/0"]},
    {"ipv6CidrBlocks": ["2001:db8::/32"]},
    {"ipv6CidrBlocks": ["2001:db8:1::/48", "::/0"]},
    {"securityGroups": ["sg-0aaaaaaaaaaaaaaaa"]},
    {"securityGroups": ["sg-0bbbbbbbbbbbbbbbb"]},
    {"self": True},
    {"prefixListIds": ["pl-0123456789abcdef0"]},
]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["tcp", "udp", "-1"]),
            st.integers(0, 6),
            st.integers(0, 6),
            st.sampled_from(_PEERS),
            st.booleans(),
        ),
        max_size=12,
    )
)
def test_redundancy_is_what_a_scan_of_every_pair_finds(
    blocks: list[tuple[str, int, int, dict[str, Any], bool]],
) -> None:
    """The policy looks covering rules up by peer; a scan of every pair is the oracle."""
    ingress: list[dict[str, Any]] = []
    egress: list[dict[str, Any]] = []
    for protocol, low, span, peer, out in blocks:
        first = 0 if protocol == "-1" else 440 + low
        block = sg_block(protocol, first, first + (0 if protocol == "-1" else span), **peer)
        (egress if out else ingress).append(block)
    group = resource(
        SECURITY_GROUP, "web", {"description": "web tier", "ingress": ingress, "egress": egress}
    )
    reported = run_stack_policy(SG_REDUNDANT_RULES, [group]).violations
    expected = _pairwise_redundancy(group)
    assert len(reported) == len(expected)
    for message, finding in zip(reported, expected, strict=True):
        assert finding in message
