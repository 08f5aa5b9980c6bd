"""JSON patch (RFC 6902), JSON merge patch (RFC 7386) and Kubernetes' strategic merge patch.

Pure: each function takes the stored object and the decoded patch body and returns a new object;
inputs are never mutated. Failures raise `PatchError` carrying the HTTP code Kubernetes answers
with (400 for a malformed patch, 422 for one that does not apply); `UnsupportedPatch` (415) means
strategic merge was asked for a kind that has no Go struct behind it (a custom resource).

Strategic merge follows k8s.io/apimachinery/pkg/util/strategicpatch with the server's options
(parallel deletion lists are applied, unmatched nulls are dropped). The patch strategies and merge
keys come from the `patchStrategy`/`patchMergeKey` struct tags of k8s.io/api; they live in one
table, `_TYPES`, walked from the kind's root type.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import jsonpatch
import jsonpointer

from localkube.apiserver import codec, strategies

# kube-apiserver's cap on a JSON patch's operations
MAX_JSON_PATCH_OPERATIONS = 10_000
# what copy operations may add in all: the request body limit (an object is 1.5 MiB at most)
MAX_COPY_BYTES = 3 * 1024 * 1024


class PatchError(ValueError):
    """A patch that is malformed (code 400) or does not apply to the object (code 422)."""

    def __init__(self, message: str, code: int = 422) -> None:
        super().__init__(message)
        self.code = code


class UnsupportedPatch(PatchError):
    """Strategic merge patch of a kind with no built-in schema: Kubernetes answers 415."""

    def __init__(self, message: str) -> None:
        super().__init__(message, 415)


# --- JSON patch ----------------------------------------------------------------------------------


def json_patch(doc: dict[str, Any], ops: Any) -> dict[str, Any]:
    """Applies an RFC 6902 operation list; a failing `test` op fails the whole patch."""
    if not isinstance(ops, list):
        raise PatchError(
            f"json: cannot unmarshal {_json_kind(ops)} into Go value of type jsonpatch.Patch", 400
        )
    if len(ops) > MAX_JSON_PATCH_OPERATIONS:
        raise PatchError(
            "Request entity too large: The allowed maximum operations in a JSON patch is "
            f"{MAX_JSON_PATCH_OPERATIONS}, got {len(ops)}",
            413,
        )
    result: Any = copy.deepcopy(doc)
    copied = 0
    for op in ops:
        if not isinstance(op, Mapping):
            raise PatchError(
                f"json: cannot unmarshal {_json_kind(op)} into Go value of type jsonpatch.Operation", 400
            )
        kind = op.get("op")
        if kind not in ("add", "remove", "replace", "move", "copy", "test"):
            raise PatchError(f"Unexpected kind: {kind}", 400)
        path = op.get("path")
        if not isinstance(path, str):
            raise PatchError(f'{kind} operation does not apply: doc is missing path: "": missing value')
        if kind in ("add", "replace", "test") and "value" not in op:
            raise PatchError(f"{kind} operation does not apply: missing value", 400)
        if kind == "replace" and _is_missing_member(result, path):
            # evanphx/json-patch v4, which the API server uses, sets a missing member of an existing
            # object on replace; Ray's autoscaler relies on it (replace .../scaleStrategy).
            op = {**op, "op": "add"}
        if kind == "copy":
            # each copy can double the object: its growth is bounded before it is made
            copied += _copy_size(result, op.get("from"))
            if copied > MAX_COPY_BYTES:
                raise PatchError(
                    "Unable to complete the copy, the accumulated size increase of copy is "
                    f"{copied}, exceeding the limit {MAX_COPY_BYTES}"
                )
        try:
            result = jsonpatch.JsonPatch([dict(op)]).apply(result, in_place=True)
        except jsonpatch.JsonPatchTestFailed:
            raise PatchError(f"testing value {path} failed: test failed") from None
        except (jsonpatch.JsonPatchConflict, jsonpointer.JsonPointerException, jsonpatch.InvalidJsonPatch):
            raise PatchError(_json_patch_failure(kind, path, op, result)) from None
        except (TypeError, KeyError, IndexError, ValueError):
            raise PatchError(_json_patch_failure(kind, path, op, result)) from None
    if not isinstance(result, dict):
        raise PatchError("json patch result is not an object", 422)
    return result


def _copy_size(doc: Any, source: Any) -> int:
    """The JSON size of what a copy operation would duplicate (0 if the source is missing)."""
    if not isinstance(source, str):
        return 0
    try:
        value = jsonpointer.resolve_pointer(doc, source)
    except (jsonpointer.JsonPointerException, TypeError, KeyError, IndexError, ValueError):
        return 0
    return len(codec.dumps(value))


def _parent(doc: Any, path: str) -> Any:
    """The object or list holding the last token of `path`; None when that container is missing."""
    try:
        parts = jsonpointer.JsonPointer(path).parts
        if not parts:
            return None
        parent = jsonpointer.JsonPointer.from_parts(parts[:-1]).resolve(doc)
    except (jsonpointer.JsonPointerException, TypeError, KeyError, IndexError, ValueError):
        return None
    return parent if isinstance(parent, dict | list) else None


def _is_missing_member(doc: Any, path: str) -> bool:
    """True when `path` names a key absent from an object that itself exists."""
    parent = _parent(doc, path)
    return isinstance(parent, dict) and jsonpointer.JsonPointer(path).parts[-1] not in parent


def _json_patch_failure(kind: str, path: str, op: Mapping[str, Any], doc: Any) -> str:
    # The wording of github.com/evanphx/json-patch, which the API server uses.
    if kind == "remove":
        return f"unable to remove nonexistent key: {path.rsplit('/', 1)[-1]}: missing value"
    if kind == "replace":
        where = "key" if _parent(doc, path) is not None else "path"
        return f"replace operation does not apply: doc is missing {where}: {path}: missing value"
    if kind in ("move", "copy"):
        return f"{kind} operation does not apply: doc is missing from path: {op.get('from')}: missing value"
    return f'{kind} operation does not apply: doc is missing path: "{path}": missing value'


def _json_kind(value: Any) -> str:
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "bool"
    if value is None:
        return "null"
    return "number"


# --- JSON merge patch ----------------------------------------------------------------------------


def merge_patch(doc: dict[str, Any], patch: Any) -> dict[str, Any]:
    """RFC 7386: objects merge recursively, null deletes, everything else (lists too) replaces."""
    if not isinstance(patch, dict):
        raise PatchError("Invalid JSON Patch", 400)
    return _merge_object(doc, patch)


def _merge_object(target: Any, patch: Mapping[str, Any]) -> dict[str, Any]:
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        elif isinstance(value, dict):
            result[key] = _merge_object(result.get(key), value)
        else:
            result[key] = copy.deepcopy(value)
    return result


# --- strategic merge patch: the schema table -----------------------------------------------------


@dataclass(frozen=True)
class _Field:
    """How one field merges: `type` names its (element) type in _TYPES, `strategy` is "merge" for
    merging lists (with `key` naming the merge key of a list of objects, "" for a list of scalars)."""

    type: str | None = None
    strategy: str = ""
    key: str = ""


def _merge_list(key: str = "", of: str | None = None) -> _Field:
    return _Field(of, "merge", key)


_TYPES: dict[str, dict[str, _Field]] = {
    "ObjectMeta": {
        "finalizers": _merge_list(),
        "ownerReferences": _merge_list("uid"),
    },
    "PodTemplateSpec": {"metadata": _Field("ObjectMeta"), "spec": _Field("PodSpec")},
    "PodSpec": {
        "volumes": _merge_list("name"),
        "initContainers": _merge_list("name", "Container"),
        "containers": _merge_list("name", "Container"),
        "ephemeralContainers": _merge_list("name", "Container"),
        "imagePullSecrets": _merge_list("name"),
        "hostAliases": _merge_list("ip"),
        "topologySpreadConstraints": _merge_list("topologyKey"),
        "resourceClaims": _merge_list("name"),
        "schedulingGates": _merge_list("name"),
    },
    "Container": {
        "ports": _merge_list("containerPort"),
        "env": _merge_list("name"),
        "volumeMounts": _merge_list("mountPath"),
        "volumeDevices": _merge_list("devicePath"),
    },
    "PodStatus": {
        "conditions": _merge_list("type"),
        "podIPs": _merge_list("ip"),
        "hostIPs": _merge_list("ip"),
        "resourceClaimStatuses": _merge_list("name"),
    },
    "ConditionsStatus": {"conditions": _merge_list("type")},
    "WorkloadSpec": {"template": _Field("PodTemplateSpec")},
    "CronJobSpec": {"jobTemplate": _Field("JobTemplateSpec")},
    "JobTemplateSpec": {"metadata": _Field("ObjectMeta"), "spec": _Field("WorkloadSpec")},
    "ServiceSpec": {"ports": _merge_list("port")},
    "NodeSpec": {"podCIDRs": _merge_list()},
    "NodeStatus": {"conditions": _merge_list("type"), "addresses": _merge_list("type")},
    # Kinds: the root of each object.
    "Object": {"metadata": _Field("ObjectMeta")},
    "Pod": {"metadata": _Field("ObjectMeta"), "spec": _Field("PodSpec"), "status": _Field("PodStatus")},
    "PodTemplate": {"metadata": _Field("ObjectMeta"), "template": _Field("PodTemplateSpec")},
    "Workload": {
        "metadata": _Field("ObjectMeta"),
        "spec": _Field("WorkloadSpec"),
        "status": _Field("ConditionsStatus"),
    },
    "CronJob": {"metadata": _Field("ObjectMeta"), "spec": _Field("CronJobSpec")},
    "Service": {
        "metadata": _Field("ObjectMeta"),
        "spec": _Field("ServiceSpec"),
        "status": _Field("ConditionsStatus"),
    },
    "Node": {"metadata": _Field("ObjectMeta"), "spec": _Field("NodeSpec"), "status": _Field("NodeStatus")},
    "WithConditions": {"metadata": _Field("ObjectMeta"), "status": _Field("ConditionsStatus")},
    "ServiceAccount": {"metadata": _Field("ObjectMeta"), "secrets": _merge_list("name")},
}

# API groups compiled into the API server: any kind in them has a Go struct, so strategic merge
# applies (kinds whose strategy names no patch root merge everything but their metadata lists
# atomically).
BUILTIN_GROUPS = frozenset(
    {
        "",
        "apps",
        "batch",
        "autoscaling",
        "policy",
        "rbac.authorization.k8s.io",
        "coordination.k8s.io",
        "networking.k8s.io",
        "events.k8s.io",
        "apiextensions.k8s.io",
        "storage.k8s.io",
        "scheduling.k8s.io",
        "discovery.k8s.io",
        "certificates.k8s.io",
        "admissionregistration.k8s.io",
        "node.k8s.io",
        "flowcontrol.apiserver.k8s.io",
        "apiregistration.k8s.io",
        "authentication.k8s.io",
        "authorization.k8s.io",
        "resource.k8s.io",
        "storagemigration.k8s.io",
    }
)


def merge_key_of(api_version: str, kind: str, path: tuple[str, ...]) -> tuple[str, str] | None:
    """(strategy, merge key) of the field at `path` (list indices omitted), or None if atomic.

    E.g. ("spec", "containers", "env") of a Pod gives ("merge", "name"). For server-side apply.
    """
    type_name: str | None = _root_type(api_version, kind)
    spec: _Field | None = None
    for part in path:
        if type_name is None:
            return None
        spec = _TYPES.get(type_name, {}).get(part)
        if spec is None:
            return None
        type_name = spec.type
    if spec is None or spec.strategy != "merge":
        return None
    return spec.strategy, spec.key


def _root_type(api_version: str, kind: str) -> str:
    group = api_version.rpartition("/")[0] if "/" in api_version else ""
    if group not in BUILTIN_GROUPS:
        raise UnsupportedPatch(
            "the body of the request was in an unknown format - accepted media types include: "
            "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml"
        )
    return strategies.of_kind(group, kind).patch_root


# --- strategic merge patch: the algorithm ---------------------------------------------------------

_DIRECTIVE = "$patch"
_RETAIN_KEYS = "$retainKeys"
_SET_ORDER = "$setElementOrder"
_DELETE_PRIMITIVE = "$deleteFromPrimitiveList"

_BAD_PRIMITIVE_LIST = "invalid patch format of primitive list"
_BAD_RETAIN_KEYS = "invalid patch format of retainKeys"
_BAD_SET_ORDER = "invalid patch format of setElementOrder list"


def strategic_merge_patch(doc: dict[str, Any], patch: Any, api_version: str, kind: str) -> dict[str, Any]:
    """Kubernetes' strategic merge patch of a built-in kind.

    Lists with a merge strategy merge by their merge key (containers by name, ports by
    containerPort, ...), scalar merge lists (finalizers) merge as sets; other lists replace.
    Directives: `$patch: replace|delete` (maps and list items), `$retainKeys`,
    `$setElementOrder/<list>`, `$deleteFromPrimitiveList/<list>`; null deletes a key.
    """
    root = _root_type(api_version, kind)
    if not isinstance(patch, dict):
        raise PatchError("invalid JSON document", 400)
    result = _merge_map(copy.deepcopy(doc), copy.deepcopy(patch), root)
    return result


def _merge_map(original: dict[str, Any], patch: dict[str, Any], type_name: str | None) -> dict[str, Any]:
    """Merges `patch` into `original`; both are private copies and may be consumed."""
    if _DIRECTIVE in patch:
        directive = patch.pop(_DIRECTIVE)
        if directive == "replace":
            return _merge_map({}, patch, type_name)
        if directive == "delete":
            return {}
        patch[_DIRECTIVE] = directive
        raise PatchError(f"unknown patch type: {_go(directive)} in map: {_go(patch)}")
    fields = _TYPES.get(type_name or "", {})
    _apply_retain_keys(original, patch)
    _apply_set_element_order(original, patch, fields)
    for key, value in list(patch.items()):
        is_delete_list = False
        if key.startswith(_DELETE_PRIMITIVE):
            key = _extract_key(key, _DELETE_PRIMITIVE, _BAD_PRIMITIVE_LIST)
            if not isinstance(value, list):
                raise PatchError(_BAD_PRIMITIVE_LIST, 400)
            is_delete_list = True
            if key not in original:
                continue  # nothing to delete from
        elif key.startswith("$"):
            raise PatchError(f"unknown patch directive: {key}", 400)
        field = fields.get(key, _Field())
        if value is None:
            original.pop(key, None)
            continue
        if key not in original or _kind(original[key]) != _kind(value):
            original[key] = _fresh(value, field)
            continue
        current = original[key]
        if is_delete_list:
            original[key] = [x for x in current if x not in value]
        elif isinstance(value, dict):
            original[key] = _merge_map(current, value, field.type)
        elif isinstance(value, list):
            if field.strategy == "merge":
                original[key] = _merge_slice(current, value, field, is_delete_list)
            else:
                original[key] = value
        else:
            original[key] = value
    return original


def _fresh(value: Any, field: _Field) -> Any:
    """A patch value for a key the original lacks: directives and nulls inside are resolved."""
    if isinstance(value, dict):
        return _merge_map({}, value, field.type)
    if isinstance(value, list) and field.strategy == "merge":
        return _merge_slice([], value, field, False)
    return value


def _apply_retain_keys(original: dict[str, Any], patch: dict[str, Any]) -> None:
    if _RETAIN_KEYS not in patch:
        return
    retain = patch.pop(_RETAIN_KEYS)
    if not isinstance(retain, list):
        raise PatchError(_BAD_RETAIN_KEYS, 400)
    keep = set(retain)
    for key, value in patch.items():
        if value is None or key.startswith((_DELETE_PRIMITIVE, _SET_ORDER)):
            continue
        if key not in keep:
            raise PatchError(_BAD_RETAIN_KEYS, 400)
    for key in list(original):
        if key not in keep:
            del original[key]


def _apply_set_element_order(
    original: dict[str, Any], patch: dict[str, Any], fields: Mapping[str, _Field]
) -> None:
    for directive_key in [k for k in patch if k.startswith(_SET_ORDER)]:
        order = patch.pop(directive_key)
        if not isinstance(order, list):
            raise PatchError(_BAD_SET_ORDER, 400)
        key = _extract_key(directive_key, _SET_ORDER, _BAD_SET_ORDER)
        field = fields.get(key, _Field())
        has_original, has_patch = key in original, key in patch
        if not has_original and not has_patch:
            continue
        original_list = original.get(key, []) if has_original else []
        patch_list = patch.get(key, []) if has_patch else []
        if not isinstance(original_list, list) or not isinstance(patch_list, list):
            raise PatchError(f"expected a []interface {{}}, but received a {_go_type(patch_list)}")
        _check_order_matches_patch(patch_list, order, field.key)
        if has_original and has_patch:
            merged = (
                _merge_slice(original_list, patch_list, field, False)
                if field.strategy == "merge"
                else patch_list
            )
        elif has_patch:
            merged = _fresh(patch_list, field)
        else:
            merged = original_list
        in_order, server_only = _partition(merged, order, field.key)
        kind_is_map = any(isinstance(x, dict) for x in original_list + patch_list)
        original[key] = _normalize_order(
            in_order, server_only, order, original_list, field.key if kind_is_map else ""
        )
        patch.pop(key, None)


def _check_order_matches_patch(patch_list: list[Any], order: list[Any], merge_key: str) -> None:
    """The patch list's items must appear in $setElementOrder, in the same relative order."""
    items = [x for x in patch_list if not (isinstance(x, dict) and _DIRECTIVE in x)]
    if not items or not order:
        return
    i = 0
    for entry in order:
        if i < len(items) and _same_item(items[i], entry, merge_key):
            i += 1
    if i < len(items):
        raise PatchError(
            f"The order in patch list:\n{_go(patch_list)}\n doesn't match {_SET_ORDER} list:\n{_go(order)}\n"
        )


