"""HorizontalPodAutoscaler in autoscaling/v1 and autoscaling/v2: one stored object (v2, as
kube-apiserver stores it), two served shapes. Pure.

v1 knows one metric, the CPU utilization target (`targetCPUUtilizationPercentage`); v2 has a list
of metrics. As kube-apiserver does, the v1 shape carries what it has no field for in annotations
(the other metrics, the current metrics, the conditions, the behavior), and a v1 write reads
them back, so a v1 client's read-modify-write keeps a v2 object whole.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from localkube.apiserver.shapes import as_dict, as_list, get_path, set_path

Obj = dict[str, Any]
V1, V2 = "autoscaling/v1", "autoscaling/v2"
_PREFIX = "autoscaling.alpha.kubernetes.io/"
METRICS = _PREFIX + "metrics"
CURRENT_METRICS = _PREFIX + "current-metrics"
CONDITIONS = _PREFIX + "conditions"
BEHAVIOR = _PREFIX + "behavior"
DEFAULT_CPU_UTILIZATION = 80


def _is_cpu_utilization(metric: Any) -> bool:
    resource = as_dict(as_dict(metric).get("resource"))
    target = as_dict(resource.get("target"))
    return (
        as_dict(metric).get("type") == "Resource"
        and resource.get("name") == "cpu"
        and target.get("type") == "Utilization"
    )


# --- one metric, v2 <-> v1's annotation form (autoscaling/v1 MetricSpec, MetricStatus) ----------

_SOURCE_KEYS = {
    "Resource": "resource",
    "ContainerResource": "containerResource",
    "Pods": "pods",
    "Object": "object",
    "External": "external",
}
# v1 field <- v2 path, per source type, in v1's field order (the annotation is compared as text)
_SPEC_FIELDS: dict[str, tuple[tuple[str, str], ...]] = {
    "Resource": (
        ("name", "name"),
        ("targetAverageUtilization", "target.averageUtilization"),
        ("targetAverageValue", "target.averageValue"),
    ),
    "ContainerResource": (
        ("name", "name"),
        ("targetAverageUtilization", "target.averageUtilization"),
        ("targetAverageValue", "target.averageValue"),
        ("container", "container"),
    ),
    "Pods": (
        ("metricName", "metric.name"),
        ("targetAverageValue", "target.averageValue"),
        ("selector", "metric.selector"),
    ),
    "Object": (
        ("target", "describedObject"),
        ("metricName", "metric.name"),
        ("targetValue", "target.value"),
        ("selector", "metric.selector"),
        ("averageValue", "target.averageValue"),
    ),
    "External": (
        ("metricName", "metric.name"),
        ("metricSelector", "metric.selector"),
        ("targetValue", "target.value"),
        ("targetAverageValue", "target.averageValue"),
    ),
}
_STATUS_FIELDS: dict[str, tuple[tuple[str, str], ...]] = {
    "Resource": (
        ("name", "name"),
        ("currentAverageUtilization", "current.averageUtilization"),
        ("currentAverageValue", "current.averageValue"),
    ),
    "ContainerResource": (
        ("name", "name"),
        ("currentAverageUtilization", "current.averageUtilization"),
        ("currentAverageValue", "current.averageValue"),
        ("container", "container"),
    ),
    "Pods": (
        ("metricName", "metric.name"),
        ("currentAverageValue", "current.averageValue"),
        ("selector", "metric.selector"),
    ),
    "Object": (
        ("target", "describedObject"),
        ("metricName", "metric.name"),
        ("currentValue", "current.value"),
        ("selector", "metric.selector"),
        ("averageValue", "current.averageValue"),
    ),
    "External": (
        ("metricName", "metric.name"),
        ("metricSelector", "metric.selector"),
        ("currentValue", "current.value"),
        ("currentAverageValue", "current.averageValue"),
    ),
}


def _to_v1(m: Obj, table: dict[str, tuple[tuple[str, str], ...]]) -> Obj:
    kind = str(m.get("type"))
    if kind not in table:
        return copy.deepcopy(m)
    src = as_dict(m.get(_SOURCE_KEYS[kind]))
    out = {v1: copy.deepcopy(get_path(src, v2)) for v1, v2 in table[kind] if get_path(src, v2) is not None}
    if table is _STATUS_FIELDS and kind in ("Resource", "ContainerResource"):
        out.setdefault("currentAverageValue", "0")  # a required quantity in v1
    return {"type": kind, _SOURCE_KEYS[kind]: out}


def _to_v2(m: Obj, table: dict[str, tuple[tuple[str, str], ...]]) -> Obj:
    kind = str(m.get("type"))
    if kind not in table:
        return copy.deepcopy(m)
    src = as_dict(m.get(_SOURCE_KEYS[kind]))
    out: Obj = {}
    for v1, v2 in table[kind]:
        if src.get(v1) is not None:
            set_path(out, v2, copy.deepcopy(src[v1]))
    if table is _SPEC_FIELDS:
        target = as_dict(out.get("target"))
        kind_of = "Utilization" if "averageUtilization" in target else "AverageValue"
        kind_of = kind_of if "averageUtilization" in target or "averageValue" in target else "Value"
        out["target"] = {"type": kind_of, **target}
    elif kind in ("Resource", "ContainerResource"):
        current = as_dict(out.get("current"))
        if current.get("averageValue") == "0" and "averageUtilization" in current:
            current.pop("averageValue")  # v1's placeholder for a value never read
        out["current"] = current
    return {"type": kind, _SOURCE_KEYS[kind]: out}


# --- behavior: kube-apiserver writes the internal Go struct, its field names capitalised ---------


def _json_names(value: Any) -> Any:
    """The behavior annotation's Go field names as the JSON ones, nulls dropped."""
    if isinstance(value, dict):
        return {k[:1].lower() + k[1:]: _json_names(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_json_names(v) for v in value]
    return value


def _rule(rule: Obj) -> Obj:
    """One scaling rule in the internal struct's field order (the annotation is compared as text)."""
    policies = [
        {"Type": p.get("type"), "Value": p.get("value"), "PeriodSeconds": p.get("periodSeconds")}
        for p in as_list(rule.get("policies"))
        if isinstance(p, dict)
    ]
    return {
        "StabilizationWindowSeconds": rule.get("stabilizationWindowSeconds"),
        "SelectPolicy": rule.get("selectPolicy"),
        "Policies": policies if "policies" in rule else None,
        "Tolerance": rule.get("tolerance"),
    }


def _behavior_annotation(behavior: Obj) -> str:
    rules = {
        go: _rule(as_dict(behavior[key])) if isinstance(behavior.get(key), dict) else None
        for key, go in (("scaleUp", "ScaleUp"), ("scaleDown", "ScaleDown"))
    }
    return json.dumps(rules, separators=(",", ":"))


# --- whole objects ----------------------------------------------------------------------------


def _annotations(meta: Obj) -> dict[str, str]:
    return as_dict(meta.get("annotations"))


def _loads(text: Any) -> Any:
    try:
        return json.loads(text) if isinstance(text, str) else None
    except ValueError:
        return None


def v2_to_v1(obj: Obj) -> Obj:
    """The stored (v2) object as autoscaling/v1 shows it."""
    out = {k: copy.deepcopy(v) for k, v in obj.items() if k not in ("spec", "status")}
    out["apiVersion"] = V1
    meta = out.setdefault("metadata", {})
    notes: dict[str, str] = {}
    spec = as_dict(obj.get("spec"))
    new_spec = {
        k: copy.deepcopy(v) for k, v in spec.items() if k in ("scaleTargetRef", "minReplicas", "maxReplicas")
    }
    others = []
    for m in as_list(spec.get("metrics")):
        if _is_cpu_utilization(m) and "targetCPUUtilizationPercentage" not in new_spec:
            new_spec["targetCPUUtilizationPercentage"] = m["resource"]["target"].get("averageUtilization")
        else:
            others.append(_to_v1(as_dict(m), _SPEC_FIELDS))
    if others:
        notes[METRICS] = json.dumps(others, separators=(",", ":"))
    if isinstance(spec.get("behavior"), dict):
        notes[BEHAVIOR] = _behavior_annotation(spec["behavior"])
    out["spec"] = new_spec
    if "status" in obj:
        status = as_dict(obj.get("status"))
        new_status: Obj = {
            "currentReplicas": status.get("currentReplicas") or 0,
            "desiredReplicas": status.get("desiredReplicas") or 0,
        }
        for k in ("observedGeneration", "lastScaleTime"):
            if status.get(k) is not None:
                new_status[k] = status[k]
        current = [as_dict(m) for m in as_list(status.get("currentMetrics"))]
        for m in current:
            if m.get("type") == "Resource" and as_dict(m.get("resource")).get("name") == "cpu":
                value = as_dict(as_dict(m["resource"]).get("current")).get("averageUtilization")
                if value is not None:
                    new_status["currentCPUUtilizationPercentage"] = value
                    break
        if current:
            notes[CURRENT_METRICS] = json.dumps(
                [_to_v1(m, _STATUS_FIELDS) for m in current], separators=(",", ":")
            )
        if as_list(status.get("conditions")):
            notes[CONDITIONS] = json.dumps(status["conditions"], separators=(",", ":"))
        out["status"] = new_status
    if notes:
        meta["annotations"] = {**_annotations(meta), **notes}
    return out


def v1_to_v2(obj: Obj) -> Obj:
    """An autoscaling/v1 object in its stored (v2) shape; the annotations v2_to_v1 wrote are read
    back and removed."""
    out = {k: copy.deepcopy(v) for k, v in obj.items() if k not in ("spec", "status")}
    out["apiVersion"] = V2
    meta = out.setdefault("metadata", {})
    notes = _annotations(meta)
    spec = as_dict(obj.get("spec"))
    new_spec = {
        k: copy.deepcopy(v) for k, v in spec.items() if k in ("scaleTargetRef", "minReplicas", "maxReplicas")
    }
    metrics = [_to_v2(as_dict(m), _SPEC_FIELDS) for m in as_list(_loads(notes.get(METRICS)))]
    target_cpu = spec.get("targetCPUUtilizationPercentage")
    if target_cpu is not None:
        target = {"type": "Utilization", "averageUtilization": target_cpu}
        metrics.append({"type": "Resource", "resource": {"name": "cpu", "target": target}})
    if metrics:
        new_spec["metrics"] = metrics
    behavior = _loads(notes.get(BEHAVIOR))
    if isinstance(behavior, dict):
        new_spec["behavior"] = _json_names(behavior)
    out["spec"] = new_spec
    if "status" in obj:
        status = as_dict(obj.get("status"))
        new_status: Obj = {
            k: copy.deepcopy(v)
            for k, v in status.items()
            if k in ("observedGeneration", "lastScaleTime", "currentReplicas", "desiredReplicas")
        }
        if not new_status.get("currentReplicas"):
            new_status.pop("currentReplicas", None)
        new_status.setdefault("desiredReplicas", 0)
        current = [_to_v2(as_dict(m), _STATUS_FIELDS) for m in as_list(_loads(notes.get(CURRENT_METRICS)))]
        value = status.get("currentCPUUtilizationPercentage")
        if value is not None:
            # the v1 field is what a v1 client writes: it wins over the annotation's CPU entry
            cpu = next(
                (m for m in current if m.get("type") == "Resource" and m["resource"].get("name") == "cpu"),
                None,
            )
            if cpu is None:
                current.insert(0, {"type": "Resource", "resource": {"name": "cpu", "current": {}}})
                cpu = current[0]
            cpu["resource"]["current"] = {
                **as_dict(cpu["resource"].get("current")),
                "averageUtilization": value,
            }
        new_status["currentMetrics"] = current or None
        conditions = _loads(notes.get(CONDITIONS))
        if isinstance(conditions, list) and conditions:
            new_status["conditions"] = conditions
        out["status"] = new_status
    kept = {k: v for k, v in notes.items() if not k.startswith(_PREFIX)}
    if kept:
        meta["annotations"] = kept
    else:
        meta.pop("annotations", None)
    return out
