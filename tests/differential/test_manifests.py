"""Each RayCluster manifest applied into both namespaces: what KubeRay's operator and ours make must
be the same, except for the differences docs/differences.md lists with their reasons."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from support.differential import Difference, differences, load_known, unexplained
from support.paths import OUR_SAMPLES, RAYCLUSTER_SAMPLES

BASE = next(p for p in RAYCLUSTER_SAMPLES if p.name == "ray-cluster.sample.yaml")


def _documents(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


def _base(name: str) -> dict[str, Any]:
    cluster = _documents(BASE)[0]
    cluster["metadata"]["name"] = name
    return cluster


def _with(name: str, change: Callable[[dict[str, Any]], None]) -> list[dict[str, Any]]:
    cluster = _base(name)
    change(cluster)
    return [cluster]


def _head(c: dict[str, Any]) -> dict[str, Any]:
    head: dict[str, Any] = c["spec"]["headGroupSpec"]
    return head


def _worker(c: dict[str, Any]) -> dict[str, Any]:
    worker: dict[str, Any] = c["spec"]["workerGroupSpecs"][0]
    return worker


def _autoscaler(c: dict[str, Any], version: str | None = None) -> None:
    c["spec"]["enableInTreeAutoscaling"] = True
    options: dict[str, Any] = {
        "upscalingMode": "Default",
        "idleTimeoutSeconds": 60,
        "imagePullPolicy": "IfNotPresent",
        "resources": {
            "limits": {"cpu": "500m", "memory": "512Mi"},
            "requests": {"cpu": "500m", "memory": "512Mi"},
        },
        "env": [{"name": "AUTOSCALER_EXTRA", "value": "1"}],
    }
    if version:
        options["version"] = version
    c["spec"]["autoscalerOptions"] = options


def _hosts(c: dict[str, Any]) -> None:
    _worker(c)["numOfHosts"] = 2


def _suspend(c: dict[str, Any]) -> None:
    c["spec"]["suspend"] = True


def _head_service(c: dict[str, Any]) -> None:
    _head(c)["headService"] = {
        "metadata": {"name": "custom-head", "labels": {"team": "a"}, "annotations": {"note": "x"}},
        "spec": {"sessionAffinity": "ClientIP"},
    }


def _node_port(c: dict[str, Any]) -> None:
    _head(c)["serviceType"] = "NodePort"


def _params(c: dict[str, Any]) -> None:
    _head(c)["rayStartParams"] = {
        "num-cpus": "0",
        "dashboard-host": "0.0.0.0",
        "metrics-export-port": "9000",
        "object-store-memory": "100000000",
    }
    _worker(c)["rayStartParams"] = {"num-cpus": "2", "resources": '"{\\"Custom\\": 1}"', "block": "true"}


def _overwrite_cmd(c: dict[str, Any]) -> None:
    c["metadata"]["annotations"] = {"ray.io/overwrite-container-cmd": "true"}
    for group in (_head(c), _worker(c)):
        container = group["template"]["spec"]["containers"][0]
        container["command"] = ["/bin/bash", "-lc", "--"]
        container["args"] = ["ulimit -n 65536; $KUBERAY_GEN_RAY_START_CMD"]


def _gcs_ft(c: dict[str, Any]) -> None:
    c["spec"]["gcsFaultToleranceOptions"] = {
        "redisAddress": "redis:6379",
        "redisPassword": {"valueFrom": {"secretKeyRef": {"name": "redis-password", "key": "password"}}},
        "externalStorageNamespace": "ft-ns",
    }


def _ft_annotation(c: dict[str, Any]) -> None:
    c["metadata"]["annotations"] = {"ray.io/ft-enabled": "true"}
    _head(c)["template"]["spec"]["containers"][0]["env"] = [
        {"name": "RAY_REDIS_ADDRESS", "value": "redis:6379"}
    ]


def _auth(c: dict[str, Any]) -> None:
    c["spec"]["authOptions"] = {"mode": "token"}


def _ingress(c: dict[str, Any]) -> None:
    _head(c)["enableIngress"] = True


def _upgrade(c: dict[str, Any]) -> None:
    c["spec"]["upgradeStrategy"] = {"type": "Recreate"}


REDIS_SECRET = {
    "apiVersion": "v1",
    "kind": "Secret",
    "metadata": {"name": "redis-password"},
    "stringData": {"password": "hunter2"},
}

# case id -> (manifests, the state both clusters settle in)
FIELD_CASES: dict[str, tuple[list[dict[str, Any]], str]] = {
    "autoscaler": (_with("f-autoscaler", _autoscaler), "ready"),
    "autoscaler-v2": (_with("f-autoscaler-v2", lambda c: _autoscaler(c, "v2")), "ready"),
    "num-of-hosts": (_with("f-hosts", _hosts), "ready"),
    "suspend": (_with("f-suspend", _suspend), "suspended"),
    "head-service": (_with("f-head-service", _head_service), "ready"),
    "service-type": (_with("f-node-port", _node_port), "ready"),
    "ray-start-params": (_with("f-params", _params), "ready"),
    "overwrite-container-cmd": (_with("f-cmd", _overwrite_cmd), "ready"),
    "gcs-ft-options": ([REDIS_SECRET, *_with("f-gcs-ft", _gcs_ft)], "ready"),
    "gcs-ft-annotation": (_with("f-ft-annotation", _ft_annotation), "ready"),
    "auth-token": (_with("f-auth", _auth), "ready"),
    "enable-ingress": (_with("f-ingress", _ingress), "ready"),
    "upgrade-strategy": (_with("f-upgrade", _upgrade), "ready"),
}


def _sample_cases() -> dict[str, tuple[list[dict[str, Any]], str]]:
    """Every RayCluster sample, ours and KubeRay's, the cluster renamed after the file so that no
    two tests share a name (events and pods of a deleted cluster linger for a moment)."""
    cases = {}
    for prefix, paths in (("ours", sorted(OUR_SAMPLES.glob("*.yaml"))), ("kuberay", RAYCLUSTER_SAMPLES)):
        for path in paths:
            docs = _documents(path)
            if not any(d["kind"] == "RayCluster" for d in docs):
                continue
            stem = path.name.removeprefix("ray-cluster.").removesuffix(".yaml").replace(".", "-")
            for d in docs:
                if d["kind"] == "RayCluster":
                    d["metadata"]["name"] = f"{prefix[0]}-{stem}"
            cases[f"{prefix}/{path.name}"] = (docs, "ready")
    return cases


ALL_CASES = {**_sample_cases(), **FIELD_CASES}


def _report(found: list[Difference]) -> str:
    return "\n".join(f"  {d}" for d in found)


@pytest.mark.parametrize("case", sorted(ALL_CASES))
def test_same_objects_status_and_events(duel: Any, case: str) -> None:
    manifests, state = ALL_CASES[case]
    name = next(m["metadata"]["name"] for m in manifests if m["kind"] == "RayCluster")
    for manifest in manifests:
        duel.apply(copy.deepcopy(manifest))
    seen = duel.settle(name, state=state)
    found = differences(seen["kuberay"], seen["ours"])
    left = unexplained(found, load_known())
    assert not left, (
        f"{case}: {len(left)} differences from KubeRay's operator that docs/differences.md does not "
        f"explain (fix ours, or list them there with the reason):\n{_report(left)}"
    )
