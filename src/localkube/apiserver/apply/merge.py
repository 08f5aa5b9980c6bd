"""Server-side apply over plain JSON objects and structural schemas, as structured-merge-diff does it.

- `apply` merges an applied configuration into the live object for one field manager: lists by
  their keys (x-kubernetes-list-type map/set; atomic lists and maps are replaced whole), refuses
  to change a field another manager owns (a conflict) unless forced, removes the fields the
  manager applied before but applies no more when no one else owns them, and returns the new
  managedFields.
- `update` records what a non-apply write (create, update, patch) changed: the writer owns the
  fields it set or changed, and others lose them.
Pure: objects in, objects out; schemas are the structural schemas of built-in kinds and CRDs.
"""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from localkube.apiserver.apply import fieldset as fs
from localkube.apiserver.apply.fieldset import FieldSet, Path

APPLY = "Apply"
UPDATE = "Update"
# Fields the server sets, never owned by a manager (the apiserver's stripped fields).
_STRIPPED_META = frozenset(
    {
        "name",
        "namespace",
        "creationTimestamp",
        "selfLink",
        "uid",
        "generation",
        "managedFields",
        "resourceVersion",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
    }
)
_STRING_MAP = {"type": "object", "additionalProperties": {"type": "string"}}
# ObjectMeta's list and map types, as its Go markers declare them.
META_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "labels": _STRING_MAP,
        "annotations": _STRING_MAP,
        "generateName": {"type": "string"},
        "finalizers": {"type": "array", "items": {"type": "string"}, "x-kubernetes-list-type": "set"},
        "ownerReferences": {
            "type": "array",
            "x-kubernetes-list-type": "map",
            "x-kubernetes-list-map-keys": ["uid"],
            "items": {
                "type": "object",
                "properties": {k: {"type": "string"} for k in ("apiVersion", "kind", "name", "uid")}
                | {k: {"type": "boolean"} for k in ("controller", "blockOwnerDeletion")},
                "x-kubernetes-map-type": "atomic",  # OwnerReference is +structType=atomic
            },
        },
    },
}
_NODE = object()  # the value recorded for list items and map nodes: present, compared by children
_METADATA = fs.field("metadata")


class Conflicts(Exception):
    """Fields the applied configuration would change that other managers own."""

    def __init__(self, conflicts: list[tuple[Entry, Path]]) -> None:
        super().__init__(message(conflicts))
        self.conflicts = conflicts


@dataclass
class Entry:
    """One managedFields entry."""

    manager: str
    operation: str
    api_version: str
    fields: FieldSet
    time: str | None = None
    subresource: str = ""
    raw: dict[str, Any] | None = field(default=None, compare=False)

    def same_manager(self, other: Entry) -> bool:
        return (self.manager, self.operation, self.subresource) == (
            other.manager,
            other.operation,
            other.subresource,
        ) and (self.operation == APPLY or self.api_version == other.api_version)

    def describe(self) -> str:
        """The manager as conflict messages name it."""
        text = json.dumps(self.manager)
        if self.subresource:
            text += f" with subresource {json.dumps(self.subresource)}"
        if self.operation == UPDATE:
            text += f" using {self.api_version}"
        return text

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "manager": self.manager,
            "operation": self.operation,
            "apiVersion": self.api_version,
        }
        if self.time:
            out["time"] = self.time
        out["fieldsType"] = "FieldsV1"
        out["fieldsV1"] = _encoded(frozenset(self.fields))
        if self.subresource:
            out["subresource"] = self.subresource
        return out


@functools.lru_cache(maxsize=4096)
def _encoded(fields: frozenset[Path]) -> dict[str, Any]:
    """FieldsV1 objects shared between the many objects one client writes alike (10,000 pods
    from one template would otherwise hold 10,000 equal trees). Never changed in place: stored
    objects are copied before any change."""
    return fs.encode(fields)


def message(conflicts: list[tuple[Entry, Path]]) -> str:
    """The 409's message, worded as kube-apiserver words it."""
    if len(conflicts) == 1:
        entry, path = conflicts[0]
        return f"Apply failed with 1 conflict: conflict with {entry.describe()}: {fs.render(path)}"
    by_manager: dict[str, list[Path]] = {}
    for entry, path in conflicts:
        by_manager.setdefault(entry.describe(), []).append(path)
    lines: list[str] = []
    for who in sorted(by_manager):
        lines.append(f"conflicts with {who}")
        lines += [f"- {fs.render(p)}" for p in sorted(by_manager[who])]
    return f"Apply failed with {len(conflicts)} conflicts: " + "\n".join(lines)


def causes(conflicts: list[tuple[Entry, Path]]) -> list[dict[str, str]]:
    return [
        {"reason": "FieldManagerConflict", "message": f"conflict with {e.describe()}", "field": fs.render(p)}
        for e, p in conflicts
    ]


