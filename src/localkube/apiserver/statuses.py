"""The status a built-in object is created with: Go's zero value of its status struct, as
kube-apiserver serializes it (`{}` for a Deployment, `{"replicas": 0}` for a ReplicaSet, whose
`replicas` has no omitempty and which typed clients require). Pure."""

from __future__ import annotations

from typing import Any

_ZERO: dict[str, Any] = {"integer": 0, "number": 0, "string": "", "boolean": False}


def empty_status(schema: dict[str, Any] | None) -> dict[str, Any]:
    """The zero status of a kind whose schema is `schema`: its required scalar fields at zero."""
    status = ((schema or {}).get("properties") or {}).get("status") or {}
    props = status.get("properties") or {}
    out: dict[str, Any] = {}
    for name in status.get("required") or ():
        kind = (props.get(name) or {}).get("type")
        if kind in _ZERO:
            out[name] = _ZERO[kind]
        elif kind == "array":
            out[name] = []
        elif kind == "object":
            out[name] = {}
    return out
