"""Request bodies recorded from KubeRay's real operator (protobuf_kuberay.yaml says how), with what
kube-apiserver stored for the same requests."""

from __future__ import annotations

import base64
from functools import cache
from pathlib import Path
from typing import Any

import yaml


@cache
def _recordings() -> dict[str, dict[str, Any]]:
    data = yaml.safe_load(Path(__file__).with_name("protobuf_kuberay.yaml").read_text())
    return {r["name"]: r for r in data["recordings"]}


def kuberay_protobuf(name: str) -> tuple[bytes, dict[str, Any]]:
    """The protobuf body KubeRay's operator sent for `name` ("head pod", "head service") and the
    object kube-apiserver stored for it (without managedFields and status)."""
    found = _recordings()[name]
    return base64.b64decode(found["body"]), found["stored"]
