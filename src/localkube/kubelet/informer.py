"""List-then-watch caches (the informer pattern): a local copy of a set of objects, kept current by
one watch, that calls a handler on every change. Re-lists only when the watch expires (410)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from localkube.kubelet.apiclient import ApiClient, ApiError

log = logging.getLogger(__name__)

Handler = Callable[[str, dict[str, Any]], Awaitable[None] | None]


def key_of(obj: dict[str, Any]) -> str:
    meta = obj.get("metadata") or {}
    ns = meta.get("namespace")
    return f"{ns}/{meta.get('name')}" if ns else str(meta.get("name"))


class Informer:
    def __init__(self, client: ApiClient, path: str, params: dict[str, str] | None = None):
        self.client = client
        self.path = path
        self.params = params or {}
        self.cache: dict[str, dict[str, Any]] = {}
        self.handlers: list[Handler] = []
        self.synced = asyncio.Event()
        self._rv = ""

    def add_handler(self, handler: Handler) -> None:
        self.handlers.append(handler)

    async def _emit(self, event: str, obj: dict[str, Any]) -> None:
        for h in self.handlers:
            try:
                result = h(event, obj)
                if result is not None:
                    await result
            except Exception:
                log.exception("handler for %s %s failed", event, key_of(obj))

    async def _relist(self) -> None:
        listing = await self.client.get(self.path, params=self.params)
        self._rv = (listing.get("metadata") or {}).get("resourceVersion", "")
        fresh = {}
        for item in listing.get("items") or []:
            fresh[key_of(item)] = item
        for key in list(self.cache):
            if key not in fresh:
                gone = self.cache.pop(key)
                await self._emit("DELETED", gone)
        for key, item in fresh.items():
            old = self.cache.get(key)
            self.cache[key] = item
            if old is None:
                await self._emit("ADDED", item)
            elif (old.get("metadata") or {}).get("resourceVersion") != (item.get("metadata") or {}).get(
                "resourceVersion"
            ):
                await self._emit("MODIFIED", item)
        self.synced.set()

    async def run(self) -> None:
        need_list = True
        while True:
            try:
                if need_list:
                    await self._relist()
                    need_list = False
                params = dict(self.params)
                params.update({"resourceVersion": self._rv, "allowWatchBookmarks": "true"})
                async for ev in self.client.watch(self.path, params):
                    etype = ev.get("type", "")
                    obj = ev.get("object") or {}
                    if etype == "ERROR":
                        if obj.get("code") == 410:
                            need_list = True
                        break
                    rv = (obj.get("metadata") or {}).get("resourceVersion")
                    if rv:
                        self._rv = rv
                    if etype == "BOOKMARK":
                        continue
                    key = key_of(obj)
                    if etype == "DELETED":
                        self.cache.pop(key, None)
                    else:
                        self.cache[key] = obj
                    await self._emit(etype, obj)
            except asyncio.CancelledError:
                raise
            except ApiError as e:
                if e.status == 410:
                    need_list = True
                else:
                    log.warning("watch %s: %s", self.path, e)
                    await asyncio.sleep(1)
            except Exception as e:  # connection reset, server restart
                log.warning("watch %s broke: %r", self.path, e)
                need_list = True
                await asyncio.sleep(0.5)
