"""What kubectl (and Helm) rely on beyond CRUD: `kubectl get` columns, `kubectl explain` under both
RayCluster CRDs, `kubectl delete -k` of a kustomization holding its own namespace, protobuf
DeleteOptions and the protobuf Pods KubeRay's operator sends, and /openapi/v2 in JSON and in
protobuf."""

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
from kubernetes.client import CoreV1Api

from kuberay.api.crd import render_crd
from localkube.apiserver.server import APIServer
from support.crds import wait_established
from support.paths import KUBERAY_CRD, KUBERAY_SAMPLES
from support.recorded import kuberay_protobuf
from support.waiting import wait_for

Kubectl = Callable[..., "subprocess.CompletedProcess[str]"]
SAMPLE = KUBERAY_SAMPLES / "ray-cluster.sample.yaml"


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


def header(out: str) -> list[str]:
    """Column names of kubectl's table (names may hold one space, columns are 2+ apart)."""
    first = out.splitlines()[0]
    return [c.strip() for c in first.split("  ") if c.strip()]


def rows(out: str) -> list[str]:
    return out.splitlines()[1:]


def test_get_pods_services_events_print_kubectls_columns(kubectl: Kubectl) -> None:
    ok(kubectl("run", "p", "--image=busybox"))
    ok(kubectl("expose", "pod", "p", "--port=80"))
    pods = ok(kubectl("get", "pods"))
    assert header(pods) == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    assert rows(pods)[0].split()[:4] == ["p", "0/1", "Pending", "0"]
    wide = ok(kubectl("get", "pods", "-o", "wide"))
    assert header(wide) == [
        "NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE", "NOMINATED NODE", "READINESS GATES"
    ]  # fmt: skip
    assert rows(wide)[0].split()[5:] == ["<none>"] * 4
    svc = ok(kubectl("get", "svc"))
    assert header(svc) == ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"]
    by_name = {r.split()[0]: r.split() for r in rows(svc)}
    assert by_name["kubernetes"][1:5] == ["ClusterIP", "10.96.0.1", "<none>", "443/TCP"]
    assert by_name["p"][4] == "80/TCP"


