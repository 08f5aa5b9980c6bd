"""Pods this operator created or deleted but has not yet seen through its watch.

Why: the cache lags the API server. Acting on a cache that does not yet show a pod we just
created would create it again; one that still shows a pod we just deleted would delete another.
So a cluster whose expectations are unmet is not scaled until the watch catches up (or the
expectations expire, in case an event was lost for good).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field

# controller-runtime uses five minutes; a lost watch event must not freeze a cluster forever.
DEFAULT_TTL_SECONDS = 300.0


@dataclass
class _Pending:
    creates: set[str] = field(default_factory=set)
    deletes: set[str] = field(default_factory=set)
    since: float = 0.0


@dataclass
class Expectations:
    ttl: float = DEFAULT_TTL_SECONDS
    clock: Callable[[], float] = time.monotonic
    _pending: dict[Hashable, _Pending] = field(default_factory=dict)

    def expect_created(self, key: Hashable, name: str) -> None:
        self._entry(key).creates.add(name)

    def expect_deleted(self, key: Hashable, name: str) -> None:
        self._entry(key).deletes.add(name)

    def _entry(self, key: Hashable) -> _Pending:
        entry = self._pending.get(key)
        if entry is None:
            entry = self._pending[key] = _Pending(since=self.clock())
        elif not entry.creates and not entry.deletes:
            entry.since = self.clock()
        return entry

    def observe(self, key: Hashable, live_names: Iterable[str], terminating: Iterable[str] = ()) -> None:
        """Settle expectations against what the cache shows now.

        `live_names` are the cluster's pods in the cache; `terminating` those of them that carry
        a deletionTimestamp (a delete is seen as soon as the pod is terminating).
        """
        entry = self._pending.get(key)
        if entry is None:
            return
        live = set(live_names)
        going = set(terminating)
        entry.creates -= live
        entry.deletes = {n for n in entry.deletes if n in live and n not in going}
        if not entry.creates and not entry.deletes:
            del self._pending[key]

    def gone(self, key: Hashable, name: str) -> None:
        """The watch reported the pod deleted. A pod created and deleted within one watch batch
        is never seen alive, yet its creation happened: it must not hold the cluster back."""
        entry = self._pending.get(key)
        if entry is None:
            return
        entry.creates.discard(name)
        entry.deletes.discard(name)
        if not entry.creates and not entry.deletes:
            del self._pending[key]

    def satisfied(self, key: Hashable) -> bool:
        entry = self._pending.get(key)
        if entry is None:
            return True
        if self.clock() - entry.since > self.ttl:
            del self._pending[key]
            return True
        return False

    def pending_deletes(self, key: Hashable) -> frozenset[str]:
        entry = self._pending.get(key)
        return frozenset(entry.deletes) if entry else frozenset()

    def forget(self, key: Hashable) -> None:
        self._pending.pop(key, None)
