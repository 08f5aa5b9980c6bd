"""Kubernetes Events for what the node does to pods (Scheduled, Started, Killing, BackOff, ...), so
`kubectl describe pod` and `kubectl get events` tell the story. Fire-and-forget."""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import Any

from localkube.client.apiclient import ApiClient
from localkube.kubelet.status import now

log = logging.getLogger(__name__)


class EventRecorder:
    def __init__(self, client: ApiClient, component: str, host: str):
        self.client = client
        self.component = component
        self.host = host
        self._tasks: set[asyncio.Task[None]] = set()

    def emit(self, pod: dict[str, Any], etype: str, reason: str, message: str, field_path: str = "") -> None:
        meta = pod.get("metadata") or {}
        ns = meta.get("namespace", "default")
        ts = now()
        ref: dict[str, Any] = {
            "kind": "Pod",
            "namespace": ns,
            "name": meta.get("name"),
            "uid": meta.get("uid"),
            "apiVersion": "v1",
        }
        if field_path:
            ref["fieldPath"] = field_path
        body = {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": f"{meta.get('name')}.{uuid.uuid4().hex[:16]}", "namespace": ns},
            "involvedObject": ref,
            "reason": reason,
            "message": message,
            "type": etype,
            "source": {"component": self.component, "host": self.host},
            "reportingComponent": self.component,
            "reportingInstance": self.host,
            "firstTimestamp": ts,
            "lastTimestamp": ts,
            "count": 1,
        }
        task = asyncio.create_task(self._post(ns, body))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _post(self, ns: str, body: dict[str, Any]) -> None:
        try:
            await self.client.create(f"/api/v1/namespaces/{ns}/events", body)
        except Exception as e:  # events are best effort, as in Kubernetes
            log.debug("event not recorded: %r", e)

    async def drain(self) -> None:
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=5)
