"""Intents as code: declared in the stack (or the pack config), checked by ``reach
--check``, by the pack at preview (mandatory), and by the audit (tests/audit)."""

from __future__ import annotations

import ipaddress
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests import reach_oracle as oracle
from tests.conftest import PROJECT_DIR, invoke
from tests.test_reach_oracle import topology_of
from tierguard.config.stackfile import load_stack
from tierguard.program import plan_from_raw
from tierguard.reach import Topology, topology_from_plan
from tierguard.reach.intents import (
    INTENTS_KEY,
    IntentError,
    Violation,
    check_intents,
    parse_intents,
    with_stack_intents,
)
from tierguard.rules import PortRange

EXAMPLES = PROJECT_DIR / "examples"


def dev_config() -> dict[str, Any]:
    config = dict(load_stack(PROJECT_DIR, "dev").config)
    return yaml.safe_load(yaml.safe_dump(config))  # type: ignore[no-any-return]


def opened_mysql_to_the_world(tmp_path: Path) -> Path:
    """The dev stack with the database admitting MySQL from 0.0.0.0/0."""
    config = dev_config()
    config["tierguard:network"]["tiers"]["database"]["ingress"].append(
        {"service": "mysql", "internet": "ipv4"}
    )
    path = tmp_path / "Pulumi.dev.yaml"
    path.write_text(yaml.safe_dump({"config": config}))
    return path


class TestReadingIntents:
    @pytest.mark.parametrize(
        ("intent", "path", "reason"),
        [
            ({"from": "app", "must": "maybe"}, "[0].must", "'maybe' is not valid; use reach"),
            ({"must": "not-reach"}, "[0].from", "required"),
            ({"from": "app", "to": "db", "must": "reach"}, "[0].ports", "required for must"),
            ({"from": "app", "must": "not-reach", "protocol": "esp"}, "[0].protocol", "'esp'"),
            ({"from": "app", "must": "not-reach", "port": 22}, "[0].port", "unknown field"),
            ({"from": "app", "must": "reach", "protocol": "all"}, "[0]", "one tier"),
        ],
    )
    def test_a_bad_intent_names_its_field(
        self, intent: dict[str, Any], path: str, reason: str
    ) -> None:
        with pytest.raises(IntentError) as caught:
            parse_intents([intent])
        assert caught.value.path == INTENTS_KEY + path
        assert reason in caught.value.reason

    @pytest.mark.parametrize(
        ("raw", "message"),
        [
            ("internet", ": give a list of intents ({from, to, must, …})"),
            ({"from": "app"}, ": give a list of intents ({from, to, must, …})"),
            ([5], "[0]: an intent is a mapping with from, to, must"),
            (
                [{"from": "app", "must": "not-reach", "port": 22}],
                "[0].port: unknown field; use description, from, must, ports, protocol, to",
            ),
            ([{"from": "", "must": "not-reach"}], "[0].from: required, a source (internet, "),
            ([{"from": 7, "must": "not-reach"}], "[0].from: required, a source (internet, "),
            ([{"from": "app", "to": "", "must": "not-reach"}], "[0].to: a tier name (or leave "),
            ([{"from": "app", "to": 3, "must": "not-reach"}], "[0].to: a tier name (or leave "),
            (
                [{"from": "app", "must": "not-reach", "protocol": 47, "ports": 1}],
                "[0].ports: protocol 47 has no ports",
            ),
            (
                [{"from": "app", "to": "db", "must": "reach", "ports": "x"}],
                "[0].ports: 'x' is not a port; use a number 0-65535, 'FROM-TO' or 'all'",
            ),
            (
                [{"from": "app", "to": "db", "must": "reach", "protocol": "udp"}],
                "[0].ports: required for must: reach over udp",
            ),
            (
                [{"from": "app", "must": "reach", "protocol": "icmp"}],
                "[0]: must: reach needs one tier (to) and one protocol, not every one",
            ),
        ],
    )
    def test_the_message_names_the_field_and_what_is_valid(self, raw: object, message: str) -> None:
        """``path: reason`` — the field as written in the stack and what it takes."""
        with pytest.raises(IntentError) as caught:
            parse_intents(raw, where="pack.intents")
        assert str(caught.value).startswith("pack.intents" + message)

    def test_icmp_takes_types_as_ports_and_a_description_is_kept(self) -> None:
        """ICMP values are message types (``ports: 8`` is echo); the description is optional."""
        (ping,) = parse_intents(
            [{"from": "a", "must": "not-reach", "protocol": "icmp", "ports": 8, "description": 1}]
        )
        assert (ping.protocol, ping.ports, ping.description) == (1, PortRange(8, 8), "1")
        (plain,) = parse_intents([{"from": "a", "must": "not-reach"}])
        assert (plain.protocol, plain.ports, plain.description) == (-1, None, "")

    def test_the_dev_stack_declares_the_seeds_intents(self) -> None:
        intents = parse_intents(dev_config()[INTENTS_KEY])
        assert [str(i) for i in intents] == [
            "internet must not reach tier database on any protocol",
            "app must reach tier database on tcp 3306",
            "blocked must not reach any tier on any protocol",
            "admins must reach tier web on tcp 22",
        ]


