"""validate_raycluster: what a schema cannot catch, each problem naming the field and the fix;
and KubeRay's defaults."""

from __future__ import annotations

from typing import Any

import pytest

from kuberay.api.defaults import apply_defaults
from kuberay.api.validation import Problem, validate_raycluster


def only(problems: list[Problem]) -> Problem:
    assert len(problems) == 1, [str(p) for p in problems]
    return problems[0]


def test_kuberay_samples_are_valid(sample: dict[str, Any]) -> None:
    assert validate_raycluster(sample) == []


def test_duplicate_group_names(load: Any) -> None:
    obj = load("ray-cluster.sample.yaml")
    obj["spec"]["workerGroupSpecs"].append(dict(obj["spec"]["workerGroupSpecs"][0]))
    p = only(validate_raycluster(obj))
    assert p.path == "spec.workerGroupSpecs[1].groupName"
    assert "duplicate worker group name 'workergroup'" in p.message
    assert "unique groupName" in p.fix


def test_min_replicas_above_max(load: Any) -> None:
    obj = load("ray-cluster.sample.yaml")
    obj["spec"]["workerGroupSpecs"][0].update(minReplicas=4, maxReplicas=2)
    p = only(validate_raycluster(obj))
    assert p.path == "spec.workerGroupSpecs[0].minReplicas"
    assert p.message == "worker group workergroup has minReplicas 4 greater than maxReplicas 2"
    assert "minReplicas <= maxReplicas" in p.fix
    assert str(p).startswith(
        "spec.workerGroupSpecs[0].minReplicas: worker group workergroup has minReplicas 4"
    )


def test_head_template_without_containers(load: Any) -> None:
    obj = load("ray-cluster.sample.yaml")
    obj["spec"]["headGroupSpec"]["template"]["spec"]["containers"] = []
    p = only(validate_raycluster(obj))
    assert p.path == "spec.headGroupSpec.template.spec.containers"
    assert p.message == "headGroupSpec should have at least one container"


def test_worker_template_without_containers(load: Any) -> None:
    obj = load("ray-cluster.sample.yaml")
    del obj["spec"]["workerGroupSpecs"][0]["template"]["spec"]["containers"]
    assert only(validate_raycluster(obj)).path == "spec.workerGroupSpecs[0].template.spec.containers"


@pytest.mark.parametrize(
    ("key", "value", "says"),
    [
        ("num-cpus", "two", "num-cpus must be a non-negative number"),
        ("num-gpus", "1x", "num-gpus must be a non-negative number"),
        ("memory", "4Gi", "memory must be a whole number of bytes"),
        ("object-store-memory", "1.5", "object-store-memory must be a whole number of bytes"),
        ("port", "70000", "port must be a port number"),
        ("dashboard-port", "http", "dashboard-port must be a port number"),
        ("resources", "'{Custom1: 1}'", "resources is not a JSON object"),
        ("resources", '\'{"Custom1": "lots"}\'', "resources must map resource names to numbers"),
    ],
)
def test_malformed_ray_start_params(load: Any, key: str, value: str, says: str) -> None:
    obj = load("ray-cluster.sample.yaml")
    obj["spec"]["workerGroupSpecs"][0]["rayStartParams"] = {key: value}
    p = only(validate_raycluster(obj))
    assert p.path == f"spec.workerGroupSpecs[0].rayStartParams.{key}"
    assert says in p.message
    assert p.fix


def test_well_formed_ray_start_params(load: Any) -> None:
    obj = load("ray-cluster.sample.yaml")
    obj["spec"]["headGroupSpec"]["rayStartParams"] = {
        "num-cpus": "0",
        "num-gpus": "0.5",
        "memory": "1073741824",
        "port": "6380",
        "resources": '"{\\"Custom1\\": 1, \\"Custom2\\": 5}"',
        "redis-password": "$REDIS_PASSWORD",
        "object-store-memory": "${OBJ_MEM}",
    }
    assert validate_raycluster(obj) == []


