"""cgroups v1. The freezer hierarchy tracks processes: every process of a pod, however it forks or
daemonizes, stays in its container's cgroup, so stopping a pod reaches all of them. The cpu and
memory hierarchies (same relative paths) enforce a container's limits. A path here is always the
freezer path; the others are derived from it."""

from __future__ import annotations

import contextlib
import os
import signal
import time

from localkube.kubelet import names

CGROUP_ROOT = names.CGROUP_ROOT


CFS_PERIOD_US = 100_000
LIMIT_HIERARCHIES = ("cpu", "memory")


def in_hierarchy(path: str, hierarchy: str) -> str:
    """The same cgroup in another v1 hierarchy: /sys/fs/cgroup/freezer/X -> /sys/fs/cgroup/cpu/X."""
    freezer = os.path.dirname(names.CGROUP_ROOT)
    return os.path.join(os.path.dirname(freezer), hierarchy, os.path.relpath(path, freezer))


def all_paths(path: str) -> list[str]:
    """The cgroup in every hierarchy this host has (freezer first), for a process to join."""
    out = [path]
    for h in LIMIT_HIERARCHIES:
        if os.path.isdir(in_hierarchy(os.path.dirname(names.CGROUP_ROOT), h)):
            out.append(in_hierarchy(path, h))
    return out


def cfs_quota_us(cpu_cores: float) -> int:
    """cpu.cfs_quota_us for a CPU limit (the kernel's minimum quota is 1 ms), as the kubelet sets it."""
    return max(1000, int(cpu_cores * CFS_PERIOD_US))


def set_limits(path: str, cpu_cores: float | None, memory_bytes: int | None) -> None:
    if cpu_cores is not None:
        cpu = in_hierarchy(path, "cpu")
        with open(os.path.join(cpu, "cpu.cfs_period_us"), "w") as f:
            f.write(str(CFS_PERIOD_US))
        with open(os.path.join(cpu, "cpu.cfs_quota_us"), "w") as f:
            f.write(str(cfs_quota_us(cpu_cores)))
    if memory_bytes is not None:
        with open(os.path.join(in_hierarchy(path, "memory"), "memory.limit_in_bytes"), "w") as f:
            f.write(str(memory_bytes))


def oom_killed(path: str) -> bool:
    """Whether the kernel's OOM killer killed a process of this cgroup (memory.oom_control)."""
    try:
        with open(os.path.join(in_hierarchy(path, "memory"), "memory.oom_control")) as f:
            fields = dict(line.split() for line in f if len(line.split()) == 2)
    except OSError:
        return False
    return int(fields.get("oom_kill", "0")) > 0


def available() -> bool:
    parent = os.path.dirname(names.CGROUP_ROOT)
    return os.path.isdir(parent) and os.access(parent, os.W_OK)


def path_for(pod_uid: str, container: str) -> str:
    return os.path.join(names.CGROUP_ROOT, pod_uid, container)


def sandbox_path_for(pod_uid: str) -> str:
    """The pod init's cgroup: beside the pod's, so the pod's cgroup empties when its containers end."""
    return os.path.join(names.CGROUP_ROOT, f"{pod_uid}.init")


def create(path: str) -> None:
    for p in all_paths(path):
        os.makedirs(p, exist_ok=True)


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
    for tree in all_paths(path):
        for dirpath, _dirs, _files in sorted(os.walk(tree), key=lambda t: -len(t[0])):
            with contextlib.suppress(OSError):
                os.rmdir(dirpath)


def remove_all() -> None:
    remove(names.CGROUP_ROOT)
