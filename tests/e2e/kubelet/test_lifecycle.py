"""Lifecycle hooks and graceful deletion: postStart before the container counts as started, preStop
before SIGTERM, SIGKILL after the grace period for processes that ignore SIGTERM."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from localkube.kubelet import cleanup
from support.pods import create, wait_for, wait_ready


def test_hooks_and_graceful_deletion(core: Any, kubectl: Any, cluster: Any) -> None:
    marker = cluster.data_dir / "prestop-ran"
    create(
        core,
        f"""
kind: Pod
apiVersion: v1
metadata: {{name: graceful}}
spec:
  terminationGracePeriodSeconds: 3
  containers:
  - name: main
    image: busybox
    command: [sh, -c, "trap 'echo got TERM >> /out/log' TERM; while true; do sleep 0.1; done"]
    lifecycle:
      postStart:
        exec: {{command: [sh, -c, "echo poststart > /tmp/poststart"]}}
      preStop:
        exec: {{command: [sh, -c, "echo prestop >> /out/log"]}}
    volumeMounts: [{{name: out, mountPath: /out}}]
  - name: stubborn
    image: busybox
    command: [sh, -c, "trap '' TERM; sleep 1000 & wait; sleep 1000"]
  volumes: [{{name: out, hostPath: {{path: {marker.parent}}}}}]
""".replace("/out/log", f"/out/{marker.name}"),
    )
    wait_ready(core, "graceful")
    assert kubectl("exec", "graceful", "-c", "main", "--", "cat", "/tmp/poststart").stdout == "poststart\n"
    r = kubectl("delete", "pod", "graceful", timeout=60)
    assert r.returncode == 0, r.stderr
    # preStop ran, then SIGTERM reached the shell
    assert Path(marker).read_text().splitlines() == ["prestop", "got TERM"]
    # the stubborn container ignored SIGTERM: SIGKILL after the grace period ended it too
    wait_for("no pod process", lambda: not cleanup.leftovers().pids, timeout=10)
