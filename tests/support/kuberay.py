"""Harness for the operator against a localkube API server without a kubelet: the test plays
the kubelet by writing pod status, as envtest-based KubeRay tests do."""

from __future__ import annotations

import copy
from typing import Any

import kubernetes
import yaml

from localkube.testing import running_pod_status
from support.paths import KUBERAY_SAMPLES


def load_sample(name: str) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all((KUBERAY_SAMPLES / name).read_text()) if d]


class Kube:
    """Small conveniences over the official client for RayCluster tests."""

    def __init__(self, client: kubernetes.client.ApiClient, namespace: str = "default") -> None:
        self.core = kubernetes.client.CoreV1Api(client)
        self.custom = kubernetes.client.CustomObjectsApi(client)
        self.rbac = kubernetes.client.RbacAuthorizationV1Api(client)
        self.ns = namespace

    def create(self, obj: dict[str, Any]) -> dict[str, Any]:
        if obj["kind"] == "RayCluster":
            return self.custom.create_namespaced_custom_object("ray.io", "v1", self.ns, "rayclusters", obj)
        if obj["kind"] == "ConfigMap":
            return self.core.create_namespaced_config_map(self.ns, obj).to_dict()
        raise ValueError(obj["kind"])

    def cluster(self, name: str) -> dict[str, Any]:
        return self.custom.get_namespaced_custom_object("ray.io", "v1", self.ns, "rayclusters", name)

    def patch_cluster(self, name: str, patch: dict[str, Any]) -> dict[str, Any]:
        return self.custom.patch_namespaced_custom_object("ray.io", "v1", self.ns, "rayclusters", name, patch)

    def delete_cluster(self, name: str) -> None:
        self.custom.delete_namespaced_custom_object("ray.io", "v1", self.ns, "rayclusters", name)

    def pods(self, cluster: str, node_type: str | None = None, live_only: bool = True) -> list[Any]:
        selector = f"ray.io/cluster={cluster}"
        if node_type:
            selector += f",ray.io/node-type={node_type}"
        pods = self.core.list_namespaced_pod(self.ns, label_selector=selector).items
        return [p for p in pods if not (live_only and p.metadata.deletion_timestamp)]

    def run_pod(self, pod: Any, ip: str) -> None:
        """Play the kubelet: the pod is Running, its containers ready."""
        containers = [(c.name, c.image) for c in pod.spec.containers]
        body = {"status": running_pod_status(containers, ip, host_ip="10.244.0.1")}
        self.core.patch_namespaced_pod_status(pod.metadata.name, self.ns, body)

    def run_all(self, cluster: str) -> None:
        for i, pod in enumerate(self.pods(cluster)):
            if pod.status.phase != "Running":
                self.run_pod(pod, f"10.244.1.{i + 2}")

    def events(self, name: str) -> list[Any]:
        return [
            e
            for e in self.core.list_namespaced_event(self.ns).items
            if e.involved_object.kind == "RayCluster" and e.involved_object.name == name
        ]


def sample_cluster(name: str = "raycluster-kuberay", replicas: int = 1, **spec: Any) -> dict[str, Any]:
    cluster = copy.deepcopy(load_sample("ray-cluster.sample.yaml")[0])
    cluster["metadata"]["name"] = name
    group = cluster["spec"]["workerGroupSpecs"][0]
    group["replicas"] = replicas
    group["minReplicas"] = 0
    group["maxReplicas"] = 10
    cluster["spec"].update(spec)
    return cluster
