"""click types for the values tierguard's flags take, parsed by the library's own rules."""

from __future__ import annotations

import click
from click.shell_completion import CompletionItem

from tierguard.rules.protocols import NAMES, parse_protocol


class ProtocolType(click.ParamType[int]):
    """An IP protocol (``--protocol``) as ``rules.protocols`` reads it: a name, ``-1`` or
    a number 0-255, converted to its IANA number (``-1`` for every protocol)."""

    name = "protocol"

    def get_metavar(self, param: click.Parameter, ctx: click.Context) -> str:
        return f"[{'|'.join(NAMES)}|0-255]"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> int:
        try:
            return parse_protocol(value)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)

    def shell_complete(
        self, ctx: click.Context, param: click.Parameter, incomplete: str
    ) -> list[CompletionItem]:
        return [CompletionItem(n) for n in NAMES if n.startswith(incomplete.lower())]
