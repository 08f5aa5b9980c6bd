"""Our generated RayService CRD: accepts every KubeRay ray-service.* sample, shares the RayCluster
spec's schema, rejects what KubeRay's schema rejects, and shows KubeRay's columns."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from kuberay.api.crd import render_crd
from kuberay.api.rayservice_types import parse_rayservice
from support.crds import kuberay_schema, our_schema, sample_object, schema_errors
from support.paths import KUBERAY_SAMPLES

SERVICE_SAMPLES = sorted(p.name for p in KUBERAY_SAMPLES.glob("ray-service.*.yaml"))


def _rayservice(name: str) -> dict[str, Any]:
    return sample_object(name, "RayService")


def _ours() -> dict[str, Any]:
    return our_schema("rayservice")


def _theirs() -> dict[str, Any]:
    return kuberay_schema("rayservice")


_errors = schema_errors


def test_there_are_rayservice_samples() -> None:
    assert len(SERVICE_SAMPLES) >= 6


@pytest.mark.parametrize("name", SERVICE_SAMPLES)
def test_every_rayservice_sample_is_accepted_by_our_crd_and_kuberays(name: str) -> None:
    service = _rayservice(name)
    assert _errors(service, _ours()) == []
    assert _errors(service, _theirs()) == []


@pytest.mark.parametrize("name", SERVICE_SAMPLES)
def test_every_rayservice_sample_parses_into_the_typed_model(name: str) -> None:
    service = parse_rayservice(_rayservice(name))
    assert service.spec is not None
    assert service.spec.ray_cluster_config.head_group_spec is not None


def test_the_cluster_spec_schema_is_the_rayclusters() -> None:
    cluster = render_crd("raycluster")["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    spec = _ours()["properties"]["spec"]
    assert spec["properties"]["rayClusterConfig"] == cluster["properties"]["spec"]
    assert spec["required"] == ["rayClusterConfig"]
    active = _ours()["properties"]["status"]["properties"]["activeServiceStatus"]
    assert active["properties"]["rayClusterStatus"] == cluster["properties"]["status"]


@pytest.mark.parametrize(
    ("mutate", "needle"),
    [
        (lambda s: s.__setitem__("managedBy", "someone-else"), "managedBy field value"),
        (lambda s: s.__setitem__("rayClusterDeletionDelaySeconds", -1), "rayClusterDeletionDelaySeconds"),
        (lambda s: s.__setitem__("serveConfigV2", {"applications": []}), "serveConfigV2"),
        (lambda s: s.pop("rayClusterConfig"), "rayClusterConfig"),
        (
            lambda s: s.__setitem__(
                "upgradeStrategy",
                {
                    "type": "NewClusterWithIncrementalUpgrade",
                    "clusterUpgradeOptions": {"maxSurgePercent": 50},
                },
            ),
            "gatewayClassName",
        ),
    ],
)
def test_what_kuberays_schema_rejects_ours_rejects(mutate: Any, needle: str) -> None:
    service = _rayservice("ray-service.sample.yaml")
    mutate(service["spec"])
    theirs = _errors(service, _theirs())
    ours = _errors(service, _ours())
    assert theirs, "the case must be one KubeRay's CRD rejects"
    assert any(needle in e for e in ours), ours


def test_rayservice_managed_by_is_immutable() -> None:
    old = _rayservice("ray-service.sample.yaml")
    old["spec"]["managedBy"] = "ray.io/kuberay-operator"
    new = copy.deepcopy(old)
    new["spec"]["managedBy"] = "kueue.x-k8s.io/multikueue"
    assert any("immutable" in e for e in _errors(new, _ours(), old=old))
