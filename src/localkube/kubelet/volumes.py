"""Pod volumes as directories under the pod's dir, and each container's mounts of them.

Which objects a pod needs is pure (`referenced`); writing the files is blocking I/O (run in a
thread); `container_mounts` is pure.
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kubeschema.quantity import parse_quantity
from localkube.kubelet import envvars, mounts
from localkube.kubelet.runtime import MountSpec

SA_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"
AUTO_SA_VOLUME = "kube-api-access-localkube"
ROOT_CA_CONFIGMAP = "kube-root-ca.crt"


class VolumeError(Exception):
    """A volume cannot be set up (FailedMount); the pod waits in ContainerCreating."""


@dataclass
class Sources:
    configmaps: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    secrets: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)  # audience ("" for the API server) -> token
    ca_pem: str = ""


def wants_auto_sa(pod: dict[str, Any]) -> bool:
    spec = pod.get("spec") or {}
    if spec.get("automountServiceAccountToken") is False:
        return False
    for v in spec.get("volumes") or []:
        if v.get("name", "").startswith("kube-api-access"):
            return False
    for c in list(spec.get("containers") or []) + list(spec.get("initContainers") or []):
        for m in c.get("volumeMounts") or []:
            if m.get("mountPath", "").rstrip("/") == SA_DIR:
                return False
    return True


def pod_volumes(pod: dict[str, Any]) -> list[dict[str, Any]]:
    vols = list((pod.get("spec") or {}).get("volumes") or [])
    if wants_auto_sa(pod):
        vols.append(
            {
                "name": AUTO_SA_VOLUME,
                "projected": {
                    "defaultMode": 0o644,
                    "sources": [
                        {"serviceAccountToken": {"path": "token", "expirationSeconds": 3607}},
                        {
                            "configMap": {
                                "name": ROOT_CA_CONFIGMAP,
                                "items": [{"key": "ca.crt", "path": "ca.crt"}],
                            }
                        },
                        {
                            "downwardAPI": {
                                "items": [
                                    {"path": "namespace", "fieldRef": {"fieldPath": "metadata.namespace"}}
                                ]
                            }
                        },
                    ],
                },
            }
        )
    return vols


def referenced(pod: dict[str, Any]) -> tuple[set[str], set[str], set[str]]:
    """ConfigMap names, Secret names and token audiences the pod's volumes need."""
    cms: set[str] = set()
    secrets: set[str] = set()
    audiences: set[str] = set()
    for v in pod_volumes(pod):
        if v.get("configMap"):
            cms.add(v["configMap"]["name"])
        if v.get("secret"):
            secrets.add(v["secret"]["secretName"])
        for src in (v.get("projected") or {}).get("sources") or []:
            if src.get("configMap"):
                cms.add(src["configMap"]["name"])
            if src.get("secret"):
                secrets.add(src["secret"]["name"])
            if src.get("serviceAccountToken") is not None:
                audiences.add(src["serviceAccountToken"].get("audience") or "")
    return cms, secrets, audiences


def _write(path: Path, data: bytes, mode: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".lktmp")
    tmp.write_bytes(data)
    os.chmod(tmp, mode)
    os.replace(tmp, path)


def _keyed(
    target: Path,
    data: dict[str, bytes],
    items: list[dict[str, Any]] | None,
    mode: int,
    kind: str,
    ns: str,
    name: str,
    optional: bool,
) -> None:
    if items:
        for item in items:
            if item["key"] not in data:
                if optional:
                    continue
                raise VolumeError(f"configmap references non-existent config key: {item['key']}")
            _write(target / item["path"], data[item["key"]], int(item.get("mode", mode)))
    else:
        for k, v in data.items():
            _write(target / k, v, mode)


def _cm_bytes(cm: dict[str, Any]) -> dict[str, bytes]:
    out = {k: str(v).encode() for k, v in (cm.get("data") or {}).items()}
    out.update({k: base64.b64decode(v) for k, v in (cm.get("binaryData") or {}).items()})
    return out


def _secret_bytes(secret: dict[str, Any]) -> dict[str, bytes]:
    out = {k: base64.b64decode(v) for k, v in (secret.get("data") or {}).items()}
    out.update({k: str(v).encode() for k, v in (secret.get("stringData") or {}).items()})
    return out


def _configmap(
    sources: Sources, name: str, ns: str, optional: bool, target: Path, items: Any, mode: int
) -> None:
    cm = sources.configmaps.get(name)
    if cm is None and name == ROOT_CA_CONFIGMAP and sources.ca_pem:
        cm = {"data": {"ca.crt": sources.ca_pem}}
    if cm is None:
        if optional:
            return
        raise VolumeError(f'configmap "{name}" not found')
    _keyed(target, _cm_bytes(cm), items, mode, "ConfigMap", ns, name, optional)


def _secret(
    sources: Sources, name: str, ns: str, optional: bool, target: Path, items: Any, mode: int
) -> None:
    secret = sources.secrets.get(name)
    if secret is None:
        if optional:
            return
        raise VolumeError(f'secret "{name}" not found')
    _keyed(target, _secret_bytes(secret), items, mode, "Secret", ns, name, optional)


