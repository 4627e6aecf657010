"""Every error leaves the command one way: ``error: …`` on stderr, nothing on stdout, the
exit code of tierguard's error hierarchy — whether tierguard or click found the problem.

click alone would print ``Error: …`` for a flag it rejects and exit with its own code;
tierguard's errors print ``error: …``. Both shapes are pinned here, whole.
"""

from __future__ import annotations

import click
import pytest
from click.shell_completion import CompletionItem

from tests.conftest import invoke
from tierguard.cli import cli
from tierguard.cli._params import ProtocolType
from tierguard.errors import UsageError
from tierguard.rules import ALL, ICMPV6, TCP

REACH_USAGE = "Usage: tierguard reach [OPTIONS]\nTry 'tierguard reach -h' for help.\n\n"
VALID = "use tcp, udp, icmp, icmpv6, all (or -1), or an IANA protocol number 0-255"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["reach", "--bogus"], REACH_USAGE + "error: No such option '--bogus'.\n"),
        (
            ["reach", "--protocol", "tcpp"],
            REACH_USAGE
            + f"error: Invalid value for '--protocol': 'tcpp' is not a protocol; {VALID}\n",
        ),
        (
            ["reach", "--protocol", "256"],
            REACH_USAGE
            + f"error: Invalid value for '--protocol': '256' is not a protocol; {VALID}\n",
        ),
        (
            ["reach", "--port", "70000"],
            REACH_USAGE
            + "error: Invalid value for '--port': 70000 is not in the range 0<=x<=65535.\n",
        ),
        (
            ["nosuchverb"],
            "Usage: tierguard [OPTIONS] COMMAND [ARGS]...\nTry 'tierguard -h' for help.\n\n"
            "error: No such command 'nosuchverb'.\n",
        ),
        (
            ["audit", "--region", "mars-1"],
            "error: --region 'mars-1' is not an AWS region (for example us-east-1, eu-west-1)\n",
        ),
    ],
)
def test_bad_input_is_one_shape_and_exit_2(
    args: list[str],
    expected: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A flag click rejects and a value tierguard rejects: the same ``error:`` line, the
    same exit code (``UsageError``'s), no ``Error:`` and no traceback."""
    code, out, err = invoke(args, capsys, monkeypatch)
    assert (code, out, err) == (UsageError.exit_code, "", expected)


class TestProtocolType:
    def test_names_numbers_and_all_become_iana_numbers(self) -> None:
        """Parsed by ``rules.protocols``: any case, ``-1``/``all``, numbers 0-255."""
        kind = ProtocolType()
        assert [kind.convert(v, None, None) for v in ("TCP", "6", "icmpv6", "-1", "all")] == [
            TCP,
            TCP,
            ICMPV6,
            ALL,
            ALL,
        ]

    def test_help_and_completion_name_the_valid_values(self) -> None:
        """The metavar lists the names; completion offers those that fit what was typed."""
        reach = cli.get_command(click.Context(cli), "reach")
        assert reach is not None
        ctx = click.Context(reach)
        option = next(p for p in reach.params if p.name == "protocol")
        assert option.make_metavar(ctx) == "[tcp|udp|icmp|icmpv6|all|0-255]"
        offered = ProtocolType().shell_complete(ctx, option, "ic")
        assert [c.value for c in offered] == ["icmp", "icmpv6"]
        assert all(isinstance(c, CompletionItem) for c in offered)
