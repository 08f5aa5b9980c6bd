"""Discovery documents, legacy and aggregated, as clients read them."""

from __future__ import annotations

import json

import kubernetes
from kubernetes.client import ApisApi, CoreApi, VersionApi

AGGREGATED = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"


def get(k8s: kubernetes.client.ApiClient, path: str, accept: str) -> tuple[str, dict]:
    conf = k8s.configuration
    r = k8s.rest_client.pool_manager.request(
        "GET",
        conf.host + path,
        headers={"Accept": accept, "Authorization": conf.get_api_key_with_prefix("BearerToken")},
    )
    return r.headers.get("Content-Type", ""), json.loads(r.data)


def test_legacy_discovery(k8s: kubernetes.client.ApiClient) -> None:
    assert VersionApi(k8s).get_code().major == "1"
    assert CoreApi(k8s).get_api_versions().versions == ["v1"]
    groups = {g.name: g for g in ApisApi(k8s).get_api_versions().groups}
    assert {
        "apps",
        "batch",
        "rbac.authorization.k8s.io",
        "apiextensions.k8s.io",
        "coordination.k8s.io",
    } <= set(groups)
    assert groups["batch"].preferred_version.group_version == "batch/v1"
    _, core = get(k8s, "/api/v1", "application/json")
    pods = next(r for r in core["resources"] if r["name"] == "pods")
    assert (
        pods["namespaced"]
        and pods["kind"] == "Pod"
        and "watch" in pods["verbs"]
        and pods["shortNames"] == ["po"]
    )
    assert any(r["name"] == "pods/log" for r in core["resources"])
    _, group = get(k8s, "/apis/batch", "application/json")
    assert group["kind"] == "APIGroup" and group["versions"][0]["groupVersion"] == "batch/v1"


def test_aggregated_discovery(k8s: kubernetes.client.ApiClient) -> None:
    content_type, doc = get(k8s, "/apis", AGGREGATED + ",application/json")
    assert content_type == AGGREGATED and doc["kind"] == "APIGroupDiscoveryList"
    apps = next(g for g in doc["items"] if g["metadata"]["name"] == "apps")
    deployments = next(r for r in apps["versions"][0]["resources"] if r["resource"] == "deployments")
    assert deployments["scope"] == "Namespaced"
    assert {s["subresource"] for s in deployments["subresources"]} == {"status", "scale"}
    content_type, core = get(k8s, "/api", AGGREGATED)
    assert content_type == AGGREGATED and core["items"][0]["versions"][0]["version"] == "v1"
    # a client that does not ask for it gets the legacy document
    content_type, legacy = get(k8s, "/apis", "application/json")
    assert legacy["kind"] == "APIGroupList" and content_type.startswith("application/json")
