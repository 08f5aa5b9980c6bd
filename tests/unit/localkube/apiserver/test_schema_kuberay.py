"""KubeRay's own CRD and samples under localkube's structural-schema validation, pruning, defaulting."""

from __future__ import annotations

import copy
import pathlib
from typing import Any

import pytest
import yaml

from localkube.apiserver import fielderrors as fe
from localkube.apiserver.schema import apply_defaults, check_crd_schema, prune, validate

SHARED = pathlib.Path("/work/shared/kuberay")
CRD_PATH = SHARED / "crds" / "ray.io_rayclusters.yaml"
SAMPLES = sorted((SHARED / "samples").glob("*.yaml"))


@pytest.fixture(scope="module")
def crd_schema() -> dict[str, Any]:
    crd = yaml.safe_load(CRD_PATH.read_text())
    return crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]


def _rayclusters(path: pathlib.Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d and d.get("kind") == "RayCluster"]


@pytest.fixture(scope="module")
def complete() -> dict[str, Any]:
    return _rayclusters(SHARED / "samples" / "ray-cluster.complete.yaml")[0]


def _admit(obj: dict[str, Any], schema: dict[str, Any], old: Any = None) -> tuple[list[str], list[str]]:
    """What the API server does on a write: prune, default, validate. Returns (pruned, messages)."""
    pruned = prune(obj, schema)
    apply_defaults(obj, schema)
    return pruned, [e.message() for e in validate(obj, schema, old=old)]


def test_samples_exist() -> None:
    assert len(SAMPLES) >= 3


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.name)
def test_every_sample_is_accepted_unchanged(sample: pathlib.Path, crd_schema: dict[str, Any]) -> None:
    for doc in _rayclusters(sample):
        obj = copy.deepcopy(doc)
        pruned, errors = _admit(obj, crd_schema)
        assert pruned == []
        assert errors == []
        # Defaulting only adds: everything the user wrote is still there, unchanged.
        _assert_contains(obj, doc)


def _assert_contains(big: Any, small: Any) -> None:
    if isinstance(small, dict):
        assert isinstance(big, dict)
        for k, v in small.items():
            _assert_contains(big[k], v)
    elif isinstance(small, list):
        assert isinstance(big, list) and len(big) == len(small)
        for a, b in zip(big, small, strict=True):
            _assert_contains(a, b)
    else:
        assert big == small


def test_kuberay_crd_schema_is_structural(crd_schema: dict[str, Any]) -> None:
    assert check_crd_schema(crd_schema) == []


def test_defaults_fill_container_port_protocol(complete: dict[str, Any], crd_schema: dict[str, Any]) -> None:
    obj = copy.deepcopy(complete)
    ports = obj["spec"]["headGroupSpec"]["template"]["spec"]["containers"][0]["ports"]
    assert all("protocol" not in p for p in ports)
    apply_defaults(obj, crd_schema)
    assert {p["protocol"] for p in ports} == {"TCP"}


WRONG = [
    (
        ("spec", "workerGroupSpecs", 0, "replicas"),
        "two",
        'spec.workerGroupSpecs[0].replicas: Invalid value: "string": '
        'spec.workerGroupSpecs[0].replicas in body must be of type integer: "string"',
    ),
    (
        ("spec", "headGroupSpec", "template", "spec", "containers", 0, "ports", 0, "containerPort"),
        "6379",
        'spec.headGroupSpec.template.spec.containers[0].ports[0].containerPort: Invalid value: "string": '
        "spec.headGroupSpec.template.spec.containers[0].ports[0].containerPort in body must be of type "
        'integer: "string"',
    ),
    (
        ("spec", "enableInTreeAutoscaling"),
        "yes",
        'spec.enableInTreeAutoscaling: Invalid value: "string": spec.enableInTreeAutoscaling in body must be '
        'of type boolean: "string"',
    ),
    (
        ("spec", "headGroupSpec", "template", "spec", "containers", 0, "resources", "limits", "cpu"),
        "lots",
        'spec.headGroupSpec.template.spec.containers[0].resources.limits.cpu: Invalid value: "lots": '
        "spec.headGroupSpec.template.spec.containers[0].resources.limits.cpu in body should match "
        "'^(\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\\+|-)?(([0-9]+(\\.[0-9]*)?)|"
        "(\\.[0-9]+))))?$'",
    ),
    (
        ("spec", "headGroupSpec", "template", "spec", "containers", 0, "imagePullPolicy"),
        7,
        'spec.headGroupSpec.template.spec.containers[0].imagePullPolicy: Invalid value: "integer": '
        "spec.headGroupSpec.template.spec.containers[0].imagePullPolicy in body must be of type string: "
        '"integer"',
    ),
    (
        ("spec", "workerGroupSpecs", 0, "replicas"),
        2**40,
        '<nil>: Invalid value: "": Checked value must be of type integer with format int32 in '
        "spec.workerGroupSpecs[0].replicas",
    ),
]


RULES_NOT_CHECKED = (
    "<nil>: Invalid value: null: some validation rules were not checked because the object was invalid; "
    "correct the existing errors to complete validation"
)


def _set(obj: Any, path: tuple[Any, ...], value: Any) -> None:
    for key in path[:-1]:
        obj = obj[key]
    obj[path[-1]] = value


