"""The Pod subresources that write one part of a pod: pods/ephemeralcontainers (the debug
containers `kubectl debug` adds) and pods/resize (in-place resize of the containers' cpu and
memory). Each takes the stored pod and the pod a client sent, and returns the pod to store (the
stored one with only that part taken from the sent one; the rest of the body is ignored, as
kube-apiserver ignores it) and the field errors of the change. Pure.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from localkube.apiserver import defaults, metadata
from localkube.apiserver.fielderrors import FORBIDDEN, INVALID, FieldError
from localkube.apiserver.shapes import as_dict, as_list

Obj = dict[str, Any]
# what an ephemeral container may not have (it is never restarted, never a target of traffic)
_NOT_EPHEMERAL = ("ports", "lifecycle", "livenessProbe", "readinessProbe", "startupProbe", "resizePolicy")
_RESIZABLE = ("cpu", "memory")


def ephemeral_containers(old: Obj, sent: Obj) -> tuple[Obj, list[FieldError]]:
    """pods/ephemeralcontainers: containers may be added; existing ones neither changed nor removed."""
    new = copy.deepcopy(old)
    spec = new.setdefault("spec", {})
    wanted = copy.deepcopy(as_list(as_dict(sent.get("spec")).get("ephemeralContainers")))
    spec["ephemeralContainers"] = wanted
    for c in wanted:
        if isinstance(c, dict):
            defaults.default_container(c)
    if not wanted:
        spec.pop("ephemeralContainers")
    before = {
        str(c.get("name")): c
        for c in as_list(as_dict(old.get("spec")).get("ephemeralContainers"))
        if isinstance(c, dict)
    }
    after = {str(c.get("name")): c for c in wanted if isinstance(c, dict)}
    errs: list[FieldError] = []
    removed = [name for name in before if name not in after]
    if removed:
        listed = ", ".join(f'"{n}"' for n in removed)
        errs.append(
            FieldError(
                "spec.ephemeralContainers",
                FORBIDDEN,
                f"existing ephemeral containers {listed} may not be removed",
            )
        )
    for name, c in after.items():
        if name in before and c != before[name]:
            errs.append(
                FieldError(
                    "spec.ephemeralContainers",
                    FORBIDDEN,
                    f'existing ephemeral containers "{name}" may not be changed',
                )
            )
    names = {
        str(as_dict(c).get("name")) for k in ("containers", "initContainers") for c in as_list(spec.get(k))
    }
    volumes = {str(as_dict(v).get("name")) for v in as_list(spec.get("volumes"))}
    for i, c in enumerate(wanted):
        path = f"spec.ephemeralContainers[{i}]"
        c = as_dict(c)
        errs.extend(metadata.container_errors(c, path, names, volumes))
        errs.extend(
            FieldError(f"{path}.{k}", FORBIDDEN, "cannot be set for an Ephemeral Container")
            for k in _NOT_EPHEMERAL
            if c.get(k)
        )
    return new, errs


def resize(old: Obj, sent: Obj) -> tuple[Obj, list[FieldError]]:
    """pods/resize: the containers' cpu and memory requests and limits (and resize policies)
    change; nothing else does, limits are never removed and the pod's QoS class stays."""
    new = copy.deepcopy(old)
    ctrs = as_list(as_dict(new.get("spec")).get("containers"))
    sent_by_name = {
        as_dict(c).get("name"): as_dict(c) for c in as_list(as_dict(sent.get("spec")).get("containers"))
    }
    errs: list[FieldError] = []
    for i, c in enumerate(ctrs):
        if not isinstance(c, dict) or c.get("name") not in sent_by_name:
            continue
        theirs = sent_by_name[c.get("name")]
        before, after = as_dict(c.get("resources")), copy.deepcopy(as_dict(theirs.get("resources")))
        for kind in ("requests", "limits"):
            was, now = as_dict(before.get(kind)), as_dict(after.get(kind))
            if any(was.get(r) != now.get(r) for r in set(was) | set(now) if r not in _RESIZABLE):
                errs.append(FieldError("spec", FORBIDDEN, "only cpu and memory resources are mutable"))
            if kind == "limits" and any(r in was and r not in now for r in _RESIZABLE):
                errs.append(
                    FieldError(
                        f"spec.containers[{i}].resources.limits",
                        FORBIDDEN,
                        "resource limits cannot be removed",
                    )
                )
        c["resources"] = after
        if "resizePolicy" in theirs:
            c["resizePolicy"] = copy.deepcopy(theirs["resizePolicy"])
    qos = defaults.qos_class(as_dict(old.get("spec")))
    if defaults.qos_class(as_dict(new.get("spec"))) != qos:
        errs.append(FieldError("spec", INVALID, "Pod QOS Class may not change as a result of resizing", qos))
    return new, _unique(errs)


def _unique(errs: list[FieldError]) -> list[FieldError]:
    seen: set[str] = set()
    out = []
    for e in errs:
        key = json.dumps([e.path, e.reason, e.detail])
        if key not in seen:
            seen.add(key)
            out.append(e)
    return out
