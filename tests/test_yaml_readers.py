"""Stack files are read by libyaml first and, when it refuses a document, by PyYAML's
pure-Python reader (whose wording the error messages keep). Whatever the fast reader
accepts, it must read exactly as the reference reader does."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import PROJECT_DIR
from tierguard.config.stackfile import _LOADERS, _parse_with

pytestmark = pytest.mark.skipif(len(_LOADERS) < 2, reason="PyYAML was built without libyaml")

STACK_FILES = sorted(
    [*PROJECT_DIR.glob("Pulumi*.yaml"), *(PROJECT_DIR / "examples").rglob("Pulumi*.yaml")]
)
#: Plain scalars YAML readers disagree on, quoted forms, addresses, and structure.
SCALARS = [
    "0443", "20:21", "8_080", "+1", "0x1F", "0o17", "!!binary aGk=", "*nowhere", "yes",
    "on", "off", "~", "null", "Null", "", "1e3", "1.5", ".inf", "-.INF", ".nan", "true",
    "False", "'20:21'", '"0443"', "2001:db8::/32", "0.0.0.0/0", "::/0", "tcp", "-1",
    "1024-65535", "'a: b'", "\"tab\\there\"", "[1, 2]", "{a: 1}", "&x 1", "<<: {a: 1}",
    "é", "\u2028", "- 1",
]  # fmt: skip


def _read(loader: type[Any], text: str) -> tuple[str, Any]:
    try:
        return ("value", _parse_with(loader, text))
    except yaml.YAMLError:
        return ("refused", None)


def _same_reading(text: str) -> None:
    fast, reference = _LOADERS
    first = _read(fast, text)
    if first[0] == "value":
        assert first == _read(reference, text), text


@pytest.mark.parametrize("path", STACK_FILES, ids=lambda p: p.name)
def test_both_readers_read_every_stack_file_alike(path: Any) -> None:
    _same_reading(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("scalar", SCALARS)
def test_both_readers_read_each_scalar_form_alike(scalar: str) -> None:
    for text in (f"config:\n  key: {scalar}\n", f"config:\n  list:\n    - {scalar}\n"):
        _same_reading(text)


@settings(max_examples=200, deadline=None)
@given(
    st.recursive(
        st.sampled_from(SCALARS),
        lambda inner: st.one_of(
            st.lists(inner, max_size=3).map(lambda xs: "[" + ", ".join(xs) + "]"),
            st.dictionaries(st.sampled_from(["a", "b", "c: d"]), inner, max_size=3).map(
                lambda d: "{" + ", ".join(f"{k}: {v}" for k, v in d.items()) + "}"
            ),
        ),
        max_leaves=6,
    )
)
def test_both_readers_read_generated_documents_alike(text: str) -> None:
    _same_reading(f"config:\n  key: {text}\n")
