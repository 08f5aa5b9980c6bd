"""Bad input gets Kubernetes' error and leaves the store untouched; odd-but-valid input works."""

from __future__ import annotations

import json

import kubernetes
import pytest
from kubernetes.client import ApiException, CoreV1Api


def raw(k8s: kubernetes.client.ApiClient, method: str, path: str, body: bytes, content_type: str):  # type: ignore[no-untyped-def]
    """An exact body and content type, sent through the official client's own TLS connection pool."""
    conf = k8s.configuration
    headers = {
        "Content-Type": content_type,
        "Accept": "application/json",
        "Authorization": conf.get_api_key_with_prefix("BearerToken") or "",
    }
    return k8s.rest_client.pool_manager.request(
        method, conf.host + path, headers=headers, body=body, preload_content=True
    )


def status(resp) -> dict:  # type: ignore[no-untyped-def]
    return json.loads(resp.data)


@pytest.fixture
def seeded(k8s: kubernetes.client.ApiClient) -> CoreV1Api:
    v1 = CoreV1Api(k8s)
    v1.create_namespaced_config_map(
        "default", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "keep"}, "data": {"a": "1"}}
    )
    return v1


def unchanged(v1: CoreV1Api) -> None:
    names = [c.metadata.name for c in v1.list_namespaced_config_map("default").items]
    assert "keep" in names and v1.read_namespaced_config_map("keep", "default").data == {"a": "1"}


def test_malformed_json_and_yaml_are_400(k8s: kubernetes.client.ApiClient, seeded: CoreV1Api) -> None:
    path = "/api/v1/namespaces/default/configmaps"
    r = raw(k8s, "POST", path, b'{"apiVersion": "v1", "kind": ', "application/json")
    assert r.status == 400 and status(r)["reason"] == "BadRequest"
    r = raw(k8s, "POST", path, b"kind: [unclosed", "application/yaml")
    assert r.status == 400
    r = raw(k8s, "PUT", path + "/keep", b"\x00\xff", "application/json")
    assert r.status == 400
    unchanged(seeded)


def test_yaml_body_is_accepted(k8s: kubernetes.client.ApiClient, seeded: CoreV1Api) -> None:
    body = b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-yaml\ndata:\n  k: v\n"
    r = raw(k8s, "POST", "/api/v1/namespaces/default/configmaps", body, "application/yaml")
    assert r.status == 201
    assert seeded.read_namespaced_config_map("from-yaml", "default").data == {"k": "v"}


def test_unknown_content_type_is_415(k8s: kubernetes.client.ApiClient, seeded: CoreV1Api) -> None:
    r = raw(k8s, "POST", "/api/v1/namespaces/default/configmaps", b"<xml/>", "application/xml")
    assert r.status == 415 and status(r)["reason"] == "UnsupportedMediaType"
    r = raw(k8s, "PATCH", "/api/v1/namespaces/default/configmaps/keep", b"{}", "application/json")
    assert r.status == 415
    unchanged(seeded)


def test_oversized_body_and_object_are_413(k8s: kubernetes.client.ApiClient, seeded: CoreV1Api) -> None:
    big = json.dumps(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "big"},
            "data": {"x": "a" * (3 * 1024 * 1024 + 10)},
        }
    ).encode()
    r = raw(k8s, "POST", "/api/v1/namespaces/default/configmaps", big, "application/json")
    assert r.status == 413 and status(r)["reason"] == "RequestEntityTooLarge"
    with pytest.raises(ApiException) as e:
        seeded.create_namespaced_secret(
            "default",
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {"name": "s"},
                "stringData": {"x": "b" * (1024 * 1024 + 10)},
            },
        )
    assert e.value.status == 422  # the 1 MiB Secret limit
    with pytest.raises(ApiException) as e:
        seeded.create_namespaced_pod(
            "default",
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {
                    "name": "p",
                    "labels": {"a": "b"},
                    "annotations": {f"k{i}": "v" * 4096 for i in range(70)},
                },
                "spec": {"containers": [{"name": "c", "image": "i"}]},
            },
        )
    assert e.value.status == 422 and "metadata.annotations: Too long" in e.value.body
    unchanged(seeded)


