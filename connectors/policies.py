"""Write guards: policies that may refuse writes to a source, registered by other apps.

Connectors imports no other app, yet governance decides that deprecated integrations receive
no writes and unregistered sources cannot import. So governance registers a guard here (in its
`AppConfig.ready`), and every write path (file imports now, API writes and events later) calls
`check_write_allowed(source)` before it writes anything.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from connectors.models import SourceSystem

# A failed import batch refused by a guard has an error starting with this, so that refusals
# can be told apart from broken files.
WRITE_REFUSED_PREFIX = "write refused: "

# A guard returns why writes to the source are refused, or None to allow them.
WriteGuard = Callable[["SourceSystem"], "str | None"]

_guards: list[WriteGuard] = []


class WriteRefused(Exception):
    """A guard refused writes to a source; the message says why and what to do about it."""

    def __init__(self, reason: str) -> None:
        super().__init__(WRITE_REFUSED_PREFIX + reason)
        self.reason = reason


def register_write_guard(guard: WriteGuard) -> WriteGuard:
    """Add a guard (once, however often it is registered); usable as a decorator."""
    if guard not in _guards:
        _guards.append(guard)
    return guard


def unregister_write_guard(guard: WriteGuard) -> None:
    if guard in _guards:
        _guards.remove(guard)


def write_refusal(source: SourceSystem) -> str | None:
    """Why writes to this source are refused (the first guard to object), or None."""
    for guard in _guards:
        reason = guard(source)
        if reason:
            return reason
    return None


def check_write_allowed(source: SourceSystem) -> None:
    """Raise `WriteRefused` when a registered guard refuses writes to the source."""
    reason = write_refusal(source)
    if reason:
        raise WriteRefused(reason)
