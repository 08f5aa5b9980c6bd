"""A pod the node ran before it restarted (pure): what its containers show afterwards.

localkube's node keeps nothing across a crash or restart, like a rebooted machine: the pod's
processes are gone. The API still holds the pod, with the status the node last wrote. As the
kubelet after a reboot: each container that had started ended with exit code 255, reason
"Unknown"; the pod keeps its restart counts, and its containers start again (counted as a
restart) unless restartPolicy is Never, in which case the pod has failed.
"""

from __future__ import annotations

from typing import Any

from localkube.kubelet.status import ContainerView, now

LOST = {"exitCode": 255, "reason": "Unknown"}


def ran_before(pod: dict[str, Any]) -> bool:
    """Whether the pod's status says a node already started its containers."""
    status = pod.get("status") or {}
    return any(
        cs.get("containerID")
        for cs in list(status.get("containerStatuses") or [])
        + list(status.get("initContainerStatuses") or [])
    )


def carry_over(pod: dict[str, Any], views: list[ContainerView], restart_policy: str) -> None:
    """Give the views of a pod that ran before the restart its earlier counts and lost state."""
    earlier = {cs.get("name"): cs for cs in (pod.get("status") or {}).get("containerStatuses") or []}
    finished = now()
    for view in views:
        cs = earlier.get(view.name)
        if not cs or not cs.get("containerID"):
            continue
        state = cs.get("state") or {}
        started = (state.get("running") or state.get("terminated") or {}).get("startedAt")
        lost = {**LOST, "finishedAt": finished, "containerID": cs["containerID"]}
        if started:
            lost["startedAt"] = started
        count = int(cs.get("restartCount") or 0)
        if restart_policy == "Never":
            view.state = {"terminated": lost}
            view.last_state = dict(cs.get("lastState") or {})
            view.restart_count = count
        else:
            view.last_state = {"terminated": lost}
            view.restart_count = count + 1