def test_method_not_allowed_and_unknown_resource(k8s: kubernetes.client.ApiClient, seeded: CoreV1Api) -> None:
    r = raw(k8s, "POST", "/api/v1/namespaces/default/configmaps/keep", b"{}", "application/json")
    assert r.status == 405 and status(r)["reason"] == "MethodNotAllowed"
    r = raw(k8s, "GET", "/api/v1/namespaces/default/widgets", b"", "application/json")
    assert r.status == 404
    unchanged(seeded)


def test_failing_json_patch_changes_nothing(k8s: kubernetes.client.ApiClient, seeded: CoreV1Api) -> None:
    patch = [
        {"op": "replace", "path": "/data/a", "value": "2"},
        {"op": "test", "path": "/data/a", "value": "9"},
    ]
    with pytest.raises(ApiException) as e:
        seeded.patch_namespaced_config_map("keep", "default", patch)
    assert e.value.status == 422
    unchanged(seeded)
    seeded.patch_namespaced_config_map("keep", "default", [{"op": "add", "path": "/data/b", "value": "2"}])
    assert seeded.read_namespaced_config_map("keep", "default").data == {"a": "1", "b": "2"}


def test_name_mismatch_and_wrong_kind(k8s: kubernetes.client.ApiClient, seeded: CoreV1Api) -> None:
    body = json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "other"}}).encode()
    r = raw(k8s, "PUT", "/api/v1/namespaces/default/configmaps/keep", body, "application/json")
    assert r.status == 400 and "does not match the name on the URL" in status(r)["message"]
    body = json.dumps({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "keep2"}}).encode()
    r = raw(k8s, "POST", "/api/v1/namespaces/default/configmaps", body, "application/json")
    assert r.status == 400
    unchanged(seeded)


def test_yaml_alias_bomb_is_refused(k8s: kubernetes.client.ApiClient, seeded: CoreV1Api) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    bomb = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bomb\n" + "\n".join(lines) + "\n"
    r = raw(k8s, "POST", "/api/v1/namespaces/default/configmaps", bomb.encode(), "application/yaml")
    assert r.status in (400, 413)
    unchanged(seeded)


def test_wrongly_typed_built_in_fields_are_400(k8s: kubernetes.client.ApiClient, seeded: CoreV1Api) -> None:
    path = "/api/v1/namespaces/default/pods"
    body = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": 1}}
    r = raw(k8s, "POST", path, json.dumps(body).encode(), "application/json")
    assert r.status == 400
    assert status(r)["message"].startswith(
        'Pod in version "v1" cannot be handled as a Pod: json: cannot unmarshal'
    )
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": ["x"]}}
    r = raw(
        k8s, "POST", "/api/v1/namespaces/default/configmaps", json.dumps(body).encode(), "application/json"
    )
    assert r.status == 400
    assert seeded.list_namespaced_pod("default").items == []
    unchanged(seeded)


@pytest.mark.parametrize(
    ("path", "message"),
    [
        # a kind without field selectors of its own: apimachinery's words
        (
            "/api/v1/namespaces/default/configmaps",
            '"data.a" is not a known field selector: only "metadata.name", "metadata.namespace"',
        ),
        # kinds with their own: their registry's words
        ("/api/v1/namespaces/default/pods", "field label not supported: data.a"),
        ("/apis/batch/v1/namespaces/default/jobs", 'field label "data.a" not supported for Job'),
    ],
)
def test_an_unknown_field_selector_is_400_in_the_kinds_words(
    k8s: kubernetes.client.ApiClient, path: str, message: str
) -> None:
    resp = raw(k8s, "GET", f"{path}?fieldSelector=data.a%3D1", b"", "application/json")
    assert (resp.status, status(resp)["reason"], status(resp)["message"]) == (400, "BadRequest", message)


def test_services_select_on_their_type(k8s: kubernetes.client.ApiClient) -> None:
    v1 = CoreV1Api(k8s)
    for name, kind in (("inside", "ClusterIP"), ("outside", "NodePort")):
        spec = {"type": kind, "ports": [{"port": 80}], "selector": {"app": name}}
        v1.create_namespaced_service("default", {"metadata": {"name": name}, "spec": spec})
    found = v1.list_namespaced_service("default", field_selector="spec.type=NodePort").items
    assert [s.metadata.name for s in found] == ["outside"]
