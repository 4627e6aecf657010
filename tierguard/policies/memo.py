"""What the policies of one analyzer request share: values derived once from the request.

The engine sends each resource (``Analyze``) or the whole stack (``AnalyzeStack``) once,
and every policy of the pack then reads the same request. Normalising a group's rules, or
building the stack view, depends only on what was sent, so the pack's servicer opens a
``request_scope`` around a request and the policies derive those values through
``shared``: the first policy builds, the others reuse. Outside a scope (the policy test
harness, tooling) every call builds afresh, exactly as before.

A key holds ``id()`` of request objects: they stay alive for the whole scope, so an id
cannot be reused within it. The scope is per thread, as the servicer runs each request on
one thread.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar, cast

T = TypeVar("T")


class _Scopes(threading.local):
    def __init__(self) -> None:
        self.current: dict[Hashable, Any] | None = None


_SCOPES = _Scopes()


@contextmanager
def request_scope() -> Iterator[None]:
    """Share derived values among the policies run inside; forget them when it ends."""
    outer, _SCOPES.current = _SCOPES.current, {}
    try:
        yield
    finally:
        _SCOPES.current = outer


def shared(key: Hashable, build: Callable[[], T]) -> T:
    """``build()``, once per key within the current request scope (every call outside one)."""
    memo = _SCOPES.current
    if memo is None:
        return build()
    if key not in memo:
        memo[key] = build()
    return cast(T, memo[key])
