"""Fixtures shared by the policy tests."""

from __future__ import annotations

import datetime as dt

import pytest

from tierguard.policies.base import drain_stack_notices


@pytest.fixture(autouse=True)
def _no_leftover_notices() -> None:
    """Exempted-finding hand-overs never leak from one test into the next."""
    drain_stack_notices()


@pytest.fixture(name="today")
def _today() -> dt.date:
    """A fixed 'today' for exemption expiry."""
    return dt.date(2026, 6, 1)
