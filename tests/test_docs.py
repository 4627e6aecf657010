"""The README documents what the code does."""

from __future__ import annotations

from tests.conftest import PROJECT_DIR
from tierguard.config.docs import render_into


def test_config_reference_matches_the_schema() -> None:
    """The generated table is current: run `python -m tierguard.config.docs` after changing
    the schema."""
    readme = (PROJECT_DIR / "README.md").read_text()
    assert render_into(readme) == readme


def test_quick_start_has_exactly_the_two_commands() -> None:
    """`make demo` and `make test` are the quick start, and .ci/run calls `make test`."""
    readme = (PROJECT_DIR / "README.md").read_text()
    quick = readme.split("## Quick start", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    assert [line.split("#")[0].strip() for line in quick.strip().splitlines()] == [
        "make demo",
        "make test",
    ]
    assert "make test" in (PROJECT_DIR / ".ci/run").read_text()
