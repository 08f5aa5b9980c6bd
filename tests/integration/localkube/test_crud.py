"""CRUD semantics through the official kubernetes client: what a controller author relies on."""

from __future__ import annotations

import json

import kubernetes
import pytest
from kubernetes.client import ApiException, CoreV1Api


def pod(name: str = "", generate: str = "", labels: dict[str, str] | None = None) -> dict:
    meta: dict = {"labels": labels or {}}
    if name:
        meta["name"] = name
    if generate:
        meta["generateName"] = generate
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": meta,
        "spec": {"containers": [{"name": "main", "image": "python:3.11", "command": ["sleep", "1"]}]},
    }


def status_of(err: ApiException) -> dict:
    return json.loads(err.body)


def test_create_get_list_delete_pod(k8s: kubernetes.client.ApiClient) -> None:
    v1 = CoreV1Api(k8s)
    created = v1.create_namespaced_pod("default", pod("web", labels={"app": "web"}))
    assert created.metadata.uid and created.metadata.creation_timestamp
    assert int(created.metadata.resource_version) > 0
    assert created.status.phase == "Pending"
    got = v1.read_namespaced_pod("web", "default")
    assert got.metadata.uid == created.metadata.uid
    listed = v1.list_namespaced_pod("default")
    assert [p.metadata.name for p in listed.items] == ["web"]
    assert int(listed.metadata.resource_version) >= int(created.metadata.resource_version)
    v1.delete_namespaced_pod("web", "default")
    with pytest.raises(ApiException) as e:
        v1.read_namespaced_pod("web", "default")
    assert e.value.status == 404
    body = status_of(e.value)
    assert body["reason"] == "NotFound" and body["message"] == 'pods "web" not found'
    assert body["details"] == {"name": "web", "kind": "pods"}


def test_already_exists_and_generate_name(k8s: kubernetes.client.ApiClient) -> None:
    v1 = CoreV1Api(k8s)
    v1.create_namespaced_pod("default", pod("a"))
    with pytest.raises(ApiException) as e:
        v1.create_namespaced_pod("default", pod("a"))
    assert e.value.status == 409
    assert status_of(e.value)["reason"] == "AlreadyExists"
    assert status_of(e.value)["message"] == 'pods "a" already exists'
    generated = v1.create_namespaced_pod("default", pod(generate="worker-"))
    assert (
        generated.metadata.name.startswith("worker-") and len(generated.metadata.name) == len("worker-") + 5
    )


def test_stale_update_conflicts(k8s: kubernetes.client.ApiClient) -> None:
    v1 = CoreV1Api(k8s)
    cm = v1.create_namespaced_config_map(
        "default", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"k": "1"}}
    )
    first = v1.read_namespaced_config_map("c", "default")
    first.data = {"k": "2"}
    updated = v1.replace_namespaced_config_map("c", "default", first)
    assert int(updated.metadata.resource_version) > int(cm.metadata.resource_version)
    first.data = {"k": "3"}  # still carries the old resourceVersion
    with pytest.raises(ApiException) as e:
        v1.replace_namespaced_config_map("c", "default", first)
    assert e.value.status == 409
    assert status_of(e.value)["message"] == (
        'Operation cannot be fulfilled on configmaps "c": the object has been modified; please apply your '
        "changes to the latest version and try again"
    )
    assert v1.read_namespaced_config_map("c", "default").data == {"k": "2"}


def test_missing_namespace_and_invalid_name(k8s: kubernetes.client.ApiClient) -> None:
    v1 = CoreV1Api(k8s)
    with pytest.raises(ApiException) as e:
        v1.create_namespaced_pod("nowhere", pod("x"))
    assert e.value.status == 404 and status_of(e.value)["message"] == 'namespaces "nowhere" not found'
    with pytest.raises(ApiException) as e:
        v1.create_namespaced_pod("default", pod("Bad_Name"))
    body = status_of(e.value)
    assert e.value.status == 422 and body["reason"] == "Invalid"
    assert body["message"].startswith('Pod "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name"')
    assert body["details"]["causes"][0]["field"] == "metadata.name"
    assert v1.list_namespaced_pod("default").items == []


