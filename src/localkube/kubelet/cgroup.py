"""Containers' cgroups, v1 or v2, whichever the host mounts at /sys/fs/cgroup.

A cgroup tracks a pod's processes: every process, however it forks or daemonizes, stays in its
container's cgroup, so stopping a pod reaches all of them; and it enforces a container's CPU and
memory limits. On v1 (these machines) tracking is the freezer hierarchy and the limits are the
cpu and memory hierarchies at the same relative paths; a path here is then always the freezer
path, the others derived from it. On v2 there is one hierarchy: the path is the cgroup, frozen
with cgroup.freeze, limited with cpu.max and memory.max, its OOM kills counted in memory.events.

What each version writes is computed by the pure functions at the top (unit-tested); the I/O
below only carries it out. The v2 path has not run on a v2 host yet (see README).
"""

from __future__ import annotations

import contextlib
import functools
import os
import signal
import time

from localkube.kubelet import names

CFS_PERIOD_US = 100_000
LIMIT_HIERARCHIES = ("cpu", "memory")  # v1 only
UNIFIED = "/sys/fs/cgroup"
V1, V2 = 1, 2
CONTROLLERS = "+cpu +memory"  # what v2 cgroups above a container must pass down

# --------------------------------------------------------------------------------------- pure


def root_for(version: int) -> str:
    """Where localkube's cgroups live: under the v1 freezer hierarchy, or in the v2 tree."""
    return names.CGROUP_ROOT if version == V1 else names.CGROUP_V2_ROOT


def in_hierarchy(path: str, hierarchy: str, version: int = V1) -> str:
    """The same cgroup in another v1 hierarchy: /sys/fs/cgroup/freezer/X -> /sys/fs/cgroup/cpu/X.
    v2 has a single hierarchy: the path itself."""
    if version == V2:
        return path
    freezer = os.path.dirname(names.CGROUP_ROOT)
    return os.path.join(os.path.dirname(freezer), hierarchy, os.path.relpath(path, freezer))


def cfs_quota_us(cpu_cores: float) -> int:
    """The CPU quota per period for a CPU limit (the kernel's minimum is 1 ms), as the kubelet sets it."""
    return max(1000, int(cpu_cores * CFS_PERIOD_US))


def limit_writes(
    version: int, cpu_cores: float | None, memory_bytes: int | None
) -> list[tuple[str, str, str]]:
    """(v1 hierarchy or "" on v2, file, content) to write for a container's limits."""
    out: list[tuple[str, str, str]] = []
    if version == V1:
        if cpu_cores is not None:
            out.append(("cpu", "cpu.cfs_period_us", str(CFS_PERIOD_US)))
            out.append(("cpu", "cpu.cfs_quota_us", str(cfs_quota_us(cpu_cores))))
        if memory_bytes is not None:
            out.append(("memory", "memory.limit_in_bytes", str(memory_bytes)))
        return out
    if cpu_cores is not None:
        out.append(("", "cpu.max", f"{cfs_quota_us(cpu_cores)} {CFS_PERIOD_US}"))
    if memory_bytes is not None:
        out.append(("", "memory.max", str(memory_bytes)))
    return out


def oom_file(version: int) -> tuple[str, str]:
    """(v1 hierarchy or "", file) whose `oom_kill N` line counts the OOM killer's kills."""
    return ("memory", "memory.oom_control") if version == V1 else ("", "memory.events")


def oom_kills(text: str) -> int:
    """The `oom_kill` count of memory.oom_control (v1) or memory.events (v2): both are
    `key value` lines."""
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == "oom_kill" and parts[1].isdigit():
            return int(parts[1])
    return 0


def freeze_write(version: int, frozen: bool) -> tuple[str, str]:
    """(file, content) that freezes or thaws a cgroup."""
    if version == V1:
        return "freezer.state", "FROZEN" if frozen else "THAWED"
    return "cgroup.freeze", "1" if frozen else "0"


