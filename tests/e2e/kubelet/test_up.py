"""`localkube up`: the node runs beside the API server; SIGTERM leaves nothing behind, and a run
after a crash (SIGKILL) removes what the crashed one left."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from localkube.kubelet import cleanup
from localkube.kubelet.nodelock import NodeLock
from support.pods import wait_for

LOCALKUBE = str(Path(sys.executable).parent / "localkube")
KUBECTL = str(Path(sys.executable).parent / "kubectl")


def _up(data: Path) -> subprocess.Popen[str]:
    # output to a file: an unread pipe would fill up and stall the server
    with (data.parent / "localkube.log").open("a") as log:
        return subprocess.Popen(
            [LOCALKUBE, "up", "--dir", str(data), "--port", "0", "--node-cpu", "8", "--node-memory", "16Gi"],
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )


def _kubectl(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [KUBECTL, "--kubeconfig", str(data / "kubeconfig"), *args], capture_output=True, text=True, timeout=60
    )


def _stop(proc: subprocess.Popen[str]) -> None:
    """Kill `localkube up` if it is still running (a test that failed before it stopped it)."""
    if proc.poll() is None:
        proc.kill()
        proc.wait()


def _node_ready(data: Path) -> None:
    wait_for("kubeconfig", lambda: (data / "kubeconfig").exists(), timeout=60)
    wait_for(
        "node", lambda: "Ready" in _kubectl(data, "get", "nodes").stdout, timeout=900
    )  # may wait for the node lock


def _assert_nothing_left(data: Path) -> None:
    # checked under the node lock: another node (another test run) may start right after ours
    lock = NodeLock()
    lock.acquire()
    try:
        left = cleanup.leftovers(data)
    finally:
        lock.release()
    assert left.empty(), left


def _start_pod(data: Path) -> None:
    _node_ready(data)
    r = _kubectl(data, "run", "sleeper", "--image=busybox", "--", "sleep", "300")
    assert r.returncode == 0, r.stderr
    try:
        wait_for("running", lambda: "Running" in _kubectl(data, "get", "pod", "sleeper").stdout, timeout=60)
    except AssertionError:
        r = _kubectl(data, "describe", "pod", "sleeper")
        print(r.stdout, r.stderr)
        raise


def test_sigterm_stops_every_pod_and_removes_our_network(host_clean_unlocked: Path) -> None:
    proc = _up(host_clean_unlocked)
    try:
        _start_pod(host_clean_unlocked)
        cap = _kubectl(
            host_clean_unlocked, "get", "node", "localkube", "-o", "jsonpath={.status.capacity.cpu}"
        ).stdout
        assert cap == "8"
        assert cleanup.leftovers(host_clean_unlocked).pids
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=120) == 0
    finally:
        _stop(proc)
    _assert_nothing_left(host_clean_unlocked)


STUBBORN = """
kind: Pod
apiVersion: v1
metadata: {name: stubborn}
spec:
  terminationGracePeriodSeconds: 600
  initContainers:
  - name: ignores-sigterm
    image: busybox
    command: [sh, -c, "trap '' TERM; while true; do sleep 1; done"]
  containers:
  - {name: main, image: busybox, command: [sleep, infinity]}
"""


def test_sigterm_stops_localkube_whatever_its_pods_do(host_clean_unlocked: Path) -> None:
    proc = _up(host_clean_unlocked)
    try:
        _node_ready(host_clean_unlocked)
        r = subprocess.run(
            [KUBECTL, "--kubeconfig", str(host_clean_unlocked / "kubeconfig"), "apply", "-f", "-"],
            input=STUBBORN, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert r.returncode == 0, r.stderr
        wait_for(
            "init container running",
            lambda: "Init:0/1" in _kubectl(host_clean_unlocked, "get", "pod", "stubborn").stdout,
            timeout=60,
        )
        proc.send_signal(signal.SIGTERM)
        # a hang guard: the node gives pods at most a few seconds when it shuts down
        assert proc.wait(timeout=90) == 0
    finally:
        _stop(proc)
    _assert_nothing_left(host_clean_unlocked)


def test_a_run_after_a_crash_removes_what_the_crashed_run_left(host_clean_unlocked: Path) -> None:
    """...and, as a rebooted node, starts the kept pods again (restartPolicy Always) or reports them
    failed (Never)."""
    first = _up(host_clean_unlocked)
    try:
        _start_pod(host_clean_unlocked)
        r = _kubectl(
            host_clean_unlocked, "run", "once", "--restart=Never", "--image=busybox", "--", "sleep", "300"
        )
        assert r.returncode == 0, r.stderr
        wait_for("running", lambda: "Running" in _kubectl(host_clean_unlocked, "get", "pod", "once").stdout)
    finally:
        first.kill()
        first.wait()
    left = cleanup.leftovers(host_clean_unlocked)
    assert left.pids and left.netns  # the crash left its pod running
    (host_clean_unlocked / "kubeconfig").unlink()
    second = _up(host_clean_unlocked)
    try:
        _node_ready(host_clean_unlocked)
        now = cleanup.leftovers(host_clean_unlocked)
        assert not set(now.pids) & set(left.pids)

        def status(name: str) -> dict[str, Any]:
            out = _kubectl(host_clean_unlocked, "get", "pod", name, "-o", "json").stdout
            return dict(json.loads(out).get("status") or {}) if out else {}

        def restarted() -> dict[str, Any] | None:
            s = status("sleeper")
            cs = (s.get("containerStatuses") or [{}])[0]
            return (
                s if s.get("phase") == "Running" and cs.get("ready") and cs.get("restartCount") == 1 else None
            )

        sleeper = wait_for("sleeper running again", restarted, timeout=120)
        lost = sleeper["containerStatuses"][0]["lastState"]["terminated"]
        assert (lost["exitCode"], lost["reason"]) == (255, "Unknown")
        once = wait_for("once failed", lambda: status("once").get("phase") == "Failed" and status("once"))
        ended = once["containerStatuses"][0]["state"]["terminated"]
        assert (ended["exitCode"], ended["reason"]) == (255, "Unknown")
        second.send_signal(signal.SIGINT)
        assert second.wait(timeout=120) == 0
    finally:
        _stop(second)


def test_a_second_node_says_it_waits_for_the_first_and_stops_on_ctrl_c(host_clean: Path) -> None:
    """This test holds the node lock (host_clean) as another `localkube up` would: the new one says
    why its pods would stay Pending, and Ctrl-C while it waits stops it (it used to wait on)."""
    proc = _up(host_clean)
    log = host_clean.parent / "localkube.log"
    try:
        wait_for(
            "the waiting notice",
            lambda: f"another localkube node runs on this machine (pid {os.getpid()}" in log.read_text(),
            timeout=60,
        )
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0
    finally:
        _stop(proc)