def test_status_subresource_and_generation(k8s: kubernetes.client.ApiClient) -> None:
    v1 = CoreV1Api(k8s)
    created = v1.create_namespaced_pod("default", pod("s"))
    assert created.metadata.generation == 1
    # as kube-apiserver's status strategy for Pods: the metadata sent is kept, but for the owners
    uid = "11111111-1111-1111-1111-111111111111"
    owner = {"apiVersion": "v1", "kind": "ConfigMap", "name": "o", "uid": uid}
    patched = v1.patch_namespaced_pod_status(
        "s",
        "default",
        {
            "status": {"phase": "Running", "podIP": "10.0.0.9"},
            "metadata": {"labels": {"kept": "yes"}, "ownerReferences": [owner]},
        },
    )
    assert patched.status.phase == "Running" and patched.metadata.generation == 1
    assert patched.metadata.labels["kept"] == "yes" and not patched.metadata.owner_references
    # a main-resource write does not change status
    main = v1.patch_namespaced_pod(
        "s", "default", {"status": {"phase": "Failed"}, "metadata": {"labels": {"x": "y"}}}
    )
    assert main.status.phase == "Running" and main.metadata.labels["x"] == "y"
    assert main.metadata.generation == 1
    img = v1.patch_namespaced_pod(
        "s", "default", {"spec": {"containers": [{"name": "main", "image": "py:2"}]}}
    )
    assert img.metadata.generation == 2 and img.spec.containers[0].image == "py:2"


def test_dry_run_stores_nothing(k8s: kubernetes.client.ApiClient) -> None:
    v1 = CoreV1Api(k8s)
    out = v1.create_namespaced_pod("default", pod("dry"), dry_run="All")
    assert out.metadata.name == "dry"
    assert v1.list_namespaced_pod("default").items == []


def test_label_and_field_selectors_and_pagination(k8s: kubernetes.client.ApiClient) -> None:
    v1 = CoreV1Api(k8s)
    for i in range(5):
        v1.create_namespaced_pod("default", pod(f"p{i}", labels={"tier": "a" if i < 3 else "b"}))
    names = lambda lst: [p.metadata.name for p in lst.items]  # noqa: E731
    assert names(v1.list_namespaced_pod("default", label_selector="tier=a")) == ["p0", "p1", "p2"]
    assert names(v1.list_namespaced_pod("default", label_selector="tier in (b),tier!=a")) == ["p3", "p4"]
    assert names(v1.list_namespaced_pod("default", field_selector="metadata.name=p4")) == ["p4"]
    assert names(v1.list_namespaced_pod("default", field_selector="status.phase=Pending")) == [
        f"p{i}" for i in range(5)
    ]
    page = v1.list_namespaced_pod("default", limit=2)
    assert names(page) == ["p0", "p1"] and page.metadata.remaining_item_count == 3
    page2 = v1.list_namespaced_pod("default", limit=2, _continue=page.metadata._continue)
    assert names(page2) == ["p2", "p3"]
    page3 = v1.list_namespaced_pod("default", limit=2, _continue=page2.metadata._continue)
    assert names(page3) == ["p4"] and not page3.metadata._continue
    with pytest.raises(ApiException) as e:
        v1.list_namespaced_pod("default", field_selector="spec.bogus=1")
    assert e.value.status == 400


def test_list_exact_resource_version(k8s: kubernetes.client.ApiClient) -> None:
    v1 = CoreV1Api(k8s)
    v1.create_namespaced_pod("default", pod("old"))
    rv = v1.list_namespaced_pod("default").metadata.resource_version
    v1.create_namespaced_pod("default", pod("new"))
    v1.delete_namespaced_pod("old", "default")
    then = v1.list_namespaced_pod("default", resource_version=rv, resource_version_match="Exact")
    assert [p.metadata.name for p in then.items] == ["old"] and then.metadata.resource_version == rv
    assert [p.metadata.name for p in v1.list_namespaced_pod("default").items] == ["new"]


def test_a_request_without_credentials_is_anonymous(apiserver, kubeconfig) -> None:  # type: ignore[no-untyped-def]
    """As kube-apiserver (--anonymous-auth on by default): system:anonymous, and RBAC decides."""
    conf = kubernetes.client.Configuration()
    conf.host = apiserver.url
    conf.ssl_ca_cert = str(apiserver.ca_cert_path)
    with kubernetes.client.ApiClient(conf) as anon:
        assert kubernetes.client.VersionApi(anon).get_code().git_version.startswith("v1.")
        with pytest.raises(ApiException) as e:
            CoreV1Api(anon).list_namespace()
    assert e.value.status == 403 and status_of(e.value)["message"] == (
        'namespaces is forbidden: User "system:anonymous" cannot list resource "namespaces" in API '
        'group "" at the cluster scope'
    )