def delegating_ancestors(path: str) -> list[str]:
    """v2: the cgroups from the unified root down to `path`'s parent, each of which must list cpu
    and memory in cgroup.subtree_control for `path` to have them."""
    rel = os.path.relpath(os.path.dirname(path), UNIFIED)
    if rel == "." or rel.startswith(".."):
        return [UNIFIED] if rel == "." else []
    out = [UNIFIED]
    for part in rel.split(os.sep):
        out.append(os.path.join(out[-1], part))
    return out


def container_mounts(version: int, path: str) -> list[tuple[str, str]]:
    """(target in the container, host source) that show a container its own limits where programs
    look for them (Ray reads cpu.cfs_quota_us and memory.limit_in_bytes on v1, cpu.max and
    memory.max on v2)."""
    if version == V2:
        return [(UNIFIED, path)]
    return [(f"{UNIFIED}/{h}", in_hierarchy(path, h)) for h in LIMIT_HIERARCHIES]


# ---------------------------------------------------------------------------------------- I/O


@functools.cache
def host_version() -> int:
    """v2 when /sys/fs/cgroup is the unified hierarchy (it then has cgroup.controllers)."""
    return V2 if os.path.exists(os.path.join(UNIFIED, "cgroup.controllers")) else V1


def root() -> str:
    return root_for(host_version())


def all_paths(path: str) -> list[str]:
    """The cgroup in every hierarchy this host has (the tracking one first), for a process to join."""
    if host_version() == V2:
        return [path]
    out = [path]
    for h in LIMIT_HIERARCHIES:
        if os.path.isdir(in_hierarchy(os.path.dirname(names.CGROUP_ROOT), h)):
            out.append(in_hierarchy(path, h))
    return out


def _write(path: str, content: str) -> None:
    with open(path, "w") as f:
        f.write(content)


def set_limits(path: str, cpu_cores: float | None, memory_bytes: int | None) -> None:
    version = host_version()
    for hierarchy, name, content in limit_writes(version, cpu_cores, memory_bytes):
        _write(os.path.join(in_hierarchy(path, hierarchy, version) if hierarchy else path, name), content)


def oom_killed(path: str) -> bool:
    """Whether the kernel's OOM killer killed a process of this cgroup."""
    version = host_version()
    hierarchy, name = oom_file(version)
    try:
        with open(os.path.join(in_hierarchy(path, hierarchy, version), name)) as f:
            return oom_kills(f.read()) > 0
    except OSError:
        return False


def mounts_for(path: str) -> list[tuple[str, str]]:
    """container_mounts for this host, only those whose source exists."""
    return [(t, s) for t, s in container_mounts(host_version(), path) if os.path.isdir(s)]


def available() -> bool:
    parent = os.path.dirname(root())
    return os.path.isdir(parent) and os.access(parent, os.W_OK)


def path_for(pod_uid: str, container: str) -> str:
    return os.path.join(root(), pod_uid, container)


def sandbox_path_for(pod_uid: str) -> str:
    """The pod init's cgroup: beside the pod's, so the pod's cgroup empties when its containers end."""
    return os.path.join(root(), f"{pod_uid}.init")


def create(path: str) -> None:
    if host_version() == V2:
        # a v2 cgroup has only the controllers its parent passes down; localkube's own cgroups
        # hold no processes, so passing them down is allowed (the "no internal processes" rule)
        for ancestor in delegating_ancestors(path):
            os.makedirs(ancestor, exist_ok=True)
            with contextlib.suppress(OSError):  # a controller the host does not delegate: no limit
                _write(os.path.join(ancestor, "cgroup.subtree_control"), CONTROLLERS)
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


def _set_frozen(path: str, frozen: bool) -> None:
    name, content = freeze_write(host_version(), frozen)
    with contextlib.suppress(OSError):
        _write(os.path.join(path, name), content)


def kill_all(path: str) -> None:
    """SIGKILL everything in the cgroup; frozen first so nothing forks away meanwhile."""
    if not os.path.isdir(path):
        return
    _set_frozen(path, True)
    signal_all(path, signal.SIGKILL)
    _set_frozen(path, False)


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
    remove(root())
