"""Field sets of server-side apply: paths into an object, their FieldsV1 encoding, and their text.

A path is a tuple of path elements written as FieldsV1 writes them:
  "f:<field>"           a field of a struct or a key of a map
  "k:<json object>"     an item of a list of type map, by its key fields (in list-map-keys order)
  "v:<json value>"      an item of a list of type set, by its value
  "i:<index>"           an item of an atomic list by position (only in paths, never owned alone)
A field set is a Python set of such paths. Pure.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

Path = tuple[str, ...]
FieldSet = set[Path]


def field(name: str) -> str:
    return "f:" + name


def key(values: dict[str, Any]) -> str:
    return "k:" + json.dumps(values, separators=(",", ":"), ensure_ascii=False)


def value(v: Any) -> str:
    return "v:" + json.dumps(v, separators=(",", ":"), ensure_ascii=False, sort_keys=True)


def encode(fields: Iterable[Path]) -> dict[str, Any]:
    """The FieldsV1 object of a set: nested objects, `{}` for a member with nothing below it,
    and `".": {}` for a member that also has members below it."""
    root: dict[str, Any] = {}
    members = set(fields)
    for path in members:
        node = root
        for pe in path:
            node = node.setdefault(pe, {})
    _mark(root, (), members)
    return root


def _mark(node: dict[str, Any], path: Path, members: set[Path]) -> None:
    for pe, child in node.items():
        if pe == ".":
            continue
        below = (*path, pe)
        if child:
            _mark(child, below, members)
            if below in members:
                child["."] = {}


def decode(fields_v1: Any) -> FieldSet:
    """The set a FieldsV1 object holds; anything malformed holds nothing."""
    out: FieldSet = set()
    if isinstance(fields_v1, dict):
        _collect(fields_v1, (), out)
    return out


def _collect(node: dict[str, Any], path: Path, out: FieldSet) -> None:
    for pe, child in node.items():
        if pe == ".":
            if path:
                out.add(path)
            continue
        below = (*path, pe)
        if isinstance(child, dict) and child:
            _collect(child, below, out)
        else:
            out.add(below)


def render(path: Path) -> str:
    """A path as conflicts name it: `.spec.containers[name="c"].image`, `.metadata.finalizers[="x"]`."""
    parts: list[str] = []
    for pe in path:
        kind, _, text = pe.partition(":")
        if kind == "f":
            parts.append("." + text)
        elif kind == "k":
            try:
                fields = json.loads(text)
            except ValueError:
                fields = {}
            parts.append(
                "[" + ",".join(f"{k}={json.dumps(v, separators=(',', ':'))}" for k, v in fields.items()) + "]"
            )
        elif kind == "v":
            parts.append(f"[={text}]")
        else:
            parts.append(f"[{text}]")
    return "".join(parts)


def under(fields: Iterable[Path], prefix: Path) -> FieldSet:
    """The members at or below `prefix`."""
    n = len(prefix)
    return {p for p in fields if p[:n] == prefix}


def without_prefix(fields: Iterable[Path], prefix: Path) -> FieldSet:
    """The members neither at nor below `prefix`."""
    n = len(prefix)
    return {p for p in fields if p[:n] != prefix}