def test_secret_string_data_and_services(k8s: kubernetes.client.ApiClient) -> None:
    v1 = CoreV1Api(k8s)
    s = v1.create_namespaced_secret(
        "default",
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "s"},
            "stringData": {"password": "hunter2"},
        },
    )
    assert s.data == {"password": "aHVudGVyMg=="} and s.type == "Opaque"
    svc = v1.create_namespaced_service(
        "default",
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "a"},
            "spec": {"ports": [{"port": 80}], "selector": {"x": "y"}},
        },
    )
    assert svc.spec.cluster_ip.startswith("10.") and svc.spec.cluster_ip != "10.96.0.1"
    assert svc.spec.ports[0].target_port == 80
    headless = v1.create_namespaced_service(
        "default",
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "h"},
            "spec": {"clusterIP": "None", "ports": [{"port": 1}]},
        },
    )
    assert headless.spec.cluster_ip == "None"
    with pytest.raises(ApiException) as e:
        v1.create_namespaced_service(
            "default",
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": {"name": "b"},
                "spec": {"clusterIP": svc.spec.cluster_ip, "ports": [{"port": 80}]},
            },
        )
    assert e.value.status == 422 and "already allocated" in status_of(e.value)["message"]
    v1.delete_namespaced_service("a", "default")
    again = v1.create_namespaced_service(
        "default",
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "b"},
            "spec": {"clusterIP": svc.spec.cluster_ip, "ports": [{"port": 80}]},
        },
    )
    assert again.spec.cluster_ip == svc.spec.cluster_ip


def test_bootstrap_objects(k8s: kubernetes.client.ApiClient, apiserver) -> None:  # type: ignore[no-untyped-def]
    v1 = CoreV1Api(k8s)
    names = {n.metadata.name for n in v1.list_namespace().items}
    assert {"default", "kube-system", "kube-public", "kube-node-lease"} <= names
    svc = v1.read_namespaced_service("kubernetes", "default")
    assert svc.spec.cluster_ip == "10.96.0.1" and svc.spec.ports[0].target_port == apiserver.port
    ep = v1.read_namespaced_endpoints("kubernetes", "default")
    # kube-apiserver may not advertise loopback: it advertises the node's address, where the
    # kubelet's service proxy reaches this host; localkube has no such address without a node
    # (docs/referees.md)
    advertised = getattr(apiserver, "node_address", "127.0.0.1")
    assert ep.subsets[0].addresses[0].ip == advertised and ep.subsets[0].ports[0].port == apiserver.port
    assert v1.read_namespaced_service_account("default", "default").metadata.name == "default"
    assert "BEGIN CERTIFICATE" in v1.read_namespaced_config_map("kube-root-ca.crt", "default").data["ca.crt"]


def test_put_creates_only_where_kubernetes_does(k8s: kubernetes.client.ApiClient) -> None:
    v1 = CoreV1Api(k8s)
    ep = v1.replace_namespaced_endpoints(
        "svc", "default", {"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "svc"}}
    )
    assert ep.metadata.uid
    with pytest.raises(ApiException) as e:
        v1.replace_namespaced_config_map(
            "nope", "default", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "nope"}}
        )
    assert e.value.status == 404


def test_list_items_leave_kind_to_the_list(k8s: kubernetes.client.ApiClient) -> None:
    """A built-in kind's list names the kind once; its items carry no kind or apiVersion, and an
    item taken from the list goes back with PUT as it is."""
    v1 = CoreV1Api(k8s)
    v1.create_namespaced_config_map(
        "default",
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "listed"}, "data": {"a": "1"}},
    )
    listing = json.loads(v1.list_namespaced_config_map("default", _preload_content=False).data)
    assert (listing["kind"], listing["apiVersion"]) == ("ConfigMapList", "v1")
    [item] = [i for i in listing["items"] if i["metadata"]["name"] == "listed"]
    assert "kind" not in item and "apiVersion" not in item
    item["data"] = {"a": "2"}
    v1.replace_namespaced_config_map("listed", "default", item)
    assert v1.read_namespaced_config_map("listed", "default").data == {"a": "2"}
    one = json.loads(v1.read_namespaced_config_map("listed", "default", _preload_content=False).data)
    assert (one["kind"], one["apiVersion"]) == ("ConfigMap", "v1")
