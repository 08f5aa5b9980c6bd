"""The JSON Go writes for a built-in kind's zero value: what kube-apiserver's field manager
compares a create against. Pure, from the protobuf tables of the Go structs.

A field that is there (null or empty) in the zero value is not "added" by a create, so its node
gets no `"."` entry in the creator's managedFields: a Pod's `spec.containers` (no omitempty) is
null there, its `spec.initContainers` (omitempty) absent.
"""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

from localkube.apiserver.protobuf_messages import ANY_VERSION_KINDS, KINDS, MESSAGES

_SCALAR_ZEROS: dict[str, Any] = {"string": "", "int": 0, "bool": False}


def zero_object(api_version: str, kind: str) -> dict[str, Any] | None:
    """The kind's zero value as Go's JSON writes it, or None for a kind the tables lack. Shared
    between calls (cached): read it, never change it."""
    if (api_version, kind) == ("apiextensions.k8s.io/v1", "CustomResourceDefinition"):
        return _crd_zero()
    message = KINDS.get((api_version, kind)) or ANY_VERSION_KINDS.get(kind)
    return None if message is None else _zero(message)


def new_status(api_version: str, kind: str) -> dict[str, Any]:
    """A new object's status as kube-apiserver writes it: PrepareForCreate resets it to the Go zero
    struct, whose fields without omitempty Go writes anyway (a DaemonSet's four counts at 0, an
    Ingress's `loadBalancer: {}`, a VolumeAttachment's `attached: false`). A fresh dict."""
    status = (zero_object(api_version, kind) or {}).get("status")
    return copy.deepcopy(status) if isinstance(status, dict) else {}


@cache
def _crd_zero() -> dict[str, Any]:
    """A CRD's, kept by hand: its types live in k8s.io/apiextensions-apiserver, which the tables
    are not read from (its JSONSchemaProps has JSON forms the protobuf decoder does not know). From
    that module's v0.37.2 types.go: names' plural and kind, conditions, versions and storedVersions
    carry no omitempty."""
    names = {"plural": "", "kind": ""}
    return {
        "metadata": _zero("meta/v1.ObjectMeta"),
        "spec": {"group": "", "names": names, "scope": "", "versions": None},
        "status": {"conditions": None, "acceptedNames": names, "storedVersions": None},
    }


@cache
def _zero(message: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, type_, flags in MESSAGES.get(message, {}).values():
        if "i" in flags:
            out.update(_zero(type_))
        elif "n" in flags:
            out[name] = None
        elif "z" in flags:
            out[name] = _SCALAR_ZEROS[type_]
        elif not ({"p", "r"} & set(flags) or type_.startswith("map:")) and type_ in MESSAGES:
            out[name] = _zero(type_)  # a struct value: Go writes it, omitempty or not
    return out
