"""Strategy records of autoscaling's HorizontalPodAutoscaler (pkg/registry/autoscaling/
horizontalpodautoscaler): stored as autoscaling/v2, served as v1 too (hpaversions converts).
No controller acts on them here: they are stored, validated and listed."""

from __future__ import annotations

import copy
from typing import Any

from localkube.apiserver import hpaversions
from localkube.apiserver.fielderrors import FORBIDDEN, INVALID, NOT_SUPPORTED, REQUIRED, FieldError
from localkube.apiserver.printers.autoscaling import HPA_PRINTER
from localkube.apiserver.shapes import as_dict, as_list
from localkube.apiserver.strategy import Obj, Printer, Strategy

_SCALE_UP = {
    "stabilizationWindowSeconds": 0,
    "selectPolicy": "Max",
    "policies": [
        {"type": "Pods", "value": 4, "periodSeconds": 15},
        {"type": "Percent", "value": 100, "periodSeconds": 15},
    ],
}
_SCALE_DOWN = {
    "stabilizationWindowSeconds": 300,
    "selectPolicy": "Max",
    "policies": [{"type": "Percent", "value": 100, "periodSeconds": 15}],
}


def _default(hpa: Obj) -> None:
    spec = hpa.setdefault("spec", {})
    if not isinstance(spec, dict):
        return
    spec.setdefault("minReplicas", 1)
    if not spec.get("metrics"):
        spec["metrics"] = [
            {
                "type": "Resource",
                "resource": {
                    "name": "cpu",
                    "target": {
                        "type": "Utilization",
                        "averageUtilization": hpaversions.DEFAULT_CPU_UTILIZATION,
                    },
                },
            }
        ]
    behavior = spec.get("behavior")
    if isinstance(behavior, dict):
        # a behavior that is given is completed rule by rule; none given stays none
        for key, rules in (("scaleUp", _SCALE_UP), ("scaleDown", _SCALE_DOWN)):
            given = behavior.get(key)
            behavior[key] = (
                {**copy.deepcopy(rules), **given} if isinstance(given, dict) else copy.deepcopy(rules)
            )


_SOURCES = {
    "ContainerResource": "containerResource",
    "External": "external",
    "Object": "object",
    "Pods": "pods",
    "Resource": "resource",
}
# what names the measured thing in each source
_NAMED_BY = {
    "ContainerResource": "name",
    "External": "metric.name",
    "Object": "metric.name",
    "Pods": "metric.name",
    "Resource": "name",
}
_TARGET_VALUE = {"Utilization": "averageUtilization", "AverageValue": "averageValue", "Value": "value"}


def _metric_errors(metric: Obj, path: str) -> list[FieldError]:
    """A metric names its source type, fills that source, names what it measures and sets the
    target its target type names."""
    kind = metric.get("type")
    if not kind:
        return [FieldError(f"{path}.type", REQUIRED, "must specify a metric source type")]
    if kind not in _SOURCES:
        listed = ", ".join(f'"{k}"' for k in sorted(_SOURCES))
        return [FieldError(f"{path}.type", NOT_SUPPORTED, f"supported values: {listed}", kind)]
    key = _SOURCES[str(kind)]
    source = metric.get(key)
    if not isinstance(source, dict):
        return [
            FieldError(f"{path}.{key}", REQUIRED, "must populate information for the given metric source")
        ]
    errs = []
    named: Any = source
    for part in _NAMED_BY[str(kind)].split("."):
        named = as_dict(named).get(part)
    if not named:
        errs.append(
            FieldError(f"{path}.{key}.{_NAMED_BY[str(kind)]}", REQUIRED, "must specify a metric name")
        )
    target = as_dict(source.get("target"))
    field = _TARGET_VALUE.get(str(target.get("type")))
    if field is None:
        listed = ", ".join(f'"{t}"' for t in sorted(_TARGET_VALUE))
        errs.append(
            FieldError(
                f"{path}.{key}.target.type", NOT_SUPPORTED, f"supported values: {listed}", target.get("type")
            )
        )
    elif target.get(field) is None:
        errs.append(
            FieldError(
                f"{path}.{key}.target.{field}", REQUIRED, f"must set {field} for a {target['type']} target"
            )
        )
    elif field == "averageUtilization" and isinstance(target[field], int) and target[field] <= 0:
        errs.append(
            FieldError(
                f"{path}.{key}.target.averageUtilization", INVALID, "must be greater than 0", target[field]
            )
        )
    return errs


def _validate(hpa: Obj) -> list[FieldError]:
    spec = as_dict(hpa.get("spec"))
    errs: list[FieldError] = []
    low, high = spec.get("minReplicas", 1), spec.get("maxReplicas") or 0
    if isinstance(low, int) and isinstance(high, int) and high < low:
        errs.append(
            FieldError("spec.maxReplicas", INVALID, "must be greater than or equal to `minReplicas`", high)
        )
    ref = as_dict(spec.get("scaleTargetRef"))
    for key in ("kind", "name"):
        if not ref.get(key):
            errs.append(FieldError(f"spec.scaleTargetRef.{key}", REQUIRED, ""))
    if not ref.get("apiVersion"):
        errs.append(
            FieldError("spec.scaleTargetRef.apiVersion", INVALID, "apiVersion must specify API group", "")
        )
    if not high:
        errs.append(FieldError("spec.maxReplicas", REQUIRED, ""))
    metrics = as_list(spec.get("metrics"))
    for i, m in enumerate(metrics):
        errs.extend(_metric_errors(as_dict(m), f"spec.metrics[{i}]"))
    behavior = spec.get("behavior")
    for key in ("scaleUp", "scaleDown"):
        rule = as_dict(behavior).get(key) if isinstance(behavior, dict) else None
        if isinstance(rule, dict) and not as_list(rule.get("policies")):
            errs.append(
                FieldError(f"spec.behavior.{key}.policies", REQUIRED, "must specify at least one Policy")
            )
    if low == 0 and not any(as_dict(m).get("type") in ("Object", "External") for m in metrics):
        errs.append(
            FieldError(
                "spec.metrics",
                FORBIDDEN,
                "must specify at least one Object or External metric to support scaling to zero replicas",
            )
        )
    return errs


def _prepare(hpa: Obj, now: str) -> None:
    # a new HPA's status is the empty one, written as kube-apiserver's v2 encoding writes it
    hpa.setdefault("status", {"desiredReplicas": 0, "currentMetrics": None})


HORIZONTAL_POD_AUTOSCALER = Strategy(
    generation=True,
    default=_default,
    validate=_validate,
    prepare=_prepare,
    printer=HPA_PRINTER,
)
# autoscaling/v1 objects are converted to v2 before anything checks or stores them; only reads
# (a Table of v1 objects) meet this record
HORIZONTAL_POD_AUTOSCALER_V1 = Strategy(
    generation=True,
    printer=Printer(HPA_PRINTER.columns, lambda obj, now: HPA_PRINTER.row(hpaversions.v1_to_v2(obj), now)),
)