def decode_entries(managed: Any) -> list[Entry]:
    out: list[Entry] = []
    for item in managed if isinstance(managed, list) else ():
        if not isinstance(item, dict):
            continue
        out.append(
            Entry(
                str(item.get("manager", "")),
                str(item.get("operation", UPDATE)),
                str(item.get("apiVersion", "")),
                fs.decode(item.get("fieldsV1")),
                item.get("time"),
                str(item.get("subresource", "")),
                item,
            )
        )
    return out


def same_ownership(a: Any, b: Any) -> bool:
    """Whether two managedFields lists record the same owners of the same fields (times aside)."""

    def owners(managed: Any) -> list[tuple[str, str, str, str, frozenset[Path]]]:
        return sorted(
            (e.manager, e.operation, e.api_version, e.subresource, frozenset(e.fields))
            for e in decode_entries(managed)
        )

    return owners(a) == owners(b)


def encode_entries(entries: list[Entry]) -> list[dict[str, Any]]:
    """Non-empty entries in kube-apiserver's order: Apply before Update, then time, manager."""
    kept = [e for e in entries if e.fields]
    kept.sort(key=lambda e: (e.operation, e.time or "", e.manager, e.api_version, e.subresource))
    return [e.raw if e.raw is not None else e.to_json() for e in kept]


# ------------------------------------------------------------------ schema navigation


def root_schema(schema: Mapping[str, Any] | None) -> dict[str, Any]:
    """The object's schema with ObjectMeta's own list and map types under metadata."""
    base = dict(schema or {})
    base["properties"] = {**(base.get("properties") or {}), "metadata": META_SCHEMA}
    return base


def _child(schema: Mapping[str, Any] | None, name: str) -> Mapping[str, Any] | None:
    if not schema:
        return None
    props = schema.get("properties")
    if isinstance(props, dict) and name in props:
        found = props[name]
        return found if isinstance(found, dict) else None
    extra = schema.get("additionalProperties")
    return extra if isinstance(extra, dict) else None


def _atomic_map(schema: Mapping[str, Any] | None) -> bool:
    return bool(schema) and (
        schema.get("x-kubernetes-map-type") == "atomic"  # type: ignore[union-attr]
        or schema.get("x-kubernetes-int-or-string") is True  # type: ignore[union-attr]
    )


def _list_type(schema: Mapping[str, Any] | None) -> tuple[str, list[str]]:
    if not schema:
        return "atomic", []
    kind = str(schema.get("x-kubernetes-list-type") or "atomic")
    keys = schema.get("x-kubernetes-list-map-keys") or []
    if kind == "map" and not keys:
        kind = "atomic"
    return kind, [str(k) for k in keys]