def _merge_slice(original: list[Any], patch: list[Any], field: _Field, is_delete_list: bool) -> list[Any]:
    if not original and not patch:
        return original
    kinds = {_kind(x) for x in original + patch}
    if "list" in kinds:
        raise PatchError("lists of lists are not supported")
    if len(kinds) > 1:
        raise PatchError(f"list element types are not identical: {_go([original, patch])}")
    if kinds != {"map"}:
        if is_delete_list:
            return [x for x in original if x not in patch]
        merged = _dedupe(original + patch)
        in_patch, server_only = _partition(merged, patch, "")
        return _normalize_order(in_patch, server_only, patch, original, "")
    if not field.key:
        raise PatchError("cannot merge lists without merge key for type struct")
    original, patch = _merge_special_elements(original, patch, field.key)
    merged = list(original)
    for item in patch:
        if field.key not in item:
            raise PatchError(f"map: {_go(item)} does not contain declared merge key: {field.key}")
        at = _find(merged, field.key, item[field.key])
        if at >= 0:
            merged[at] = _merge_map(merged[at], item, field.type)
        else:
            merged.append(_merge_map({}, item, field.type))
    in_patch, server_only = _partition(merged, patch, field.key)
    return _normalize_order(in_patch, server_only, patch, original, field.key)


