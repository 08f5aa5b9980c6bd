"""No silent field: every path of our CRD and of KubeRay's has exactly one decision, each "used"
path names a test that exists and speaks of it, and each "refused" path is refused by validation."""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest
import yaml

from kuberay.api.crd import render_crd
from kuberay.api.fields import (
    PASSED_THROUGH,
    RAYSERVICE_ANNOTATIONS_REFUSED,
    RAYSERVICE_PASSED_THROUGH,
    RAYSERVICE_REFUSED,
    RAYSERVICE_USED,
    REFUSED,
    SETTINGS_REFUSED,
    SETTINGS_USED,
    USED,
)
from kuberay.api.rayservice_validation import validate_rayservice
from kuberay.api.validation import validate_raycluster
from support.crds import kuberay_schema, our_schema, sample_object
from support.paths import KUBERAY_CRD, KUBERAY_SAMPLES, REPO

SAMPLE = KUBERAY_SAMPLES / "ray-cluster.sample.yaml"
STOPS = {**PASSED_THROUGH, **REFUSED, **USED}


def _paths(schema: dict[str, Any], path: str = "") -> list[str]:
    """Leaf paths: objects are walked into, arrays of objects as `name[]`, maps and scalars are
    leaves. A path that has a decision is not walked into (a Kubernetes type used whole)."""
    if path in STOPS:
        return [path]
    items = schema.get("items") if schema.get("type") == "array" else None
    if items is not None and "properties" in items:
        return _paths(items, path + "[]")
    if "properties" not in schema:
        return [path]
    out: list[str] = []
    for name, sub in schema["properties"].items():
        out.extend(_paths(sub, f"{path}.{name}" if path else name))
    return out


def _kuberay_schema() -> dict[str, Any]:
    crd = yaml.safe_load(KUBERAY_CRD.read_text())
    version = next(v for v in crd["spec"]["versions"] if v["name"] == "v1")
    schema: dict[str, Any] = version["schema"]["openAPIV3Schema"]
    return schema