def _items(schema: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    if not schema:
        return None
    items = schema.get("items")
    return items if isinstance(items, dict) else None


def _item_key(item: Any, keys: list[str], items: Mapping[str, Any] | None) -> str | None:
    """An item's key; a key field left out takes its schema default (a port's protocol "TCP"),
    so an applied item finds the live one the server defaulted."""
    if not isinstance(item, dict):
        return None
    values: dict[str, Any] = {}
    for k in keys:
        if k in item:
            values[k] = item[k]
        else:
            prop = _child(items, k)
            if prop is not None and "default" in prop:
                values[k] = prop["default"]
    return fs.key(values)


# ------------------------------------------------------------------ field sets of objects


def scoped(obj: Mapping[str, Any], subresource: str, has_status: bool) -> dict[str, Any]:
    """The part of an object a write through `subresource` may own: never the server's metadata;
    for a kind with a status subresource, status only through it and everything else never."""
    if subresource == "status":
        return {"status": obj["status"]} if "status" in obj else {}
    out = {k: v for k, v in obj.items() if k not in ("apiVersion", "kind")}
    if has_status:
        out.pop("status", None)
    meta = obj.get("metadata")
    if isinstance(meta, dict):
        out["metadata"] = {k: v for k, v in meta.items() if k not in _STRIPPED_META}
        if not out["metadata"]:
            del out["metadata"]
    return out


def members(obj: Any, schema: Mapping[str, Any] | None, granular: bool) -> dict[Path, Any]:
    """Every owned path of `obj` and what is there: leaf values, or a marker for list items (and,
    for updates, for every object and list below the root: structured-merge-diff's comparison
    gives an Update each node it added, the `"."` entries of FieldsV1; never `metadata` itself)."""
    out: dict[Path, Any] = {}
    if isinstance(obj, dict):
        _walk_map(obj, root_schema(schema), (), out, granular)
        out.pop((_METADATA,), None)
    return out


def _walk_map(
    obj: dict[str, Any], schema: Mapping[str, Any] | None, path: Path, out: dict[Path, Any], granular: bool
) -> None:
    for name, val in obj.items():
        _walk(val, _child(schema, name), (*path, fs.field(name)), out, granular)


def _walk(
    val: Any, schema: Mapping[str, Any] | None, path: Path, out: dict[Path, Any], granular: bool
) -> None:
    if isinstance(val, dict):
        if not val or _atomic_map(schema):
            out[path] = val
            return
        if granular:
            out[path] = _NODE
        _walk_map(val, schema, path, out, granular)
    elif isinstance(val, list):
        kind, keys = _list_type(schema)
        if not val or kind == "atomic":
            out[path] = val
            return
        if granular:
            out[path] = _NODE
        items = _items(schema)
        for item in val:
            if kind == "set":
                out[(*path, fs.value(item))] = item
                continue
            pe = _item_key(item, keys, items)
            if pe is None:
                out[path] = val  # not a list of objects after all: owned whole
                return
            if _atomic_map(items):
                out[(*path, pe)] = item  # an atomic struct (an ownerReference): owned whole
                continue
            out[(*path, pe)] = _NODE
            _walk_map(item, items, (*path, pe), out, granular)
    else:
        out[path] = val


# ------------------------------------------------------------------ merging and removing


def merge(live: Any, config: Any, schema: Mapping[str, Any] | None) -> Any:
    """`config` merged into `live`: maps by field, keyed lists by key, everything else replaced."""
    if isinstance(config, dict) and isinstance(live, dict) and not _atomic_map(schema):
        out = dict(live)
        for name, val in config.items():
            out[name] = merge(live[name], val, _child(schema, name)) if name in live else copy.deepcopy(val)
        return out
    if isinstance(config, list) and isinstance(live, list):
        kind, keys = _list_type(schema)
        if kind == "set":
            return [*live, *(copy.deepcopy(v) for v in config if v not in live)]
        if kind == "map" and all(isinstance(i, dict) for i in (*live, *config)):
            items = _items(schema)
            applied = {_item_key(i, keys, items): i for i in config}
            merged = [
                merge(i, applied.pop(k), items) if (k := _item_key(i, keys, items)) in applied else i
                for i in live
            ]
            return merged + [copy.deepcopy(i) for i in applied.values()]
    return copy.deepcopy(config)


def remove(obj: dict[str, Any], paths: FieldSet, keep: FieldSet) -> None:
    """Remove the members at `paths` from `obj` in place; a map or struct left empty goes too,
    unless it is itself in `keep` (someone owns it)."""
    # an item removed whole takes its fields with it; a key field stays while its item does,
    # or the item could no longer be found by its key
    tops = [p for p in paths if not any(p[:i] in paths for i in range(1, len(p))) and not _is_key_field(p)]
    for path in sorted(tops, key=len, reverse=True):
        _remove_one(obj, path, keep)


def _is_key_field(path: Path) -> bool:
    if len(path) < 2 or not path[-2].startswith("k:") or not path[-1].startswith("f:"):
        return False
    try:
        item_key = json.loads(path[-2][2:])
    except ValueError:
        return False
    return isinstance(item_key, dict) and path[-1][2:] in item_key


def _remove_one(obj: dict[str, Any], path: Path, keep: FieldSet) -> None:
    trail: list[tuple[Any, str | int]] = []
    node: Any = obj
    for pe in path:
        step = _locate(node, pe)
        if step is None:
            return
        trail.append((node, step))
        node = node[step]
    # delete the member, then any container it leaves empty that nobody owns
    for depth in range(len(trail) - 1, -1, -1):
        parent, step = trail[depth]
        del parent[step]
        if parent or depth == 0 or path[:depth] in keep:
            return


def _locate(node: Any, pe: str) -> str | int | None:
    kind, _, text = pe.partition(":")
    if kind == "f" and isinstance(node, dict):
        return text if text in node else None
    if not isinstance(node, list):
        return None
    try:
        wanted = json.loads(text)
    except ValueError:
        return None
    for i, item in enumerate(node):
        if kind == "v" and item == wanted:
            return i
        if kind == "k" and isinstance(item, dict) and all(item.get(k) == v for k, v in wanted.items()):
            return i
        if kind == "i" and i == wanted:
            return i
    return None


# ------------------------------------------------------------------ the two operations


def _changed(before: dict[Path, Any], after: dict[Path, Any]) -> FieldSet:
    """Paths added, or leaves whose value differs."""
    out: FieldSet = set()
    for path, val in after.items():
        if path not in before or (val is not _NODE and before[path] != val):
            out.add(path)
    return out


def update(
    old: Mapping[str, Any] | None,
    new: Mapping[str, Any],
    entries: list[Entry],
    manager: str,
    api_version: str,
    now: str,
    schema: Mapping[str, Any] | None,
    subresource: str = "",
    has_status: bool = False,
    *,
    recorded_subresource: str = "",
    zero: Mapping[str, Any] | None = None,
) -> list[Entry]:
    """managedFields after a create, update or patch by `manager` (through `subresource`, or one
    like scale that writes the main object and is only named: `recorded_subresource`). A create
    (`old` None) is compared with `zero`, the kind's zero value (a custom resource's is empty)."""
    base = old if old is not None else zero or {}
    before = members(scoped(base, subresource, has_status), schema, True)
    after = members(scoped(new, subresource, has_status), schema, True)
    changed = _changed(before, after)
    mine = Entry(manager, UPDATE, api_version, set(), now, subresource or recorded_subresource)
    present = set(after)
    out: list[Entry] = []
    previous: Entry | None = None
    for e in entries:
        if e.same_manager(mine):
            previous = e
            continue
        in_scope = _in_scope(e.fields, subresource, has_status)
        kept = e.fields - (changed | (in_scope - present))
        out.append(e if kept == e.fields else _with_fields(e, kept, e.time))
    owned = ((previous.fields if previous else set()) | changed) & present
    # the entry's time moves when the manager adds, changes or loses a field, as in Kubernetes
    if previous is not None and owned == previous.fields and not changed:
        out.append(previous)
    elif owned:
        mine.fields = owned
        out.append(mine)
    return out


def _in_scope(fields: FieldSet, subresource: str, has_status: bool) -> FieldSet:
    """The members a write through `subresource` can see (and so can find removed)."""
    status = fs.under(fields, (fs.field("status"),))
    if subresource == "status":
        return status
    return fields - status if has_status else fields


def _with_fields(e: Entry, fields: FieldSet, time: str | None) -> Entry:
    return Entry(e.manager, e.operation, e.api_version, fields, time, e.subresource)


def apply(
    live: dict[str, Any] | None,
    config: dict[str, Any],
    entries: list[Entry],
    manager: str,
    api_version: str,
    now: str,
    schema: Mapping[str, Any] | None,
    *,
    force: bool = False,
    subresource: str = "",
    has_status: bool = False,
) -> tuple[dict[str, Any], list[Entry]]:
    """(the merged object, its managedFields) after `manager` applies `config`; raises Conflicts."""
    applied_part = scoped(config, subresource, has_status)
    wanted = set(members(applied_part, schema, False))
    base: dict[str, Any] = (
        live if live is not None else {k: config[k] for k in ("apiVersion", "kind") if k in config}
    )
    # identity fields come from the config; everything else only as far as this write may own it
    # a deep copy: the live object is the stored one, which nothing may change in place
    merged = copy.deepcopy(merge(base, applied_part, root_schema(schema)))
    for k in ("apiVersion", "kind"):
        if k in config:
            merged[k] = config[k]
    cfg_meta = config.get("metadata") if isinstance(config.get("metadata"), dict) else {}
    if cfg_meta and (live is None):
        meta = merged.setdefault("metadata", {})
        for k in ("name", "namespace", "generateName"):
            if k in cfg_meta:
                meta[k] = cfg_meta[k]
    before = members(scoped(base, subresource, has_status), schema, True)
    after = members(scoped(merged, subresource, has_status), schema, True)
    me = Entry(manager, APPLY, api_version, wanted, now, subresource)
    others = [e for e in entries if not e.same_manager(me)]
    previous = next((e for e in entries if e.same_manager(me)), None)
    modified = {p for p in wanted if p in before and before[p] is not _NODE and before[p] != after.get(p)}
    conflicts = [(e, p) for e in others for p in sorted(e.fields & modified)]
    if conflicts and not force:
        raise Conflicts(conflicts)
    if conflicts:
        lost = {p for _, p in conflicts}
        others = [e if not (e.fields & lost) else _with_fields(e, e.fields - lost, e.time) for e in others]
    owned_by_others: FieldSet = set().union(*(e.fields for e in others)) if others else set()
    dropped = (previous.fields if previous else set()) - wanted - owned_by_others
    if dropped:
        remove(merged, dropped, wanted | owned_by_others)
    changed_by_me = {p for p in wanted if before.get(p) != after.get(p)}
    if (
        previous is not None
        and previous.fields == wanted
        and previous.api_version == api_version
        and not changed_by_me
    ):
        me = previous
    elif live is not None and before == after:
        # an apply that leaves the object as it was does not date its entry (kube's
        # managedFieldsUpdater stamps a time only on a changed object): it keeps its old time, if any
        me = _with_fields(me, wanted, previous.time if previous is not None else None)
    return merged, [*others, me]
