"""apps/v1 workloads are served with their defaults, generation and the scale subresource."""

from __future__ import annotations

import kubernetes
from kubernetes.client import AppsV1Api


def deployment(name: str) -> dict:
    labels = {"app": name}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "c", "image": "python:3.11"}]},
            },
        },
    }


def test_deployment_defaults_generation_and_scale(k8s: kubernetes.client.ApiClient) -> None:
    apps = AppsV1Api(k8s)
    created = apps.create_namespaced_deployment("default", deployment("web"))
    assert created.spec.replicas == 1 and created.spec.strategy.type == "RollingUpdate"
    assert created.spec.strategy.rolling_update.max_surge == "25%"
    assert created.spec.template.spec.restart_policy == "Always"
    assert created.metadata.generation == 1
    scale = apps.read_namespaced_deployment_scale("web", "default")
    assert scale.spec.replicas == 1 and scale.status.selector == "app=web"
    apps.patch_namespaced_deployment_scale("web", "default", {"spec": {"replicas": 3}})
    after = apps.read_namespaced_deployment("web", "default")
    assert after.spec.replicas == 3 and after.metadata.generation == 2
    # a status write is not a spec change
    apps.patch_namespaced_deployment_status(
        "web", "default", {"status": {"observedGeneration": 2, "replicas": 3}}
    )
    assert apps.read_namespaced_deployment("web", "default").metadata.generation == 2
    assert apps.read_namespaced_deployment_scale("web", "default").status.replicas == 3