def test_non_string_ray_start_param(load: Any) -> None:
    obj = load("ray-cluster.sample.yaml")
    obj["spec"]["headGroupSpec"]["rayStartParams"] = {"num-cpus": 1}
    p = only(validate_raycluster(obj))
    assert p.path == "spec.headGroupSpec.rayStartParams.num-cpus"
    assert 'num-cpus: "1"' in p.fix


def test_autoscaler_version_and_mode(load: Any) -> None:
    obj = load("ray-cluster.autoscaler.yaml")
    obj["spec"]["autoscalerOptions"].update(version="v3", upscalingMode="Fast")
    problems = validate_raycluster(obj)
    assert [p.path for p in problems] == [
        "spec.autoscalerOptions.version",
        "spec.autoscalerOptions.upscalingMode",
    ]
    assert "must be v1 or v2, got 'v3'" in problems[0].message


def test_workers_to_delete_naming_another_groups_pod(load: Any) -> None:
    obj = load("ray-cluster.sample.yaml")
    other = dict(obj["spec"]["workerGroupSpecs"][0], groupName="gpu")
    obj["spec"]["workerGroupSpecs"].append(other)
    obj["spec"]["workerGroupSpecs"][0]["scaleStrategy"] = {
        "workersToDelete": [
            "raycluster-kuberay-gpu-worker-abcde",
            "raycluster-kuberay-workergroup-worker-x1y2z",
        ]
    }
    p = only(validate_raycluster(obj))
    assert p.path == "spec.workerGroupSpecs[0].scaleStrategy.workersToDelete[0]"
    assert (
        p.message
        == "pod raycluster-kuberay-gpu-worker-abcde belongs to worker group 'gpu', not 'workergroup'"
    )
    assert "group 'gpu'" in p.fix


def test_workers_to_delete_checked_against_real_pods(load: Any) -> None:
    obj = load("ray-cluster.sample.yaml")
    obj["spec"]["workerGroupSpecs"][0]["scaleStrategy"] = {"workersToDelete": ["custom-name"]}
    pods = [{"metadata": {"name": "custom-name", "labels": {"ray.io/group": "other"}}}]
    assert only(validate_raycluster(obj, pods)).path.endswith("workersToDelete[0]")
    pods[0]["metadata"]["labels"]["ray.io/group"] = "workergroup"
    assert validate_raycluster(obj, pods) == []


def test_both_resources_styles_and_labels_param(load: Any) -> None:
    obj = load("ray-cluster.sample.yaml")
    group = obj["spec"]["workerGroupSpecs"][0]
    group["resources"] = {"cpu": "2"}
    group["rayStartParams"] = {"num-cpus": "2", "labels": "a=b"}
    group["labels"] = {"bad key!": "x", "ok": "-bad-value"}
    paths = [p.path for p in validate_raycluster(obj)]
    assert paths == [
        "spec.workerGroupSpecs[0].resources",
        "spec.workerGroupSpecs[0].rayStartParams.labels",
        "spec.workerGroupSpecs[0].labels",
        "spec.workerGroupSpecs[0].labels.ok",
    ]


def test_autoscaler_v2_rules(load: Any) -> None:
    obj = load("ray-cluster.autoscaler-v2.yaml")
    obj["spec"]["headGroupSpec"]["template"]["spec"]["restartPolicy"] = "Always"
    obj["spec"]["workerGroupSpecs"][0]["template"]["spec"]["restartPolicy"] = "OnFailure"
    obj["spec"]["workerGroupSpecs"][0]["suspend"] = True
    paths = sorted(p.path for p in validate_raycluster(obj))
    assert paths == [
        "spec.headGroupSpec.template.spec.restartPolicy",
        "spec.workerGroupSpecs[0].suspend",
        "spec.workerGroupSpecs[0].template.spec.restartPolicy",
    ]


def test_idle_timeout_per_group_needs_v2(load: Any) -> None:
    obj = load("ray-cluster.autoscaler.yaml")
    obj["spec"]["workerGroupSpecs"][0]["idleTimeoutSeconds"] = 30
    p = only(validate_raycluster(obj))
    assert p.path == "spec.workerGroupSpecs[0].idleTimeoutSeconds"
    assert "autoscalerOptions.version to v2" in p.fix
    obj["spec"]["autoscalerOptions"]["version"] = "v2"
    assert validate_raycluster(obj) == []


