"""Property: whatever one value, one YAML form, one encoding or one flag is made hostile,
tierguard answers with exit 2 (3 for what it cannot reach), one line per problem naming
where, no traceback, and nothing written.

Every leaf of the dev stack's network is a mutation site; the replacements are values no
field of the schema accepts at a scalar place (containers, floats, out-of-range numbers,
control characters), YAML forms readers disagree on, and broken encodings. Runs in-process
(no program is run: every example fails validation first), so it stays fast.
"""

from __future__ import annotations

import contextlib
import io
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import PROJECT_DIR
from tierguard.cli import main

NETWORK = yaml.safe_load((PROJECT_DIR / "Pulumi.dev.yaml").read_text())["config"][
    "tierguard:network"
]


def _leaves(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _leaves(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _leaves(value, (*path, index))
    else:
        yield path


LEAVES = sorted(_leaves(NETWORK), key=str)
HOSTILE_VALUES: list[Any] = [
    {"nested": {"deeper": 1}},
    [1, [2]],
    1.5,
    10**30,
    -(10**30),
    "bad\nvalue\x00",
    "\u0661\u0662",
    "x" * 300,
]
#: Plain YAML scalars that readers disagree on, or that are not data at all.
HOSTILE_FORMS = ["0443", "20:21", "8_080", "+1", "0x1F", "0o17", "!!binary aGk=", "*nowhere"]


@contextlib.contextmanager
def project() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        for name in ("Pulumi.yaml", "Pulumi.dev.yaml", "__main__.py"):
            shutil.copy(PROJECT_DIR / name, root / name)
        yield root


def run(args: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = 0
    with (
        mock.patch.object(sys, "argv", ["tierguard", *args]),
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
    ):
        try:
            main()
        except SystemExit as exc:
            code = int(exc.code or 0)
    return code, out.getvalue(), err.getvalue()


def files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def refused(root: Path, args: list[str], *, codes: tuple[int, ...] = (2,)) -> list[str]:
    """Run, and check the contract; return the error lines."""
    before = files(root)
    code, out, err = run(args)
    assert code in codes, (code, err)
    assert out == ""
    assert "Traceback" not in err
    lines = err.splitlines()
    assert lines
    assert all(line.startswith(("error: ", "Usage:", "Try ", "")) for line in lines)
    assert files(root) == before
    return lines


def _set(node: Any, path: tuple[Any, ...], value: Any) -> None:
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value


def _dump(network: dict[str, Any]) -> str:
    return yaml.safe_dump(
        {"config": {"aws:region": "us-east-1", "tierguard:network": network}}, sort_keys=False
    )


def _config_path(path: tuple[Any, ...]) -> str:
    text = "tierguard:network"
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text


@pytest.mark.parametrize("path", LEAVES, ids=_config_path)
def test_every_field_refuses_a_value_of_the_wrong_kind(path: tuple[Any, ...]) -> None:
    """One leaf replaced by each hostile value in turn: exit 2, and the problem is reported
    at (or under) its path. Every pair is tried (a sample missed protocol '١٢' read as 12)."""
    for value in HOSTILE_VALUES:
        network = yaml.safe_load(yaml.safe_dump(NETWORK))
        _set(network, path, value)
        with project() as root:
            (root / "Pulumi.dev.yaml").write_text(_dump(network))
            lines = refused(root, ["preview", "--offline", "--cwd", str(root)])
        where = _config_path(path[:-1])
        assert any(where in line for line in lines), (lines, where, value)


@settings(max_examples=60, deadline=None)
@given(path=st.sampled_from(LEAVES), form=st.sampled_from(HOSTILE_FORMS))
def test_every_field_refuses_ambiguous_yaml_forms(path: tuple[Any, ...], form: str) -> None:
    """One leaf written as a YAML form readers disagree on: refused with file:line:col."""
    network = yaml.safe_load(yaml.safe_dump(NETWORK))
    marker = "MUTATION-SITE-7f3a"
    _set(network, path, marker)
    with project() as root:
        (root / "Pulumi.dev.yaml").write_text(_dump(network).replace(marker, form, 1))
        lines = refused(root, ["preview", "--offline", "--cwd", str(root)])
    assert lines[0].startswith(f"error: {root / 'Pulumi.dev.yaml'}:")


@settings(max_examples=40, deadline=None)
@given(
    encoding=st.sampled_from(["utf-16", "utf-16-le", "utf-32", "latin-1+", "nul"]),
    at=st.integers(min_value=0, max_value=2000),
)
def test_the_stack_file_in_a_wrong_encoding_is_refused(encoding: str, at: int) -> None:
    with project() as root:
        stack = root / "Pulumi.dev.yaml"
        text = stack.read_text()
        if encoding == "latin-1+":
            data = text.encode()[:at] + b"\xe9" + text.encode()[at:]
        elif encoding == "nul":
            data = text.encode()[:at] + b"\x00" + text.encode()[at:]
        else:
            data = text.encode(encoding)
        stack.write_bytes(data)
        lines = refused(root, ["preview", "--offline", "--cwd", str(root)])
    assert lines == [lines[0]]
    assert lines[0].startswith(f"error: {stack}: ")


def _hostile_path(root: Path, kind: str) -> str:
    if kind == "missing":
        return str(root / "no" / "such" / "file")
    if kind == "directory":
        return str(root)
    if kind == "binary":
        (root / "binary.bin").write_bytes(b"\x00\xff\xfe" * 10)
        return str(root / "binary.bin")
    if kind == "under-a-file":
        return str(root / "Pulumi.yaml" / "x")
    return "x" * 5000  # a name longer than any file system allows


FLAGS = [
    (["preview", "--offline", "--stack-file"], (2,)),
    (["preview", "--offline", "--policy-config"], (2,)),
    (["preview", "--offline", "--sarif"], (2,)),
    (["preview", "--offline", "--diagram"], (2,)),
    (["reach", "--diagram"], (2,)),
    (["reach", "--stack-file"], (2,)),
    (["audit", "--stack", "dev", "--stack-file"], (2,)),
    (["audit", "--sarif"], (2,)),
    (["preview", "--offline", "--cwd"], (2,)),
]


@settings(max_examples=60, deadline=None)
@given(
    flag=st.sampled_from(FLAGS),
    kind=st.sampled_from(["missing", "directory", "binary", "under-a-file", "too-long"]),
)
def test_every_path_flag_refuses_a_hostile_path(
    flag: tuple[list[str], tuple[int, ...]], kind: str
) -> None:
    args, codes = flag
    with project() as root:
        value = _hostile_path(root, kind)
        extra = [] if args[-1] == "--cwd" else ["--cwd", str(root)]
        if kind == "directory" and args[-1] == "--cwd":
            return  # the project folder itself is a valid --cwd
        if kind == "binary" and args[-1] in ("--sarif", "--diagram"):
            return  # an existing file is overwritten: valid
        refused(root, [*args, value, *extra], codes=codes)


VALUE_FLAGS = [
    ["preview", "--offline", "--stack"],
    ["up", "--stack"],
    ["up", "--stacks"],
    ["up", "--parallel"],
    ["audit", "--fail-on"],
    ["reach", "--from"],
    ["reach", "--port"],
]


@settings(max_examples=80, deadline=None)
@given(
    args=st.sampled_from(VALUE_FLAGS),
    value=st.sampled_from(["", " ", "a::b", "bad name!", "-1", "0", "1e9", "nan", "x" * 300, "ü"]),
)
def test_every_value_flag_refuses_a_hostile_value(args: list[str], value: str) -> None:
    with project() as root:
        code, _, err = run([*args, value, "--cwd", str(root)])
        if code == 0:
            return  # a value that is valid for this flag
        assert "Traceback" not in err
        assert code in (1, 2, 3)
        assert err.strip()
