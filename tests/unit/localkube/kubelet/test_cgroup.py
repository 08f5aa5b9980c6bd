"""What the kubelet writes to enforce a container's limits and to read its OOM kills, on cgroup v1
(these machines) and v2 (hosts with the unified hierarchy), as the real kubelet writes them."""

from __future__ import annotations

from localkube.kubelet import cgroup
from localkube.kubelet.cgroup import V1, V2


def test_v1_limits_are_cfs_quota_and_limit_in_bytes() -> None:
    assert cgroup.limit_writes(V1, 0.5, 256 * 1024 * 1024) == [
        ("cpu", "cpu.cfs_period_us", "100000"),
        ("cpu", "cpu.cfs_quota_us", "50000"),
        ("memory", "memory.limit_in_bytes", "268435456"),
    ]


def test_v2_limits_are_cpu_max_and_memory_max() -> None:
    # cpu.max is "$QUOTA $PERIOD", the kubelet's runc translation of the same CFS quota
    assert cgroup.limit_writes(V2, 2, 1 << 30) == [
        ("", "cpu.max", "200000 100000"),
        ("", "memory.max", "1073741824"),
    ]
    # the kernel's minimum quota is 1 ms, on both
    assert cgroup.limit_writes(V2, 0.001, None) == [("", "cpu.max", "1000 100000")]
    assert cgroup.limit_writes(V1, 0.001, None)[1] == ("cpu", "cpu.cfs_quota_us", "1000")
    # no limits, nothing written
    assert cgroup.limit_writes(V2, None, None) == [] == cgroup.limit_writes(V1, None, None)


def test_oom_kills_read_from_either_file() -> None:
    v1_oom_control = "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n"
    v2_memory_events = "low 0\nhigh 0\nmax 14\noom 1\noom_kill 1\noom_group_kill 0\n"
    assert cgroup.oom_kills(v1_oom_control) == 2
    assert cgroup.oom_kills(v2_memory_events) == 1
    assert cgroup.oom_kills("oom 3\n") == 0  # an OOM event without a kill is not OOMKilled
    assert cgroup.oom_file(V1) == ("memory", "memory.oom_control")
    assert cgroup.oom_file(V2) == ("", "memory.events")


def test_freezing() -> None:
    assert cgroup.freeze_write(V1, True) == ("freezer.state", "FROZEN")
    assert cgroup.freeze_write(V1, False) == ("freezer.state", "THAWED")
    assert cgroup.freeze_write(V2, True) == ("cgroup.freeze", "1")
    assert cgroup.freeze_write(V2, False) == ("cgroup.freeze", "0")


def test_where_cgroups_live() -> None:
    assert cgroup.root_for(V1) == "/sys/fs/cgroup/freezer/localkube"
    assert cgroup.root_for(V2) == "/sys/fs/cgroup/localkube"
    v1 = "/sys/fs/cgroup/freezer/localkube/uid/c"
    assert cgroup.in_hierarchy(v1, "memory") == "/sys/fs/cgroup/memory/localkube/uid/c"
    v2 = "/sys/fs/cgroup/localkube/uid/c"
    assert cgroup.in_hierarchy(v2, "memory", V2) == v2


def test_v2_controllers_are_passed_down_from_the_root() -> None:
    assert cgroup.delegating_ancestors("/sys/fs/cgroup/localkube/uid/c") == [
        "/sys/fs/cgroup",
        "/sys/fs/cgroup/localkube",
        "/sys/fs/cgroup/localkube/uid",
    ]
    assert cgroup.delegating_ancestors("/sys/fs/cgroup/localkube") == ["/sys/fs/cgroup"]


def test_a_container_sees_its_own_limits_where_ray_reads_them() -> None:
    assert cgroup.container_mounts(V1, "/sys/fs/cgroup/freezer/localkube/u/c") == [
        ("/sys/fs/cgroup/cpu", "/sys/fs/cgroup/cpu/localkube/u/c"),
        ("/sys/fs/cgroup/memory", "/sys/fs/cgroup/memory/localkube/u/c"),
    ]
    assert cgroup.container_mounts(V2, "/sys/fs/cgroup/localkube/u/c") == [
        ("/sys/fs/cgroup", "/sys/fs/cgroup/localkube/u/c")
    ]

