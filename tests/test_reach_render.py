"""What people read off the matrix, the table and the diagrams, says exactly the verdicts.

A small matrix is built by hand (one source of each kind, every verdict, a partial
finding, a label with a quote), so each expected line follows from the documented
notation alone: in the table ``✗`` blocked, ``⇥ … (one-way)``, ``*`` partial, ``—``
nothing (README, "Who can reach what"); in Mermaid ``-->`` open, ``-.->`` one-way,
``-.-x`` blocked, ``((…))`` a circle, ``[/…/]`` a parallelogram, ``[…]`` a box
(mermaid.js.org/syntax/flowchart); in DOT one edge statement per verdict with its
attributes (graphviz.org/doc/info/lang).
"""

from __future__ import annotations

import ipaddress
import re
from io import StringIO

from rich.console import Console

from tierguard.reach.analysis import Matrix, Reach, ReachFinding, Verdict
from tierguard.reach.render import cell_text, dot, mermaid, print_matrix
from tierguard.reach.topology import Source
from tierguard.rules import ICMP, TCP, UDP, PortRange

INTERNET = Source("internet-ipv4", (ipaddress.ip_network("0.0.0.0/0"),), label="internet (IPv4)")
ADMINS = Source(
    "admins", (ipaddress.ip_network("203.0.113.0/24"),), label="admins (203.0.113.0/24)"
)
WEB = Source("web", (), tier="web", label="tier web")

HTTPS = ReachFinding(TCP, (PortRange(443, 443),), Verdict.OPEN)
HTTPS_PART = ReachFinding(
    TCP, (PortRange(443, 443),), Verdict.OPEN, detail="except from 198.51.100.0/24", partial=True
)
SSH_BLOCKED = ReachFinding(TCP, (PortRange(22, 22),), Verdict.BLOCKED, detail="rule #90 drops it")
DNS_ONE_WAY = ReachFinding(UDP, (PortRange(53, 53),), Verdict.ONE_WAY, detail='"replies" dropped')
PING = ReachFinding(ICMP, (PortRange(8 * 256, 8 * 256 + 255),), Verdict.OPEN)  # echo, any code


def matrix(cells: dict[tuple[str, str], tuple[ReachFinding, ...]]) -> Matrix:
    sources = (INTERNET, ADMINS, WEB)
    targets = ("web", "app")
    by_name = {s.name: s for s in sources}
    return Matrix(
        sources,
        targets,
        {
            (s.name, t): Reach(by_name[s.name], t, cells.get((s.name, t), ()))
            for s in sources
            for t in targets
        },
    )


EVERY_VERDICT = matrix(
    {
        ("internet-ipv4", "web"): (HTTPS_PART,),
        ("admins", "web"): (HTTPS, SSH_BLOCKED),
        ("web", "app"): (PING, DNS_ONE_WAY),
    }
)


def rendered(m: Matrix) -> list[str]:
    out = StringIO()
    print_matrix(m, Console(file=out, width=200, color_system=None), title="T")
    return out.getvalue().splitlines()


class TestTheTable:
    def test_each_cell_spells_open_blocked_one_way_partial_and_nothing(self) -> None:
        assert cell_text(EVERY_VERDICT.reach("internet-ipv4", "web")) == "tcp 443*"
        assert cell_text(EVERY_VERDICT.reach("admins", "web")) == "tcp 443, ✗ tcp 22"
        assert cell_text(EVERY_VERDICT.reach("web", "app")) == "icmp 8, ⇥ udp 53 (one-way)"
        assert cell_text(EVERY_VERDICT.reach("admins", "app")) == "—"

    def test_rows_are_sources_columns_are_targets(self) -> None:
        lines = rendered(EVERY_VERDICT)
        assert lines[0].rstrip() == "T"  # the title on the left, as in the README
        cells = [[c.strip() for c in re.split(r"[┃│]", line)[1:-1]] for line in lines]
        rows = [c for c in cells if c]
        assert rows[0] == ["from \\ to", "web", "app"]
        first = next(i for i, c in enumerate(cells) if c and c[0] == "internet (IPv4)")
        assert all(cells[first : first + 3])  # one line per source, no rule between them
        assert rows[1:] == [
            ["internet (IPv4)", "tcp 443*", "—"],
            ["admins (203.0.113.0/24)", "tcp 443, ✗ tcp 22", "—"],
            ["tier web", "—", "icmp 8, ⇥ udp 53 (one-way)"],
        ]

    def test_every_finding_that_is_not_plainly_open_is_explained_under_the_legend(
        self,
    ) -> None:
        lines = rendered(EVERY_VERDICT)
        legend = next(i for i, line in enumerate(lines) if line.startswith("✗ blocked"))
        assert lines[legend] == (
            "✗ blocked by a network ACL although a security group allows it; "
            "⇥ gets in but the replies are dropped (stateless ACL); "
            "* only from part of the source range or of the client ports, or in some subnets"
        )
        assert lines[legend + 1 :] == [
            "  internet (IPv4) → web tcp 443: except from 198.51.100.0/24",
            "  admins (203.0.113.0/24) → web tcp 22: rule #90 drops it",
            '  tier web → app udp 53: "replies" dropped',
        ]

    def test_a_matrix_with_nothing_to_explain_has_no_legend(self) -> None:
        lines = rendered(matrix({("admins", "web"): (HTTPS,)}))
        assert not any("blocked by a network ACL" in line for line in lines)
        assert not any("→" in line for line in lines)


