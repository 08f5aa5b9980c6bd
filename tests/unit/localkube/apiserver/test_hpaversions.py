"""HorizontalPodAutoscaler autoscaling/v1 <-> v2: what a v1 client reads of a v2 object, and that
its read-modify-write gives the v2 object back whole."""

from __future__ import annotations

import json
from typing import Any

from localkube.apiserver.hpaversions import BEHAVIOR, CURRENT_METRICS, METRICS, v1_to_v2, v2_to_v1

REF = {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}


def _v2(metrics: list[dict[str, Any]], **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "web", "namespace": "team", "labels": {"app": "web"}},
        "spec": {"scaleTargetRef": REF, "minReplicas": 1, "maxReplicas": 5, "metrics": metrics, **spec},
        "status": {"desiredReplicas": 0, "currentMetrics": None},
    }


CPU = {
    "type": "Resource",
    "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}},
}
MEMORY = {
    "type": "Resource",
    "resource": {"name": "memory", "target": {"type": "AverageValue", "averageValue": "100Mi"}},
}
PODS = {
    "type": "Pods",
    "pods": {"metric": {"name": "qps"}, "target": {"type": "AverageValue", "averageValue": "10"}},
}
OBJECT = {
    "type": "Object",
    "object": {
        "describedObject": {"apiVersion": "v1", "kind": "Service", "name": "front"},
        "metric": {"name": "requests"},
        "target": {"type": "Value", "value": "2k"},
    },
}
EXTERNAL = {
    "type": "External",
    "external": {
        "metric": {"name": "queue", "selector": {"matchLabels": {"q": "jobs"}}},
        "target": {"type": "AverageValue", "averageValue": "30"},
    },
}


def test_the_cpu_target_is_v1s_field_and_other_metrics_go_in_an_annotation() -> None:
    v1 = v2_to_v1(_v2([MEMORY, CPU]))
    assert v1["apiVersion"] == "autoscaling/v1"
    assert v1["spec"] == {
        "scaleTargetRef": REF,
        "minReplicas": 1,
        "maxReplicas": 5,
        "targetCPUUtilizationPercentage": 70,
    }
    assert json.loads(v1["metadata"]["annotations"][METRICS]) == [
        {"type": "Resource", "resource": {"name": "memory", "targetAverageValue": "100Mi"}}
    ]
    assert v1["metadata"]["labels"] == {"app": "web"}
    assert v1["status"] == {"currentReplicas": 0, "desiredReplicas": 0}


def test_a_v1_read_modify_write_gives_every_metric_back() -> None:
    stored = _v2([PODS, OBJECT, EXTERNAL, MEMORY, CPU])
    v1 = v2_to_v1(stored)
    v1["spec"]["maxReplicas"] = 7  # what the v1 client changed
    back = v1_to_v2(v1)
    assert back["apiVersion"] == "autoscaling/v2"
    assert back["spec"]["maxReplicas"] == 7
    assert back["spec"]["metrics"] == [PODS, OBJECT, EXTERNAL, MEMORY, CPU]
    assert back["metadata"] == stored["metadata"]  # the annotations v1 needed are gone again


def test_behavior_travels_in_its_annotation() -> None:
    behavior = {
        "scaleDown": {
            "stabilizationWindowSeconds": 60,
            "selectPolicy": "Min",
            "policies": [{"type": "Percent", "value": 50, "periodSeconds": 30}],
        }
    }
    v1 = v2_to_v1(_v2([CPU], behavior=behavior))
    text = v1["metadata"]["annotations"][BEHAVIOR]
    assert json.loads(text) == {
        "ScaleUp": None,
        "ScaleDown": {
            "StabilizationWindowSeconds": 60,
            "SelectPolicy": "Min",
            "Policies": [{"Type": "Percent", "Value": 50, "PeriodSeconds": 30}],
            "Tolerance": None,
        },
    }
    assert v1_to_v2(v1)["spec"]["behavior"] == behavior


def test_a_v1_status_write_of_the_cpu_reading_wins_over_the_annotation() -> None:
    stored = _v2([CPU])
    stored["status"] = {
        "currentReplicas": 2,
        "desiredReplicas": 2,
        "currentMetrics": [
            {"type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": 40}}}
        ],
    }
    v1 = v2_to_v1(stored)
    assert v1["status"]["currentCPUUtilizationPercentage"] == 40
    assert CURRENT_METRICS in v1["metadata"]["annotations"]
    v1["status"]["currentCPUUtilizationPercentage"] = 90
    back = v1_to_v2(v1)
    assert back["status"]["currentMetrics"] == [
        {"type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": 90}}}
    ]
    assert back["status"]["currentReplicas"] == 2


def test_a_v1_object_without_a_cpu_target_has_no_metrics_until_defaulted() -> None:
    v1 = {
        "apiVersion": "autoscaling/v1",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "plain"},
        "spec": {"scaleTargetRef": REF, "maxReplicas": 3},
    }
    assert v1_to_v2(v1)["spec"] == {"scaleTargetRef": REF, "maxReplicas": 3}