class TestTheEvaluation:
    def topology(self, network: dict[str, Any]) -> Any:
        return topology_from_plan(plan_from_raw(network, region="us-east-1", stack="dev"))

    def test_every_dev_intent_holds(self) -> None:
        config = dev_config()
        topology = self.topology(config["tierguard:network"])
        assert check_intents(topology, parse_intents(config[INTENTS_KEY])) == []

    def test_must_reach_fails_when_only_part_of_the_range_gets_through(self) -> None:
        """The ACL's rule 50 drops the blocked half of 198.51.100.0/23: the range does not
        reach the ALB as a whole, and the answer says which part fails."""
        config = dev_config()
        topology = self.topology(config["tierguard:network"])
        intents = parse_intents(
            [{"from": "198.51.100.0/23", "to": "alb", "must": "reach", "ports": 443}]
        )
        [broken] = check_intents(topology, intents)
        assert "does not reach tier alb on tcp 443" in broken.message
        assert "only from 198.51.100.0/24" in broken.message
        assert "rule #50" in broken.message

    def test_one_way_counts_as_reaching_for_must_not_reach(self) -> None:
        """Requests that arrive are a breach even when the replies are dropped."""
        network = dev_config()["tierguard:network"]
        acl = network["network_acls"]["public"]
        acl["return_traffic"] = False
        acl["egress"] = [{"rule": 100, "protocol": "tcp", "ports": 80, "internet": "ipv4"}]
        intents = parse_intents([{"from": "admins", "to": "alb", "must": "not-reach"}])
        [broken] = check_intents(self.topology(network), intents)
        assert "reaches tier alb on tcp 443 (one-way)" in broken.message


