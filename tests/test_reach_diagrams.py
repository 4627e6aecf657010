"""The diagrams draw one node per tier and source, and every label reads back as written.

Tier names come from whatever program or account is read (a ``tierguard:tier`` tag, a
resource or group name), so they can hold any character. Mermaid ends a quoted label at
``"`` and reads ``#…;`` as an entity code (``#quot;``, ``#35;``; labels are HTML, so
``<``, ``>`` and ``&`` too: mermaid.js.org/syntax/flowchart, "Entity codes to escape
characters"); DOT ends a quoted string at an unescaped ``"`` and gives ``\\`` escapes
their meaning (graphviz.org/doc/info/lang, "escString"). Node identifiers must differ
for different names, or two tiers are drawn as one. The outputs are parsed here by those
rules alone and compared with the names and labels that went in.
"""

from __future__ import annotations

import html
import ipaddress
import re

from tierguard.reach.analysis import Matrix, Reach, ReachFinding, Verdict
from tierguard.reach.render import dot, mermaid
from tierguard.reach.topology import Source
from tierguard.rules import TCP, PortRange

ODD = Source(
    "odd",
    (ipaddress.ip_network("192.0.2.0/24"),),
    label='the "office" #1 <a&b> back\\slash',
)
TIERS = ("a-b", "a_b", 'say "hi"', "x#quot;y", "a_b_2")
SSH = ReachFinding(TCP, (PortRange(22, 22),), Verdict.OPEN)


def odd_matrix() -> Matrix:
    """``odd`` reaches every tier; tier ``a-b`` reaches ``a_b`` (and no other pair)."""
    sources = (ODD, *(Source(t, (), tier=t, label=f"tier {t}") for t in TIERS))
    by_name = {s.name: s for s in sources}
    cells = {
        (s.name, t): Reach(
            by_name[s.name], t, (SSH,) if s.name == "odd" or (s.name, t) == ("a-b", "a_b") else ()
        )
        for s in sources
        for t in TIERS
    }
    return Matrix(sources, TIERS, cells)


def mermaid_text(label: str) -> str:
    """A quoted Mermaid label read back: entity codes (``#35;``, ``#quot;``) to characters."""
    assert '"' not in label
    return re.sub(
        r"#(?:(\d+)|([a-z]+));",
        lambda m: chr(int(m.group(1))) if m.group(1) else html.unescape(f"&{m.group(2)};"),
        label,
    )


def dot_text(label: str) -> str:
    """A quoted DOT string read back: ``\\"`` is a quote, ``\\\\`` a backslash."""
    return re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1), label)


class TestMermaid:
    NODE = re.compile(r'^  (\w+)(?:\(\("|\[/"|\[")(.*?)(?:"\)\)|"/\]|"\])$')
    EDGE = re.compile(r'^  (\w+) (?:-->|-\.->|-\.-x)\|"(.*)"\| (\w+)$')

    def parsed(self) -> tuple[dict[str, str], list[tuple[str, str, str]]]:
        nodes: dict[str, str] = {}
        edges: list[tuple[str, str, str]] = []
        lines = mermaid(odd_matrix()).splitlines()
        assert lines[0] == "flowchart LR"
        for line in lines[1:]:
            if node := self.NODE.match(line):
                assert node.group(1) not in nodes, f"node {node.group(1)} declared twice"
                nodes[node.group(1)] = mermaid_text(node.group(2))
            else:
                edge = self.EDGE.match(line)
                assert edge is not None, f"not a node or an edge: {line!r}"
                edges.append((edge.group(1), mermaid_text(edge.group(2)), edge.group(3)))
        return nodes, edges

    def test_one_node_per_tier_and_source_with_its_label_read_back(self) -> None:
        nodes, _ = self.parsed()
        assert sorted(nodes.values()) == sorted([str(ODD), *(f"tier {t}" for t in TIERS)])

    def test_edges_join_the_nodes_of_their_own_tiers(self) -> None:
        nodes, edges = self.parsed()
        drawn = sorted((nodes[a], label, nodes[b]) for a, label, b in edges)
        assert drawn == sorted(
            [(str(ODD), "tcp 22", f"tier {t}") for t in TIERS]
            + [("tier a-b", "tcp 22", "tier a_b")]
        )


class TestDot:
    STRING = r'"((?:[^"\\]|\\.)*)"'
    NODE = re.compile(rf"^  (\w+) \[label={STRING}, shape=\w+\];$")
    EDGE = re.compile(rf"^  (\w+) -> (\w+) \[label={STRING}[^\]]*\];$")

    def parsed(self) -> tuple[dict[str, str], list[tuple[str, str, str]]]:
        nodes: dict[str, str] = {}
        edges: list[tuple[str, str, str]] = []
        lines = dot(odd_matrix()).splitlines()
        assert lines[0] == "digraph reachability {"
        assert lines[-1] == "}"
        for line in lines[3:-1]:
            if node := self.NODE.match(line):
                assert node.group(1) not in nodes, f"node {node.group(1)} declared twice"
                nodes[node.group(1)] = dot_text(node.group(2))
            else:
                edge = self.EDGE.match(line)
                assert edge is not None, f"not a node or an edge: {line!r}"
                edges.append((edge.group(1), dot_text(edge.group(3)), edge.group(2)))
        return nodes, edges

    def test_one_node_per_tier_and_source_with_its_label_read_back(self) -> None:
        nodes, _ = self.parsed()
        assert sorted(nodes.values()) == sorted([str(ODD), *(f"tier {t}" for t in TIERS)])

    def test_edges_join_the_nodes_of_their_own_tiers(self) -> None:
        nodes, edges = self.parsed()
        drawn = sorted((nodes[a], label, nodes[b]) for a, label, b in edges)
        assert drawn == sorted(
            [(str(ODD), "tcp 22", f"tier {t}") for t in TIERS]
            + [("tier a-b", "tcp 22", "tier a_b")]
        )
