"""A container's environment and command line, as the kubelet builds them (pure).

Order, as Kubernetes does it: the service variables of the pod's namespace, then envFrom, then env; a
later source overrides an earlier one. `$(VAR)` in env values refers to variables defined before it;
command and args are expanded against the final environment; `$$(VAR)` escapes to `$(VAR)`.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal
from typing import Any

from kubeschema.quantity import parse_quantity
from localkube.kubelet import images


class ConfigError(Exception):
    """The container cannot be created: shown as CreateContainerConfigError with this message."""


@dataclass(frozen=True)
class ServiceInfo:
    name: str
    namespace: str
    cluster_ip: str  # "None" for headless
    ports: list[dict[str, Any]]


_VAR = re.compile(r"\$\$|\$\(([A-Za-z_][A-Za-z0-9_.\-]*)\)")


def expand(text: str, env: dict[str, str]) -> str:
    def sub(m: re.Match[str]) -> str:
        if m.group(0) == "$$":
            return "$"
        name = m.group(1)
        return env.get(name, m.group(0))

    return _VAR.sub(sub, text)


def service_env(services: list[ServiceInfo], namespace: str) -> dict[str, str]:
    """The docker-links style variables for each service with a cluster IP in the namespace."""
    env: dict[str, str] = {}
    for svc in sorted(services, key=lambda s: s.name):
        if svc.namespace != namespace or not svc.cluster_ip or svc.cluster_ip == "None" or not svc.ports:
            continue
        prefix = svc.name.upper().replace("-", "_")
        first = svc.ports[0]
        env[f"{prefix}_SERVICE_HOST"] = svc.cluster_ip
        env[f"{prefix}_SERVICE_PORT"] = str(first["port"])
        for p in svc.ports:
            proto = (p.get("protocol") or "TCP").upper()
            if p.get("name"):
                env[f"{prefix}_SERVICE_PORT_{p['name'].upper().replace('-', '_')}"] = str(p["port"])
            base = f"{prefix}_PORT_{p['port']}_{proto}"
            env[base] = f"{proto.lower()}://{svc.cluster_ip}:{p['port']}"
            env[f"{base}_PROTO"] = proto.lower()
            env[f"{base}_PORT"] = str(p["port"])
            env[f"{base}_ADDR"] = svc.cluster_ip
        env[f"{prefix}_PORT"] = (
            f"{(first.get('protocol') or 'TCP').lower()}://{svc.cluster_ip}:{first['port']}"
        )
    return env


def field_value(pod: dict[str, Any], path: str) -> str:
    meta = pod.get("metadata") or {}
    spec = pod.get("spec") or {}
    status = pod.get("status") or {}
    simple = {
        "metadata.name": meta.get("name", ""),
        "metadata.namespace": meta.get("namespace", ""),
        "metadata.uid": meta.get("uid", ""),
        "spec.nodeName": spec.get("nodeName", ""),
        "spec.serviceAccountName": spec.get("serviceAccountName") or "default",
        "status.podIP": status.get("podIP", ""),
        "status.hostIP": status.get("hostIP", ""),
        "status.podIPs": ",".join(i["ip"] for i in status.get("podIPs") or []),
        "status.hostIPs": ",".join(i["ip"] for i in status.get("hostIPs") or []),
    }
    if path in simple:
        return str(simple[path])
    m = re.fullmatch(r"metadata\.(labels|annotations)\['([^']*)'\]", path)
    if m:
        return str((meta.get(m.group(1)) or {}).get(m.group(2), ""))
    if path in ("metadata.labels", "metadata.annotations"):
        items = sorted((meta.get(path.split(".")[1]) or {}).items())
        return "\n".join(f'{k}="{v}"' for k, v in items)
    raise ConfigError(f"unsupported fieldRef {path}")


def resource_value(
    pod: dict[str, Any], default_container: str, ref: dict[str, Any], node_alloc: dict[str, str]
) -> str:
    cname = ref.get("containerName") or default_container
    container = next(
        (c for c in (pod.get("spec") or {}).get("containers") or [] if c.get("name") == cname), None
    )
    if container is None:
        raise ConfigError(f'container "{cname}" not found for resourceFieldRef')
    kind, _, res = ref["resource"].partition(".")
    resources = container.get("resources") or {}
    raw = (resources.get(kind) or {}).get(res)
    if raw is None and kind == "requests":
        raw = (resources.get("limits") or {}).get(res)
    if raw is None:
        raw = node_alloc.get(res, "0") if kind == "limits" else "0"
    value = parse_quantity(raw).value
    divisor = parse_quantity(ref.get("divisor") or "1").value
    if divisor == 0:
        divisor = Decimal(1)
    # Kubernetes rounds up to a whole number of divisors.
    return str(int((value / divisor).to_integral_value(rounding=ROUND_CEILING)))


@dataclass
class Lookups:
    """ConfigMaps and Secrets of the pod's namespace by name (None: does not exist)."""

    configmaps: dict[str, dict[str, Any] | None]
    secrets: dict[str, dict[str, Any] | None]


