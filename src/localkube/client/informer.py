"""List-then-watch caches (the informer pattern) that the kubelet and the controllers share: a local
copy of a set of objects, kept current by one watch, that calls its handlers on every change and
re-lists only when the watch expires (410) or breaks.

Writers may also put their own successful writes into the cache at once (`put`, `drop`) instead of
waiting for the watch to echo them: a ReplicaSet that just created a pod counts it on its very
next sync. Watch events older than what the cache holds are then ignored, so a late echo never
rolls the cache back.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from localkube.client.apiclient import ApiClient, ApiError

log = logging.getLogger(__name__)

Handler = Callable[[str, dict[str, Any]], Awaitable[None] | None]
Keep = Callable[[dict[str, Any]], dict[str, Any]]


def key_of(obj: dict[str, Any]) -> str:
    """`namespace/name`, or `name` for a cluster-scoped object."""
    meta = obj.get("metadata") or {}
    ns = meta.get("namespace")
    return f"{ns}/{meta.get('name')}" if ns else str(meta.get("name"))


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


def _keep_all(obj: dict[str, Any]) -> dict[str, Any]:
    return obj


def with_kind(listing: dict[str, Any]) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """Gives a list's items their kind and apiVersion, as client-go's decoder does: kube-apiserver
    names them once, on a built-in kind's list (`PodList`), not on each item."""
    list_kind = str(listing.get("kind") or "")
    kind = list_kind.removesuffix("List") if list_kind.endswith("List") else ""
    api_version = listing.get("apiVersion")

    def typed(item: dict[str, Any]) -> dict[str, Any]:
        if not kind or ("kind" in item and "apiVersion" in item):
            return item
        return {"apiVersion": api_version, "kind": kind, **item}

    return typed


class Informer:
    """One resource path (optionally filtered by `params`: field and label selectors).

    `keep` trims what is held of each object (a cache of every pod in the cluster must stay small).
    With `resync`, a re-list also hands every unchanged object to the handlers as "SYNC", so a
    controller looks at everything again after a gap in the watch; without it a re-list reports
    only what changed (ADDED, MODIFIED, DELETED), as the kubelet wants.
    """

    def __init__(
        self,
        client: ApiClient,
        path: str,
        params: dict[str, str] | None = None,
        *,
        keep: Keep = _keep_all,
        resync: bool = False,
    ) -> None:
        self.client = client
        self.path = path
        self.params = params or {}
        self.keep = keep
        self.resync = resync
        self.cache: dict[str, dict[str, Any]] = {}
        self.handlers: list[Handler] = []
        self.synced = asyncio.Event()
        self._rv = ""

    def add_handler(self, handler: Handler) -> None:
        self.handlers.append(handler)

    # -------------------------------------------------------------------- reading and write-through

    def get(self, namespace: str, name: str) -> dict[str, Any] | None:
        return self.cache.get(f"{namespace}/{name}" if namespace else name)

    def in_namespace(self, namespace: str) -> list[dict[str, Any]]:
        return [o for o in self.cache.values() if (o.get("metadata") or {}).get("namespace") == namespace]

    def put(self, obj: dict[str, Any]) -> None:
        """Write-through after our own successful write."""
        key = key_of(obj)
        if newer_or_equal(obj, self.cache.get(key)):
            self.cache[key] = self.keep(obj)

    def drop(self, namespace: str, name: str) -> None:
        self.cache.pop(f"{namespace}/{name}" if namespace else name, None)

    # ------------------------------------------------------------------------------ list and watch

    async def _emit(self, event: str, obj: dict[str, Any]) -> None:
        for h in self.handlers:
            try:
                result = h(event, obj)
                if result is not None:
                    await result
            except Exception:
                log.exception("handler for %s %s failed", event, key_of(obj))

    async def _apply(self, etype: str, obj: dict[str, Any]) -> None:
        obj = self.keep(obj)
        key = key_of(obj)
        if etype == "DELETED":
            self.cache.pop(key, None)
        elif newer_or_equal(obj, self.cache.get(key)):
            self.cache[key] = obj
        else:
            return
        await self._emit(etype, obj)

    async def _relist(self) -> None:
        listing = await self.client.get(self.path, params=self.params)
        self._rv = str((listing.get("metadata") or {}).get("resourceVersion") or "")
        typed = with_kind(listing)
        fresh = {key_of(item): self.keep(typed(item)) for item in listing.get("items") or []}
        for key in [k for k in self.cache if k not in fresh]:
            await self._emit("DELETED", self.cache.pop(key))
        for key, item in fresh.items():
            old = self.cache.get(key)
            self.cache[key] = item
            if old is None:
                await self._emit("ADDED", item)
            elif (old.get("metadata") or {}).get("resourceVersion") != (item.get("metadata") or {}).get(
                "resourceVersion"
            ):
                await self._emit("MODIFIED", item)
            elif self.resync:
                await self._emit("SYNC", item)
        self.synced.set()

    async def run(self) -> None:
        need_list = True
        while True:
            try:
                if need_list:
                    await self._relist()
                    need_list = False
                params = {**self.params, "resourceVersion": self._rv, "allowWatchBookmarks": "true"}
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
                        await self._apply(etype, obj)
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
