"""Kubernetes Events on a RayCluster, as `kubectl describe raycluster` shows them.

Repeats of the same event on the same object within a short window raise the count of the
existing Event (one PATCH) instead of creating another, as client-go's recorder does.
"""

from __future__ import annotations

import logging
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from kuberay.controller.kubeapi import KubeAPI, KubeError
from kubeschema.timestamps import now_time

log = logging.getLogger(__name__)

COMPONENT = "raycluster-controller"
_AGGREGATE_WINDOW_SECONDS = 600.0


@dataclass
class _Seen:
    name: str
    count: int
    at: float


@dataclass
class EventRecorder:
    api: KubeAPI
    component: str = COMPONENT  # KubeRay's recorder name: raycluster-controller, rayjob-controller
    _seen: dict[tuple[str, str, str, str, str], _Seen] = field(default_factory=dict)

    async def record(self, obj: dict[str, Any], type_: str, reason: str, message: str) -> None:
        """Post an Event; failures are logged, never raised: an event must not fail a reconcile."""
        meta = obj["metadata"]
        ns = meta["namespace"]
        key = (ns, meta["name"], meta.get("uid", ""), reason, message)
        seen = self._seen.get(key)
        now = time.monotonic()
        try:
            if seen is not None and now - seen.at < _AGGREGATE_WINDOW_SECONDS:
                seen.count += 1
                seen.at = now
                await self.api.merge_patch(
                    "v1", "Event", ns, seen.name, {"count": seen.count, "lastTimestamp": now_time()}
                )
                return
            stamp = now_time()
            name = f"{meta['name']}.{secrets.token_hex(8)}"
            await self.api.create(
                {
                    "apiVersion": "v1",
                    "kind": "Event",
                    "metadata": {"name": name, "namespace": ns},
                    "involvedObject": {
                        "apiVersion": obj.get("apiVersion", "ray.io/v1"),
                        "kind": obj.get("kind", "RayCluster"),
                        "name": meta["name"],
                        "namespace": ns,
                        "uid": meta.get("uid"),
                        "resourceVersion": meta.get("resourceVersion"),
                    },
                    "reason": reason,
                    "message": message,
                    "type": type_,
                    "count": 1,
                    "firstTimestamp": stamp,
                    "lastTimestamp": stamp,
                    "source": {"component": self.component},
                    "reportingComponent": self.component,
                    "reportingInstance": self.component,
                }
            )
            self._seen[key] = _Seen(name, 1, now)
        except KubeError as err:
            log.warning("could not record event %s on %s/%s: %s", reason, ns, meta["name"], err)
            self._seen.pop(key, None)

    def forget(self, namespace: str, name: str) -> None:
        for key in [k for k in self._seen if k[0] == namespace and k[1] == name]:
            del self._seen[key]

    async def normal(self, obj: dict[str, Any], reason: str, message: str) -> None:
        await self.record(obj, "Normal", reason, message)

    async def warning(self, obj: dict[str, Any], reason: str, message: str) -> None:
        await self.record(obj, "Warning", reason, message)
