"""Server-side and client-side apply as kubectl and the official client use them."""

from __future__ import annotations

import json
import ssl
import subprocess
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import kubernetes
import pytest
import yaml
from kubernetes.client import ApiException, CoreV1Api
from kubernetes.dynamic import DynamicClient

from localkube.apiserver.server import APIServer
from support.crds import wait_established
from support.paths import KUBERAY_CRD, RAYCLUSTER_SAMPLES

Kubectl = Callable[..., "subprocess.CompletedProcess[str]"]


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


def configmap(data: dict[str, str], name: str = "cfg") -> str:
    return yaml.safe_dump({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": data})


def live(kubectl: Kubectl, *what: str) -> dict[str, Any]:
    out = json.loads(ok(kubectl("get", *what, "-o", "json", "--show-managed-fields")))
    assert isinstance(out, dict)
    return out


def managers(obj: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(m["manager"], m["operation"]): m["fieldsV1"] for m in obj["metadata"].get("managedFields", [])}


def test_server_side_apply_of_kuberays_crd_and_a_repeat_that_changes_nothing(kubectl: Kubectl) -> None:
    assert "serverside-applied" in ok(kubectl("apply", "--server-side", "-f", str(KUBERAY_CRD)))
    # the control plane writes the CRD's status (Established) once, after the create
    wait_established(kubectl, "rayclusters.ray.io")
    first = live(kubectl, "crd", "rayclusters.ray.io")
    assert ("kubectl", "Apply") in managers(first)
    assert "f:spec" in managers(first)[("kubectl", "Apply")]
    ok(kubectl("apply", "--server-side", "-f", str(KUBERAY_CRD)))
    again = live(kubectl, "crd", "rayclusters.ray.io")
    assert again["metadata"]["resourceVersion"] == first["metadata"]["resourceVersion"]
    assert again["metadata"]["managedFields"] == first["metadata"]["managedFields"]
    assert "rayclusters" in ok(kubectl("api-resources", "--api-group=ray.io", "-o", "name"))


def test_client_side_apply_of_kuberays_crd_fails_as_on_a_real_cluster(kubectl: Kubectl) -> None:
    result = kubectl("apply", "-f", str(KUBERAY_CRD))
    assert result.returncode != 0
    assert "metadata.annotations: Too long: may not be more than 262144 bytes" in result.stderr
    assert kubectl("get", "crd", "rayclusters.ray.io").returncode != 0


def test_create_records_the_writer_and_apply_conflicts_with_it_until_forced(kubectl: Kubectl) -> None:
    ok(kubectl("create", "configmap", "cfg", "--from-literal=a=1"))
    created = live(kubectl, "configmap", "cfg")
    assert managers(created) == {("kubectl-create", "Update"): {"f:data": {".": {}, "f:a": {}}}}
    conflict = kubectl("apply", "--server-side", "-f", "-", input=configmap({"a": "2", "b": "3"}))
    assert conflict.returncode != 0
    assert 'Apply failed with 1 conflict: conflict with "kubectl-create" using v1: .data.a' in conflict.stderr
    assert (
        live(kubectl, "configmap", "cfg")["metadata"]["resourceVersion"]
        == created["metadata"]["resourceVersion"]
    )
    ok(
        kubectl(
            "apply", "--server-side", "--force-conflicts", "-f", "-", input=configmap({"a": "2", "b": "3"})
        )
    )
    forced = live(kubectl, "configmap", "cfg")
    assert forced["data"] == {"a": "2", "b": "3"}
    assert managers(forced)[("kubectl", "Apply")] == {"f:data": {"f:a": {}, "f:b": {}}}
    assert "f:a" not in managers(forced)[("kubectl-create", "Update")].get("f:data", {})


def test_a_field_no_longer_applied_is_removed_unless_another_manager_owns_it(kubectl: Kubectl) -> None:
    ok(kubectl("apply", "--server-side", "-f", "-", input=configmap({"a": "1", "b": "2", "c": "3"})))
    # a second manager applies b with the same value: co-owned, no conflict
    ok(kubectl("apply", "--server-side", "--field-manager=other", "-f", "-", input=configmap({"b": "2"})))
    ok(kubectl("apply", "--server-side", "-f", "-", input=configmap({"a": "1"})))
    assert live(kubectl, "configmap", "cfg")["data"] == {"a": "1", "b": "2"}


def test_apply_with_the_official_client_conflict_status_and_force(k8s: kubernetes.client.ApiClient) -> None:
    dyn = DynamicClient(k8s)
    cms = dyn.resources.get(api_version="v1", kind="ConfigMap")
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg"}, "data": {"k": "one"}}
    made = cms.server_side_apply(body=body, namespace="default", field_manager="first")
    assert made.data.k == "one"
    body["data"] = {"k": "two"}
    with pytest.raises(ApiException) as e:
        cms.server_side_apply(body=body, namespace="default", field_manager="second")
    assert e.value.status == 409
    status = json.loads(e.value.body)
    assert status["reason"] == "Conflict"
    assert status["message"] == 'Apply failed with 1 conflict: conflict with "first": .data.k'
    assert status["details"]["causes"] == [
        {"reason": "FieldManagerConflict", "message": 'conflict with "first"', "field": ".data.k"}
    ]
    forced = cms.server_side_apply(
        body=body, namespace="default", field_manager="second", force_conflicts=True
    )
    assert forced.data.k == "two"
    # an Update by the official client is recorded under its User-Agent's product name
    CoreV1Api(k8s).patch_namespaced_config_map("cfg", "default", {"data": {"z": "1"}})
    got = CoreV1Api(k8s).read_namespaced_config_map("cfg", "default")
    assert {m.manager for m in got.metadata.managed_fields} == {"second", "OpenAPI-Generator"}


def raw_apply(
    server: APIServer,
    path: str,
    body: str,
    query: str = "fieldManager=x",
    content_type: str = "application/apply-patch+yaml",
) -> tuple[int, dict[str, Any]]:
    """PATCH with a body as given, bypassing any client-side checks."""
    req = urllib.request.Request(
        f"{server.url}{path}?{query}",
        data=body.encode(),
        method="PATCH",
        headers={
            "Content-Type": content_type,
            "Accept": "application/json",
            "Authorization": f"Bearer {server.admin_token}",
        },
    )
    ctx = ssl.create_default_context(cafile=str(server.ca_cert_path))
    try:
        with urllib.request.urlopen(req, context=ctx, timeout=30) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def test_an_apply_body_that_is_not_an_object_changes_nothing(
    k8s: kubernetes.client.ApiClient, apiserver: APIServer, control_plane: str
) -> None:
    v1 = CoreV1Api(k8s)
    v1.create_namespaced_config_map("default", {"metadata": {"name": "cfg"}, "data": {"a": "1"}})
    before = v1.read_namespaced_config_map("cfg", "default").metadata.resource_version
    path = "/api/v1/namespaces/default/configmaps/cfg"
    for body, code in (
        ("- just\n- a list\n", 400),
        ("apiVersion: v1\nkind: Secret\nmetadata:\n  name: cfg\n", 400),
        # kube-apiserver v1.37 answers this one with a 500 (its typed patch fails); localkube, which
        # answers no bad input with a 5xx, with a 400 (docs/referees.md)
        (
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\ndata:\n  a: {nested: 1}\n",
            400 if control_plane == "localkube" else 500,
        ),
        ("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: other\n", 400),
        ("{{{ not yaml", 400),
        # a valid object with an invalid value: refused by validation
        ("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\n  labels: {'bad key!': x}\n", 422),
    ):
        status, answer = raw_apply(apiserver, path, body)
        assert (status, answer["kind"], answer["code"]) == (code, "Status", code), (body, answer)
    assert v1.read_namespaced_config_map("cfg", "default").metadata.resource_version == before
    assert v1.read_namespaced_config_map("cfg", "default").data == {"a": "1"}


SMALL_CRD = """
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  names: {kind: Widget, plural: widgets, singular: widget, listKind: WidgetList}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              size: {type: integer}
              color: {type: string}
"""


@pytest.mark.parametrize("kind", ["configmap", "widget"])
def test_client_side_apply_create_update_and_unchanged(kubectl: Kubectl, kind: str, tmp_path: Path) -> None:
    if kind == "widget":
        ok(kubectl("apply", "-f", "-", input=SMALL_CRD))
        wait_established(kubectl, "widgets.example.com")

        def manifest(size: int) -> str:
            doc = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}}
            return yaml.safe_dump({**doc, "spec": {"size": size, "color": "red"}})

        name = "widget/w"
    else:

        def manifest(size: int) -> str:
            return configmap({"size": str(size)}, name="w")

        name = "configmap/w"
    assert f"{name.split('/')[0]}/w created" in ok(kubectl("apply", "-f", "-", input=manifest(1))).replace(
        ".example.com", ""
    )
    assert "configured" in ok(kubectl("apply", "-f", "-", input=manifest(2)))
    rv = live(kubectl, name)["metadata"]["resourceVersion"]
    assert "unchanged" in ok(kubectl("apply", "-f", "-", input=manifest(2)))
    obj = live(kubectl, name)
    assert obj["metadata"]["resourceVersion"] == rv
    assert "kubectl.kubernetes.io/last-applied-configuration" in obj["metadata"]["annotations"]
    assert ("kubectl-client-side-apply", "Update") in managers(obj)