def _configmap_data(cm: dict[str, Any]) -> dict[str, str]:
    data = dict(cm.get("data") or {})
    for k, v in (cm.get("binaryData") or {}).items():
        data[k] = base64.b64decode(v).decode(errors="replace")
    return data


def _secret_data(secret: dict[str, Any]) -> dict[str, str]:
    data = {k: base64.b64decode(v).decode(errors="replace") for k, v in (secret.get("data") or {}).items()}
    data.update(secret.get("stringData") or {})
    return data


def referenced_objects(container: dict[str, Any]) -> tuple[set[str], set[str]]:
    """Names of the ConfigMaps and Secrets a container's env refers to."""
    cms: set[str] = set()
    secrets: set[str] = set()
    for src in container.get("envFrom") or []:
        if src.get("configMapRef"):
            cms.add(src["configMapRef"]["name"])
        if src.get("secretRef"):
            secrets.add(src["secretRef"]["name"])
    for e in container.get("env") or []:
        vf = e.get("valueFrom") or {}
        if vf.get("configMapKeyRef"):
            cms.add(vf["configMapKeyRef"]["name"])
        if vf.get("secretKeyRef"):
            secrets.add(vf["secretKeyRef"]["name"])
    return cms, secrets


def build_env(
    pod: dict[str, Any],
    container: dict[str, Any],
    *,
    base: dict[str, str],
    services: list[ServiceInfo],
    lookups: Lookups,
    node_alloc: dict[str, str],
) -> dict[str, str]:
    """The container's full environment; raises ConfigError as Kubernetes would refuse to create it."""
    ns = (pod.get("metadata") or {}).get("namespace", "default")
    env = dict(base)
    env.update(service_env(services, ns))
    for src in container.get("envFrom") or []:
        prefix = src.get("prefix") or ""
        if src.get("configMapRef"):
            ref = src["configMapRef"]
            cm = lookups.configmaps.get(ref["name"])
            if cm is None:
                if ref.get("optional"):
                    continue
                raise ConfigError(f'configmap "{ref["name"]}" not found')
            for k, v in _configmap_data(cm).items():
                env[prefix + k] = v
        if src.get("secretRef"):
            ref = src["secretRef"]
            secret = lookups.secrets.get(ref["name"])
            if secret is None:
                if ref.get("optional"):
                    continue
                raise ConfigError(f'secret "{ref["name"]}" not found')
            for k, v in _secret_data(secret).items():
                env[prefix + k] = v
    for e in container.get("env") or []:
        name = e["name"]
        if "valueFrom" not in e or e.get("valueFrom") is None:
            env[name] = expand(str(e.get("value") or ""), env)
            continue
        vf = e["valueFrom"]
        if vf.get("fieldRef"):
            env[name] = field_value(pod, vf["fieldRef"]["fieldPath"])
        elif vf.get("resourceFieldRef"):
            env[name] = resource_value(pod, container["name"], vf["resourceFieldRef"], node_alloc)
        elif vf.get("configMapKeyRef"):
            ref = vf["configMapKeyRef"]
            cm = lookups.configmaps.get(ref["name"])
            if cm is None:
                if ref.get("optional"):
                    continue
                raise ConfigError(f'configmap "{ref["name"]}" not found')
            data = _configmap_data(cm)
            if ref["key"] not in data:
                if ref.get("optional"):
                    continue
                raise ConfigError(f"couldn't find key {ref['key']} in ConfigMap {ns}/{ref['name']}")
            env[name] = data[ref["key"]]
        elif vf.get("secretKeyRef"):
            ref = vf["secretKeyRef"]
            secret = lookups.secrets.get(ref["name"])
            if secret is None:
                if ref.get("optional"):
                    continue
                raise ConfigError(f'secret "{ref["name"]}" not found')
            sdata = _secret_data(secret)
            if ref["key"] not in sdata:
                if ref.get("optional"):
                    continue
                raise ConfigError(f"couldn't find key {ref['key']} in Secret {ns}/{ref['name']}")
            env[name] = sdata[ref["key"]]
    return env


def command_line(container: dict[str, Any], env: dict[str, str]) -> list[str] | None:
    """command + args with $(VAR) expanded, by Kubernetes' rules against the image's built-in
    defaults (images.py); None when there is nothing to run."""
    parts = images.command_for(
        str(container.get("image") or ""),
        [str(p) for p in container.get("command") or []],
        [str(p) for p in container.get("args") or []],
    )
    return None if parts is None else [expand(p, env) for p in parts]
