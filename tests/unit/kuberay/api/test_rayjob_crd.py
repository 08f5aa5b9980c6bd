"""Our generated RayJob CRD: accepts every KubeRay ray-job.* sample, shares the RayCluster spec's
schema, rejects what KubeRay's schema rejects, and shows KubeRay's columns."""

from __future__ import annotations

import copy
import subprocess
import sys
from typing import Any

import pytest
import yaml

from kuberay.api.crd import render_crd, render_crds
from kuberay.api.rayjob_types import parse_rayjob
from localkube.apiserver import schema as kube_schema
from support.crds import kuberay_schema, our_schema, sample_object, schema_errors
from support.paths import SHARED as SHARED_ROOT

SHARED = SHARED_ROOT / "kuberay"
KUBERAY_CRD = SHARED / "crds" / "ray.io_rayjobs.yaml"
JOB_SAMPLES = sorted(p.name for p in (SHARED / "samples").glob("ray-job.*.yaml"))


def _rayjob(name: str) -> dict[str, Any]:
    return sample_object(name, "RayJob")


def _ours() -> dict[str, Any]:
    return our_schema("rayjob")


def _theirs() -> dict[str, Any]:
    return kuberay_schema("rayjob")


_errors = schema_errors


def test_there_are_rayjob_samples() -> None:
    assert len(JOB_SAMPLES) >= 8


@pytest.mark.parametrize("name", JOB_SAMPLES)
def test_every_rayjob_sample_is_accepted_by_our_crd_and_kuberays(name: str) -> None:
    job = _rayjob(name)
    assert _errors(job, _ours()) == []
    assert _errors(job, _theirs()) == []


@pytest.mark.parametrize("name", JOB_SAMPLES)
def test_every_rayjob_sample_parses_into_the_typed_model(name: str) -> None:
    job = parse_rayjob(_rayjob(name))
    assert job.spec is not None
    assert job.spec.ray_cluster_spec is not None or job.spec.cluster_selector


def test_rayjob_defaults_are_kuberays() -> None:
    job = _rayjob("ray-job.sample.yaml")
    for schema in (_ours(), _theirs()):
        obj = copy.deepcopy(job)
        kube_schema.apply_defaults(obj, schema)
        assert obj["spec"]["submissionMode"] == "K8sJobMode"
        assert obj["spec"]["backoffLimit"] == 0
        assert obj["spec"]["ttlSecondsAfterFinished"] == 0


def test_the_cluster_spec_schema_is_the_rayclusters() -> None:
    cluster = render_crd("raycluster")["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    assert _ours()["properties"]["spec"]["properties"]["rayClusterSpec"] == cluster["properties"]["spec"]
    assert (
        _ours()["properties"]["status"]["properties"]["rayClusterStatus"] == cluster["properties"]["status"]
    )


@pytest.mark.parametrize(
    ("mutate", "needle"),
    [
        (lambda s: s.__setitem__("managedBy", "someone-else"), "managedBy field value"),
        (lambda s: s.__setitem__("preRunningDeadlineSeconds", 0), "preRunningDeadlineSeconds"),
        (lambda s: s.__setitem__("backoffLimit", "three"), "backoffLimit"),
        (
            lambda s: s.__setitem__(
                "deletionStrategy",
                {
                    "onSuccess": {"policy": "DeleteCluster"},
                    "deletionRules": [{"policy": "DeleteSelf", "condition": {"jobStatus": "FAILED"}}],
                },
            ),
            "cannot be used together",
        ),
        (
            lambda s: s.__setitem__("deletionStrategy", {"onSuccess": {"policy": "DeleteCluster"}}),
            "BOTH onSuccess",
        ),
        (
            lambda s: s.__setitem__(
                "deletionStrategy",
                {"deletionRules": [{"policy": "DeleteSelf", "condition": {"ttlSeconds": 1}}]},
            ),
            "requires either the JobStatus",
        ),
        (
            lambda s: s.__setitem__(
                "deletionStrategy",
                {"deletionRules": [{"policy": "Explode", "condition": {"jobStatus": "FAILED"}}]},
            ),
            "policy",
        ),
    ],
)
def test_what_kuberays_schema_rejects_ours_rejects(mutate: Any, needle: str) -> None:
    job = _rayjob("ray-job.sample.yaml")
    mutate(job["spec"])
    theirs = _errors(job, _theirs())
    ours = _errors(job, _ours())
    assert theirs, "the case must be one KubeRay's CRD rejects"
    assert any(needle in e for e in ours), ours


def test_rayjob_managed_by_is_immutable() -> None:
    old = _rayjob("ray-job.sample.yaml")
    old["spec"]["managedBy"] = "ray.io/kuberay-operator"
    new = copy.deepcopy(old)
    new["spec"]["managedBy"] = "kueue.x-k8s.io/multikueue"
    assert any("immutable" in e for e in _errors(new, _ours(), old=old))


@pytest.mark.parametrize("kind", ["rayjob", "rayservice"])
def test_names_and_columns_match_kuberay(kind: str) -> None:
    crd = render_crd(kind)
    theirs = yaml.safe_load((SHARED / "crds" / f"ray.io_{kind}s.yaml").read_text())
    assert crd["metadata"]["name"] == f"{kind}s.ray.io"
    assert {k: v for k, v in crd["spec"]["names"].items() if k != "categories"} == {
        k: v for k, v in theirs["spec"]["names"].items() if k != "categories"
    }
    (v1,) = crd["spec"]["versions"]
    kv1 = next(v for v in theirs["spec"]["versions"] if v["name"] == "v1")
    assert v1["subresources"] == {"status": {}}
    assert [(c["name"], c["jsonPath"]) for c in v1["additionalPrinterColumns"]] == [
        (c["name"], c["jsonPath"]) for c in kv1["additionalPrinterColumns"]
    ]


def test_kuberay_crd_cli_prints_every_crd_or_one_kind() -> None:
    def run(*args: str) -> list[Any]:
        out = subprocess.run(
            [sys.executable, "-m", "kuberay.cli", "crd", *args], capture_output=True, text=True, check=True
        ).stdout
        return list(yaml.safe_load_all(out))

    assert run() == render_crds()
    names = ["rayclusters.ray.io", "rayjobs.ray.io", "rayservices.ray.io"]
    assert [c["metadata"]["name"] for c in run()] == names
    assert run("--kind", "rayjob") == [render_crd("rayjob")]
    assert run("--kind", "rayservice") == [render_crd("rayservice")]