@pytest.mark.parametrize(("path", "value", "message"), WRONG, ids=lambda x: str(x)[:40])
def test_wrongly_typed_field_is_named(
    path: tuple[Any, ...], value: Any, message: str, complete: dict[str, Any], crd_schema: dict[str, Any]
) -> None:
    obj = copy.deepcopy(complete)
    _set(obj, path, value)
    _pruned, errors = _admit(obj, crd_schema)
    # a value of the wrong type stops KubeRay's CEL rules from running, and the answer says so
    assert errors == [message, *([RULES_NOT_CHECKED] if "in body must be of type" in message else [])]


def test_missing_required_container_name(complete: dict[str, Any], crd_schema: dict[str, Any]) -> None:
    obj = copy.deepcopy(complete)
    del obj["spec"]["workerGroupSpecs"][0]["template"]["spec"]["containers"][0]["name"]
    errs = validate(obj, crd_schema)
    assert [(e.path, e.reason) for e in errs] == [
        ("spec.workerGroupSpecs[0].template.spec.containers[0].name", fe.REQUIRED),
        ("<nil>", fe.INVALID),
    ]
    assert errs[0].message() == "spec.workerGroupSpecs[0].template.spec.containers[0].name: Required value"


def test_unknown_enum_value(complete: dict[str, Any], crd_schema: dict[str, Any]) -> None:
    obj = copy.deepcopy(complete)
    obj["spec"]["gcsFaultToleranceOptions"] = {"backend": "etcd", "redisAddress": "redis:6379"}
    assert [e.message() for e in validate(obj, crd_schema)] == [
        'spec.gcsFaultToleranceOptions.backend: Unsupported value: "etcd": '
        'supported values: "redis", "rocksdb"',
        RULES_NOT_CHECKED,
    ]


def test_unknown_fields_are_pruned_and_reported(complete: dict[str, Any], crd_schema: dict[str, Any]) -> None:
    obj = copy.deepcopy(complete)
    obj["spec"]["replicaz"] = 3
    obj["spec"]["workerGroupSpecs"][0]["templat"] = {}
    obj["spec"]["headGroupSpec"]["template"]["spec"]["containers"][0]["imag"] = "x"
    obj["metadata"]["labelz"] = {}
    obj["status"] = {"state": "ready", "bogus": True}
    pruned, errors = _admit(obj, crd_schema)
    assert pruned == [
        "metadata.labelz",
        "spec.headGroupSpec.template.spec.containers[0].imag",
        "spec.replicaz",
        "spec.workerGroupSpecs[0].templat",
        "status.bogus",
    ]
    assert errors == []
    assert "replicaz" not in obj["spec"]
    assert obj["status"] == {"state": "ready"}
    assert obj["apiVersion"] == "ray.io/v1" and obj["kind"] == "RayCluster"


def test_preserve_unknown_fields_keeps_ray_start_params_free_form(crd_schema: dict[str, Any]) -> None:
    # rayStartParams is a map of strings: arbitrary keys survive, non-strings are rejected.
    obj = {
        "apiVersion": "ray.io/v1",
        "kind": "RayCluster",
        "metadata": {"name": "x"},
        "spec": {
            "headGroupSpec": {
                "rayStartParams": {"num-cpus": "1", "any-flag": "v"},
                "template": {"spec": {"containers": [{"name": "ray-head", "image": "ray"}]}},
            }
        },
    }
    pruned, errors = _admit(obj, crd_schema)
    assert pruned == [] and errors == []
    obj["spec"]["headGroupSpec"]["rayStartParams"]["num-cpus"] = 1
    assert [e.path for e in validate(obj, crd_schema)] == [
        "spec.headGroupSpec.rayStartParams.num-cpus",
        "<nil>",
    ]


def test_managed_by_rules(complete: dict[str, Any], crd_schema: dict[str, Any]) -> None:
    obj = copy.deepcopy(complete)
    obj["spec"]["managedBy"] = "someone-else"
    assert [e.message() for e in validate(obj, crd_schema)] == [
        'spec.managedBy: Invalid value: "someone-else": the managedBy field value must be either '
        "'ray.io/kuberay-operator' or 'kueue.x-k8s.io/multikueue'"
    ]
    obj["spec"]["managedBy"] = "ray.io/kuberay-operator"
    assert validate(obj, crd_schema) == []
    # Transition rule: changing it on update is refused; keeping it is fine.
    new = copy.deepcopy(obj)
    new["spec"]["managedBy"] = "kueue.x-k8s.io/multikueue"
    assert [e.message() for e in validate(new, crd_schema, old=obj)] == [
        'spec.managedBy: Invalid value: "kueue.x-k8s.io/multikueue": the managedBy field is immutable'
    ]
    assert validate(obj, crd_schema, old=copy.deepcopy(obj)) == []
    # Setting it for the first time on update has no old value to compare with.
    first = copy.deepcopy(complete)
    assert validate(new, crd_schema, old=first) == []


def test_duplicate_container_ports_are_a_list_map_violation(
    complete: dict[str, Any], crd_schema: dict[str, Any]
) -> None:
    obj = copy.deepcopy(complete)
    ports = obj["spec"]["headGroupSpec"]["template"]["spec"]["containers"][0]["ports"]
    ports.append({"containerPort": ports[0]["containerPort"], "name": "again"})
    prune(obj, crd_schema)
    apply_defaults(obj, crd_schema)
    errs = validate(obj, crd_schema)
    path = f"spec.headGroupSpec.template.spec.containers[0].ports[{len(ports) - 1}]"
    assert [(e.path, e.reason, e.value) for e in errs] == [
        (path, fe.DUPLICATE, {"containerPort": ports[0]["containerPort"], "protocol": "TCP"})
    ]
