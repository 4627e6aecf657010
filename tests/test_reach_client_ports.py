"""Replies that reach only part of the clients' ephemeral ports: the matrix and the
explanation give one answer, and say which client ports work.

AWS (network ACLs, "Ephemeral ports"): the client that opens a TCP/UDP connection picks
its source port from its operating system's ephemeral range (Linux 32768-60999, Windows
49152-65535, ELB and NAT gateways 1024-65535), and the replies go back to that port; a
stateless ACL that lets replies back to only part of the range lets the connection work
for clients whose port falls in that part, and time out for the others.
"""

from __future__ import annotations

from io import StringIO
from typing import Any

from rich.console import Console

from tests.conftest import PROJECT_DIR
from tierguard.program import plan_from_raw
from tierguard.reach import Topology, Verdict, analyze, explain, source_named, topology_from_plan
from tierguard.reach.render import print_matrix
from tierguard.rules import TCP, PortRange


def network(return_ports: str, ephemeral: str = "1024-65535") -> dict[str, Any]:
    """HTTPS into one host whose ACL lets replies out only to ``return_ports``."""
    return {
        "name": "t",
        "vpc": {"cidr": "10.0.0.0/16", "az_count": 1},
        "ephemeral_ports": ephemeral,
        "subnet_groups": {"pub": {}},
        "tiers": {
            "host": {
                "subnet_group": "pub",
                "ingress": [{"protocol": "tcp", "ports": 443, "cidr": "0.0.0.0/0"}],
            }
        },
        "network_acls": {
            "pub": {
                "subnet_groups": ["pub"],
                "return_traffic": False,
                "ingress": [{"rule": 100, "protocol": "tcp", "ports": 443, "internet": "ipv4"}],
                "egress": [
                    {"rule": 100, "protocol": "tcp", "ports": return_ports, "internet": "ipv4"}
                ],
            }
        },
    }


def topology(net: dict[str, Any]) -> Topology:
    return topology_from_plan(plan_from_raw(net, region="us-east-1", stack="t"))


def findings(topo: Topology) -> dict[Verdict, list[tuple[tuple[PortRange, ...], bool, str]]]:
    cell = analyze(topo, [source_named(topo, "internet-ipv4")]).reach("internet-ipv4", "host")
    found: dict[Verdict, list[tuple[tuple[PortRange, ...], bool, str]]] = {}
    for f in cell.findings:
        found.setdefault(f.verdict, []).append((f.ports, f.partial, f.detail))
    return found


def test_replies_to_the_windows_range_only_open_for_some_clients_one_way_for_the_rest() -> None:
    """Replies allowed to 49152-65535 only: clients on those ports connect (open, in
    part), clients on 1024-49151 time out (one-way, in part); both marked partial."""
    found = findings(topology(network("49152-65535")))
    assert set(found) == {Verdict.OPEN, Verdict.ONE_WAY}
    [(open_ports, open_partial, open_detail)] = found[Verdict.OPEN]
    [(lost_ports, lost_partial, lost_detail)] = found[Verdict.ONE_WAY]
    assert open_ports == lost_ports == (PortRange(443, 443),)
    assert open_partial
    assert lost_partial
    assert "only from client ports 49152-65535" in open_detail
    assert "only from client ports 1024-49151" in lost_detail


def test_the_explanation_says_reachable_only_in_part_and_for_which_client_ports() -> None:
    topo = topology(network("49152-65535"))
    answer = explain(topo, source_named(topo, "internet-ipv4"), topo.tiers["host"], TCP, 443)
    assert (answer.reachable, answer.partly) == (False, True)
    by_where = {c.where: c.reachable for c in answer.cases}
    assert by_where == {
        "only from client ports 49152-65535": True,
        "only from client ports 1024-49151": False,
    }
    failing = [s for c in answer.cases if not c.reachable for s in c.steps if not s.passed]
    assert [s.layer for s in failing] == ["network ACL pub, egress (replies)"]
    assert "1024-49151" in failing[0].detail


def test_linux_clients_behind_a_1024_32767_return_entry_all_time_out() -> None:
    """The clients are Linux (ephemeral 32768-60999) and replies go only to 1024-32767:
    no client port gets its replies, so the matrix and the explanation both say one-way /
    not reachable, with no partial marker."""
    topo = topology(network("1024-32767", ephemeral="32768-60999"))
    found = findings(topo)
    assert set(found) == {Verdict.ONE_WAY}
    assert [partial for _, partial, _ in found[Verdict.ONE_WAY]] == [False]
    answer = explain(topo, source_named(topo, "internet-ipv4"), topo.tiers["host"], TCP, 443)
    assert (answer.reachable, answer.partly) == (False, False)


def test_matrix_and_explanation_agree_for_every_split_of_the_range() -> None:
    """Whatever part of the range replies reach, the matrix has an open finding exactly
    when some case of the explanation is reachable, and marks it partial exactly when
    not all are."""
    for returns in ("1024-65535", "1024-32767", "32768-60999", "49152-65535", "60000-60001"):
        topo = topology(network(returns))
        found = findings(topo)
        answer = explain(topo, source_named(topo, "internet-ipv4"), topo.tiers["host"], TCP, 443)
        is_open = Verdict.OPEN in found
        assert is_open == (answer.reachable or answer.partly), returns
        if is_open:
            assert all(p == answer.partly for _, p, _ in found[Verdict.OPEN]), returns


def test_the_readme_shows_the_legend_reach_prints() -> None:
    """The README's demo output carries the legend line exactly as printed, ``*`` included."""
    topo = topology(network("49152-65535"))
    out = StringIO()
    print_matrix(analyze(topo), Console(file=out, width=300, color_system=None))
    [legend] = [line for line in out.getvalue().splitlines() if line.startswith("✗ blocked")]
    assert "* only from part" in legend
    assert legend in (PROJECT_DIR / "README.md").read_text().splitlines()