def _merge_special_elements(original: list[Any], patch: list[Any], key: str) -> tuple[list[Any], list[Any]]:
    """Applies `{$patch: delete, key: v}` and `{$patch: replace}` items; returns the rest."""
    plain: list[Any] = []
    replace = False
    for item in patch:
        if _DIRECTIVE not in item:
            plain.append(item)
            continue
        directive = item[_DIRECTIVE]
        if directive == "delete":
            if key not in item:
                raise PatchError(f"map: {_go(item)} does not contain declared merge key: {key}")
            original = [x for x in original if not (isinstance(x, dict) and x.get(key) == item[key])]
        elif directive == "replace":
            replace = True
        elif directive == "merge":
            raise PatchError("merging lists cannot yet be specified in the patch")
        else:
            raise PatchError(f"unknown patch type: {_go(directive)} in map: {_go(item)}")
    if replace:
        return [_merge_map({}, x, None) for x in plain], []
    return original, plain


def _partition(items: list[Any], by: list[Any], key: str) -> tuple[list[Any], list[Any]]:
    inside: list[Any] = []
    outside: list[Any] = []
    for item in items:
        if key and not (isinstance(item, dict) and key in item):
            raise PatchError(f"map: {_go(item)} does not contain declared merge key: {key}")
        (inside if _index(by, item, key) >= 0 else outside).append(item)
    return inside, outside


