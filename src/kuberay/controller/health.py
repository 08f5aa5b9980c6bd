"""Whether the operator's watches are serving, as /readyz and /healthz report it.

Ready means every watch has listed and nothing since says otherwise. Alive means not ready for
less than a bound: an operator that cannot list or authenticate for longer should be restarted
by Kubernetes rather than sit there, answering 200 while it reconciles nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class WatchHealth:
    unhealthy_after: float  # seconds not serving before /healthz fails
    clock: Callable[[], float] = time.monotonic
    serving: bool = False
    reason: str = "caches not yet synced"
    down_since: float = field(init=False)

    def __post_init__(self) -> None:
        self.down_since = self.clock()  # starting up counts: a start that never syncs is stuck too

    def starting(self) -> None:
        """The watches start now (a standby that just took the lead starts its clock here)."""
        self.serving = False
        self.reason = "caches not yet synced"
        self.down_since = self.clock()

    def synced(self) -> None:
        self.serving = True
        self.reason = "ok"

    def lost(self, reason: str) -> None:
        """The watches stopped serving (an outage's later reasons replace earlier ones, the clock
        keeps running from its start)."""
        if self.serving:
            self.down_since = self.clock()
        self.serving = False
        self.reason = reason

    def ready(self) -> bool:
        return self.serving

    def alive(self) -> bool:
        return self.serving or self.clock() - self.down_since < self.unhealthy_after
