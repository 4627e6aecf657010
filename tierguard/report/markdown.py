"""Generated blocks inside hand-written markdown (README tables that must not drift)."""

from __future__ import annotations


def replace_block(text: str, start: str, end: str, body: str) -> str:
    """``text`` with everything between the ``start`` and ``end`` marker lines replaced.

    Raises ``ValueError`` when a marker is missing, so a generator never silently writes
    nothing.
    """
    if start not in text or end not in text:
        raise ValueError(f"markers {start!r} / {end!r} not found")
    before, _, rest = text.partition(start)
    _, _, after = rest.partition(end)
    return f"{before}{start}\n{body}\n{end}{after}"
