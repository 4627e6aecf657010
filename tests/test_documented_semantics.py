"""AWS's documented semantics that a plausible one-line bug would silently break.

Each class pins one behaviour from AWS's documentation (or the RFC it cites) whose loss
changes a verdict a user acts on; the expected values come from the documentation, not
from tierguard's output. Reachability is asked through ``tierguard reach`` so the
answers hold whatever the analysis looks like inside.
"""

from __future__ import annotations

import ipaddress
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import PROJECT_DIR, invoke
from tierguard.errors import ConfigError
from tierguard.program import plan_from_raw
from tierguard.rules import (
    ICMP,
    TCP,
    AclAction,
    AclEntry,
    Direction,
    IcmpMatch,
    Packet,
    PortRange,
    Traffic,
    evaluate_acl,
)

INTERNET = ipaddress.ip_network("0.0.0.0/0")
#: RFC 792: echo request is ICMP type 8, echo reply type 0 (both code 0); type 13 is a
#: timestamp request and type 3 code 4 is "fragmentation needed" (path-MTU discovery).
ECHO_REQUEST, ECHO_REPLY, TIMESTAMP, DEST_UNREACHABLE, FRAG_NEEDED = 8, 0, 13, 3, 4
SOMEONE = ipaddress.ip_address("192.0.2.10")


def network(
    ingress: list[dict[str, Any]], acl: dict[str, Any] | None = None, **extra: Any
) -> dict[str, Any]:
    """One tier ``web`` in one public subnet, with ``acl`` (ingress/egress) on it if given."""
    raw: dict[str, Any] = {
        "name": "doc",
        "vpc": {"cidr": "10.20.0.0/16", "az_count": 1},
        "subnet_groups": {"public": {"public": True}},
        "tiers": {"web": {"subnet_group": "public", "ingress": ingress}},
        **extra,
    }
    if acl is not None:
        raw["network_acls"] = {"public": {"subnet_groups": ["public"], **acl}}
    return raw


def plan(raw: dict[str, Any]) -> Any:
    return plan_from_raw(raw, region="us-east-1", stack="dev")


