"""The scheduler's writes for the one node: bind pods that fit (pods/binding), mark the others
Unschedulable with the scheduler's message. Pods it bound count as placed ("assumed", as in the
real scheduler's cache) until the node's own pod watch shows them, so a pass that runs before the
watch catches up cannot overcommit the node."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from localkube.client.apiclient import ApiClient, ApiError
from localkube.client.informer import key_of
from localkube.kubelet import scheduler, status
from localkube.kubelet.events import EventRecorder

log = logging.getLogger(__name__)

ASSUME_TTL = 30.0  # seconds, as the real scheduler's assumed-pod expiry


def _uid(pod: dict[str, Any]) -> str:
    return str((pod.get("metadata") or {}).get("uid", ""))


class Binder:
    def __init__(
        self,
        client: ApiClient,
        node_name: str,
        allocatable: dict[str, str],
        labels: dict[str, str],
        events: EventRecorder,
        node_spec: Callable[[], dict[str, Any] | None] = lambda: {},
    ):
        self.client = client
        self.node_name = node_name
        self.allocatable = allocatable
        self.labels = labels
        # the node's spec as last seen (taints, cordon); None until it is seen at all
        self.node_spec = node_spec
        self.events = events
        self.assumed: dict[str, tuple[dict[str, Any], float]] = {}
        self.unschedulable_written: dict[str, str] = {}  # uid -> message last written

    async def schedule(self, pending_pods: list[dict[str, Any]], my_pods: list[dict[str, Any]]) -> None:
        node_spec = self.node_spec()
        if node_spec is None:
            return  # the node's watch has not shown it yet: its taints are unknown
        seen = {_uid(p) for p in my_pods}
        now = time.monotonic()
        for uid, (_pod, since) in list(self.assumed.items()):
            # forgotten once the node's watch shows the pod, or when it never does (deleted meanwhile)
            if uid in seen or now - since > ASSUME_TTL:
                del self.assumed[uid]
        bound = [p for p in my_pods if scheduler.occupies_node(p)] + [p for p, _ in self.assumed.values()]
        pending = [
            p
            for p in pending_pods
            if _uid(p) not in self.assumed
            and not (p.get("metadata") or {}).get("deletionTimestamp")
            and (p.get("spec") or {}).get("schedulerName", "default-scheduler") == "default-scheduler"
        ]
        pending.sort(key=lambda p: ((p.get("metadata") or {}).get("creationTimestamp", ""), key_of(p)))
        for pod in pending:
            reasons = scheduler.unfit_reasons(pod, self.allocatable, bound, self.labels, node_spec)
            if not reasons:
                if await self._bind(pod):
                    bound.append(pod)
                    self.assumed[_uid(pod)] = (pod, time.monotonic())
            else:
                await self._unschedulable(pod, scheduler.unschedulable_message(reasons))

    async def _bind(self, pod: dict[str, Any]) -> bool:
        meta = pod.get("metadata") or {}
        ns, name = meta.get("namespace", "default"), meta["name"]
        binding = {
            "apiVersion": "v1",
            "kind": "Binding",
            "metadata": {"name": name, "namespace": ns, "uid": meta.get("uid")},
            "target": {"apiVersion": "v1", "kind": "Node", "name": self.node_name},
        }
        try:
            await self.client.create(f"/api/v1/namespaces/{ns}/pods/{name}/binding", binding)
        except ApiError as e:
            log.info("binding %s/%s: %s", ns, name, e)
            return False
        self.unschedulable_written.pop(_uid(pod), None)
        self.events.emit(pod, "Normal", "Scheduled", f"Successfully assigned {ns}/{name} to {self.node_name}")
        return True

    async def _unschedulable(self, pod: dict[str, Any], message: str) -> None:
        meta = pod.get("metadata") or {}
        ns, name = meta.get("namespace", "default"), meta["name"]
        if self.unschedulable_written.get(_uid(pod)) == message:
            return
        cond = {
            "type": "PodScheduled",
            "status": "False",
            "reason": "Unschedulable",
            "message": message,
            "lastProbeTime": None,
            "lastTransitionTime": status.now(),
        }
        try:
            await self.client.merge_patch(
                f"/api/v1/namespaces/{ns}/pods/{name}/status",
                {"status": {"phase": "Pending", "conditions": [cond]}},
            )
        except ApiError as e:
            log.info("unschedulable status %s/%s: %s", ns, name, e)
            return
        self.unschedulable_written[_uid(pod)] = message
        self.events.emit(pod, "Warning", "FailedScheduling", message)
