"""CustomResourceDefinitions: established, served, validated, defaulted, pruned; status/scale; cleanup."""

from __future__ import annotations

import json
import time

import kubernetes
import pytest
import yaml
from kubernetes.client import ApiException, ApiextensionsV1Api, CustomObjectsApi

from support.crds import create_crd, widget_crd
from support.paths import KUBERAY_CRD, KUBERAY_SAMPLES

WIDGET_CRD = widget_crd(
    "example.com",
    {
        "required": ["size"],
        "properties": {
            "size": {"type": "integer", "minimum": 1},
            "color": {"type": "string", "default": "blue", "enum": ["blue", "red"]},
            "replicas": {"type": "integer"},
        },
    },
    status={"replicas": {"type": "integer"}, "ready": {"type": "boolean"}},
    shortNames=["wd"],
    categories=["all"],
)


def widget(name: str, **spec: object) -> dict:
    return {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": name}, "spec": spec}


def install(k8s: kubernetes.client.ApiClient) -> CustomObjectsApi:
    create_crd(k8s, WIDGET_CRD)
    return CustomObjectsApi(k8s)


def args(name: str | None = None) -> tuple:
    base = ("example.com", "v1", "default", "widgets")
    return (*base, name) if name else base


def test_crd_is_established_and_discoverable(k8s: kubernetes.client.ApiClient) -> None:
    install(k8s)
    crd = ApiextensionsV1Api(k8s).read_custom_resource_definition("widgets.example.com")
    conditions = {c.type: c.status for c in crd.status.conditions}
    assert conditions["Established"] == "True" and conditions["NamesAccepted"] == "True"
    resources = kubernetes.client.CustomObjectsApi(k8s).get_api_resources("example.com", "v1")
    by_name = {r.name: r for r in resources.resources}
    assert by_name["widgets"].short_names == ["wd"] and by_name["widgets"].kind == "Widget"
    assert "widgets/status" in by_name and "widgets/scale" in by_name


def test_custom_objects_are_defaulted_pruned_and_validated(k8s: kubernetes.client.ApiClient) -> None:
    api = install(k8s)
    created = api.create_namespaced_custom_object(*args(), widget("w1", size=3, extra="dropped"))
    assert created["spec"] == {"size": 3, "color": "blue"}
    with pytest.raises(ApiException) as e:
        api.create_namespaced_custom_object(*args(), widget("w2", size="big"))
    body = json.loads(e.value.body)
    assert e.value.status == 422 and body["reason"] == "Invalid"
    assert body["details"]["causes"][0]["field"] == "spec.size"
    assert body["message"].startswith('Widget.example.com "w2" is invalid: spec.size: Invalid value')
    with pytest.raises(ApiException) as e:
        api.create_namespaced_custom_object(*args(), widget("w3", color="green", size=1))
    assert e.value.status == 422 and "spec.color" in json.loads(e.value.body)["message"]
    items = api.list_namespaced_custom_object(*args())["items"]
    assert [o["metadata"]["name"] for o in items] == ["w1"]
    # a custom resource's list items keep their kind, unlike a built-in kind's
    assert (items[0]["kind"], items[0]["apiVersion"]) == ("Widget", "example.com/v1")


def test_field_validation_strict_and_warn(k8s: kubernetes.client.ApiClient) -> None:
    api = install(k8s)
    with pytest.raises(ApiException) as e:
        api.create_namespaced_custom_object(*args(), widget("s", size=1, bogus=1), field_validation="Strict")
    assert e.value.status == 400 and 'unknown field "spec.bogus"' in json.loads(e.value.body)["message"]
    _, status, headers = api.create_namespaced_custom_object_with_http_info(
        *args(), widget("w", size=1, bogus=1), field_validation="Warn"
    )
    assert status == 201
    assert headers.get("Warning") == '299 - "unknown field \\"spec.bogus\\""'


def test_status_and_scale_subresources(k8s: kubernetes.client.ApiClient) -> None:
    api = install(k8s)
    api.create_namespaced_custom_object(*args(), widget("w", size=1, replicas=1))
    # status written on create or through the main resource is ignored
    api.patch_namespaced_custom_object(*args("w"), {"status": {"ready": True}})
    assert "status" not in api.get_namespaced_custom_object(*args("w"))
    updated = api.patch_namespaced_custom_object_status(
        *args("w"), {"status": {"ready": True, "replicas": 1}, "spec": {"size": 99}}
    )
    assert updated["status"] == {"ready": True, "replicas": 1} and updated["spec"]["size"] == 1
    assert updated["metadata"]["generation"] == 1
    scale = api.get_namespaced_custom_object_scale(*args("w"))
    assert scale["spec"]["replicas"] == 1 and scale["status"]["replicas"] == 1
    api.patch_namespaced_custom_object_scale(*args("w"), {"spec": {"replicas": 4}})
    after = api.get_namespaced_custom_object(*args("w"))
    assert after["spec"]["replicas"] == 4 and after["metadata"]["generation"] == 2


def test_strategic_merge_patch_on_custom_resource_is_415(k8s: kubernetes.client.ApiClient, kubectl) -> None:  # type: ignore[no-untyped-def]
    api = install(k8s)
    api.create_namespaced_custom_object(*args(), widget("w", size=1))
    result = kubectl("patch", "widget", "w", "--type=strategic", "-p", '{"spec":{"size":2}}')
    assert result.returncode != 0
    assert "the body of the request was in an unknown format" in result.stderr
    merged = kubectl("patch", "widget", "w", "--type=merge", "-p", '{"spec":{"size":2}}')
    assert merged.returncode == 0, merged.stderr
    assert api.get_namespaced_custom_object(*args("w"))["spec"]["size"] == 2


def test_deleting_the_crd_deletes_its_objects(k8s: kubernetes.client.ApiClient) -> None:
    api = install(k8s)
    api.create_namespaced_custom_object(*args(), widget("w", size=1))
    ApiextensionsV1Api(k8s).delete_custom_resource_definition("widgets.example.com")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        names = [c.metadata.name for c in ApiextensionsV1Api(k8s).list_custom_resource_definition().items]
        if "widgets.example.com" not in names:
            break
        time.sleep(0.05)
    assert "widgets.example.com" not in names
    with pytest.raises(ApiException) as e:
        api.list_namespaced_custom_object(*args())
    assert e.value.status == 404
    # reinstalled, the old objects are gone
    install(k8s)
    assert api.list_namespaced_custom_object(*args())["items"] == []


def test_raycluster_crd_through_official_client(k8s: kubernetes.client.ApiClient) -> None:
    with open(KUBERAY_CRD) as f:
        create_crd(k8s, yaml.safe_load(f))
    with open(KUBERAY_SAMPLES / "ray-cluster.sample.yaml") as f:
        docs = [d for d in yaml.safe_load_all(f) if d and d.get("kind") == "RayCluster"]
    api = CustomObjectsApi(k8s)
    rc = api.create_namespaced_custom_object("ray.io", "v1", "default", "rayclusters", docs[0])
    assert rc["spec"]["headGroupSpec"]["template"]["spec"]["containers"]
    bad = json.loads(json.dumps(docs[0]))
    bad["metadata"]["name"] = "bad"
    bad["spec"]["workerGroupSpecs"][0]["replicas"] = "three"
    with pytest.raises(ApiException) as e:
        api.create_namespaced_custom_object("ray.io", "v1", "default", "rayclusters", bad)
    assert e.value.status == 422
    assert "spec.workerGroupSpecs[0].replicas" in json.loads(e.value.body)["message"]


def test_crd_held_by_an_object_reports_terminating(k8s: kubernetes.client.ApiClient) -> None:
    api = install(k8s)
    held = widget("held", size=1)
    held["metadata"]["finalizers"] = ["example.com/keep"]
    api.create_namespaced_custom_object(*args(), held)
    ext = ApiextensionsV1Api(k8s)
    # the cleanup finalizer comes with the delete (a CRD nobody deletes carries none)
    assert not ext.read_custom_resource_definition("widgets.example.com").metadata.finalizers
    ext.delete_custom_resource_definition("widgets.example.com")
    crd = ext.read_custom_resource_definition("widgets.example.com")
    assert {c.type: c.status for c in crd.status.conditions}.get("Terminating") == "True"
    assert crd.metadata.finalizers == ["customresourcecleanup.apiextensions.k8s.io"]
    api.patch_namespaced_custom_object(*args("held"), {"metadata": {"finalizers": None}})
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if "widgets.example.com" not in [
            c.metadata.name for c in ext.list_custom_resource_definition().items
        ]:
            return
        time.sleep(0.05)
    pytest.fail("the CRD stayed after its last object went")


def test_a_custom_resource_read_in_another_version_is_that_versions(k8s: kubernetes.client.ApiClient) -> None:
    """A RayCluster created in v1 and read in v1alpha1 carries only what v1alpha1's schema has:
    v1's defaults (a worker group's numOfHosts) are pruned away on the read, not in storage."""
    with open(KUBERAY_CRD) as f:
        create_crd(k8s, yaml.safe_load(f))
    with open(KUBERAY_SAMPLES / "ray-cluster.sample.yaml") as f:
        [sample] = [d for d in yaml.safe_load_all(f) if d and d.get("kind") == "RayCluster"]
    sample["metadata"]["name"] = "versions"
    api = CustomObjectsApi(k8s)
    created = api.create_namespaced_custom_object("ray.io", "v1", "default", "rayclusters", sample)
    assert created["spec"]["workerGroupSpecs"][0]["numOfHosts"] == 1
    old = api.get_namespaced_custom_object("ray.io", "v1alpha1", "default", "rayclusters", "versions")
    assert old["apiVersion"] == "ray.io/v1alpha1"
    assert "numOfHosts" not in old["spec"]["workerGroupSpecs"][0]
    again = api.get_namespaced_custom_object("ray.io", "v1", "default", "rayclusters", "versions")
    assert again["spec"]["workerGroupSpecs"][0]["numOfHosts"] == 1