def _normalize_order(
    patch_items: list[Any], server_only: list[Any], patch_order: list[Any], server_order: list[Any], key: str
) -> list[Any]:
    """Patch items in the patch's order, server-only items in the live order, interleaved where
    both orders say so; items new to the live list come before later live items (as Kubernetes)."""
    patch_items = _sort_by(patch_items, patch_order, key)
    server_only = _sort_by(server_only, server_order, key)
    out: list[Any] = []
    i = j = 0
    while i < len(server_only) or j < len(patch_items):
        if i >= len(server_only):
            out.append(patch_items[j])
            j += 1
        elif j >= len(patch_items):
            out.append(server_only[i])
            i += 1
        else:
            li = _index(server_order, server_only[i], key)
            ri = _index(server_order, patch_items[j], key)
            if li >= 0 and ri >= 0 and li < ri:
                out.append(server_only[i])
                i += 1
            else:
                out.append(patch_items[j])
                j += 1
    return out


def _sort_by(items: list[Any], order: list[Any], key: str) -> list[Any]:
    positions = [_index(order, x, key) for x in items]
    ranked = sorted(range(len(items)), key=lambda n: (positions[n] < 0, positions[n], n))
    return [items[n] for n in ranked]


def _index(items: list[Any], item: Any, key: str) -> int:
    for n, candidate in enumerate(items):
        if _same_item(candidate, item, key):
            return n
    return -1


