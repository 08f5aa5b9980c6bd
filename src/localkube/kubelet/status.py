"""Pod status from the node's view of its containers (pure), following the kubelet's rules for
phase, conditions and QoS class."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kubeschema.timestamps import now_time as now


@dataclass
class ContainerView:
    """What the node knows about one container; state/last_state are Kubernetes ContainerState dicts."""

    name: str
    image: str
    state: dict[str, Any] = field(default_factory=lambda: {"waiting": {"reason": "ContainerCreating"}})
    last_state: dict[str, Any] = field(default_factory=dict)
    restart_count: int = 0
    ready: bool = False
    started: bool = False
    container_id: str = ""

    def to_status(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "image": self.image,
            "imageID": "",
            "state": self.state,
            "lastState": self.last_state,
            "ready": self.ready,
            "restartCount": self.restart_count,
            "started": self.started,
        }
        if self.container_id:
            out["containerID"] = self.container_id
        return out


def phase(restart_policy: str, init_failed: bool, initialized: bool, containers: list[ContainerView]) -> str:
    if init_failed and restart_policy == "Never":
        return "Failed"
    if not initialized:
        return "Pending"
    waiting = running = stopped = succeeded = 0
    for c in containers:
        if "running" in c.state:
            running += 1
        elif "terminated" in c.state:
            stopped += 1
            if c.state["terminated"].get("exitCode") == 0:
                succeeded += 1
        elif c.last_state.get("terminated"):
            stopped += 1
        else:
            waiting += 1
    if waiting > 0:
        return "Pending"
    if running > 0:
        return "Running"
    if stopped > 0:
        if restart_policy == "Always":
            return "Running"
        if stopped == succeeded:
            return "Succeeded"
        if restart_policy == "Never":
            return "Failed"
        return "Running"
    return "Pending"


def qos_class(pod: dict[str, Any]) -> str:
    spec = pod.get("spec") or {}
    containers = list(spec.get("containers") or []) + list(spec.get("initContainers") or [])
    any_set = False
    guaranteed = True
    for c in containers:
        res = c.get("resources") or {}
        req = res.get("requests") or {}
        lim = res.get("limits") or {}
        if req or lim:
            any_set = True
        for r in ("cpu", "memory"):
            if r not in lim or (r in req and str(req[r]) != str(lim[r])):
                guaranteed = False
    if not any_set:
        return "BestEffort"
    return "Guaranteed" if guaranteed else "Burstable"


def _condition(
    ctype: str, ok: bool, previous: dict[str, dict[str, Any]], reason: str = "", message: str = ""
) -> dict[str, Any]:
    status = "True" if ok else "False"
    prev = previous.get(ctype)
    since = prev["lastTransitionTime"] if prev and prev.get("status") == status else now()
    cond: dict[str, Any] = {
        "type": ctype,
        "status": status,
        "lastProbeTime": None,
        "lastTransitionTime": since,
    }
    if not ok and reason:
        cond["reason"] = reason
    if not ok and message:
        cond["message"] = message
    return cond


@dataclass
class PodView:
    pod_ip: str
    host_ip: str
    start_time: str
    sandbox_ready: bool
    initialized: bool
    init_failed: bool
    init_containers: list[ContainerView]
    containers: list[ContainerView]
    message: str = ""
    reason: str = ""


def pod_status(pod: dict[str, Any], view: PodView) -> dict[str, Any]:
    spec = pod.get("spec") or {}
    old = pod.get("status") or {}
    previous = {c["type"]: c for c in old.get("conditions") or [] if "type" in c}
    ph = phase(spec.get("restartPolicy") or "Always", view.init_failed, view.initialized, view.containers)
    incomplete = [
        c.name
        for c in view.init_containers
        if not ("terminated" in c.state and c.state["terminated"].get("exitCode") == 0)
    ]
    unready = [c.name for c in view.containers if not c.ready]
    done = ph in ("Succeeded", "Failed")
    ready_reason = "PodCompleted" if done else "ContainersNotReady"
    unready_msg = "" if done else f"containers with unready status: [{' '.join(unready)}]"
    conditions = [
        _condition("PodReadyToStartContainers", view.sandbox_ready and not done, previous),
        _condition(
            "Initialized",
            view.initialized,
            previous,
            "ContainersNotInitialized",
            f"containers with incomplete status: [{' '.join(incomplete)}]",
        ),
        _condition("Ready", not unready and not done, previous, ready_reason, unready_msg),
        _condition("ContainersReady", not unready and not done, previous, ready_reason, unready_msg),
        previous.get("PodScheduled") or _condition("PodScheduled", True, previous),
    ]
    status: dict[str, Any] = {
        "phase": ph,
        "conditions": conditions,
        "hostIP": view.host_ip,
        "hostIPs": [{"ip": view.host_ip}],
        "startTime": view.start_time,
        "qosClass": qos_class(pod),
        "containerStatuses": [c.to_status() for c in view.containers],
    }
    if view.pod_ip:
        status["podIP"] = view.pod_ip
        status["podIPs"] = [{"ip": view.pod_ip}]
    if view.init_containers:
        status["initContainerStatuses"] = [c.to_status() for c in view.init_containers]
    if view.reason:
        status["reason"] = view.reason
    if view.message:
        status["message"] = view.message
    return status


def without_times(status: dict[str, Any]) -> Any:
    """The status with transition times dropped, to decide whether a write is needed."""
    if isinstance(status, dict):
        return {
            k: without_times(v) for k, v in status.items() if k not in ("lastTransitionTime", "lastProbeTime")
        }
    if isinstance(status, list):
        return [without_times(v) for v in status]
    return status
