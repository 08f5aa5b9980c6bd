"""What a pod can and cannot reach, proven from inside pods: not the host's files through pid 1,
not localkube's state (PKI, kubeconfig, other pods' tokens), and only the capabilities, user and
privileges its securityContext allows."""

from __future__ import annotations

from typing import Any

from localkube.kubelet import security
from localkube.kubelet.testing import Cluster
from support.pods import container_status, create, sleeper, wait_for, wait_ready

POD = sleeper("NAME")


def _mask(caps: set[str]) -> int:
    return sum(1 << security.CAP_NUMBER[c] for c in caps)


def _sh(kubectl: Any, pod: str, script: str) -> Any:
    return kubectl("exec", pod, "--", "sh", "-c", script, timeout=90)


def test_a_pod_reaches_no_other_pods_files_and_no_localkube_state(
    core: Any, kubectl: Any, cluster: Cluster
) -> None:
    create(core, POD.replace("NAME", "victim"))
    create(core, POD.replace("NAME", "nosy"))
    wait_ready(core, "victim")
    wait_ready(core, "nosy")
    token = "/var/run/secrets/kubernetes.io/serviceaccount/token"
    assert _sh(kubectl, "victim", f"cat {token}").stdout.count(".") == 2
    victim_files = sorted(cluster.data_dir.glob("kubelet/pods/*/volumes/**/token"))
    assert victim_files, "the kubelet keeps pods' tokens under its state dir"
    secrets = [str(cluster.kubeconfig), str(cluster.ca_cert), *map(str, victim_files)]
    # every path directly, and through pid 1 (the pod's init, which lives on the host)
    attempts = " ".join(f"{p} /proc/1/root{p}" for p in secrets)
    out = _sh(kubectl, "nosy", f"for f in {attempts}; do cat $f >/dev/null 2>&1 && echo READ $f; done; "
              "ls /proc/*/root/ 2>/dev/null | grep -c . ; true")  # fmt: skip
    assert "READ" not in out.stdout, out.stdout
    others = _sh(kubectl, "nosy", "ls /proc | grep -c '^[0-9]'")
    assert int(others.stdout) < 10, "a pod sees processes beyond its own"


SECURED = """
kind: Pod
apiVersion: v1
metadata: {name: secured}
spec:
  terminationGracePeriodSeconds: 1
  securityContext: {runAsUser: 1000, runAsGroup: 3000, fsGroup: 2000}
  containers:
  - name: main
    image: busybox
    command: [sleep, infinity]
    securityContext:
      allowPrivilegeEscalation: false
      readOnlyRootFilesystem: true
      capabilities: {drop: [ALL], add: [NET_BIND_SERVICE]}
    volumeMounts: [{name: scratch, mountPath: /scratch}]
  volumes: [{name: scratch, emptyDir: {}}]
"""


def test_security_context_is_enforced(core: Any, kubectl: Any) -> None:
    create(core, POD.replace("NAME", "plain"))
    create(core, SECURED)
    wait_ready(core, "plain")
    wait_ready(core, "secured")
    plain = _sh(kubectl, "plain", "id -u; grep CapBnd /proc/self/status; grep NoNewPrivs /proc/self/status")
    uid, capbnd, nnp = plain.stdout.splitlines()
    assert uid == "0"
    assert int(capbnd.split()[1], 16) == _mask(set(security.DEFAULT_CAPS)), capbnd
    assert nnp.split()[1] == "0"
    script = (
        "id -u; id -g; id -G; grep CapBnd /proc/self/status; grep NoNewPrivs /proc/self/status; "
        "touch /etc/x 2>&1; touch /scratch/ok && echo wrote"
    )
    out = _sh(kubectl, "secured", script)
    lines = out.stdout.splitlines()
    assert lines[0] == "1000" and lines[1] == "3000" and "2000" in lines[2].split(), lines
    assert int(lines[3].split()[1], 16) == _mask({"NET_BIND_SERVICE"}), lines[3]
    assert lines[4].split()[1] == "1"
    assert "Read-only file system" in out.stdout or "Permission denied" in out.stdout, out.stdout
    assert lines[-1] == "wrote"


def test_run_as_non_root_without_a_user_does_not_start(core: Any) -> None:
    create(core, POD.replace("NAME", "nonroot").replace(
        "spec:\n", "spec:\n  securityContext: {runAsNonRoot: true}\n", 1))  # fmt: skip

    def reason() -> Any:
        cs = container_status(core.read_namespaced_pod("nonroot", "default"), "main")
        return cs and cs.state.waiting and cs.state.waiting.reason == "CreateContainerConfigError" and cs

    cs = wait_for("CreateContainerConfigError", reason, timeout=60)
    assert "runAsNonRoot" in cs.state.waiting.message
