"""Validation ratcheting on update (CRDValidationRatcheting, on by default since Kubernetes 1.30).

An update may keep a value that the schema now rejects, as long as that value is unchanged from
the old object: apiextensions skips the OpenAPI validation of any subtree that deep-equals its
correlated old value. Values correlate through object fields and map keys, and through
`x-kubernetes-list-type: map` lists by their keys; atomic lists and sets do not correlate, so
errors inside them always stand.

We validate normally and then drop the errors whose owning value is unchanged: the same result,
paid for only when an update has errors.
"""

from __future__ import annotations

import re
from typing import Any

from localkube.apiserver import fielderrors as fe
from localkube.apiserver.fielderrors import FieldError
from localkube.apiserver.schema.node import NIL_PATH, Node
from localkube.apiserver.schema.values import json_equal

_QUOTED_PATH = re.compile(r'^"([^"]*)" must ')
_CHECKED_PATH = re.compile(r"^Checked value must be of type .* in (.*)$")

_MISSING = object()


def ratchet(root: Node, new: Any, old: Any, errors: list[FieldError]) -> list[FieldError]:
    """The errors that still apply on an update from `old` to `new`."""
    return [e for e in errors if not _unchanged(root, new, old, _owner_path(e))]


def _owner_path(e: FieldError) -> str | None:
    """The path of the value whose validation produced `e` (None: cannot tell, keep the error)."""
    if e.path == NIL_PATH:
        m = _QUOTED_PATH.match(e.detail) or _CHECKED_PATH.match(e.detail)
        return m.group(1) if m else None
    if e.reason == fe.REQUIRED:
        # a missing field is reported at its own path, but it is its parent object that failed
        cut = max(e.path.rfind("."), e.path.rfind("["))
        return e.path[:cut] if cut > 0 else ""
    return e.path


def _unchanged(root: Node, new: Any, old: Any, path: str | None) -> bool:
    if path is None:
        return False
    node: Node | None = root
    rest = path
    while rest:
        if rest.startswith("["):
            end = rest.find("]")
            if end < 0 or not isinstance(new, list) or node is None:
                return False
            index = int(rest[1:end]) if rest[1:end].isdigit() else -1
            if not 0 <= index < len(new):
                return False
            old = _correlate(node, new[index], old)
            if old is _MISSING:
                return False
            new, node, rest = new[index], node.items, rest[end + 1 :]
        else:
            if rest.startswith("."):
                rest = rest[1:]
            if not isinstance(new, dict) or not isinstance(old, dict):
                return False
            key = _longest_key(new, rest)
            if key is None or key not in old:
                return False
            sub = None
            if node is not None:
                sub = node.properties.get(key) or node.additional
            new, old, node, rest = new[key], old[key], sub, rest[len(key) :]
    return json_equal(new, old)


def _longest_key(value: dict[str, Any], rest: str) -> str | None:
    # Map keys may contain dots (annotations like ray.io/x.y): take the longest key that fits.
    best = None
    for key in value:
        if (
            rest.startswith(key)
            and (len(rest) == len(key) or rest[len(key)] in ".[")
            and (best is None or len(key) > len(best))
        ):
            best = key
    return best


def _correlate(node: Node, item: Any, old_list: Any) -> Any:
    """The old item a list item corresponds to (only list-type=map lists correlate)."""
    if node.list_type != "map" or not isinstance(old_list, list) or not isinstance(item, dict):
        return _MISSING
    keys = node.list_map_keys
    wanted = [item.get(k) for k in keys]
    for candidate in old_list:
        if isinstance(candidate, dict) and all(
            json_equal(candidate.get(k), w) for k, w in zip(keys, wanted, strict=True)
        ):
            return candidate
    return _MISSING