@pytest.fixture(name="ask")
def _ask(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Any:
    """``ask(raw, *flags)``: the JSON ``tierguard reach`` prints for a stack of ``raw``."""

    def run(raw: dict[str, Any], *flags: str) -> dict[str, Any]:
        for name in ("Pulumi.yaml", "__main__.py"):  # reach runs the program
            shutil.copy(PROJECT_DIR / name, tmp_path / name)
        stack = {"config": {"aws:region": "us-east-1", "tierguard:network": raw}}
        (tmp_path / "Pulumi.dev.yaml").write_text(yaml.safe_dump(stack))
        code, out, err = invoke(
            ["reach", "--cwd", str(tmp_path), "--json", *flags], capsys, monkeypatch
        )
        assert code == 0, err
        answer = json.loads(out)
        assert isinstance(answer, dict)
        return answer

    return run


def reachable(ask: Any, raw: dict[str, Any], source: str, protocol: str, port: int) -> bool:
    """Whether ``tierguard reach`` says ``source`` reaches tier web (ICMP: ``port`` = type)."""
    answer = ask(raw, "--from", source, "--to", "web", "--protocol", protocol, "--port", str(port))
    verdict = answer["reachable"]
    assert isinstance(verdict, bool)
    return verdict


PING = [{"protocol": "icmp", "icmp_type": ECHO_REQUEST, "internet": "ipv4"}]


class TestPortRangeCoverage:
    """A range covers another only when it contains both its ends."""

    @pytest.mark.parametrize(
        ("outer", "inner", "covered"),
        [
            ((80, 443), (100, 200), True),
            ((80, 443), (80, 443), True),
            ((80, 443), (443, 8443), False),  # shares only the start of inner
            ((80, 443), (1, 80), False),  # shares only the end of inner
            ((1024, 49151), (1024, 65535), False),
        ],
    )
    def test_coverage_needs_both_ends(
        self, outer: tuple[int, int], inner: tuple[int, int], covered: bool
    ) -> None:
        """Every port of the inner range must be in the outer one."""
        assert PortRange(*outer).covers(PortRange(*inner)) is covered
        assert Traffic.of(TCP, PortRange(*outer)).covers(Traffic.of(TCP, PortRange(*inner))) is (
            covered
        )

    def test_a_narrower_egress_allow_still_gets_the_return_rule(self) -> None:
        """An egress allow of 1024-49151 leaves replies to 49152-65535 (Linux and Windows
        clients' ephemeral ports) dropped by the implicit deny; the plan must add the
        return rule, so every ephemeral port gets out to the client."""
        raw = network(
            [{"service": "https", "internet": "ipv4"}],
            {
                "ingress": [{"rule": 100, "service": "https", "internet": "ipv4"}],
                "egress": [
                    {"rule": 100, "protocol": "tcp", "ports": "1024-49151", "internet": "ipv4"}
                ],
            },
        )
        entries = [p.entry for p in plan(raw).acls["public"].entries]
        for port in (1024, 49151, 49152, 60000, 65535):
            reply = Packet(TCP, SOMEONE, port=port)
            assert evaluate_acl(entries, egress=True, packet=reply).allowed, port

    def test_the_replies_to_the_subnets_requests_get_no_return_rule(self) -> None:
        """AWS's example ACL: outbound HTTPS to the internet, and inbound TCP 32768-65535
        from it for the replies. That inbound entry is itself return traffic (clients'
        ephemeral ports, reaching 65535); the plan adds the replies' path for the HTTPS
        (inbound 1024-65535) but must not open outbound 1024-65535 to the whole internet
        as if 32768-65535 were a service."""
        raw = network(
            [{"service": "https", "internet": "ipv4"}],
            {
                "ingress": [
                    {"rule": 140, "protocol": "tcp", "ports": "32768-65535", "internet": "ipv4"}
                ],
                "egress": [{"rule": 100, "service": "https", "internet": "ipv4"}],
            },
        )
        automatic = [p.entry for p in plan(raw).acls["public"].entries if p.automatic]
        assert [(e.direction, e.traffic) for e in automatic] == [
            (Direction.INGRESS, Traffic.of(TCP, PortRange(1024, 65535)))
        ]


class TestIcmpTypeAndCode:
    """An ICMP rule matches only the type (and code) it names; -1 means any."""

    def test_a_type_and_code_rule_matches_only_that_message(self) -> None:
        """A path-MTU rule (type 3 code 4) is not ping and not another type-3 code."""
        mtu = Traffic.of(ICMP, icmp=IcmpMatch(DEST_UNREACHABLE, FRAG_NEEDED))

        def message(kind: int, code: int) -> Packet:
            return Packet(ICMP, SOMEONE, icmp_type=kind, icmp_code=code)

        assert mtu.matches(message(DEST_UNREACHABLE, FRAG_NEEDED))
        assert not mtu.matches(message(ECHO_REQUEST, 0))
        assert not mtu.matches(message(DEST_UNREACHABLE, 1))
        assert Traffic.of(ICMP, icmp=IcmpMatch(DEST_UNREACHABLE)).matches(
            message(DEST_UNREACHABLE, 1)
        )

    def test_an_acl_deny_of_one_type_does_not_stop_other_types(self) -> None:
        """Deny type 13 (#50) before allow-all (#100): ping passes #50 and #100 allows it."""
        entries = [
            AclEntry(
                50, False, AclAction.DENY, Traffic.of(ICMP, icmp=IcmpMatch(TIMESTAMP)), INTERNET
            ),
            AclEntry(100, False, AclAction.ALLOW, Traffic.of(-1), INTERNET),
        ]
        ping = evaluate_acl(
            entries, egress=False, packet=Packet(ICMP, SOMEONE, icmp_type=ECHO_REQUEST, icmp_code=0)
        )
        assert ping.allowed
        assert ping.rule_label == "100"
        timestamp = evaluate_acl(
            entries, egress=False, packet=Packet(ICMP, SOMEONE, icmp_type=TIMESTAMP, icmp_code=0)
        )
        assert not timestamp.allowed
        assert timestamp.rule_label == "50"

    def test_reach_lets_ping_through_an_acl_that_denies_only_timestamps(self, ask: Any) -> None:
        """`tierguard reach` agrees: internet ping is reachable, a timestamp request is not."""
        raw = network(
            PING,
            {
                "ingress": [
                    {
                        "rule": 50,
                        "action": "deny",
                        "protocol": "icmp",
                        "icmp_type": TIMESTAMP,
                        "internet": "ipv4",
                    },
                    {"rule": 100, "protocol": "all", "internet": "ipv4"},
                ],
                "egress": [{"rule": 100, "protocol": "all", "internet": "ipv4"}],
            },
        )
        assert reachable(ask, raw, "internet-ipv4", "icmp", ECHO_REQUEST)

    def test_a_path_mtu_rule_does_not_allow_ping(self, ask: Any) -> None:
        """A group allowing only ICMP 3/4 from the internet does not admit echo requests."""
        raw = network(
            [
                {
                    "protocol": "icmp",
                    "icmp_type": DEST_UNREACHABLE,
                    "icmp_code": FRAG_NEEDED,
                    "internet": "ipv4",
                }
            ]
        )
        assert not reachable(ask, raw, "internet-ipv4", "icmp", ECHO_REQUEST)


class TestPingReplies:
    """ACLs are stateless: an echo request (type 8) needs the echo reply (type 0) let out."""

    def acl(self, reply_type: int) -> dict[str, Any]:
        return {
            "ingress": [
                {"rule": 100, "protocol": "icmp", "icmp_type": ECHO_REQUEST, "icmp_code": 0}
                | {"internet": "ipv4"}
            ],
            "egress": [
                {"rule": 100, "protocol": "icmp", "icmp_type": reply_type, "icmp_code": 0}
                | {"internet": "ipv4"}
            ],
        }

    def test_a_tight_ping_acl_is_reachable(self, ask: Any) -> None:
        """Requests in as type 8, replies out as type 0: ping works both ways."""
        assert reachable(ask, network(PING, self.acl(ECHO_REPLY)), "internet-ipv4", "icmp", 8)

    def test_an_acl_letting_out_requests_instead_of_replies_drops_ping(self, ask: Any) -> None:
        """Egress allowing only type 8 lets no echo reply out: ping times out."""
        raw = network(PING, self.acl(ECHO_REQUEST))
        assert not reachable(ask, raw, "internet-ipv4", "icmp", ECHO_REQUEST)


def dual_stack(raw: dict[str, Any]) -> dict[str, Any]:
    """``raw`` in an existing VPC and subnets, which may have IPv6 blocks (the VPC and
    subnets tierguard creates have none, and nothing reaches them over IPv6)."""
    raw["vpc"] = {"id": "vpc-0a1b2c3d4e5f60718", "cidr": "10.20.0.0/16"}
    raw["subnet_groups"] = {"public": {"subnet_ids": ["subnet-0a1b2c3d4e5f60701"]}}
    return raw


class TestAddressFamilies:
    """A CIDR rule matches only addresses of its own family: ``::/0`` is not IPv4."""

    def test_https_from_ipv6_only_is_not_reachable_over_ipv4(self, ask: Any) -> None:
        """An SG allowing 443 from ::/0 only admits the IPv6 internet."""
        raw = dual_stack(network([{"service": "https", "internet": "ipv6"}]))
        assert not reachable(ask, raw, "internet-ipv4", "tcp", 443)
        assert reachable(ask, raw, "internet-ipv6", "tcp", 443)

    def test_the_matrix_agrees_with_the_explanation(self, ask: Any) -> None:
        """The matrix shows tcp 443 open from internet-ipv6 and nothing from internet-ipv4."""
        raw = dual_stack(network([{"service": "https", "internet": "ipv6"}]))
        cells = {
            cell["from"]: cell
            for cell in ask(raw, "--to", "web")["reach"]
            if cell["from"].startswith("internet-")
        }
        assert cells["internet-ipv4"]["open"] == []
        assert cells["internet-ipv4"]["blocked"] == cells["internet-ipv4"]["oneWay"] == []
        assert cells["internet-ipv6"]["open"] != []


class TestPrefixListQuota:
    """AWS counts a referenced prefix list as its max entries towards the group's quota."""

    def test_a_weighted_prefix_list_pushes_the_group_over_its_quota(self) -> None:
        """Five rules allowed; a list of max 10 entries alone counts 10: refused."""
        raw = network(
            [{"service": "https", "prefix_list_id": "pl-0123456789abcdef0"}],
            quotas={"security_group_rules": 5, "prefix_list_weights": {"pl-0123456789abcdef0": 10}},
        )
        with pytest.raises(ConfigError, match="quota is 5"):
            plan(raw)

    def test_the_same_list_within_its_weight_is_accepted(self) -> None:
        """The same rule under a quota of 10 plans (the weight, not 1, is what counts)."""
        raw = network(
            [{"service": "https", "prefix_list_id": "pl-0123456789abcdef0"}],
            quotas={
                "security_group_rules": 11,
                "prefix_list_weights": {"pl-0123456789abcdef0": 10},
            },
        )
        assert plan(raw).tiers["web"].rules


class TestQuotaBoundaries:
    """EC2's quotas are "at most N": N fits, N + 1 does not (ACLs count the implicit deny)."""

    def tier_with(self, rules: int, quota: int) -> dict[str, Any]:
        ingress = [
            {"protocol": "tcp", "ports": 1000 + i, "cidr": f"10.{i}.0.0/16"} for i in range(rules)
        ]
        return network(ingress, quotas={"security_group_rules": quota})

    def test_a_group_may_hold_exactly_its_quota(self) -> None:
        """Five IPv4 ingress rules under a quota of five plan; six do not."""
        assert len(plan(self.tier_with(5, 5)).tiers["web"].rules_in(Direction.INGRESS)) == 5
        with pytest.raises(ConfigError, match="plans 6 IPv4 ingress rules"):
            plan(self.tier_with(6, 5))

    def acl_with(self, entries: int) -> dict[str, Any]:
        ingress = [
            {"rule": 100 + i, "protocol": "tcp", "ports": 1000 + i, "cidr": "10.0.0.0/8"}
            for i in range(entries)
        ]
        acl = {"return_traffic": False, "ingress": ingress, "egress": []}
        return network([], acl)

    def test_an_acl_holds_nineteen_entries_and_the_implicit_deny(self) -> None:
        """The default quota of 20 per direction and family counts AWS's `*` rule too."""
        assert len(plan(self.acl_with(19)).acls["public"].entries) == 19
        with pytest.raises(ConfigError, match="quota is 20"):
            plan(self.acl_with(20))
