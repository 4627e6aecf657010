"""Reading a user's text file (stack file, example, policy config) within fixed bounds.

Whatever the file holds — a binary, UTF-16 from an editor, a device that never ends, a
multi-gigabyte log given by mistake — the answer is the text or one ``ConfigError``
naming the file and what to do, read with bounded memory.
"""

from __future__ import annotations

import codecs
from pathlib import Path

from tierguard.errors import ConfigError, Problem

#: Largest file read as configuration; the dev stack is ~3 KB, the largest example ~10 KB.
MAX_FILE_BYTES = 1 << 20

_WIDE_BOMS = (
    (codecs.BOM_UTF32_LE, "UTF-32"),
    (codecs.BOM_UTF32_BE, "UTF-32"),
    (codecs.BOM_UTF16_LE, "UTF-16"),
    (codecs.BOM_UTF16_BE, "UTF-16"),
)


def read_text(path: Path, *, what: str = "file") -> str:
    """The file as UTF-8 text; ``ConfigError`` if unreadable, too large, binary or not UTF-8."""
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise ConfigError([Problem(str(path), f"cannot be read: {exc.strerror}")]) from None
    if len(data) > MAX_FILE_BYTES:
        raise ConfigError(
            [
                Problem(
                    str(path),
                    f"is larger than {MAX_FILE_BYTES // 1024} KiB; a {what} that large is "
                    "not configuration (wrong file?)",
                )
            ]
        )
    for bom, encoding in _WIDE_BOMS:
        if data.startswith(bom):
            raise ConfigError([Problem(str(path), f"is {encoding} text; save the {what} as UTF-8")])
    if b"\x00" in data:
        raise ConfigError(
            [
                Problem(
                    str(path),
                    f"contains NUL bytes (a binary file, or UTF-16 without a byte-order "
                    f"mark); give a UTF-8 text {what}",
                )
            ]
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            [
                Problem(
                    str(path),
                    f"is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
                    f"save the {what} as UTF-8",
                )
            ]
        ) from None
