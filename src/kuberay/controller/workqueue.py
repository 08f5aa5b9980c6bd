"""A coalescing work queue of RayCluster keys, as controller-runtime's workqueue behaves.

Why not a plain asyncio.Queue: a burst of pod events for one cluster must become one reconcile,
a key must never be reconciled by two workers at once, and a failed key is retried with back-off
without blocking the others.
"""

from __future__ import annotations

import asyncio
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)


@dataclass
class WorkQueue(Generic[K]):
    base_delay: float = 0.05
    max_delay: float = 60.0
    _queue: asyncio.Queue[K] = field(default_factory=asyncio.Queue)
    _waiting: set[K] = field(default_factory=set)  # in _queue, not yet taken
    _active: set[K] = field(default_factory=set)  # taken by a worker
    _dirty: set[K] = field(default_factory=set)  # added again while active
    _failures: dict[K, int] = field(default_factory=dict)
    _timers: dict[K, asyncio.TimerHandle] = field(default_factory=dict)
    _shutdown: bool = False

    def add(self, key: K) -> None:
        """Ask for `key` to be reconciled; repeated adds before it runs coalesce into one."""
        if self._shutdown:
            return
        if key in self._active:
            self._dirty.add(key)
            return
        if key in self._waiting:
            return
        self._waiting.add(key)
        self._queue.put_nowait(key)

    def add_after(self, key: K, delay: float) -> None:
        """Add `key` once `delay` seconds have passed; an earlier pending timer wins."""
        if self._shutdown:
            return
        loop = asyncio.get_running_loop()
        existing = self._timers.get(key)
        if existing is not None:
            if existing.when() <= loop.time() + delay:
                return
            existing.cancel()
        self._timers[key] = loop.call_later(delay, self._fire, key)

    def _fire(self, key: K) -> None:
        self._timers.pop(key, None)
        self.add(key)

    def retry(self, key: K) -> float:
        """Schedule `key` again with exponential back-off; returns the delay chosen."""
        failures = self._failures.get(key, 0)
        self._failures[key] = failures + 1
        delay = min(self.max_delay, self.base_delay * (2**failures))
        self.add_after(key, delay)
        return delay

    def forget(self, key: K) -> None:
        """The key succeeded: its back-off starts over."""
        self._failures.pop(key, None)

    def has_newer_events(self, key: K) -> bool:
        """Whether `key` was added again while a worker holds it: what it computes now is stale."""
        return key in self._dirty

    async def get(self) -> K:
        key = await self._queue.get()
        self._waiting.discard(key)
        self._active.add(key)
        return key

    def done(self, key: K) -> None:
        """A worker finished `key`; if it was added meanwhile, it is queued again."""
        self._active.discard(key)
        if key in self._dirty:
            self._dirty.discard(key)
            self.add(key)

    def shutdown(self) -> None:
        self._shutdown = True
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()

    def __len__(self) -> int:
        return len(self._waiting)
