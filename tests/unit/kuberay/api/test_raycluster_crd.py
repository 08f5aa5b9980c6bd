"""Our generated RayCluster CRD: accepts KubeRay's samples, rejects what a schema can express,
shows KubeRay's printer columns, and is structural."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from kuberay.api.crd import render_crd
from kuberay.api.types import parse_raycluster
from localkube.apiserver import schema as kube_schema


@cache
def _schema() -> dict[str, Any]:
    return render_crd()["spec"]["versions"][0]["schema"]["openAPIV3Schema"]


def _errors(obj: dict[str, Any]) -> list[str]:
    """What the API server answers (422 causes) when `obj` is written under our CRD: defaults are
    applied first, as the API server does."""
    obj = copy.deepcopy(obj)
    kube_schema.apply_defaults(obj, _schema())
    return [e.message() for e in kube_schema.validate(obj, _schema())]


def test_every_sample_validates_against_our_schema(sample: dict[str, Any]) -> None:
    assert _errors(sample) == []


def test_every_sample_parses_into_the_typed_model(sample: dict[str, Any]) -> None:
    cluster = parse_raycluster(sample)
    assert cluster.spec.head_group_spec.template["spec"]["containers"]
    assert cluster.spec.worker_group_specs


def test_names_scope_and_status_subresource_match_kuberay() -> None:
    crd = render_crd()
    kuberay = yaml.safe_load(Path("/work/shared/kuberay/crds/ray.io_rayclusters.yaml").read_text())
    assert crd["metadata"]["name"] == "rayclusters.ray.io"
    assert crd["spec"]["names"] == kuberay["spec"]["names"]
    assert crd["spec"]["scope"] == "Namespaced"
    (v1,) = crd["spec"]["versions"]
    assert v1["name"] == "v1" and v1["served"] and v1["storage"]
    assert v1["subresources"] == {"status": {}}


def test_printer_columns_are_kuberays() -> None:
    kuberay = yaml.safe_load(Path("/work/shared/kuberay/crds/ray.io_rayclusters.yaml").read_text())
    theirs = next(v for v in kuberay["spec"]["versions"] if v["name"] == "v1")["additionalPrinterColumns"]
    ours = render_crd()["spec"]["versions"][0]["additionalPrinterColumns"]

    def norm(cols: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
        return [(c["name"], c["type"], c["jsonPath"], c.get("priority", 0)) for c in cols]

    assert norm(ours) == norm(theirs)


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda o: o["spec"]["workerGroupSpecs"][0].__setitem__("replicas", -1), "replicas"),
        (lambda o: o["spec"]["workerGroupSpecs"][0].__setitem__("minReplicas", -2), "minReplicas"),
        (lambda o: o["spec"].__setitem__("autoscalerOptions", {"version": "v3"}), "version"),
        (lambda o: o["spec"].__setitem__("autoscalerOptions", {"upscalingMode": "Fast"}), "upscalingMode"),
        (lambda o: o["spec"]["headGroupSpec"].__setitem__("serviceType", "Magic"), "serviceType"),
        (lambda o: o["spec"]["headGroupSpec"]["rayStartParams"].__setitem__("num-cpus", 2), "num-cpus"),
        (lambda o: o["spec"]["workerGroupSpecs"][0]["template"]["spec"]["containers"][0].pop("name"), "name"),
        (
            lambda o: o["spec"]["headGroupSpec"]["template"]["spec"].__setitem__("containers", "x"),
            "containers",
        ),
        (lambda o: o["spec"].__delitem__("headGroupSpec"), "headGroupSpec"),
        (lambda o: o["spec"]["workerGroupSpecs"][0].__delitem__("groupName"), "groupName"),
        (lambda o: o["spec"].__setitem__("managedBy", "someone-else"), "managedBy"),
    ],
)
def test_schema_rejects_what_a_schema_can_express(load: Any, mutate: Any, field: str) -> None:
    obj = load("ray-cluster.sample.yaml")
    mutate(obj)
    errors = _errors(obj)
    assert errors, f"schema accepted a bad {field}"
    assert any(field in e for e in errors), errors


def test_schema_declares_kuberays_defaults() -> None:
    group = _schema()["properties"]["spec"]["properties"]["workerGroupSpecs"]["items"]["properties"]
    assert group["replicas"]["default"] == 0
    assert group["minReplicas"]["default"] == 0
    assert group["maxReplicas"]["default"] == 2147483647
    assert group["numOfHosts"]["default"] == 1


def _walk(node: Any, path: str) -> Any:
    if isinstance(node, dict):
        yield path, node
        for key, sub in node.items():
            yield from _walk(sub, f"{path}.{key}")
    elif isinstance(node, list):
        for i, sub in enumerate(node):
            yield from _walk(sub, f"{path}[{i}]")


def test_schema_is_structural_as_the_api_server_requires() -> None:
    assert kube_schema.check_crd_schema(_schema(), path="spec.versions[0].schema.openAPIV3Schema") == []
    for path, node in _walk(_schema(), "$"):
        assert "$ref" not in node, path


def test_templates_carry_the_full_pod_template_schema() -> None:
    head = _schema()["properties"]["spec"]["properties"]["headGroupSpec"]["properties"]
    container = head["template"]["properties"]["spec"]["properties"]["containers"]["items"]
    assert "resources" in container["properties"] and "env" in container["properties"]
    assert container["required"] == ["name"]


def test_server_prunes_unknown_template_fields_and_keeps_known_ones(load: Any) -> None:
    obj = load("ray-cluster.sample.yaml")
    ray = obj["spec"]["headGroupSpec"]["template"]["spec"]["containers"][0]
    ray["imagePullPolicyy"] = "Always"  # a typo the API server drops
    dropped = kube_schema.prune(obj, _schema())
    assert dropped == ["spec.headGroupSpec.template.spec.containers[0].imagePullPolicyy"]
    assert ray["image"] == "rayproject/ray:2.52.0"


def test_crd_is_small_enough_for_kubectl_apply() -> None:
    # kubectl apply stores the whole object in a 256 KiB annotation.
    assert len(json.dumps(render_crd(), separators=(",", ":"))) < 262144


def test_kuberay_crd_cli_prints_the_crd_as_yaml() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "kuberay.cli", "crd", "--kind", "raycluster"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert yaml.safe_load(out) == render_crd()


def test_unknown_fields_do_not_break_the_model(load: Any) -> None:
    obj = copy.deepcopy(load("ray-cluster.complete.yaml"))
    obj["spec"]["somethingNew"] = {"a": 1}
    assert parse_raycluster(obj).spec.ray_version == "2.52.0"


def test_managed_by_is_immutable(load: Any) -> None:
    old = load("ray-cluster.sample.yaml")
    old["spec"]["managedBy"] = "ray.io/kuberay-operator"
    new = copy.deepcopy(old)
    new["spec"]["managedBy"] = "kueue.x-k8s.io/multikueue"
    errors = [e.message() for e in kube_schema.validate(new, _schema(), old=old)]
    assert any("the managedBy field is immutable" in e for e in errors), errors
    assert kube_schema.validate(old, _schema(), old=old) == []