def _our_schema() -> dict[str, Any]:
    schema: dict[str, Any] = render_crd()["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    return schema


def test_the_three_lists_do_not_overlap() -> None:
    assert not USED.keys() & PASSED_THROUGH.keys()
    assert not USED.keys() & REFUSED.keys()
    assert not PASSED_THROUGH.keys() & REFUSED.keys()
    assert not SETTINGS_USED.keys() & SETTINGS_REFUSED.keys()


@pytest.mark.parametrize("which", ["ours", "kuberay"])
def test_every_crd_field_has_a_decision(which: str) -> None:
    schema = _our_schema() if which == "ours" else _kuberay_schema()
    undecided = [p for p in _paths(schema) if p not in STOPS]
    assert not undecided, f"fields with no decision in kuberay.api.fields: {undecided}"


def test_our_crd_and_kuberays_have_the_same_fields() -> None:
    # A field only KubeRay's CRD has is pruned by ours before the operator sees it: silent loss.
    assert sorted(_paths(_our_schema())) == sorted(_paths(_kuberay_schema()))


def test_no_decision_is_stale() -> None:
    walked = set(_paths(_our_schema()))
    stale = [p for p in STOPS if p not in walked and not p.startswith("metadata.annotations[")]
    assert not stale, f"decisions for fields the CRD no longer has: {stale}"


def _test_sources() -> dict[str, str]:
    """Test function name -> the text of the file defining it."""
    out: dict[str, str] = {}
    for file in (REPO / "tests").rglob("test_*.py"):
        text = file.read_text()
        for name in re.findall(r"^(?:async )?def (test_\w+)", text, re.M):
            out.setdefault(name, text)
    return out


@pytest.mark.parametrize("table", [USED, SETTINGS_USED], ids=["fields", "settings"])
def test_each_used_field_names_a_test_about_it(table: dict[str, str]) -> None:
    sources = _test_sources()
    missing = {p: t for p, t in table.items() if t not in sources}
    assert not missing, f"named tests that do not exist: {missing}"
    unrelated = []
    for path, test in table.items():
        leaf = re.split(r"[.\[\]]", path.rstrip("]"))[-1].lstrip("-")
        if leaf not in sources[test] and leaf.replace("-", "_") not in sources[test]:
            unrelated.append((path, test))
    assert not unrelated, f"named tests whose file never mentions the field: {unrelated}"


# One example value per refused field: validation must name it.
REFUSED_EXAMPLES: dict[str, tuple[str, Any]] = {
    "spec.networkPolicy": ("networkPolicy", {"mode": "DenyAll"}),
    "spec.tlsOptions": ("tlsOptions", {"enabled": True}),
    "spec.historyServerOptions": ("historyServerOptions", {"collectorOptions": {"image": "x"}}),
    "spec.gcsFaultToleranceOptions.storage": (
        "gcsFaultToleranceOptions",
        {"redisAddress": "redis:6379", "storage": {"size": "1Gi"}},
    ),
}


@pytest.mark.parametrize("path", sorted(REFUSED))
def test_each_refused_field_is_refused_by_validation_naming_it(path: str) -> None:
    cluster = copy.deepcopy(next(d for d in yaml.safe_load_all(SAMPLE.read_text()) if d))
    assert not validate_raycluster(cluster)
    key, value = REFUSED_EXAMPLES[path]
    cluster["spec"][key] = value
    assert any(p.path == path for p in validate_raycluster(cluster)), validate_raycluster(cluster)


# -- RayService: its own fields; rayClusterConfig and the clusters' statuses are RayCluster's ------

_RS_STOPS = {**RAYSERVICE_USED, **RAYSERVICE_PASSED_THROUGH, **RAYSERVICE_REFUSED}


def _rs_paths(schema: dict[str, Any], path: str = "") -> list[str]:
    if path in _RS_STOPS:
        return [path]
    items = schema.get("items") if schema.get("type") == "array" else None
    if items is not None and "properties" in items:
        return _rs_paths(items, path + "[]")
    if "properties" not in schema:
        return [path]
    out: list[str] = []
    for name, sub in schema["properties"].items():
        out.extend(_rs_paths(sub, f"{path}.{name}" if path else name))
    return out


@pytest.mark.parametrize("which", ["ours", "kuberay"])
def test_every_rayservice_field_has_a_decision(which: str) -> None:
    schema = our_schema("rayservice") if which == "ours" else kuberay_schema("rayservice")
    walked = _rs_paths(schema)
    assert not [p for p in walked if p not in _RS_STOPS]
    assert sorted(walked) == sorted(_rs_paths(our_schema("rayservice")))
    assert not RAYSERVICE_USED.keys() & (RAYSERVICE_PASSED_THROUGH.keys() | RAYSERVICE_REFUSED.keys())
    assert not [p for p in _RS_STOPS if p not in walked], "stale decisions"


def test_each_used_rayservice_field_names_a_test_about_it() -> None:
    sources = _test_sources()
    missing = {p: t for p, t in RAYSERVICE_USED.items() if t not in sources}
    assert not missing
    unrelated = [(p, t) for p, t in RAYSERVICE_USED.items() if p.rsplit(".", 1)[-1] not in sources[t]]
    assert not unrelated


@pytest.mark.parametrize("path", sorted(p for p in RAYSERVICE_REFUSED if p.startswith("spec.")))
def test_each_refused_rayservice_field_is_refused_naming_it(path: str) -> None:
    service = sample_object("ray-service.sample.yaml", "RayService")
    assert not validate_rayservice(service)
    service["spec"]["upgradeStrategy"] = {
        "type": "NewCluster",
        "clusterUpgradeOptions": {"gatewayClassName": "g"},
    }
    assert any(p.path == path for _, p in validate_rayservice(service))


@pytest.mark.parametrize("path", sorted(RAYSERVICE_ANNOTATIONS_REFUSED))
def test_each_refused_rayservice_annotation_is_refused_naming_it(path: str) -> None:
    service = sample_object("ray-service.sample.yaml", "RayService")
    key = path.removeprefix("metadata.annotations[").rstrip("]")
    service["metadata"]["annotations"] = {key: "1m"}
    assert any(p.path == path for _, p in validate_rayservice(service))
