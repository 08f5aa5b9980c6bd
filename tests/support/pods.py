"""Waiting for pod states through the official client (polling the API is fine in tests)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import yaml

from support import waiting


def wait_for(what: str, check: Callable[[], Any], timeout: float = 120, interval: float = 0.2) -> Any:
    """`support.waiting.wait_for` with the patience real processes need (pods start in seconds)."""
    return waiting.wait_for(what, check, timeout, interval)


def pod_condition(pod: Any, ctype: str) -> str:
    for c in pod.status.conditions or []:
        if c.type == ctype:
            return str(c.status)
    return ""


def wait_ready(core: Any, name: str, ns: str = "default", timeout: float = 120) -> Any:
    seen: list[Any] = []

    def check() -> Any:
        pod = core.read_namespaced_pod(name, ns)
        seen[:] = [pod.status]
        return pod if pod_condition(pod, "Ready") == "True" else None

    try:
        return wait_for(f"pod {name} Ready", check, timeout)
    except AssertionError as e:
        raise AssertionError(f"{e}; pod status: {seen[0] if seen else None}") from None


def wait_phase(core: Any, name: str, phase: str, ns: str = "default", timeout: float = 120) -> Any:
    seen: list[Any] = []

    def check() -> Any:
        pod = core.read_namespaced_pod(name, ns)
        seen[:] = [pod.status]
        return pod if pod.status.phase == phase else None

    try:
        return wait_for(f"pod {name} {phase}", check, timeout)
    except AssertionError as e:
        raise AssertionError(f"{e}; pod status: {seen[0] if seen else None}") from None


def container_status(pod: Any, name: str) -> Any:
    for cs in list(pod.status.container_statuses or []) + list(pod.status.init_container_statuses or []):
        if cs.name == name:
            return cs
    return None


def create(core: Any, manifest: str, ns: str = "default") -> Any:
    body = yaml.safe_load(manifest)
    kind = body["kind"]
    if kind == "Pod":
        return core.create_namespaced_pod(ns, body)
    if kind == "Service":
        return core.create_namespaced_service(ns, body)
    if kind == "ConfigMap":
        return core.create_namespaced_config_map(ns, body)
    if kind == "Secret":
        return core.create_namespaced_secret(ns, body)
    raise ValueError(kind)
