"""A container's securityContext (with its pod's) as the launcher applies it: user and groups,
capabilities, no_new_privs, a read-only root. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# Linux capability numbers (linux/capability.h), by Kubernetes' names (without CAP_).
CAPS = [
    "CHOWN",
    "DAC_OVERRIDE",
    "DAC_READ_SEARCH",
    "FOWNER",
    "FSETID",
    "KILL",
    "SETGID",
    "SETUID",
    "SETPCAP",
    "LINUX_IMMUTABLE",
    "NET_BIND_SERVICE",
    "NET_BROADCAST",
    "NET_ADMIN",
    "NET_RAW",
    "IPC_LOCK",
    "IPC_OWNER",
    "SYS_MODULE",
    "SYS_RAWIO",
    "SYS_CHROOT",
    "SYS_PTRACE",
    "SYS_PACCT",
    "SYS_ADMIN",
    "SYS_BOOT",
    "SYS_NICE",
    "SYS_RESOURCE",
    "SYS_TIME",
    "SYS_TTY_CONFIG",
    "MKNOD",
    "LEASE",
    "AUDIT_WRITE",
    "AUDIT_CONTROL",
    "SETFCAP",
    "MAC_OVERRIDE",
    "MAC_ADMIN",
    "SYSLOG",
    "WAKE_ALARM",
    "BLOCK_SUSPEND",
    "AUDIT_READ",
    "PERFMON",
    "BPF",
    "CHECKPOINT_RESTORE",
]
CAP_NUMBER = {name: i for i, name in enumerate(CAPS)}
# What containerd and CRI-O give a container unless its securityContext adds or drops.
DEFAULT_CAPS = frozenset(
    [
        "CHOWN",
        "DAC_OVERRIDE",
        "FSETID",
        "FOWNER",
        "MKNOD",
        "NET_RAW",
        "SETGID",
        "SETUID",
        "SETFCAP",
        "SETPCAP",
        "NET_BIND_SERVICE",
        "SYS_CHROOT",
        "KILL",
        "AUDIT_WRITE",
    ]
)


class SecurityError(ValueError):
    """The container must not start (CreateContainerConfigError)."""


@dataclass(frozen=True)
class Security:
    uid: int = 0
    gid: int = 0
    groups: tuple[int, ...] = ()
    caps: frozenset[str] = DEFAULT_CAPS
    no_new_privs: bool = False
    readonly_root: bool = False

    def to_json(self) -> dict[str, object]:
        return {
            "uid": self.uid,
            "gid": self.gid,
            "groups": list(self.groups),
            "caps": sorted(CAP_NUMBER[c] for c in self.caps),
            "no_new_privs": self.no_new_privs,
            "readonly_root": self.readonly_root,
        }


def _cap_name(name: object) -> str:
    text = str(name).upper()
    return text[4:] if text.startswith("CAP_") else text


def capabilities(sc: dict[str, Any]) -> frozenset[str]:
    if sc.get("privileged"):
        return frozenset(CAPS)
    caps = sc.get("capabilities") or {}
    drop = {_cap_name(c) for c in caps.get("drop") or []}
    add = {_cap_name(c) for c in caps.get("add") or []}
    unknown = sorted((drop | add) - set(CAPS) - {"ALL"})
    if unknown:
        raise SecurityError(f"securityContext.capabilities: unknown capability {unknown[0]!r}")
    base = set() if "ALL" in drop else set(DEFAULT_CAPS) - drop
    return frozenset(set(CAPS) if "ALL" in add else base | add)


def container_security(pod: dict[str, Any], container: dict[str, Any]) -> Security:
    """The container's securityContext over its pod's, as the kubelet merges them."""
    spec = pod.get("spec") or {}
    psc = spec.get("securityContext") or {}
    csc = container.get("securityContext") or {}

    def pick(field: str) -> Any:
        return csc[field] if csc.get(field) is not None else psc.get(field)

    uid = int(pick("runAsUser") or 0)
    # without runAsGroup: the primary group of the image's user, root's here
    gid = int(pick("runAsGroup") or 0)
    if pick("runAsNonRoot") and uid == 0:
        name = (pod.get("metadata") or {}).get("name", "")
        if pick("runAsUser") is None:
            raise SecurityError(
                f'container has runAsNonRoot and image will run as root (pod: "{name}", container: '
                f"{container.get('name', '')}): set securityContext.runAsUser to a non-zero uid"
            )
        raise SecurityError(
            f'container\'s runAsUser breaks non-root policy (pod: "{name}", '
            f"container: {container.get('name', '')}): runAsUser is 0 while runAsNonRoot is true"
        )
    groups = [int(g) for g in psc.get("supplementalGroups") or []]
    if psc.get("fsGroup") is not None:
        groups.append(int(psc["fsGroup"]))
    escalation = csc.get("allowPrivilegeEscalation")
    return Security(
        uid=uid,
        gid=gid,
        groups=tuple(dict.fromkeys(groups)),
        caps=capabilities(csc),
        no_new_privs=escalation is False,
        readonly_root=bool(csc.get("readOnlyRootFilesystem")),
    )
