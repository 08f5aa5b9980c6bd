"""Bad input never makes the schema code raise: malformed objects get field errors, malformed schemas
get structural errors (the API server turns both into 422s instead of crashing)."""

from __future__ import annotations

import copy
import pathlib
import random
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from localkube.apiserver.schema import CompiledSchema, apply_defaults, check_crd_schema, prune, validate

SHARED = pathlib.Path("/work/shared/kuberay")
ODD_VALUES: list[Any] = [
    None,
    True,
    0,
    -1,
    2**70,
    1.5,
    "",
    "x" * 300,
    [],
    [None],
    {},
    {"a": None},
    [[1]],
    {"": 1},
]
SCHEMA_KEYS = [
    "type",
    "properties",
    "items",
    "additionalProperties",
    "anyOf",
    "allOf",
    "oneOf",
    "not",
    "default",
    "enum",
    "pattern",
    "required",
    "x-kubernetes-list-type",
    "x-kubernetes-list-map-keys",
    "x-kubernetes-validations",
    "maxLength",
    "minimum",
    "x-kubernetes-int-or-string",
    "x-kubernetes-preserve-unknown-fields",
    "x-kubernetes-embedded-resource",
    "format",
    "nullable",
    "$ref",
]
ODD_SCHEMA_VALUES: list[Any] = [
    None,
    True,
    0,
    "",
    "x",
    [],
    [None],
    {},
    {"type": 5},
    "object",
    [{"type": "string"}],
    "((",
]


@pytest.fixture(scope="module")
def crd_schema() -> dict[str, Any]:
    crd = yaml.safe_load((SHARED / "crds" / "ray.io_rayclusters.yaml").read_text())
    return crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]


@pytest.fixture(scope="module")
def samples() -> list[dict[str, Any]]:
    return [
        d
        for f in sorted((SHARED / "samples").glob("*.yaml"))
        for d in yaml.safe_load_all(f.read_text())
        if d and d.get("kind") == "RayCluster"
    ]


def _paths(o: Any, p: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield p
    if isinstance(o, dict):
        for k, v in o.items():
            yield from _paths(v, (*p, k))
    elif isinstance(o, list):
        for i, v in enumerate(o):
            yield from _paths(v, (*p, i))


def _nodes(o: Any) -> Iterator[dict[str, Any]]:
    if isinstance(o, dict):
        yield o
        for v in o.values():
            yield from _nodes(v)
    elif isinstance(o, list):
        for v in o:
            yield from _nodes(v)


def test_mangled_rayclusters_get_errors_not_exceptions(
    crd_schema: dict[str, Any], samples: list[dict[str, Any]]
) -> None:
    rng = random.Random(1)
    rejected = 0
    for _ in range(300):
        obj = copy.deepcopy(rng.choice(samples))
        paths = list(_paths(obj))[1:]
        for _ in range(rng.randint(1, 4)):
            path = rng.choice(paths)
            parent = obj
            try:
                for key in path[:-1]:
                    parent = parent[key]
                parent[path[-1]] = copy.deepcopy(rng.choice(ODD_VALUES))
            except (KeyError, IndexError, TypeError):
                continue  # an earlier mutation replaced an ancestor
        old = copy.deepcopy(rng.choice(samples)) if rng.random() < 0.5 else None
        prune(obj, crd_schema)
        apply_defaults(obj, crd_schema)
        errors = validate(obj, crd_schema, old=old)
        assert all(e.message() for e in errors)
        rejected += bool(errors)
    assert rejected > 100  # the mutations mostly produce invalid objects, and they are reported


def test_mangled_schemas_get_structural_errors_not_exceptions(crd_schema: dict[str, Any]) -> None:
    head = crd_schema["properties"]["spec"]["properties"]["headGroupSpec"]
    base = {"type": "object", "properties": {"spec": head}}
    rng = random.Random(2)
    for _ in range(50):
        schema = copy.deepcopy(base)
        nodes = list(_nodes(schema))
        for _ in range(rng.randint(1, 5)):
            rng.choice(nodes)[rng.choice(SCHEMA_KEYS)] = copy.deepcopy(rng.choice(ODD_SCHEMA_VALUES))
        assert all(e.message() for e in check_crd_schema(schema))
        compiled = CompiledSchema(schema)
        obj = {
            "spec": {
                "template": {"spec": {"containers": [{"name": "a", "image": "b"}]}},
                "rayStartParams": {},
            }
        }
        compiled.prune(obj)
        compiled.apply_defaults(obj)
        compiled.validate(obj, old=copy.deepcopy(obj))