def edges(text: str, pattern: str) -> list[tuple[str, ...]]:
    return [m.groups() for m in re.finditer(pattern, text, re.MULTILINE)]


class TestMermaid:
    @property
    def text(self) -> str:
        return mermaid(EVERY_VERDICT)  # per test, not at import: mutation testing sees it

    def test_sources_outside_the_vpc_are_a_circle_for_the_internet_else_a_parallelogram(
        self,
    ) -> None:
        lines = self.text.splitlines()
        assert lines[0] == "flowchart LR"
        assert '  n_internet_ipv4(("internet (IPv4)"))' in lines
        assert '  n_admins[/"admins (203.0.113.0/24)"/]' in lines
        assert '  n_web["tier web"]' in lines
        assert '  n_app["tier app"]' in lines
        # a tier source is its tier's node, not a second one
        assert sum(1 for line in lines if re.match(r"  n_web\W", line) and "|" not in line) == 1

    def test_one_edge_per_verdict_with_its_arrow(self) -> None:
        found = edges(self.text, r'^  (\S+) (-->|-\.->|-\.-x)\|"([^"]*)"\| (\S+)$')
        assert sorted(found) == sorted(
            [
                ("n_internet_ipv4", "-->", "tcp 443*", "n_web"),
                ("n_admins", "-->", "tcp 443", "n_web"),
                ("n_admins", "-.-x", "blocked: tcp 22", "n_web"),
                ("n_web", "-->", "icmp 8", "n_app"),
                ("n_web", "-.->", "one-way: udp 53", "n_app"),
            ]
        )

    def test_names_become_identifiers_of_letters_digits_and_underscores(self) -> None:
        odd = Source("Office.b-c d/8", (ipaddress.ip_network("10.0.0.0/8"),), label="odd")
        m = Matrix((odd,), ("web",), {(odd.name, "web"): Reach(odd, "web", (HTTPS,))})
        lines = mermaid(m).splitlines()
        assert '  n_Office_b_c_d_8[/"odd"/]' in lines
        assert '  n_Office_b_c_d_8 -->|"tcp 443"| n_web' in lines


class TestDot:
    @property
    def text(self) -> str:
        return dot(EVERY_VERDICT)

    def test_a_directed_graph_left_to_right_with_ellipses_for_outside_and_boxes_for_tiers(
        self,
    ) -> None:
        lines = self.text.splitlines()
        assert lines[:3] == [
            "digraph reachability {",
            "  rankdir=LR;",
            "  node [fontname=Helvetica];",
        ]
        assert lines[-1] == "}"
        assert '  n_internet_ipv4 [label="internet (IPv4)", shape=ellipse];' in lines
        assert '  n_admins [label="admins (203.0.113.0/24)", shape=ellipse];' in lines
        assert '  n_web [label="tier web", shape=box];' in lines
        assert '  n_app [label="tier app", shape=box];' in lines
        assert sum(1 for line in lines if line.startswith("  n_web [")) == 1

    def test_one_edge_per_verdict_styled_by_it(self) -> None:
        found = edges(self.text, r'^  (\S+) -> (\S+) \[label="([^"]*)"(.*)\];$')
        one_way = ", style=dashed, color=orange, fontcolor=orange"
        blocked = ", style=dashed, color=red, fontcolor=red, arrowhead=tee"
        assert sorted(found) == sorted(
            [
                ("n_internet_ipv4", "n_web", "tcp 443*", ""),
                ("n_admins", "n_web", "tcp 443", ""),
                ("n_admins", "n_web", "blocked: tcp 22", blocked),
                ("n_web", "n_app", "icmp 8", ""),
                ("n_web", "n_app", "one-way: udp 53", one_way),
            ]
        )