def test_get_events_prints_kubectls_columns(k8s: kubernetes.client.ApiClient, kubectl: Kubectl) -> None:
    CoreV1Api(k8s).create_namespaced_event(
        "default",
        {
            "metadata": {"name": "e1"},
            "involvedObject": {"kind": "Pod", "name": "p", "namespace": "default"},
            "reason": "Scheduled",
            "message": "Successfully assigned default/p to node-1",
            "type": "Normal",
            "firstTimestamp": "2025-01-01T00:00:00Z",
            "lastTimestamp": "2025-01-01T00:00:00Z",
            "count": 1,
        },
    )
    out = ok(kubectl("get", "events"))
    assert header(out) == ["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]
    assert rows(out)[0].split()[1:4] == ["Normal", "Scheduled", "pod/p"]
    assert rows(out)[0].endswith("Successfully assigned default/p to node-1")


def test_get_rayclusters_under_kuberays_crd_prints_its_printer_columns(kubectl: Kubectl) -> None:
    ok(kubectl("apply", "--server-side", "-f", str(KUBERAY_CRD)))
    wait_established(kubectl, "rayclusters.ray.io")
    ok(kubectl("apply", "-f", str(SAMPLE)))
    out = ok(kubectl("get", "rayclusters"))
    assert header(out) == [
        "NAME", "DESIRED WORKERS", "AVAILABLE WORKERS", "CPUS", "MEMORY", "GPUS", "STATUS", "AGE"
    ]  # fmt: skip
    name = yaml.safe_load(SAMPLE.read_text())["metadata"]["name"]
    assert rows(out)[0].split()[0] == name
    wide = ok(kubectl("get", "rayclusters", "-o", "wide"))
    assert header(wide) == [
        "NAME", "DESIRED WORKERS", "AVAILABLE WORKERS", "CPUS", "MEMORY", "GPUS", "TPUS", "STATUS", "AGE",
        "HEAD POD IP", "HEAD SERVICE IP",
    ]  # fmt: skip


@pytest.mark.parametrize("crd", ["kuberay", "ours"])
def test_explain_worker_group_specs(kubectl: Kubectl, crd: str) -> None:
    if crd == "kuberay":
        ok(kubectl("apply", "--server-side", "-f", str(KUBERAY_CRD)))
    else:
        ok(kubectl("apply", "--server-side", "-f", "-", input=yaml.safe_dump(render_crd())))
    wait_established(kubectl, "rayclusters.ray.io")
    # kube-apiserver publishes a new CRD's OpenAPI a moment after it is Established
    explained = wait_for(
        "kubectl explain to know the RayCluster",
        lambda: kubectl("explain", "raycluster.spec.workerGroupSpecs"),
        accept=lambda r: r.returncode == 0,
    )
    out = explained.stdout
    assert "KIND:       RayCluster" in out
    assert "FIELD: workerGroupSpecs <[]Object>" in out
    for field in ("groupName", "maxReplicas", "minReplicas", "replicas", "scaleStrategy", "template"):
        assert f"\n  {field}\t<" in out, field


def test_delete_k_of_a_kustomization_with_its_namespace(kubectl: Kubectl, tmp_path: Path) -> None:
    kust = tmp_path / "kust"
    kust.mkdir()
    (kust / "kustomization.yaml").write_text("namespace: demo\nresources:\n- ns.yaml\n- app.yaml\n")
    (kust / "ns.yaml").write_text("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: demo\n")
    (kust / "app.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata: {x: '1'}\n---\n"
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: s\nspec:\n  ports: [{port: 80}]\n"
    )
    ok(kubectl("apply", "-k", str(kust)))
    deleted = kubectl("delete", "-k", str(kust))
    # the namespace goes Terminating; its contents are still there for the deletes that follow
    assert deleted.returncode == 0, deleted.stderr
    assert "NotFound" not in deleted.stderr
    assert 'namespace "demo" deleted' in deleted.stdout
    assert 'configmap "a" deleted' in deleted.stdout
    assert 'service "s" deleted' in deleted.stdout
    ok(kubectl("wait", "--for=delete", "namespace/demo", "--timeout=30s"))


def _request(
    server: APIServer, method: str, path: str, body: bytes, headers: dict[str, str]
) -> tuple[int, Any]:
    req = urllib.request.Request(
        f"{server.url}{path}",
        data=body or None,
        method=method,
        headers={"Authorization": f"Bearer {server.admin_token}", **headers},
    )
    ctx = ssl.create_default_context(cafile=str(server.ca_cert_path))
    try:
        with urllib.request.urlopen(req, context=ctx, timeout=30) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def _pb_field(number: int, payload: bytes) -> bytes:
    return bytes([number << 3 | 2, len(payload)]) + payload


def _delete_options_pb(api_version: str, uid: str) -> bytes:
    """DeleteOptions{preconditions: {uid}} in Kubernetes' protobuf envelope, as client-go sends it."""
    type_meta = _pb_field(1, api_version.encode()) + _pb_field(2, b"DeleteOptions")
    options = _pb_field(2, _pb_field(1, uid.encode()))
    return b"k8s\x00" + _pb_field(1, type_meta) + _pb_field(2, options)


@pytest.mark.parametrize("api_version", ["v1", "meta.k8s.io/v1"])
def test_protobuf_delete_options_are_read(
    k8s: kubernetes.client.ApiClient, apiserver: APIServer, api_version: str
) -> None:
    v1 = CoreV1Api(k8s)
    uid = v1.create_namespaced_config_map("default", {"metadata": {"name": "cm"}}).metadata.uid
    path = "/api/v1/namespaces/default/configmaps/cm"
    pb = {"Content-Type": "application/vnd.kubernetes.protobuf", "Accept": "application/json"}
    status, answer = _request(apiserver, "DELETE", path, _delete_options_pb(api_version, "not-" + uid), pb)
    # the precondition was read: a wrong uid refuses the delete
    assert status == 409, answer
    assert answer["message"] == (
        f'Operation cannot be fulfilled on ConfigMap "cm": the UID in the precondition (not-{uid}) does not '
        f"match the UID in record ({uid}). The object might have been deleted and then recreated"
    )
    status, answer = _request(apiserver, "DELETE", path, _delete_options_pb(api_version, uid), pb)
    assert status == 200, answer
    assert v1.list_namespaced_config_map("default", field_selector="metadata.name=cm").items == []


def test_kuberay_protobuf_pod_is_created_and_answered_in_json(
    k8s: kubernetes.client.ApiClient, apiserver: APIServer, control_plane: str
) -> None:
    """The head pod KubeRay's operator sent as protobuf, asking for protobuf or JSON as client-go
    does: created as kube-apiserver created it. kube-apiserver answers in protobuf; localkube,
    which decodes protobuf but does not encode it, in JSON (which client-go reads as well)."""
    body, stored = kuberay_protobuf("head pod")
    CoreV1Api(k8s).create_namespace({"metadata": {"name": stored["metadata"]["namespace"]}})
    req = urllib.request.Request(
        f"{apiserver.url}/api/v1/namespaces/{stored['metadata']['namespace']}/pods",
        data=body,
        method="POST",
        headers={
            "Authorization": f"Bearer {apiserver.admin_token}",
            "Content-Type": "application/vnd.kubernetes.protobuf",
            "Accept": "application/vnd.kubernetes.protobuf, application/json",
        },
    )
    ctx = ssl.create_default_context(cafile=str(apiserver.ca_cert_path))
    with urllib.request.urlopen(req, context=ctx, timeout=30) as resp:
        assert resp.status == 201
        answered_as, answer = resp.headers.get_content_type(), resp.read()
    if control_plane == "kubernetes":
        assert answered_as == "application/vnd.kubernetes.protobuf"  # the first type asked for
        listing = CoreV1Api(k8s).list_namespaced_pod(stored["metadata"]["namespace"], _preload_content=False)
        [created] = json.loads(listing.data)["items"]
    else:
        assert answered_as == "application/json"
        created = json.loads(answer)
    assert created["spec"] == stored["spec"]
    assert created["metadata"]["labels"] == stored["metadata"]["labels"]
    assert created["metadata"]["name"].startswith(stored["metadata"]["generateName"])


def test_openapi_v2_in_json(apiserver: APIServer, kubectl: Kubectl) -> None:
    ok(kubectl("apply", "--server-side", "-f", str(KUBERAY_CRD)))

    def published() -> dict[str, Any] | None:
        # kube-apiserver adds a CRD's definitions to the document a moment after the create
        status, doc = _request(apiserver, "GET", "/openapi/v2", b"", {"Accept": "application/json"})
        assert status == 200
        return doc if "io.ray.v1.RayCluster" in doc["definitions"] else None

    doc = wait_for("the RayCluster's definitions in /openapi/v2", published)
    assert doc["swagger"] == "2.0"
    pod = doc["definitions"]["io.k8s.api.core.v1.Pod"]
    assert pod["x-kubernetes-group-version-kind"] == [{"group": "", "kind": "Pod", "version": "v1"}]
    assert "#/definitions/io.k8s.api.core.v1.PodSpec" in json.dumps(pod["properties"]["spec"])
    assert "io.ray.v1.RayCluster" in doc["definitions"]
    patch = doc["paths"]["/api/v1/namespaces/{namespace}/pods/{name}"]["patch"]
    assert "application/apply-patch+yaml" in patch["consumes"]
    assert "#/components/" not in json.dumps(doc)


def test_kubectl_explain_reads_openapi_v2_in_protobuf(apiserver: APIServer, kubectl: Kubectl) -> None:
    # `--output=plaintext-openapiv2` reads /openapi/v2 through client-go's OpenAPISchema(), which
    # accepts nothing but gnostic's protobuf: kubectl's own decoder is the check of our encoding
    pod = ok(kubectl("explain", "pods.spec.restartPolicy", "--output=plaintext-openapiv2"))
    assert "FIELD:    restartPolicy <string>" in pod
    assert "Restart policy for all containers within the pod." in pod
    strategy = ok(
        kubectl("explain", "deployments.spec.strategy", "--recursive", "--output=plaintext-openapiv2")
    )
    assert "rollingUpdate\t<Object>" in strategy and "maxSurge\t<string>" in strategy
    ok(kubectl("apply", "--server-side", "-f", str(KUBERAY_CRD)))

    def explained() -> str | None:
        # kube-apiserver publishes a CRD's definitions a moment after the create
        out = kubectl("explain", "rayclusters.spec.headGroupSpec.serviceType", "--output=plaintext-openapiv2")
        return out.stdout if out.returncode == 0 else None

    assert "FIELD:    serviceType <string>" in wait_for("RayCluster in the protobuf document", explained)


def test_openapi_v2_media_types(apiserver: APIServer) -> None:
    ctx = ssl.create_default_context(cafile=str(apiserver.ca_cert_path))

    def get(accept: str) -> tuple[int, str, bytes]:
        headers = {"Authorization": f"Bearer {apiserver.admin_token}", "Accept": accept}
        req = urllib.request.Request(f"{apiserver.url}/openapi/v2", headers=headers)
        try:
            with urllib.request.urlopen(req, context=ctx, timeout=30) as resp:
                return resp.status, resp.headers["Content-Type"], resp.read()
        except urllib.error.HTTPError as e:
            return e.code, e.headers.get("Content-Type", ""), e.read()

    pb = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"
    status, media, body = get("application/com.github.proto-openapi.spec.v2@v1.0+protobuf")
    assert (status, media) == (200, pb)
    assert body.startswith(b"\n\x032.0")  # Document.swagger (field 1): "2.0"
    # the first clause by quality wins
    assert get(f"application/json;q=0.5, {pb}")[:2] == (200, pb)
    assert get(f"{pb};q=0.5, application/json")[:2] == (200, "application/json")
    assert get("text/plain")[0] == 406


def test_kubectl_creates_pdbs_and_ingresses_it_sends_as_protobuf(kubectl: Kubectl) -> None:
    ok(kubectl("create", "poddisruptionbudget", "pdb", "--selector=app=web", "--min-available=50%"))
    pdb = json.loads(ok(kubectl("get", "pdb", "pdb", "-o", "json")))["spec"]
    assert pdb == {"minAvailable": "50%", "selector": {"matchLabels": {"app": "web"}}}
    ok(kubectl("create", "ingress", "ing", "--rule=foo.com/bar*=svc1:8080,tls=cert", "--class=nginx"))
    spec = json.loads(ok(kubectl("get", "ingress", "ing", "-o", "json")))["spec"]
    assert spec["ingressClassName"] == "nginx"
    assert spec["tls"] == [{"hosts": ["foo.com"], "secretName": "cert"}]
    assert spec["rules"] == [
        {
            "host": "foo.com",
            "http": {
                "paths": [
                    {
                        "path": "/bar",
                        "pathType": "Prefix",
                        "backend": {"service": {"name": "svc1", "port": {"number": 8080}}},
                    }
                ]
            },
        }
    ]
