"""Keeps the operator's watches serving across API server restarts and credential changes.

kopf reconnects a dropped watch from its last resourceVersion, which is right for a blip but
wrong after the API server came back with other state or other credentials: the cache would
keep objects that no longer exist and the writes would keep a stale token. So any failed
request of the watches (or a 401) ends the running Operator; once the API lists RayClusters
again with freshly loaded credentials, a new Operator re-lists everything and watches from
there. Meanwhile WatchHealth tells /readyz and /healthz.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import aiohttp
from kubernetes_asyncio import client
from kubernetes_asyncio.client.exceptions import ApiException

from kuberay.controller.connection import Connection
from kuberay.controller.health import WatchHealth
from kuberay.controller.operator import Operator, OperatorOptions

log = logging.getLogger(__name__)

FIRST_RETRY = 1.0
MAX_RETRY = 16.0
PROBE_TIMEOUT = 10.0


async def probe(conn: Connection, options: OperatorOptions) -> str | None:
    """None when these credentials can list RayClusters where the operator watches; otherwise
    what is wrong, for the log and /readyz."""
    try:
        async with conn.api_client() as api:
            custom = client.CustomObjectsApi(api)
            if options.namespaces:
                await custom.list_namespaced_custom_object(
                    "ray.io",
                    "v1",
                    options.namespaces[0],
                    "rayclusters",
                    limit=1,
                    _request_timeout=PROBE_TIMEOUT,
                )
            else:
                await custom.list_cluster_custom_object(
                    "ray.io", "v1", "rayclusters", limit=1, _request_timeout=PROBE_TIMEOUT
                )
    except ApiException as err:
        return f"cannot list RayClusters: {err.status} {err.reason}"
    except (aiohttp.ClientError, OSError, TimeoutError) as err:
        return f"API server unreachable at {conn.configuration.host}: {err}"
    return None


class _FailedRequests(logging.Handler):
    """kopf retries a failed watch or list request on its own and says so at ERROR; we take
    that as the signal to start over (see the module's docstring)."""

    def __init__(self, signal: Callable[[str], None]) -> None:
        super().__init__(logging.ERROR)
        self.signal = signal

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith("kopf._cogs.clients"):
            self.signal(record.getMessage())


@dataclass
class Supervisor:
    reconnect: Callable[[], Awaitable[Connection]]  # loads the credentials afresh
    options: OperatorOptions
    health: WatchHealth
    may_write: Callable[[], bool] = lambda: True
    # The process's own stop (SIGTERM, Ctrl-C). kopf takes over both signals while it runs and
    # ends cleanly on them; we pass that on, and take the signals back between Operators.
    terminate: Callable[[], None] = lambda: None
    _trouble: asyncio.Event = field(default_factory=asyncio.Event)
    _why: str = ""

    def ready(self) -> bool:
        return self.health.ready()

    def alive(self) -> bool:
        return self.health.alive()

    async def run(self, stop: asyncio.Event) -> None:
        """Run Operators one after another until `stop` is set."""
        self.health.starting()
        delay = FIRST_RETRY
        while not stop.is_set():
            try:
                conn = await self.reconnect()
            except Exception as err:  # a kubeconfig being rewritten, a token file not yet there
                problem: str | None = f"cannot load credentials: {err}"
            else:
                problem = await probe(conn, self.options)
            if problem is None:
                problem = await self._serve(conn, stop)
                if problem is None:
                    return
                if self.health.ready():
                    delay = FIRST_RETRY  # it served: the first retry after an outage is quick
            self.health.lost(problem)
            log.warning(
                "watches not serving: %s; re-listing once the API answers (next try in %.0fs)", problem, delay
            )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), delay)
            delay = min(delay * 2, MAX_RETRY)

    def _signal(self, why: str) -> None:
        if not self._trouble.is_set():
            self._why = why
            self._trouble.set()

    async def _serve(self, conn: Connection, stop: asyncio.Event) -> str | None:
        """One Operator, until `stop` (None) or trouble (what went wrong)."""
        self._trouble.clear()
        operator = Operator(conn, self.options, may_write=self.may_write)
        operator.on_relogin = lambda: self._signal("the API server refused the credentials (401)")
        halt = asyncio.Event()
        handler = _FailedRequests(lambda message: self._signal(f"a watch request failed: {message}"))
        kopf_log = logging.getLogger("kopf")
        kopf_log.addHandler(handler)
        running = asyncio.create_task(operator.run(halt), name="operator")
        synced = asyncio.create_task(operator.ready.wait())
        synced.add_done_callback(lambda t: None if t.cancelled() else self.health.synced())
        stopping = asyncio.create_task(stop.wait())
        trouble = asyncio.create_task(self._trouble.wait())
        try:
            await asyncio.wait({running, stopping, trouble}, return_when=asyncio.FIRST_COMPLETED)
            if stop.is_set():
                return None
            if running.done():
                err = running.exception()
                if err is None:  # kopf had a SIGTERM or SIGINT
                    self.terminate()
                    return None
                return f"the watches stopped: {err!r}"
            return self._why
        finally:
            kopf_log.removeHandler(handler)
            for task in (synced, stopping, trouble):
                task.cancel()
            halt.set()
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await running
            loop = asyncio.get_running_loop()
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                for sig in (signal.SIGINT, signal.SIGTERM):
                    loop.add_signal_handler(sig, self.terminate)
