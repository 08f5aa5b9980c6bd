"""The `ray start` command KubeRay generates from rayStartParams and the Ray container's resources.

The output is byte-for-byte KubeRay's (flags sorted, each wrapped in single spaces), so users who
grep `KUBERAY_GEN_RAY_START_CMD` or pod args see what they saw with KubeRay.
"""

from __future__ import annotations

import json
import re
from typing import Any

from kuberay.build import naming
from kubeschema.quantity import QuantityError, go_float, parse_quantity

# `ray start` flags that take an explicit true/false value rather than being bare switches.
_EXPLICIT_BOOL_FLAGS = ("log-color", "include-dashboard", "include-log-monitor")
_CUSTOM_ACCELERATORS = {"aws.amazon.com/neuroncore": "neuron_cores", "google.com/tpu": "TPU"}
_MIG_RE = re.compile(r"nvidia\.com/mig-\d+g\.\d+gb$")

ULIMIT_CMD = "ulimit -n ${RAY_START_ULIMIT_OPEN_FILES:-65536}"


def is_gpu_resource_key(key: str) -> bool:
    return key.endswith("gpu") or bool(_MIG_RE.search(key))


def _resources_map(params: dict[str, str]) -> dict[str, float]:
    raw = params.get("resources")
    if raw is None:
        return {}
    parsed = json.loads(raw.strip("'\"` "))
    if not isinstance(parsed, dict):
        raise ValueError("rayStartParams.resources must be a JSON object")
    return {str(k): float(v) for k, v in parsed.items()}


def _json_resources(resources: dict[str, float]) -> str:
    body = ",".join(f"{json.dumps(k)}:{go_float(v)}" for k, v in sorted(resources.items()))
    return "'{" + body + "}'"


def apply_group_resources(params: dict[str, str], group_resources: dict[str, str] | None) -> None:
    """The group's top-level `resources` override num-cpus/memory/num-gpus/resources."""
    if not group_resources:
        return
    custom: dict[str, float] = {}
    for name, raw in group_resources.items():
        try:
            q = parse_quantity(raw)
        except QuantityError:
            continue  # KubeRay skips values it cannot parse
        lowered = name.lower()
        if lowered == "cpu":
            params["num-cpus"] = str(q.ceil_int())
        elif lowered == "memory":
            params["memory"] = str(q.ceil_int())
        elif is_gpu_resource_key(lowered):
            params["num-gpus"] = str(q.ceil_int())
        else:
            custom[name] = float(q.value)
    if custom:
        params["resources"] = _json_resources(custom)


def apply_group_labels(params: dict[str, str], group_labels: dict[str, str] | None) -> None:
    if group_labels:
        params["labels"] = ",".join(f"{k}={group_labels[k]}" for k in sorted(group_labels))


def set_missing_params(params: dict[str, str], node_type: str, head_port: str, fqdn: str) -> None:
    if node_type == naming.WORKER:
        params.setdefault("address", f"{fqdn}:{head_port}")
    else:
        # Ray's default dashboard host is localhost, unreachable from outside the pod.
        params.setdefault("dashboard-host", "0.0.0.0")
    params.setdefault("metrics-export-port", str(naming.DEFAULT_METRICS_PORT))
    params["block"] = "true"
    # The health probes assume this port; pin it rather than trust Ray's default.
    params.setdefault("dashboard-agent-listen-port", str(naming.DEFAULT_DASHBOARD_AGENT_LISTEN_PORT))


def _quantity_or_none(resources: dict[str, Any], kind: str, name: str) -> Any:
    return (resources.get(kind) or {}).get(name)


def add_resource_params(params: dict[str, str], container_resources: dict[str, Any]) -> None:
    """num-cpus / memory / num-gpus / accelerator resources from the Ray container, when not given."""
    limits: dict[str, Any] = container_resources.get("limits") or {}
    requests: dict[str, Any] = container_resources.get("requests") or {}
    if "num-cpus" not in params:
        for source in (limits, requests):
            if source.get("cpu") is not None:
                cpu = parse_quantity(source["cpu"])
                if not cpu.is_zero():
                    params["num-cpus"] = str(cpu.ceil_int())
                    break
    if "memory" not in params and limits.get("memory") is not None:
        memory = parse_quantity(limits["memory"])
        if not memory.is_zero():
            params["memory"] = str(memory.ceil_int())
    if not limits:
        return
    try:
        resources = _resources_map(params)
    except (ValueError, json.JSONDecodeError):
        return  # KubeRay logs and leaves the params alone
    accelerator_added = any(name in resources for name in _CUSTOM_ACCELERATORS.values())
    for key in sorted(limits):
        value = parse_quantity(limits[key])
        if "num-gpus" not in params and is_gpu_resource_key(key) and not value.is_zero():
            params["num-gpus"] = str(value.ceil_int())
        ray_name = _CUSTOM_ACCELERATORS.get(key)
        if not accelerator_added and ray_name and not value.is_zero():
            if ray_name not in resources:
                resources[ray_name] = float(value.value)
                params["resources"] = _json_resources(resources)
            accelerator_added = True


def convert_params(params: dict[str, str]) -> str:
    out = []
    for option in sorted(params):
        argument = params[option]
        if argument.lower() in ("true", "false") and option not in _EXPLICIT_BOOL_FLAGS:
            if argument.lower() == "true":
                out.append(f" --{option} ")
        else:
            out.append(f" --{option}={argument} ")
    return "".join(out)


def ray_start_command(node_type: str, params: dict[str, str]) -> str:
    flags = convert_params(params)
    return f"ray start --head {flags}" if node_type == naming.HEAD else f"ray start {flags}"


def container_shell(options: naming.BuildOptions) -> list[str]:
    """KubeRay's container command: bash -c (plus -l when ENABLE_LOGIN_SHELL)."""
    return ["/bin/bash", "-cl" if options.enable_login_shell else "-c", "--"]


def user_command_string(container: dict[str, Any]) -> str:
    """The container's own command+args joined as KubeRay does (each word wrapped in spaces)."""
    words = list(container.get("command") or []) + list(container.get("args") or [])
    return "".join(f" {w} " for w in words)
