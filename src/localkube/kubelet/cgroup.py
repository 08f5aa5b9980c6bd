"""Process tracking with the v1 freezer cgroup: every process of a pod, however it forks or
daemonizes, stays in its container's cgroup, so stopping a pod reaches all of them."""

from __future__ import annotations

import contextlib
import os
import signal
import time

from localkube.kubelet import names

CGROUP_ROOT = names.CGROUP_ROOT


def available() -> bool:
    parent = os.path.dirname(names.CGROUP_ROOT)
    return os.path.isdir(parent) and os.access(parent, os.W_OK)


def path_for(pod_uid: str, container: str) -> str:
    return os.path.join(names.CGROUP_ROOT, pod_uid, container)


def sandbox_path_for(pod_uid: str) -> str:
    """The pod init's cgroup: beside the pod's, so the pod's cgroup empties when its containers end."""
    return os.path.join(names.CGROUP_ROOT, f"{pod_uid}.init")


def create(path: str) -> None:
    os.makedirs(path, exist_ok=True)


def pids(path: str) -> list[int]:
    """Every pid in the cgroup and its children."""
    out: list[int] = []
    if not os.path.isdir(path):
        return out
    for dirpath, _dirs, _files in os.walk(path):
        with contextlib.suppress(OSError), open(os.path.join(dirpath, "cgroup.procs")) as f:
            out.extend(int(line) for line in f if line.strip())
    return out


def signal_all(path: str, sig: int) -> None:
    for pid in pids(path):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)


def _set_state(path: str, state: str) -> None:
    with contextlib.suppress(OSError), open(os.path.join(path, "freezer.state"), "w") as f:
        f.write(state)


def kill_all(path: str) -> None:
    """SIGKILL everything in the cgroup; frozen first so nothing forks away meanwhile."""
    if not os.path.isdir(path):
        return
    _set_state(path, "FROZEN")
    signal_all(path, signal.SIGKILL)
    _set_state(path, "THAWED")


def remove(path: str, timeout: float = 5.0) -> None:
    """Kill what is left and remove the cgroup tree (children first)."""
    if not os.path.isdir(path):
        return
    deadline = time.monotonic() + timeout
    while True:
        kill_all(path)
        if not pids(path) or time.monotonic() > deadline:
            break
        time.sleep(0.02)
    for dirpath, _dirs, _files in sorted(os.walk(path), key=lambda t: -len(t[0])):
        with contextlib.suppress(OSError):
            os.rmdir(dirpath)


def remove_all() -> None:
    remove(names.CGROUP_ROOT)