def _downward(
    pod: dict[str, Any], items: list[dict[str, Any]], target: Path, mode: int, alloc: dict[str, str]
) -> None:
    for item in items:
        if item.get("fieldRef"):
            value = envvars.field_value(pod, item["fieldRef"]["fieldPath"])
        else:
            ref = item["resourceFieldRef"]
            value = envvars.resource_value(pod, ref.get("containerName", ""), ref, alloc)
        _write(target / item["path"], value.encode(), int(item.get("mode", mode)))


def _host_path(hp: dict[str, Any]) -> Path:
    """The host path, created or checked according to its type, as the kubelet does."""
    path = Path(hp["path"])
    kind = hp.get("type") or ""
    if kind == "DirectoryOrCreate":
        path.mkdir(parents=True, exist_ok=True)
    elif kind == "FileOrCreate":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(exist_ok=True)
    elif kind == "Directory" and not path.is_dir():
        raise VolumeError(f"hostPath type check failed: {path} is not a directory")
    elif kind == "File" and not path.is_file():
        raise VolumeError(f"hostPath type check failed: {path} is not a file")
    elif kind == "" and not path.exists():
        # an unset type mounts whatever is there; a missing path becomes a directory
        path.mkdir(parents=True, exist_ok=True)
    return path


def materialize(
    pod: dict[str, Any], pod_dir: Path, sources: Sources, alloc: dict[str, str]
) -> dict[str, Path]:
    """Create every volume's directory and files; returns volume name -> host path. Blocking."""
    ns = (pod.get("metadata") or {}).get("namespace", "default")
    out: dict[str, Path] = {}
    for v in pod_volumes(pod):
        name = v["name"]
        target = pod_dir / "volumes" / name
        if v.get("hostPath"):
            out[name] = _host_path(v["hostPath"])
            continue
        target.mkdir(parents=True, exist_ok=True)
        out[name] = target
        if v.get("emptyDir") is not None:
            ed = v["emptyDir"] or {}
            if ed.get("medium") == "Memory" and not mounts.is_mountpoint(target):
                opts = "mode=1777"
                if ed.get("sizeLimit"):
                    opts += f",size={int(parse_quantity(ed['sizeLimit']).value)}"
                mounts.mount_tmpfs(target, opts)
            else:
                os.chmod(target, 0o777)
        elif v.get("configMap"):
            c = v["configMap"]
            _configmap(sources, c["name"], ns, bool(c.get("optional")), target, c.get("items"),
                       int(c.get("defaultMode", 0o644)))  # fmt: skip
        elif v.get("secret"):
            s = v["secret"]
            _secret(sources, s["secretName"], ns, bool(s.get("optional")), target, s.get("items"),
                    int(s.get("defaultMode", 0o644)))  # fmt: skip
        elif v.get("downwardAPI"):
            d = v["downwardAPI"]
            _downward(pod, d.get("items") or [], target, int(d.get("defaultMode", 0o644)), alloc)
        elif v.get("projected"):
            p = v["projected"]
            mode = int(p.get("defaultMode", 0o644))
            for src in p.get("sources") or []:
                if src.get("serviceAccountToken") is not None:
                    sat = src["serviceAccountToken"]
                    token = sources.tokens.get(sat.get("audience") or "", "")
                    _write(target / sat.get("path", "token"), token.encode(), mode)
                elif src.get("configMap"):
                    c = src["configMap"]
                    _configmap(sources, c["name"], ns, bool(c.get("optional")), target, c.get("items"), mode)
                elif src.get("secret"):
                    s = src["secret"]
                    _secret(sources, s["name"], ns, bool(s.get("optional")), target, s.get("items"), mode)
                elif src.get("downwardAPI"):
                    _downward(pod, src["downwardAPI"].get("items") or [], target, mode, alloc)
        # persistentVolumeClaim, csi, ephemeral...: no storage provider here; an empty dir stands in.
    return out


READ_ONLY_KINDS = ("configMap", "secret", "downwardAPI", "projected")


def container_mounts(
    pod: dict[str, Any], container: dict[str, Any], volumes: dict[str, Path], env: dict[str, str]
) -> list[MountSpec]:
    """The container's volume mounts, in the order given (a later mount may sit inside an earlier one)."""
    by_name = {v["name"]: v for v in pod_volumes(pod)}
    mount_list = list(container.get("volumeMounts") or [])
    if wants_auto_sa(pod):
        mount_list.append({"name": AUTO_SA_VOLUME, "mountPath": SA_DIR, "readOnly": True})
    out = []
    for m in mount_list:
        name = m["name"]
        if name not in volumes:
            raise envvars.ConfigError(
                f'cannot find volume "{name}" to mount into container "{container["name"]}"'
            )
        source = volumes[name]
        sub = m.get("subPath") or ""
        if m.get("subPathExpr"):
            sub = envvars.expand(m["subPathExpr"], env)
        if sub:
            if sub.startswith("/") or ".." in Path(sub).parts:
                raise envvars.ConfigError(f"subPath {sub!r} must be a relative path without '..'")
            source = source / sub
            if not source.exists():
                source.mkdir(parents=True, exist_ok=True)
        vol = by_name.get(name, {})
        readonly = bool(m.get("readOnly")) or any(k in vol for k in READ_ONLY_KINDS)
        owned = not readonly and "hostPath" not in vol
        out.append(MountSpec(m["mountPath"], str(source), readonly=readonly, owned=owned))
    return out
