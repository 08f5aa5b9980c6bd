"""Where a test that passes on localkube fails against the real Kubernetes control plane
(`--control-plane kubernetes`), and why. Each entry is either a localkube difference still to fix
(real Kubernetes is right) or a test that assumes localkube's timing; they run as expected
failures (xfail) there so the rest of the suite guards the real control plane, and the list is
the work that remains (docs/referees.md)."""

from __future__ import annotations

# test node id (relative to the repository) or its prefix -> why it differs
KNOWN_DIFFERENCES: dict[str, str] = {
    "tests/integration/localkube/test_proxy.py::test_kubectl_logs_and_exec": (
        "the test's stand-in kubelet takes exec over WebSocket only; kube-apiserver speaks SPDY to "
        "kubelets (localkube's real kubelet takes both: tests/e2e/referees)"
    ),
}


def known_difference(nodeid: str) -> str | None:
    for prefix, why in KNOWN_DIFFERENCES.items():
        if nodeid.startswith(prefix):
            return why
    return None