def test_v2_env_without_autoscaling(load: Any) -> None:
    obj = load("ray-cluster.sample.yaml")
    obj["spec"]["headGroupSpec"]["template"]["spec"]["containers"][0]["env"] = [
        {"name": "RAY_enable_autoscaler_v2", "value": "true"}
    ]
    p = only(validate_raycluster(obj))
    assert "enableInTreeAutoscaling" in p.fix


def test_min_and_max_required_without_autoscaling(load: Any) -> None:
    obj = load("ray-cluster.sample.yaml")
    del obj["spec"]["workerGroupSpecs"][0]["maxReplicas"]
    assert "must set both minReplicas and maxReplicas" in only(validate_raycluster(obj)).message
    assert validate_raycluster(apply_defaults(obj)) == []


def test_cluster_name(load: Any) -> None:
    obj = load("ray-cluster.sample.yaml")
    obj["metadata"]["name"] = "x" * 54
    assert "no more than 53 characters" in only(validate_raycluster(obj)).message
    obj["metadata"]["name"] = "1cluster"
    assert "DNS1035" in only(validate_raycluster(obj)).message


def test_gcs_fault_tolerance_conflicts(load: Any) -> None:
    obj = load("ray-cluster.sample.yaml")
    obj["metadata"]["annotations"] = {"ray.io/ft-enabled": "true"}
    obj["spec"]["gcsFaultToleranceOptions"] = {"redisAddress": "redis:6379"}
    obj["spec"]["headGroupSpec"]["rayStartParams"] = {"redis-password": "secret"}
    messages = [p.message for p in validate_raycluster(obj)]
    assert any(
        "ray.io/ft-enabled annotation and GcsFaultToleranceOptions are both set" in m for m in messages
    )
    assert any("cannot set `redis-password` in rayStartParams" in m for m in messages)


def test_unsupported_features_are_named(load: Any) -> None:
    obj = load("ray-cluster.sample.yaml")
    obj["spec"]["networkPolicy"] = {"mode": "DenyAll"}
    p = only(validate_raycluster(obj))
    assert p.path == "spec.networkPolicy" and "Remove spec.networkPolicy" in p.fix


def test_token_auth_needs_a_recent_ray(load: Any) -> None:
    obj = load("ray-cluster.sample.yaml")
    obj["spec"]["authOptions"] = {"mode": "token"}
    obj["spec"]["rayVersion"] = "2.46.0"
    assert only(validate_raycluster(obj)).path == "spec.rayVersion"


@pytest.mark.parametrize(
    "garbage",
    [
        {},
        {"metadata": {"name": "a"}, "spec": []},
        {"metadata": {"name": "a"}, "spec": {"headGroupSpec": "x", "workerGroupSpecs": [1, None]}},
        {"metadata": {"name": "a"}, "spec": {"headGroupSpec": {"template": {"spec": {"containers": [1]}}}}},
    ],
)
def test_garbage_is_reported_never_raised(garbage: dict[str, Any]) -> None:
    assert validate_raycluster(garbage)


def test_defaults_are_kuberays(load: Any) -> None:
    obj = load("ray-cluster.sample.yaml")
    group = obj["spec"]["workerGroupSpecs"][0]
    for key in ("replicas", "minReplicas", "maxReplicas", "rayStartParams"):
        del group[key]
    del obj["spec"]["headGroupSpec"]["rayStartParams"]
    out = apply_defaults(obj)
    g = out["spec"]["workerGroupSpecs"][0]
    assert (g["replicas"], g["minReplicas"], g["maxReplicas"], g["numOfHosts"], g["priority"]) == (
        0,
        0,
        2147483647,
        1,
        0,
    )
    assert g["rayStartParams"] == {} and out["spec"]["headGroupSpec"]["rayStartParams"] == {}
    assert "replicas" not in group  # the input is untouched
