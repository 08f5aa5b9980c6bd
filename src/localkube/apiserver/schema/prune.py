"""Pruning and defaulting of custom resources: apiextensions' pruning.Prune,
PruneNonNullableNullsWithoutDefaults and structuraldefaulting.Default. Pure; change in place.
"""

from __future__ import annotations

from typing import Any

from localkube.apiserver.schema.node import META_FIELDS, OBJECT_META_FIELDS, Node, child
from localkube.apiserver.schema.values import deep_copy


def prune_unknown(n: Node | None, v: Any, path: str, embedded_root: bool, out: list[str]) -> None:
    if n is not None and n.preserve:
        _skip_prune(n, v, path, embedded_root, out)
        return
    if isinstance(v, dict):
        if n is None:
            for k in list(v):
                out.append(child(path, k))
                del v[k]
            return
        embedded = n.embedded or embedded_root
        for k in list(v):
            if embedded and k in META_FIELDS:
                if k == "metadata" and isinstance(v[k], dict):
                    _prune_object_meta(v[k], child(path, k), out)
                continue
            sub = n.properties.get(k)
            if sub is None and n.additional is not None:
                sub = n.additional
            if sub is not None:
                prune_unknown(sub, v[k], child(path, k), False, out)
            elif n.additional_allows is not None:
                # additionalProperties: true/false keeps the key (false is then a validation error)
                prune_unknown(None, v[k], child(path, k), False, out)
            else:
                out.append(child(path, k))
                del v[k]
    elif isinstance(v, list):
        items = n.items if n is not None else None
        for i, x in enumerate(v):
            prune_unknown(items, x, f"{path}[{i}]", False, out)


def _skip_prune(n: Node, v: Any, path: str, embedded_root: bool, out: list[str]) -> None:
    if isinstance(v, dict):
        for k in list(v):
            if (n.embedded or embedded_root) and k in META_FIELDS:
                if k == "metadata" and isinstance(v[k], dict):
                    _prune_object_meta(v[k], child(path, k), out)
                continue
            sub = n.properties.get(k)
            if sub is None:
                sub = n.additional
            if sub is not None:
                prune_unknown(sub, v[k], child(path, k), False, out)
    elif isinstance(v, list) and n.items is not None:
        for i, x in enumerate(v):
            _skip_prune(n.items, x, f"{path}[{i}]", False, out)


def _prune_object_meta(meta: dict[str, Any], path: str, out: list[str]) -> None:
    for k in list(meta):
        if k not in OBJECT_META_FIELDS:
            out.append(child(path, k))
            del meta[k]


def prune_nulls(n: Node | None, v: Any) -> None:
    if isinstance(v, dict):
        for k in list(v):
            sub = None
            if n is not None:
                sub = n.properties.get(k)
                if sub is None:
                    sub = n.additional
            x = v[k]
            if x is None and sub is not None and not sub.nullable and not sub.has_default:
                del v[k]
            else:
                prune_nulls(sub, x)
    elif isinstance(v, list):
        items = n.items if n is not None else None
        for x in v:
            prune_nulls(items, x)


def default(n: Node | None, v: Any) -> None:
    if n is None:
        return
    if isinstance(v, dict):
        for k, sub in n.properties.items():
            if sub.has_default and (k not in v or (v[k] is None and not sub.nullable)):
                v[k] = deep_copy(sub.default)
        extra = n.additional
        for k, x in v.items():
            sub2 = n.properties.get(k)
            if sub2 is not None:
                default(sub2, x)
            elif extra is not None:
                if x is None and not extra.nullable and extra.has_default:
                    v[k] = x = deep_copy(extra.default)
                default(extra, x)
    elif isinstance(v, list):
        items = n.items
        if items is None:
            return
        for i, x in enumerate(v):
            if x is None and not items.nullable and items.has_default:
                v[i] = x = deep_copy(items.default)
            default(items, x)
