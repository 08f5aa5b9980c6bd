"""CustomResourceDefinitions: what a CRD serves, its status, and its own validation. Pure."""

from __future__ import annotations

import re
from typing import Any

from localkube.apiserver import schema as schemas
from localkube.apiserver.fielderrors import INVALID, NOT_SUPPORTED, REQUIRED, FieldError
from localkube.apiserver.kinds import ResourceInfo, ScalePaths
from localkube.apiserver.shapes import as_dict
from localkube.apiserver.strategy import CUSTOM

CLEANUP_FINALIZER = "customresourcecleanup.apiextensions.k8s.io"
# where CRDs themselves are stored
CRD_KEY = ("apiextensions.k8s.io", "customresourcedefinitions")
_VERSION = re.compile(r"^v(\d+)(?:(alpha|beta)(\d+))?$")


def version_priority(version: str) -> tuple[int, int, int, str]:
    """Kubernetes' version ordering: GA > beta > alpha, higher numbers first, others last by name."""
    m = _VERSION.match(version)
    if not m:
        return (3, 0, 0, version)
    stage = {None: 0, "beta": 1, "alpha": 2}[m.group(2)]
    return (stage, -int(m.group(1)), -int(m.group(3) or 0), version)


def resources(crd: dict[str, Any]) -> list[ResourceInfo]:
    spec = as_dict(crd.get("spec"))
    names = as_dict(spec.get("names"))
    group = str(spec.get("group", ""))
    versions = [v for v in spec.get("versions") or () if isinstance(v, dict)]
    stored = [str(v.get("name")) for v in versions if v.get("storage")]
    out = []
    for v in spec.get("versions") or ():
        if not isinstance(v, dict) or not v.get("served"):
            continue
        subs = as_dict(v.get("subresources"))
        sub_names: tuple[str, ...] = ()
        scale = None
        if "status" in subs:
            sub_names += ("status",)
        if isinstance(subs.get("scale"), dict):
            sc = subs["scale"]
            sub_names += ("scale",)
            scale = ScalePaths(
                sc.get("specReplicasPath", ".spec.replicas"),
                sc.get("statusReplicasPath", ".status.replicas"),
                sc.get("labelSelectorPath"),
            )
        out.append(
            ResourceInfo(
                group=group,
                version=str(v.get("name")),
                kind=str(names.get("kind")),
                plural=str(names.get("plural")),
                singular=str(names.get("singular") or str(names.get("kind")).lower()),
                namespaced=spec.get("scope") == "Namespaced",
                short_names=tuple(names.get("shortNames") or ()),
                subresources=sub_names,
                categories=tuple(names.get("categories") or ()),
                custom=True,
                strategy=CUSTOM,
                schema=as_dict(v.get("schema")).get("openAPIV3Schema"),
                scale=scale,
                printer_columns=tuple(v.get("additionalPrinterColumns") or ()),
                storage_version=stored[0] if stored else None,
                deprecation_warning=(
                    v.get("deprecationWarning")
                    or f"{group}/{v.get('name')} {names.get('kind')} is deprecated"
                )
                if v.get("deprecated")
                else None,
            )
        )
    out.sort(key=lambda i: version_priority(i.version))
    return out


def storage_key(crd: dict[str, Any]) -> tuple[str, str]:
    """Where the CRD's objects are stored: (group, plural)."""
    spec = as_dict(crd.get("spec"))
    return (str(spec.get("group", "")), str(as_dict(spec.get("names")).get("plural", "")))


def storage_version(crd: dict[str, Any]) -> str | None:
    for v in as_dict(crd.get("spec")).get("versions") or ():
        if isinstance(v, dict) and v.get("storage"):
            return str(v.get("name"))
    return None


