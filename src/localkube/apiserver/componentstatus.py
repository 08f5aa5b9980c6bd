"""componentstatuses (v1, deprecated since v1.19 but still served by kube-apiserver v1.37): the
health of the control plane's parts as the API server sees them. Pure.

kube-apiserver probes etcd and the controller-manager's and scheduler's /healthz ports. localkube
has no etcd: its store lives in the API server, so it is healthy whenever this answer is given;
it is reported under etcd-0, the name clients look for. Its controllers and scheduler run in other
processes (the controllers beside `localkube up`, the scheduler in the kubelet) that expose no
health port to the API server: their health is Unknown, and the message says why.
"""

from __future__ import annotations

from typing import Any

_NOT_PROBED = "localkube's {what} exposes no health endpoint to the API server"


def _status(name: str, status: str, message: str) -> dict[str, Any]:
    return {
        "metadata": {"name": name},
        "conditions": [{"type": "Healthy", "status": status, "message": message}],
    }


def statuses() -> list[dict[str, Any]]:
    return [
        _status("controller-manager", "Unknown", _NOT_PROBED.format(what="controller manager")),
        _status("scheduler", "Unknown", _NOT_PROBED.format(what="scheduler (it runs in the kubelet)")),
        _status("etcd-0", "True", "ok"),
    ]


def one(name: str) -> dict[str, Any] | None:
    found = [s for s in statuses() if s["metadata"]["name"] == name]
    return {"kind": "ComponentStatus", "apiVersion": "v1", **found[0]} if found else None


def listed() -> dict[str, Any]:
    return {"kind": "ComponentStatusList", "apiVersion": "v1", "metadata": {}, "items": statuses()}
