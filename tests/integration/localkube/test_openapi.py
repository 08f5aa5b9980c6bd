"""OpenAPI v3 documents: kubectl validates through the server (no --validate=false) and explains."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable

from support import paths
from support.crds import wait_established

Kubectl = Callable[..., "subprocess.CompletedProcess[str]"]
SHARED = paths.SHARED / "kuberay"


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_kubectl_create_validates_on_the_server(kubectl: Kubectl) -> None:
    ok(kubectl("create", "-f", str(SHARED / "crds" / "ray.io_rayclusters.yaml")))
    wait_established(kubectl, "rayclusters.ray.io")
    ok(kubectl("create", "-f", str(SHARED / "samples" / "ray-cluster.sample.yaml")))
    bad = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  x: z\nsurprise: 1\n"
    result = kubectl("create", "-f", "-", input=bad)
    assert result.returncode != 0
    assert (
        'ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: unknown field '
        '"surprise"' in result.stderr
    )
    missing = kubectl("get", "configmap", "c")
    assert missing.returncode != 0
    # the same object is accepted, with a warning, when the user asks for warnings only
    warned = kubectl("create", "--validate=warn", "-f", "-", input=bad)
    assert warned.returncode == 0 and 'unknown field "surprise"' in warned.stderr


def test_kubectl_apply_twice_and_explain(kubectl: Kubectl) -> None:
    manifest = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  level: {}\n"
    ok(kubectl("apply", "-f", "-", input=manifest.format("low")))
    ok(kubectl("apply", "-f", "-", input=manifest.format("high")))
    assert json.loads(ok(kubectl("get", "cm", "settings", "-o", "json")))["data"] == {"level": "high"}
    explained = ok(kubectl("explain", "pods.spec.restartPolicy"))
    assert "FIELD: restartPolicy <string>" in explained and "Always" in explained


def test_openapi_root_lists_every_group_version(kubectl: Kubectl) -> None:
    root = json.loads(ok(kubectl("get", "--raw", "/openapi/v3")))
    assert {"api/v1", "apis/batch/v1", "apis/apiextensions.k8s.io/v1"} <= set(root["paths"])
    doc = json.loads(ok(kubectl("get", "--raw", root["paths"]["api/v1"]["serverRelativeURL"])))
    assert "io.k8s.api.core.v1.Pod" in doc["components"]["schemas"]


def test_client_side_apply_merges_containers_by_name(kubectl: Kubectl) -> None:
    pod = (
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: a\n    image: {a}\n"
        "  - name: b\n    image: busybox\n"
    )
    ok(kubectl("apply", "-f", "-", input=pod.format(a="python:3.11")))
    result = kubectl("apply", "-f", "-", input=pod.format(a="python:3.12"))
    assert result.returncode == 0 and "warning" not in result.stderr, result.stderr
    spec = json.loads(ok(kubectl("get", "pod", "p", "-o", "json")))["spec"]
    assert [(c["name"], c["image"]) for c in spec["containers"]] == [("a", "python:3.12"), ("b", "busybox")]