@pytest.mark.parametrize("sample", RAYCLUSTER_SAMPLES, ids=lambda p: p.name)
def test_server_side_apply_of_kuberay_samples_twice(kubectl: Kubectl, sample: Path) -> None:
    """Defaulted list keys (a port's protocol) match the applied items: the repeat changes nothing."""
    ok(kubectl("apply", "--server-side", "-f", str(KUBERAY_CRD)))
    wait_established(kubectl, "rayclusters.ray.io")
    ok(kubectl("apply", "--server-side", "-f", str(sample)))
    before = ok(kubectl("get", "-f", str(sample), "-o", "jsonpath={.items[*].metadata.resourceVersion}"))
    again = ok(kubectl("apply", "--server-side", "-f", str(sample)))
    assert "serverside-applied" in again
    after = ok(kubectl("get", "-f", str(sample), "-o", "jsonpath={.items[*].metadata.resourceVersion}"))
    assert after == before


def test_patch_options_that_do_not_fit_the_patch_are_422(
    k8s: kubernetes.client.ApiClient, apiserver: APIServer
) -> None:
    CoreV1Api(k8s).create_namespaced_config_map("default", {"metadata": {"name": "cfg"}})
    path = "/api/v1/namespaces/default/configmaps/cfg"
    status, answer = raw_apply(apiserver, path, "apiVersion: v1\nkind: ConfigMap\n", query="")
    assert status == 422
    assert answer["message"] == (
        'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch'
    )
    status, answer = raw_apply(
        apiserver,
        path,
        '{"data": {"a": "1"}}',
        query="force=true",
        content_type="application/merge-patch+json",
    )
    assert status == 422
    assert answer["message"] == (
        'PatchOptions.meta.k8s.io "" is invalid: force: Forbidden: may not be specified for non-apply patch'
    )
    assert CoreV1Api(k8s).read_namespaced_config_map("cfg", "default").data is None


