"""The request counts /metrics serves: by client and by the verb kube-apiserver would name."""

from __future__ import annotations

from localkube.apiserver.requestcount import RequestCounter, resource, verb


def test_verbs_as_kube_apiserver_names_them() -> None:
    assert verb("GET", "/api/v1/namespaces/a/pods", {}) == "LIST"
    assert verb("GET", "/api/v1/pods", {}) == "LIST"
    assert verb("GET", "/api/v1/namespaces/a/pods/p", {}) == "GET"
    assert verb("GET", "/api/v1/namespaces/a", {}) == "GET"
    assert verb("GET", "/api/v1/namespaces", {}) == "LIST"
    assert verb("GET", "/apis/ray.io/v1/namespaces/a/rayclusters", {"watch": "true"}) == "WATCH"
    assert verb("GET", "/apis/ray.io/v1/namespaces/a/rayclusters/c/status", {}) == "GET"
    assert verb("PATCH", "/apis/ray.io/v1/namespaces/a/rayclusters/c/status", {}) == "PATCH"


def test_counted_by_user_agent_product_resource_and_code() -> None:
    counter = RequestCounter()
    kuberay = "kuberay-operator/v1.5.0 (linux/amd64)"
    counter.count("GET", "/api/v1/namespaces/a/pods", {}, kuberay, 200)
    counter.count("GET", "/api/v1/namespaces/a/pods", {}, kuberay, 200)
    counter.count("PUT", "/apis/ray.io/v1/namespaces/a/rayclusters/c/status", {}, kuberay, 409)
    counter.count("POST", "/api/v1/namespaces/a/pods", {}, "kopf/1.38", 201)
    counter.count("GET", "/version", {}, "kopf/1.38", 200)  # not a resource request
    assert counter.render().splitlines()[2:] == [
        'apiserver_request_total{client="kopf",code="201",resource="pods",subresource="",verb="POST"} 1',
        'apiserver_request_total{client="kuberay-operator",code="200",resource="pods",'
        'subresource="",verb="LIST"} 2',
        'apiserver_request_total{client="kuberay-operator",code="409",resource="rayclusters",'
        'subresource="status",verb="PUT"} 1',
    ]


def test_resource_and_subresource() -> None:
    assert resource("/api/v1/namespaces/a/pods/p/log") == ("pods", "log")
    assert resource("/api/v1/nodes") == ("nodes", "")
    assert resource("/apis/ray.io/v1/rayclusters") == ("rayclusters", "")
    assert resource("/api/v1/namespaces/a") == ("namespaces", "")
