"""A list-then-watch cache of one resource that the controllers also write through.

Writing our own creates, updates and deletes into the cache at once (instead of waiting for the
watch to echo them) is what keeps a sync from acting twice on a stale view: a ReplicaSet that just
created a pod counts it on its very next sync. Watch events older than what the cache holds are
ignored, so a late echo never rolls the cache back.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from localkube.kubelet.apiclient import ApiClient, ApiError

log = logging.getLogger(__name__)

Key = tuple[str, str]  # (namespace, name)
Handler = Callable[[str, dict[str, Any]], None]


def key_of(obj: dict[str, Any]) -> Key:
    meta = obj.get("metadata") or {}
    return (str(meta.get("namespace") or ""), str(meta.get("name") or ""))


def _rv(obj: dict[str, Any] | None) -> int | None:
    if obj is None:
        return None
    try:
        return int((obj.get("metadata") or {}).get("resourceVersion") or "")
    except ValueError:
        return None


def newer_or_equal(incoming: dict[str, Any], cached: dict[str, Any] | None) -> bool:
    """localkube's resourceVersions are one increasing counter; anything else is taken as newer."""
    a, b = _rv(incoming), _rv(cached)
    return a is None or b is None or a >= b


class Cache:
    def __init__(
        self,
        client: ApiClient,
        path: str,
        on_change: Handler,
        keep: Callable[[dict[str, Any]], dict[str, Any]] = lambda obj: obj,
    ) -> None:
        self.client = client
        self.path = path
        self.on_change = on_change
        # What of each object to hold: a cache of every pod in the cluster must stay small.
        self.keep = keep
        self.objects: dict[Key, dict[str, Any]] = {}
        self.synced = asyncio.Event()
        self._rv = ""

    def in_namespace(self, namespace: str) -> list[dict[str, Any]]:
        return [o for (ns, _), o in self.objects.items() if ns == namespace]

    def get(self, namespace: str, name: str) -> dict[str, Any] | None:
        return self.objects.get((namespace, name))

    def put(self, obj: dict[str, Any]) -> None:
        """Write-through after our own successful write."""
        key = key_of(obj)
        if newer_or_equal(obj, self.objects.get(key)):
            self.objects[key] = self.keep(obj)

    def drop(self, namespace: str, name: str) -> None:
        self.objects.pop((namespace, name), None)

    def _apply(self, etype: str, obj: dict[str, Any]) -> None:
        obj = self.keep(obj)
        key = key_of(obj)
        if etype == "DELETED":
            self.objects.pop(key, None)
        elif newer_or_equal(obj, self.objects.get(key)):
            self.objects[key] = obj
        else:
            return
        self.on_change(etype, obj)

    async def _relist(self) -> None:
        listing = await self.client.get(self.path)
        self._rv = str((listing.get("metadata") or {}).get("resourceVersion") or "")
        fresh = {key_of(item): self.keep(item) for item in listing.get("items") or []}
        for key in [k for k in self.objects if k not in fresh]:
            gone = self.objects.pop(key)
            self.on_change("DELETED", gone)
        for key, item in fresh.items():
            self.objects[key] = item
            self.on_change("SYNC", item)
        self.synced.set()

    async def run(self) -> None:
        need_list = True
        while True:
            try:
                if need_list:
                    await self._relist()
                    need_list = False
                params = {"resourceVersion": self._rv, "allowWatchBookmarks": "true"}
                async for event in self.client.watch(self.path, params):
                    etype = str(event.get("type") or "")
                    obj = event.get("object") or {}
                    if etype == "ERROR":
                        need_list = obj.get("code") == 410 or need_list
                        break
                    rv = (obj.get("metadata") or {}).get("resourceVersion")
                    if rv:
                        self._rv = str(rv)
                    if etype != "BOOKMARK":
                        self._apply(etype, obj)
            except asyncio.CancelledError:
                raise
            except ApiError as e:
                if e.status == 410:
                    need_list = True
                else:
                    log.warning("watch %s: %s", self.path, e)
                    await asyncio.sleep(1)
            except Exception as e:  # connection reset, server restart: start over
                log.warning("watch %s broke: %r", self.path, e)
                need_list = True
                await asyncio.sleep(0.5)