def _same_item(a: Any, b: Any, key: str) -> bool:
    if not key:
        return _kind(a) == _kind(b) and a == b
    return isinstance(a, dict) and isinstance(b, dict) and key in a and key in b and a[key] == b[key]


def _find(items: list[Any], key: str, value: Any) -> int:
    for n, item in enumerate(items):
        if not isinstance(item, dict):
            raise PatchError(f"value for key {n} is not a map.")
        if key in item and item[key] == value and _kind(item[key]) == _kind(value):
            return n
    return -1


def _dedupe(items: list[Any]) -> list[Any]:
    out: list[Any] = []
    for item in items:
        if not any(_kind(item) == _kind(x) and item == x for x in out):
            out.append(item)
    return out


def _extract_key(directive_key: str, prefix: str, error: str) -> str:
    head, sep, rest = directive_key.partition("/")
    if not sep or head != prefix:
        raise PatchError(error, 400)
    return rest


def _kind(value: Any) -> str:
    """The Go type a decoded JSON value has: values of different kinds never merge."""
    if isinstance(value, dict):
        return "map"
    if isinstance(value, list):
        return "list"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if value is None:
        return "nil"
    return "string"


def _go_type(value: Any) -> str:
    return {
        "map": "map[string]interface {}",
        "list": "[]interface {}",
        "bool": "bool",
        "number": "float64",
        "nil": "<nil>",
        "string": "string",
    }[_kind(value)]


def _go(value: Any) -> str:
    """Go's %v rendering, used in Kubernetes' patch error messages."""
    if isinstance(value, dict):
        return "map[" + " ".join(f"{k}:{_go(value[k])}" for k in sorted(value)) + "]"
    if isinstance(value, list):
        return "[" + " ".join(_go(x) for x in value) + "]"
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (int, float)):
        return json.dumps(value)
    return str(value)
