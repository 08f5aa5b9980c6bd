"""Bringing a real control plane back to an earlier state without restarting it: every object
created in etcd since a revision is deleted there, and kube-apiserver's watch cache follows etcd
as it would any other write. A test session starts kube-apiserver once (seconds) and still gives
each test an empty cluster. Uses etcd's JSON gateway (/v3/kv/...)."""

from __future__ import annotations

import base64
import json
import urllib.request
from collections.abc import Iterable
from typing import Any

REGISTRY = "/registry/"
# What the control plane itself keeps there (controller service accounts, leader leases): a
# controller whose ServiceAccount vanished would lose its credentials.
SYSTEM_NAMESPACES = ("kube-system", "kube-public", "kube-node-lease")
# made once per namespace by kube-controller-manager; `default` is never deleted
KEEP = ("/registry/serviceaccounts/default/default", "/registry/configmaps/default/kube-root-ca.crt")


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _call(etcd_url: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    request = urllib.request.Request(
        f"{etcd_url}/v3/{path}", data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as resp:
        result: dict[str, Any] = json.loads(resp.read())
        return result


def revision(etcd_url: str) -> int:
    """etcd's current revision: everything written later is newer than it."""
    header = _call(etcd_url, "kv/range", {"key": _b64(REGISTRY), "limit": 1, "keys_only": True})["header"]
    return int(header["revision"])


def disposable(keys: Iterable[str]) -> list[str]:
    """Of keys created since the snapshot, those a reset deletes (pure)."""
    out = []
    for key in keys:
        parts = key.split("/")  # "", "registry", resource..., namespace?, name
        if key in KEEP or any(ns in parts[3:-1] for ns in SYSTEM_NAMESPACES):
            continue
        out.append(key)
    return out


def reset(etcd_url: str, since: int) -> list[str]:
    """Delete every object created after revision `since` (but the control plane's own) and
    return their keys."""
    listing = _call(
        etcd_url,
        "kv/range",
        {
            "key": _b64(REGISTRY),
            "range_end": _b64(REGISTRY[:-1] + "0"),  # every key with the prefix
            "keys_only": True,
            "min_create_revision": since + 1,
        },
    )
    keys = [base64.b64decode(kv["key"]).decode() for kv in listing.get("kvs") or []]
    doomed = disposable(keys)
    for key in doomed:
        _call(etcd_url, "kv/deleterange", {"key": _b64(key)})
    return doomed
