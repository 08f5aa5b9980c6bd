"""Shared fixtures: KubeRay's own sample RayClusters, read from the shared reference data."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml

from support.paths import KUBERAY_SAMPLES, RAYCLUSTER_SAMPLES


def load_sample(name: str) -> dict[str, Any]:
    """The RayCluster document of a sample file, as the API server would hand it to us."""
    for doc in yaml.safe_load_all((KUBERAY_SAMPLES / name).read_text()):
        if doc and doc.get("kind") == "RayCluster":
            doc.setdefault("metadata", {}).setdefault("namespace", "default")
            doc["metadata"].setdefault("uid", "0f1e2d3c-aaaa-bbbb-cccc-000000000001")
            doc["metadata"].setdefault("generation", 1)
            return doc
    raise AssertionError(f"no RayCluster in {name}")


SAMPLE_NAMES = [p.name for p in RAYCLUSTER_SAMPLES]


@pytest.fixture(params=SAMPLE_NAMES)
def sample(request: pytest.FixtureRequest) -> dict[str, Any]:
    return load_sample(str(request.param))


@pytest.fixture
def samples() -> dict[str, dict[str, Any]]:
    return {name: load_sample(name) for name in SAMPLE_NAMES}


def clone(obj: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(obj)


@pytest.fixture
def load() -> Any:
    """`load("ray-cluster.sample.yaml")` -> a fresh copy of that sample's RayCluster."""
    return load_sample
