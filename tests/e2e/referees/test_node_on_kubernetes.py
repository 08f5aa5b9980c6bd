"""localkube's kubelet as an ordinary node of the real Kubernetes control plane (built by
tools/referees/build): the real scheduler binds its pods, the real apiserver allocates ClusterIPs
and signs service-account tokens, the real controller-manager writes EndpointSlices."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from localkube.kubelet.testing import Cluster, running_cluster
from support.pods import FRONTEND, WEB, create, python_run, wait_for, wait_phase, wait_ready

# Fails (and the pod with it) unless the Service answers by name and the pod's projected token
# is one the real apiserver accepts: the default ServiceAccount may not read pods, so 403, not 401.
CLIENT_SCRIPT = """
import ssl, urllib.request, urllib.error
sa = '/var/run/secrets/kubernetes.io/serviceaccount/'
assert urllib.request.urlopen('http://frontend/', timeout=5).read().decode().strip() == 'served-by-web'
ctx = ssl.create_default_context(cafile=sa + 'ca.crt')
req = urllib.request.Request('https://kubernetes.default.svc/api/v1/namespaces/default/pods',
                             headers={'Authorization': 'Bearer ' + open(sa + 'token').read()})
try:
    urllib.request.urlopen(req, context=ctx, timeout=5)
    raise SystemExit('listing pods was allowed')
except urllib.error.HTTPError as e:
    body = e.read()
    assert e.code == 403 and b'system:serviceaccount:default:default' in body, (e.code, body)
"""


@pytest.fixture
def cluster(host_clean: Path, kubernetes_binaries: Path) -> Iterator[Cluster]:
    with running_cluster(
        host_clean, backoff_base=1.0, backoff_max=4.0, kubernetes_binaries=kubernetes_binaries
    ) as c:
        yield c


def test_the_node_registers_and_stays_ready_on_a_real_v1_37_apiserver(core: Any, kubectl: Any) -> None:
    version = json.loads(kubectl("version", "-o", "json").stdout)
    assert version["serverVersion"]["gitVersion"] == "v1.37.2"
    node = wait_for(
        "the node Ready",
        lambda: next(
            (
                n
                for n in core.list_node().items
                if any(c.type == "Ready" and c.status == "True" for c in n.status.conditions)
            ),
            None,
        ),
    )
    assert node.metadata.name == "localkube"
    lease = kubectl(
        "get", "lease", "-n", "kube-node-lease", "localkube", "-o", "jsonpath={.spec.holderIdentity}"
    )
    assert lease.stdout == "localkube", lease.stderr


def test_pods_scheduled_by_kube_scheduler_serve_a_service_and_use_real_tokens(
    core: Any, kubectl: Any
) -> None:
    create(core, FRONTEND)
    create(core, WEB)
    web = wait_ready(core, "web")
    assert web.spec.node_name == "localkube" and web.status.pod_ip.startswith("10.244.")
    scheduled = [e for e in core.list_namespaced_event("default").items if e.reason == "Scheduled"]
    assert scheduled and scheduled[0].involved_object.name == "web"
    svc = core.read_namespaced_service("frontend", "default")
    assert svc.spec.cluster_ip.startswith("10.")  # allocated by kube-apiserver from 10.96.0.0/12

    def slice_has_web() -> Any:
        slices = kubectl("get", "endpointslices", "-l", "kubernetes.io/service-name=frontend", "-o", "json")
        items = json.loads(slices.stdout or "{}").get("items") or []
        manager = "endpointslice.kubernetes.io/managed-by"
        return [
            s for s in items
            if s["metadata"]["labels"].get(manager) == "endpointslice-controller.k8s.io"
            and any(web.status.pod_ip in ep["addresses"] for ep in s.get("endpoints") or [])
        ]  # fmt: skip

    wait_for("kube-controller-manager's EndpointSlice with the web pod", slice_has_web)
    create(core, python_run("client", CLIENT_SCRIPT, container="c"))
    pod = wait_phase(core, "client", "Succeeded", timeout=120)
    assert pod.status.container_statuses[0].state.terminated.exit_code == 0


def test_kubectl_logs_go_through_the_real_apiserver_to_the_kubelet(core: Any, kubectl: Any) -> None:
    create(core, WEB)
    wait_ready(core, "web")
    logs = kubectl("logs", "web")
    assert "GET /index.html" in logs.stdout, logs.stderr  # the readiness probe's requests


def test_kubectl_exec_goes_through_the_real_apiserver_to_the_kubelet(core: Any, kubectl: Any) -> None:
    # kube-apiserver translates kubectl's websocket into SPDY/3.1 (remotecommand v4) to the kubelet
    create(core, WEB)
    wait_ready(core, "web")
    out = kubectl("exec", "web", "--", "cat", "/srv/index.html")
    assert out.stdout.strip() == "served-by-web", out.stderr
    script = "tr a-z A-Z; echo to-stderr >&2; exit 3"
    out = kubectl("exec", "-i", "web", "--", "sh", "-c", script, input="shout\n")
    assert out.stdout.strip() == "SHOUT" and out.stderr.startswith("to-stderr"), out
    assert out.returncode == 3, out


def test_kubectl_port_forward_goes_through_the_real_apiserver_to_the_kubelet(
    cluster: Cluster, core: Any
) -> None:
    # kube-apiserver upgrades to SPDY/3.1 (portforward.k8s.io) to the kubelet for kubectl's tunnel
    create(core, WEB)
    wait_ready(core, "web")
    kubectl = Path(sys.executable).parent / "kubectl"
    proc = subprocess.Popen(
        [str(kubectl), "--kubeconfig", str(cluster.kubeconfig), "port-forward", "pod/web", ":8080"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("Forwarding from 127.0.0.1:"), (line, proc.stderr and proc.stderr.read())
        port = int(line.split(":")[1].split()[0])
        for _ in range(2):
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/index.html", timeout=30) as r:
                assert r.read().decode().strip() == "served-by-web"
    finally:
        proc.terminate()
        proc.communicate(timeout=30)
