"""exec through kr8s (v4.channel.k8s.io, kr8s's only subprotocol): stdout and stderr apart, and
the exit code from the error channel's ExitCode cause. kr8s sends stdin only on v5, which it
never offers, so there is no stdin case here (that is kr8s's limit, on any cluster)."""

from __future__ import annotations

import warnings
from typing import Any

import kr8s
from kr8s.objects import Pod

from support.pods import SHELL, create, wait_ready


def test_exec_through_kr8s(core: Any, cluster: Any) -> None:
    create(core, SHELL)
    wait_ready(core, "shell")
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Kubernetes version", category=UserWarning)
        api = kr8s.api(kubeconfig=str(cluster.kubeconfig))
    pod = Pod.get("shell", namespace="default", api=api)
    done = pod.exec(["sh", "-c", "echo out; echo err >&2"])
    assert (done.stdout, done.stderr, done.returncode) == (b"out\n", b"err\n", 0)
    failed = pod.exec(["sh", "-c", "echo bye; exit 3"], check=False)
    assert (failed.stdout, failed.returncode) == (b"bye\n", 3)
