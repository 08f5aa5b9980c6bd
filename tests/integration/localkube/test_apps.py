"""apps/v1 workloads are served with their defaults, generation and the scale subresource."""

from __future__ import annotations

import kubernetes
import pytest
from kubernetes.client import ApiException, AppsV1Api, CoreV1Api

from support.waiting import wait_for


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
    # ... and relabels nothing (kube-apiserver's Deployment status strategy keeps the labels, not
    # the rest of the metadata sent)
    apps.patch_namespaced_deployment_status(
        "web",
        "default",
        {
            "status": {"observedGeneration": 2, "replicas": 3},
            "metadata": {"labels": {"via": "status"}, "annotations": {"via": "status"}},
        },
    )
    after_status = apps.read_namespaced_deployment("web", "default").metadata
    assert after_status.generation == 2 and "via" not in (after_status.labels or {})
    assert after_status.annotations["via"] == "status"
    # the scale's status is the Deployment's (on a real cluster its controller writes it too)
    wait_for(
        "the scale's status to count 3 replicas",
        lambda: apps.read_namespaced_deployment_scale("web", "default").status.replicas == 3,
    )


def test_a_replication_controller_defaults_its_selector_and_refuses_one_its_template_misses(
    k8s: kubernetes.client.ApiClient,
) -> None:
    core = CoreV1Api(k8s)
    template = {
        "metadata": {"labels": {"app": "old"}},
        "spec": {"containers": [{"name": "c", "image": "python:3.11"}]},
    }
    rc = {"apiVersion": "v1", "kind": "ReplicationController", "metadata": {"name": "old"}}
    created = core.create_namespaced_replication_controller("default", {**rc, "spec": {"template": template}})
    assert created.spec.selector == {"app": "old"} and created.metadata.labels == {"app": "old"}
    assert created.spec.replicas == 1 and created.metadata.generation == 1
    assert created.status.replicas == 0
    scale = core.read_namespaced_replication_controller_scale("old", "default")
    assert scale.status.selector == "app=old"
    spec = {"selector": {"app": "other"}, "template": template}
    stray = {**rc, "metadata": {"name": "stray"}, "spec": spec}
    with pytest.raises(ApiException) as refused:
        core.create_namespaced_replication_controller("default", stray)
    assert refused.value.status == 422
    assert "`selector` does not match template `labels`" in refused.value.body