DEPLOYMENT = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: c, image: nginx, ports: [{containerPort: 80}]}]
"""


def test_replicas_changed_through_scale_conflict_naming_the_subresource(kubectl: Kubectl) -> None:
    ok(kubectl("apply", "--server-side", "-f", "-", input=DEPLOYMENT))
    ok(kubectl("scale", "deployment/web", "--replicas=5"))
    got = live(kubectl, "deployment", "web")
    assert ("kubectl", "Update") in managers(got)
    scale_entry = next(m for m in got["metadata"]["managedFields"] if m["operation"] == "Update")
    assert scale_entry["subresource"] == "scale"
    assert scale_entry["fieldsV1"] == {"f:spec": {"f:replicas": {}}}
    conflict = kubectl("apply", "--server-side", "-f", "-", input=DEPLOYMENT)
    assert conflict.returncode != 0
    assert (
        'Apply failed with 1 conflict: conflict with "kubectl" with subresource "scale" using apps/v1: '
        ".spec.replicas"
    ) in conflict.stderr
    # dropping replicas from the manifest leaves them to the scaler: no conflict, value kept
    ok(kubectl("apply", "--server-side", "-f", "-", input=DEPLOYMENT.replace("  replicas: 2\n", "")))
    assert live(kubectl, "deployment", "web")["spec"]["replicas"] == 5


def test_a_create_owns_the_defaults_it_was_decoded_with_not_what_admission_added(
    k8s: kubernetes.client.ApiClient,
) -> None:
    """As kube-apiserver's field manager: the writer owns what defaulting set (a later apply of a
    different value conflicts with it), not what admission added to the pod afterwards."""
    v1 = CoreV1Api(k8s)
    body = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "owned"},
        "spec": {
            "containers": [{"name": "c", "image": "busybox:1.36"}],
            "initContainers": [{"name": "i", "image": "busybox:1.36"}],
        },
    }
    v1.create_namespaced_pod("default", body)
    pod = k8s.sanitize_for_serialization(v1.read_namespaced_pod("owned", "default"))
    assert pod["spec"]["serviceAccountName"] == "default" and pod["spec"]["tolerations"]
    # (a scheduler's binding, where a node exists, is an entry of its own with a subresource)
    managed = pod["metadata"]["managedFields"]
    (entry,) = [m for m in managed if m["operation"] == "Update" and not m.get("subresource")]
    spec = entry["fieldsV1"]["f:spec"]
    container = spec["f:containers"]['k:{"name":"c"}']
    assert {"f:imagePullPolicy", "f:terminationMessagePath", "f:resources"} <= set(container)
    assert {"f:dnsPolicy", "f:restartPolicy", "f:schedulerName", "f:enableServiceLinks"} <= set(spec)
    assert not {"f:serviceAccountName", "f:tolerations", "f:priority", "f:volumes"} & set(spec)
    # "." marks a node the create added: not `spec` or `containers`, which Go's zero Pod has
    # (`containers: null`), but `initContainers` (omitempty) and each new container
    assert "." not in spec and "." not in spec["f:containers"]
    assert "." in spec["f:initContainers"] and "." in container
