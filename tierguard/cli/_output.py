"""Files the verbs write on request (``--sarif``, ``--diagram``): checked before any work
is done, and a failure while writing is one line naming the flag, never a traceback."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from tierguard.errors import UsageError


class OutputFile(click.ParamType[Path]):
    """A file to (over)write: its directory must exist and be writable, it not a directory."""

    name = "file"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> Path:
        path = Path(str(value))
        try:
            return self._check(path, param, ctx)
        except OSError as exc:  # a name too long, a loop of links, …
            self.fail(f"{str(path)[:80]!r}: {exc.strerror}", param, ctx)

    def _check(self, path: Path, param: click.Parameter | None, ctx: click.Context | None) -> Path:
        folder = path.parent
        if path.is_dir():
            self.fail(f"{str(path)!r} is a directory; give a file name", param, ctx)
        if not folder.is_dir():
            what = "is not a directory" if folder.exists() else "does not exist"
            self.fail(f"{str(path)!r}: {folder} {what}; create the directory first", param, ctx)
        if not os.access(folder, os.W_OK | os.X_OK) or (
            path.exists() and not os.access(path, os.W_OK)
        ):
            self.fail(f"{str(path)!r} cannot be written (permissions)", param, ctx)
        return path


@contextmanager
def writing(path: Path, flag: str) -> Iterator[None]:
    """Turn an ``OSError`` while writing ``path`` into one ``UsageError`` line."""
    try:
        yield
    except OSError as exc:
        raise UsageError(f"{flag} {str(path)!r}: cannot write: {exc.strerror}") from None
