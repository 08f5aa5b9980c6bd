"""Everything the builders produce for KubeRay's samples is an object the API server accepts:
valid under the built-in kind's schema and Kubernetes' own semantic rules (as localkube applies
them), before any server is involved."""

from __future__ import annotations

import copy
from typing import Any

from kuberay.build import (
    build_autoscaler_rbac,
    build_head_ingress,
    build_head_pod,
    build_head_service,
    build_worker_pod,
)
from kuberay.build.redis_cleanup import build_redis_cleanup_job
from kubeschema import schema_for
from localkube.apiserver import schema as kube_schema
from localkube.apiserver import strategies


def _errors(obj: dict[str, Any]) -> list[str]:
    obj = copy.deepcopy(obj)
    # The API server fills in name from generateName before validating.
    if "name" not in obj["metadata"] and "generateName" in obj["metadata"]:
        obj["metadata"]["name"] = obj["metadata"]["generateName"] + "abcde"
    schema = schema_for(obj["apiVersion"], obj["kind"], descriptions=False)
    assert schema is not None
    kube_schema.apply_defaults(obj, schema)
    errors = kube_schema.validate(obj, schema)
    errors += strategies.validate_builtin(obj["apiVersion"], obj["kind"], obj)
    return [e.message() for e in errors]


def test_every_built_object_is_valid(sample: dict[str, Any]) -> None:
    objects = [build_head_pod(sample), build_head_service(sample), *build_autoscaler_rbac(sample)]
    objects += [build_worker_pod(sample, i) for i in range(len(sample["spec"]["workerGroupSpecs"]))]
    for obj in objects:
        assert _errors(obj) == [], (
            f"{obj['kind']} {obj['metadata'].get('name') or obj['metadata']['generateName']}"
        )


def test_multi_host_and_custom_service_objects_are_valid(load: Any) -> None:
    cluster = load("ray-cluster.complete.yaml")
    cluster["spec"]["workerGroupSpecs"][0]["numOfHosts"] = 2
    cluster["spec"]["headGroupSpec"]["headService"] = {
        "metadata": {"name": "my-head"},
        "spec": {"type": "NodePort", "ports": [{"name": "extra", "port": 7000}]},
    }
    cluster["spec"]["headGroupSpec"]["enableIngress"] = True
    ingress = build_head_ingress(cluster)
    assert ingress is not None and _errors(ingress) == []
    worker = build_worker_pod(cluster, 0, replica_index=1, replica_name="small-group-abcde", host_index=1)
    assert _errors(worker) == []
    assert _errors(build_head_service(cluster)) == []


def test_the_check_itself_catches_a_broken_pod(load: Any) -> None:
    pod = build_head_pod(load("ray-cluster.sample.yaml"))
    pod["spec"]["containers"].append(copy.deepcopy(pod["spec"]["containers"][0]))  # duplicate name
    pod["spec"]["volumes"].append(copy.deepcopy(pod["spec"]["volumes"][0]))  # duplicate volume
    assert len(_errors(pod)) >= 2


def test_the_redis_cleanup_job_is_valid(load: Any) -> None:
    cluster = load("ray-cluster.complete.yaml")
    cluster["spec"]["gcsFaultToleranceOptions"] = {"redisAddress": "redis:6379"}
    assert _errors(build_redis_cleanup_job(cluster)) == []
