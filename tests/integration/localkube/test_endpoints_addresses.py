"""Endpoints and EndpointSlices may not name loopback, link-local or unspecified addresses, nor a
node's own address (422, as Kubernetes' ValidateNonSpecialIP): a Service must not lead a pod into
the host's loopback-only servers or the kubelet."""

from __future__ import annotations

import kubernetes
import pytest
from kubernetes.client import ApiException, CoreV1Api, DiscoveryV1Api

NODE_IP = "10.244.0.1"


def endpoints(ip: str) -> dict[str, object]:
    return {
        "metadata": {"name": "web"},
        "subsets": [{"addresses": [{"ip": ip}], "ports": [{"name": "http", "port": 10250}]}],
    }


def endpoint_slice(ip: str) -> dict[str, object]:
    return {
        "metadata": {"name": "web-abc", "labels": {"kubernetes.io/service-name": "web"}},
        "addressType": "IPv4",
        "endpoints": [{"addresses": [ip]}],
        "ports": [{"name": "http", "port": 10250, "protocol": "TCP"}],
    }


@pytest.fixture
def node(k8s: kubernetes.client.ApiClient) -> None:
    v1 = CoreV1Api(k8s)
    v1.create_node({"metadata": {"name": "node-a"}})
    v1.patch_node_status("node-a", {"status": {"addresses": [{"type": "InternalIP", "address": NODE_IP}]}})


@pytest.mark.parametrize(
    ("ip", "why"),
    [
        ("127.0.0.1", "loopback"),
        ("127.3.4.5", "loopback"),
        ("169.254.169.254", "link-local"),
        ("0.0.0.0", "unspecified"),
        # kube-apiserver v1.37 takes a node's address; localkube refuses it (issue 16), since the
        # kubelet's API listens there (docs/referees.md)
        pytest.param(NODE_IP, "node", marks=pytest.mark.localkube_only(reason="node addresses refused")),
    ],
)
def test_special_and_node_addresses_are_422(
    k8s: kubernetes.client.ApiClient, node: None, ip: str, why: str
) -> None:
    v1, disc = CoreV1Api(k8s), DiscoveryV1Api(k8s)
    with pytest.raises(ApiException) as e:
        v1.create_namespaced_endpoints("default", endpoints(ip))
    assert e.value.status == 422 and why in e.value.body
    assert "subsets[0].addresses[0].ip" in e.value.body
    with pytest.raises(ApiException) as e:
        disc.create_namespaced_endpoint_slice("default", endpoint_slice(ip))
    assert e.value.status == 422 and why in e.value.body
    # an update is held to it too
    v1.create_namespaced_endpoints("default", endpoints("10.244.0.9"))
    with pytest.raises(ApiException) as e:
        v1.patch_namespaced_endpoints("web", "default", endpoints(ip))
    assert e.value.status == 422
    assert v1.read_namespaced_endpoints("web", "default").subsets[0].addresses[0].ip == "10.244.0.9"


def test_pod_addresses_are_accepted(k8s: kubernetes.client.ApiClient, node: None) -> None:
    CoreV1Api(k8s).create_namespaced_endpoints("default", endpoints("10.244.0.9"))
    DiscoveryV1Api(k8s).create_namespaced_endpoint_slice("default", endpoint_slice("10.244.0.9"))