class TestReachCheck:
    def test_the_dev_stack_passes(
        self, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        code, out, err = invoke(
            ["reach", "--check", "--cwd", str(PROJECT_DIR)], capsys, monkeypatch
        )
        assert (code, err) == (0, "")
        assert out.count("✓") == 4

    def test_a_broken_intent_exits_1_with_the_path(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        stack = opened_mysql_to_the_world(tmp_path)
        code, out, err = invoke(
            ["reach", "--check", "--cwd", str(PROJECT_DIR), "--stack-file", str(stack), "--json"],
            capsys,
            monkeypatch,
        )
        assert code == 1
        assert err == "error: 2 of 4 intents broken\n"
        results = {r["intent"]: r for r in json.loads(out)["intents"]}
        broken = results["internet must not reach tier database on any protocol"]
        assert broken["holds"] is False
        [violation] = broken["violations"]
        assert violation.startswith("internet (IPv4) reaches tier database on tcp 3306")
        assert "allowed by dev-database-in-tcp-3306-internet-ipv4" in violation
        assert results["app must reach tier database on tcp 3306"]["holds"] is True

    def test_no_intents_and_bad_intents_are_usage_errors(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        config = dev_config()
        del config[INTENTS_KEY]
        stack = tmp_path / "Pulumi.dev.yaml"
        stack.write_text(yaml.safe_dump({"config": config}))
        args = ["reach", "--check", "--cwd", str(PROJECT_DIR), "--stack-file", str(stack)]
        code, out, err = invoke(args, capsys, monkeypatch)
        assert (code, out) == (2, "")
        assert "declares no intents" in err
        config[INTENTS_KEY] = [{"from": "app", "must": "sometimes"}]
        stack.write_text(yaml.safe_dump({"config": config}))
        code, out, err = invoke(args, capsys, monkeypatch)
        assert code == 2
        assert "tierguard:intents[0].must: 'sometimes' is not valid" in err
        assert "Traceback" not in err


class TestThePackAtPreview:
    def test_the_stacks_intents_reach_the_pack(self) -> None:
        config = dev_config()
        given = with_stack_intents(None, config)
        assert given is not None
        policy = given["tierguard-reachability-intents"]
        assert policy["intents"] == config[INTENTS_KEY]
        assert policy["namedCidrs"]["blocked"] == "198.51.100.0/24"
        mine: dict[str, Any] = {"tierguard-reachability-intents": {"intents": []}}
        assert with_stack_intents(mine, config) == mine

    def test_a_broken_intent_is_a_mandatory_violation(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        stack = opened_mysql_to_the_world(tmp_path)
        code, out, _ = invoke(
            [
                "preview",
                "--offline",
                "--json",
                "--cwd",
                str(PROJECT_DIR),
                "--stack-file",
                str(stack),
            ],
            capsys,
            monkeypatch,
        )
        assert code == 1
        found = [
            d
            for d in json.loads(out)["policies"]["mandatory"]
            if d["policy"] == "tierguard-reachability-intents"
        ]
        assert len(found) == 2
        assert any(
            "internet (IPv4) reaches tier database on tcp 3306" in d["message"] for d in found
        )

    def test_any_program_gets_its_intents_through_the_pack_config(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A hand-written program (no tierguard components): the intents come from
        ``--policy-config`` alone, and the internet reaching the load balancer breaks one."""
        pack_config = tmp_path / "policy.json"
        pack_config.write_text(
            json.dumps(
                {
                    "tierguard-reachability-intents": {
                        "intents": [
                            {"from": "internet", "to": "lb", "must": "not-reach"},
                            {"from": "app", "to": "db", "must": "reach", "ports": 5432},
                        ]
                    }
                }
            )
        )
        code, out, _ = invoke(
            ["preview", "--offline", "--json", "-C", str(EXAMPLES / "group-rules"),
             "--policy-config", str(pack_config)],
            capsys,
            monkeypatch,
        )  # fmt: skip
        found = [
            d["message"]
            for d in json.loads(out)["policies"]["mandatory"]
            if d["policy"] == "tierguard-reachability-intents"
        ]
        assert code == 1
        [message] = found
        assert "internet must not reach tier lb" in message
        assert "reaches tier lb on tcp 443" in message


class TestIntentsOverProtocols:
    """One public tier, ``web``: TCP 443 from 0.0.0.0/0 and ::/0, ICMP type 3 (destination
    unreachable, any code) from 0.0.0.0/0, no network ACL. ICMP intents name message *types* (``ports: 3``
    is every code of type 3); an intent over one protocol is about that protocol only."""

    @staticmethod
    def web() -> Topology:
        world, world6 = ipaddress.ip_network("0.0.0.0/0"), ipaddress.ip_network("::/0")
        rules = [oracle.Rule(oracle.TCP, 443, 443, world), oracle.Rule(oracle.ICMP, 3, -1, world)]
        rules.append(oracle.Rule(oracle.TCP, 443, 443, world6))
        subnet = oracle.Subnet("s0", ipaddress.ip_network("10.0.0.0/28"), None)
        tier = oracle.Tier("web", [subnet], rules)
        return topology_of(
            oracle.Network(ipaddress.ip_network("10.0.0.0/16"), {"web": tier}, {}, (30, 40))
        )

    def broken(self, *intents: dict[str, Any]) -> list[Violation]:
        return check_intents(self.web(), parse_intents(list(intents)))

    def test_an_icmp_type_is_all_its_codes(self) -> None:
        (violation,) = self.broken(
            {"from": "internet", "to": "web", "must": "not-reach", "protocol": "icmp", "ports": 3}
        )
        assert violation.target == "web"
        assert violation.message.startswith("internet (IPv4) reaches tier web on icmp 3")
        assert " — path: ✓ security group of tier web, ingress: allowed by web-ingress-1" in (
            violation.message
        )
        assert not self.broken(
            {"from": "internet", "to": "web", "must": "not-reach", "protocol": "icmp", "ports": 8}
        )

    def test_an_intent_over_one_protocol_ignores_the_others(self) -> None:
        assert not self.broken({"from": "internet", "must": "not-reach", "protocol": "udp"})
        found = self.broken({"from": "internet", "must": "not-reach", "protocol": "tcp"})
        assert [v.message[:44] for v in found] == [
            "internet (IPv4) reaches tier web on tcp 443 ",
            "internet (IPv6) reaches tier web on tcp 443 ",
        ]

    def test_must_reach_needs_the_port_itself(self) -> None:
        assert not self.broken(
            {"from": "internet", "to": "web", "must": "reach", "protocol": "tcp", "ports": 443}
        )
        broken = self.broken(
            {"from": "internet", "to": "web", "must": "reach", "protocol": "tcp", "ports": 80}
        )
        assert [v.message for v in broken] == [
            "internet (IPv4) does not reach tier web on tcp 80 (no security group rule allows it)",
            "internet (IPv6) does not reach tier web on tcp 80 (no security group rule allows it)",
        ]

    def test_an_unusable_intent_is_reported_and_the_next_still_checked(self) -> None:
        """An unknown source or tier names what exists; later intents are still judged."""
        found = self.broken(
            {"from": "nowhere", "must": "not-reach"},
            {"from": "internet", "to": "db", "must": "not-reach"},
            {"from": "internet", "to": "web", "must": "not-reach"},
        )
        assert [(v.intent.source, v.intent.target, v.target) for v in found] == [
            ("nowhere", None, None),
            ("internet", "db", None),
            ("internet", "web", "web"),  # internet over IPv4
            ("internet", "web", "web"),  # and over IPv6
        ]
        assert found[0].message.startswith("from: ")
        assert "nowhere" in found[0].message
        assert found[1].message == "to: 'db' is not a tier; tiers: web"

    def test_a_rule_for_every_protocol_touches_an_intent_over_one(self) -> None:
        """``-1`` from the world opens UDP too: "must not reach on udp" is broken."""
        world = ipaddress.ip_network("0.0.0.0/0")
        subnet = oracle.Subnet("s0", ipaddress.ip_network("10.0.0.0/28"), None)
        tier = oracle.Tier("web", [subnet], [oracle.Rule(-1, cidr=world)])
        topology = topology_of(
            oracle.Network(ipaddress.ip_network("10.0.0.0/16"), {"web": tier}, {}, (30, 40))
        )
        intent = parse_intents([{"from": "internet", "must": "not-reach", "protocol": "udp"}])
        (violation,) = check_intents(topology, intent)
        assert violation.message.startswith("internet (IPv4) reaches tier web on ")

    def test_one_way_breaks_must_not_reach_and_the_path_marks_the_failing_check(self) -> None:
        """The ACL lets TCP 443 in and nothing out: the request arrives (one-way), which is
        enough to break "must not reach"; the path shows the replies' check failing."""
        world = ipaddress.ip_network("0.0.0.0/0")
        acl = [oracle.Entry(100, False, True, oracle.Rule(oracle.TCP, 443, 443, world))]
        subnet = oracle.Subnet("s0", ipaddress.ip_network("10.0.0.0/28"), "edge")
        tier = oracle.Tier("web", [subnet], [oracle.Rule(oracle.TCP, 443, 443, world)])
        network = oracle.Network(
            ipaddress.ip_network("10.0.0.0/16"), {"web": tier}, {"edge": acl}, (30, 40)
        )
        intent = parse_intents([{"from": "internet", "to": "web", "must": "not-reach"}])
        (violation,) = check_intents(topology_of(network), intent)
        assert violation.message.startswith("internet (IPv4) reaches tier web on tcp 443 (one-way)")
        assert "; ✓ network ACL edge, ingress: " in violation.message
        assert "; ✗ network ACL edge, egress (replies): replies to client ports 30-40" in (
            violation.message
        )
