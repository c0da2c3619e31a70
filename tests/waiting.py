"""Waiting in tests: yield to the event loop until a condition holds, within a bound."""

from __future__ import annotations

import asyncio
from collections.abc import Callable


async def wait_until(condition: Callable[[], bool], *, bound: float = 2.0) -> None:
    """Yield to the loop until `condition()` holds (at most `bound` seconds, else TimeoutError)."""
    async with asyncio.timeout(bound):
        for _ in iter(condition, True):
            await asyncio.sleep(0.001)
