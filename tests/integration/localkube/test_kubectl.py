"""The real kubectl against localkube: discovery, create/get/apply/label/delete, CRDs and samples."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

from support import paths
from support.crds import wait_established
from support.paths import RAYCLUSTER_SAMPLES

Kubectl = Callable[..., "subprocess.CompletedProcess[str]"]

SHARED = paths.SHARED / "kuberay"
RAYCLUSTER_CRD = SHARED / "crds" / "ray.io_rayclusters.yaml"
SAMPLES = RAYCLUSTER_SAMPLES


def ok(result) -> str:  # type: ignore[no-untyped-def]
    assert result.returncode == 0, result.stderr
    return str(result.stdout)


def test_version_and_api_resources(kubectl: Kubectl) -> None:
    out = ok(kubectl("version", "-o", "json"))
    assert json.loads(out)["serverVersion"]["gitVersion"].startswith("v1.")
    resources = ok(kubectl("api-resources", "-o", "name"))
    for name in (
        "pods",
        "services",
        "configmaps",
        "namespaces",
        "customresourcedefinitions.apiextensions.k8s.io",
        "leases.coordination.k8s.io",
        "jobs.batch",
        "roles.rbac.authorization.k8s.io",
        "events.events.k8s.io",
        "ingresses.networking.k8s.io",
    ):
        assert name in resources.split()
    assert "batch/v1" in ok(kubectl("api-versions")).split()


def test_create_get_apply_label_delete(kubectl: Kubectl) -> None:
    manifest = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  level: low\n"
    ok(kubectl("create", "--validate=false", "-f", "-", input=manifest))
    assert "settings" in ok(kubectl("get", "configmaps"))
    ok(kubectl("apply", "--validate=false", "-f", "-", input=manifest.replace("low", "high")))
    got = json.loads(ok(kubectl("get", "configmap", "settings", "-o", "json")))
    assert got["data"] == {"level": "high"}
    ok(kubectl("label", "configmap", "settings", "tier=gold"))
    assert "settings" in ok(kubectl("get", "cm", "-l", "tier=gold", "-o", "name"))
    assert ok(kubectl("get", "cm", "-l", "tier=silver", "-o", "name")).strip() == ""
    ok(kubectl("delete", "configmap", "settings"))
    missing = kubectl("get", "configmap", "settings")
    assert missing.returncode != 0 and 'configmaps "settings" not found' in missing.stderr


def test_get_pods_table_and_namespaces(kubectl: Kubectl) -> None:
    pod = (
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n"
        "  - name: c\n    image: python:3.11\n"
    )
    ok(kubectl("create", "--validate=false", "-f", "-", input=pod))
    table = ok(kubectl("get", "pods"))
    header = table.splitlines()[0].split()
    assert header[:4] == ["NAME", "READY", "STATUS", "RESTARTS"]
    assert table.splitlines()[1].split()[:3] == ["web", "0/1", "Pending"]
    ns = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: team-a\n"
    ok(kubectl("create", "--validate=false", "-f", "-", input=ns))
    assert "team-a" in ok(kubectl("get", "ns", "-o", "name"))


def test_raycluster_crd_and_every_sample_are_accepted(kubectl: Kubectl) -> None:
    ok(kubectl("create", "--validate=false", "-f", str(RAYCLUSTER_CRD)))
    wait_established(kubectl, "rayclusters.ray.io")
    crd = json.loads(ok(kubectl("get", "crd", "rayclusters.ray.io", "-o", "json")))
    conditions = {c["type"]: c["status"] for c in crd["status"]["conditions"]}
    assert conditions == {"NamesAccepted": "True", "Established": "True"}
    assert "rayclusters" in ok(kubectl("api-resources", "--api-group=ray.io", "-o", "name"))
    assert SAMPLES
    for i, sample in enumerate(SAMPLES):
        # some samples share names, so each goes into its own namespace
        ns = f"sample-{i}"
        ok(
            kubectl(
                "create",
                "--validate=false",
                "-f",
                "-",
                input=f"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {ns}\n",
            )
        )
        ok(kubectl("create", "--validate=false", "-n", ns, "-f", str(sample)))
    names = ok(kubectl("get", "rayclusters", "-A", "-o", "name")).split()
    assert len(names) == len(SAMPLES)


def test_raycluster_with_wrongly_typed_field_is_rejected(kubectl: Kubectl) -> None:
    ok(kubectl("create", "--validate=false", "-f", str(RAYCLUSTER_CRD)))
    wait_established(kubectl, "rayclusters.ray.io")
    result = kubectl(
        "create",
        "--validate=false",
        "-f",
        "-",
        input=SAMPLES[0].read_text().replace("headGroupSpec:", 'headGroupSpec:\n    enableIngress: "yes"', 1),
    )
    assert result.returncode != 0
    assert "spec.headGroupSpec.enableIngress" in result.stderr and "Invalid value" in result.stderr


def test_imperative_creates_send_protobuf_and_work(kubectl: Kubectl) -> None:
    ok(kubectl("create", "namespace", "team"))
    ok(kubectl("create", "configmap", "settings", "--from-literal=level=high", "-n", "team"))
    ok(kubectl("create", "secret", "generic", "creds", "--from-literal=password=hunter2", "-n", "team"))
    ok(kubectl("create", "serviceaccount", "bot", "-n", "team"))
    ok(kubectl("create", "role", "reader", "--verb=get,list", "--resource=pods", "-n", "team"))
    ok(
        kubectl(
            "create", "rolebinding", "bot-reads", "--role=reader", "--serviceaccount=team:bot", "-n", "team"
        )
    )
    secret = json.loads(ok(kubectl("get", "secret", "creds", "-n", "team", "-o", "json")))
    assert secret["data"] == {"password": "aHVudGVyMg=="} and secret["type"] == "Opaque"
    cm = json.loads(ok(kubectl("get", "configmap", "settings", "-n", "team", "-o", "json")))
    assert cm["data"] == {"level": "high"}
    binding = json.loads(ok(kubectl("get", "rolebinding", "bot-reads", "-n", "team", "-o", "json")))
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "bot", "namespace": "team"}]
    assert binding["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "reader"}
    token = ok(kubectl("create", "token", "bot", "-n", "team")).strip()
    assert token.count(".") == 2


def test_kubectl_create_deployment_job_service_and_drain(kubectl: Kubectl) -> None:
    ok(kubectl("create", "deployment", "web", "--image=python:3.11", "--replicas=2", "--port=8080"))
    dep = json.loads(ok(kubectl("get", "deployment", "web", "-o", "json")))
    assert dep["spec"]["replicas"] == 2
    container = dep["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == "python:3.11" and container["ports"][0]["containerPort"] == 8080
    assert dep["spec"]["selector"] == {"matchLabels": {"app": "web"}}
    ok(kubectl("create", "job", "once", "--image=python:3.11", "--", "python", "-c", "print(1)"))
    job = json.loads(ok(kubectl("get", "job", "once", "-o", "json")))
    assert job["spec"]["template"]["spec"]["containers"][0]["command"] == ["python", "-c", "print(1)"]
    ok(kubectl("create", "service", "clusterip", "web", "--tcp=80:8080"))
    svc = json.loads(ok(kubectl("get", "service", "web", "-o", "json")))
    assert svc["spec"]["ports"][0]["targetPort"] == 8080 and svc["spec"]["clusterIP"].startswith("10.")
    ok(kubectl("scale", "deployment", "web", "--replicas=3"))
    assert json.loads(ok(kubectl("get", "deployment", "web", "-o", "json")))["spec"]["replicas"] == 3
    node = "apiVersion: v1\nkind: Node\nmetadata:\n  name: n1\n"
    ok(kubectl("create", "-f", "-", input=node))
    pod = (
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  nodeName: n1\n  containers:\n"
        "  - name: c\n    image: python:3.11\n  terminationGracePeriodSeconds: 0\n"
    )
    ok(kubectl("create", "-f", "-", input=pod))
    ok(kubectl("drain", "n1", "--ignore-daemonsets", "--force", "--timeout=20s"))
    assert json.loads(ok(kubectl("get", "node", "n1", "-o", "json")))["spec"]["unschedulable"] is True
    # no pod left on the node (a real cluster's Job controller has made the Job's pod meanwhile)
    assert ok(kubectl("get", "pods", "--field-selector=spec.nodeName=n1", "-o", "name")).strip() == ""


def test_kubectl_get_watch_prints_rows(kubectl: Kubectl, kubeconfig: Path, tmp_path: Path) -> None:
    import os
    import sys
    import time

    ok(kubectl("run", "first", "--image=python:3.11"))
    env = {**os.environ, "HOME": str(tmp_path / "home")}
    watcher = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "kubectl"),
            "--kubeconfig",
            str(kubeconfig),
            "get",
            "pods",
            "-w",
            "--request-timeout=4s",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        time.sleep(1.5)
        ok(kubectl("run", "second", "--image=python:3.11"))
        out, _ = watcher.communicate(timeout=30)
    finally:
        if watcher.poll() is None:
            watcher.kill()
            watcher.wait()
    rows = [line.split() for line in out.splitlines()]
    assert rows[0][:3] == ["NAME", "READY", "STATUS"]
    assert rows[-1][:3] == ["second", "0/1", "Pending"]


def test_deprecated_version_warns_on_reads(kubectl: Kubectl) -> None:
    ok(kubectl("create", "-f", str(RAYCLUSTER_CRD)))
    wait_established(kubectl, "rayclusters.ray.io")
    result = kubectl("get", "rayclusters.v1alpha1.ray.io")
    assert result.returncode == 0, result.stderr
    assert "Warning: ray.io/v1alpha1 RayCluster is deprecated" in result.stderr