def status(crd: dict[str, Any], now: str) -> dict[str, Any]:
    spec = as_dict(crd.get("spec"))
    names = dict(as_dict(spec.get("names")))
    names.setdefault("singular", str(names.get("kind", "")).lower())
    names.setdefault("listKind", f"{names.get('kind', '')}List")
    old = as_dict(crd.get("status"))
    stored = list(old.get("storedVersions") or [])
    sv = storage_version(crd)
    if sv and sv not in stored:
        stored.append(sv)
    conditions = [
        {
            "type": "NamesAccepted",
            "status": "True",
            "lastTransitionTime": now,
            "reason": "NoConflicts",
            "message": "no conflicts found",
        },
        {
            "type": "Established",
            "status": "True",
            "lastTransitionTime": now,
            "reason": "InitialNamesAccepted",
            "message": "the initial names have been accepted",
        },
    ]
    if as_dict(crd.get("metadata")).get("deletionTimestamp"):
        conditions.append(
            {
                "type": "Terminating",
                "status": "True",
                "lastTransitionTime": now,
                "reason": "InstanceDeletionInProgress",
                "message": "CustomResource deletion is in progress",
            }
        )
    for c in conditions:
        prev = next((p for p in old.get("conditions") or () if p.get("type") == c["type"]), None)
        if prev and prev.get("status") == c["status"]:
            c["lastTransitionTime"] = prev.get("lastTransitionTime", now)
    return {"conditions": conditions, "acceptedNames": names, "storedVersions": stored}


def validate(crd: dict[str, Any]) -> list[FieldError]:
    spec = as_dict(crd.get("spec"))
    names = as_dict(spec.get("names"))
    errs: list[FieldError] = []
    group, plural = spec.get("group"), names.get("plural")
    if not group:
        errs.append(FieldError("spec.group", REQUIRED, ""))
    if not plural:
        errs.append(FieldError("spec.names.plural", REQUIRED, ""))
    if not names.get("kind"):
        errs.append(FieldError("spec.names.kind", REQUIRED, ""))
    name = as_dict(crd.get("metadata")).get("name")
    if group and plural and name != f"{plural}.{group}":
        errs.append(FieldError("metadata.name", INVALID, 'must be spec.names.plural+"."+spec.group', name))
    if spec.get("scope") not in ("Namespaced", "Cluster"):
        errs.append(
            FieldError(
                "spec.scope", NOT_SUPPORTED, 'supported values: "Cluster", "Namespaced"', spec.get("scope")
            )
        )
    versions = spec.get("versions")
    if not isinstance(versions, list) or not versions:
        errs.append(
            FieldError(
                "spec.versions", INVALID, "must have exactly one version marked as storage version", versions
            )
        )
        return errs
    if sum(1 for v in versions if isinstance(v, dict) and v.get("storage")) != 1:
        errs.append(
            FieldError(
                "spec.versions", INVALID, "must have exactly one version marked as storage version", versions
            )
        )
    # versions that share one schema have it checked once, where kube-apiserver's internal form
    # holds it (spec.validation)
    shared = _shared_schema(versions)
    if isinstance(shared, dict):
        errs.extend(_schema_errors(shared, "spec.validation.openAPIV3Schema"))
    for i, v in enumerate(versions):
        if not isinstance(v, dict):
            errs.append(FieldError(f"spec.versions[{i}]", INVALID, "must be an object", v))
            continue
        if not v.get("name"):
            errs.append(FieldError(f"spec.versions[{i}].name", REQUIRED, ""))
        s = as_dict(v.get("schema")).get("openAPIV3Schema")
        if s is None:
            errs.append(
                FieldError(f"spec.versions[{i}].schema.openAPIV3Schema", REQUIRED, "schemas are required")
            )
        elif isinstance(s, dict) and shared is None:
            errs.extend(_schema_errors(s, f"spec.versions[{i}].schema.openAPIV3Schema"))
    return errs


def _shared_schema(versions: list[Any]) -> Any:
    """The one openAPIV3Schema every version has, or None when they differ."""
    found = [as_dict(as_dict(v).get("schema")).get("openAPIV3Schema") for v in versions]
    return found[0] if found[0] is not None and all(f == found[0] for f in found) else None


def _schema_errors(s: dict[str, Any], at: str) -> list[FieldError]:
    return [
        FieldError(at + ("." + e.path if e.path else ""), e.reason, e.detail, e.value)
        for e in schemas.check_crd_schema(s, path="")
    ]
