"""The checks apiextensions runs after OpenAPI validation: embedded resources' TypeMeta and
ObjectMeta, `x-kubernetes-list-type` uniqueness, and `x-kubernetes-validations` rules. Pure.
"""

from __future__ import annotations

import re
from typing import Any

from localkube.apiserver import fielderrors as fe
from localkube.apiserver.fielderrors import FieldError
from localkube.apiserver.schema.cel import CelError
from localkube.apiserver.schema.node import NIL_PATH, TYPE_OF, Node, Rule, child
from localkube.apiserver.schema.values import json_equal, json_key

_DNS1035 = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
_GROUP_VERSION = re.compile(r"^([^/]+/)?[^/]+$")


def _fpath_key(path: str, key: str) -> str:
    return f"{path}[{key}]"


def validate_embedded(n: Node, v: Any, path: str, errs: list[FieldError]) -> None:
    if isinstance(v, dict):
        if n.embedded:
            _check_embedded_resource(v, path, errs)
        for k, x in v.items():
            sub = n.properties.get(k)
            if sub is not None:
                validate_embedded(sub, x, child(path, k), errs)
            elif n.additional is not None:
                validate_embedded(n.additional, x, _fpath_key(path, k), errs)
    elif isinstance(v, list) and n.items is not None:
        for i, x in enumerate(v):
            validate_embedded(n.items, x, f"{path}[{i}]", errs)


def _check_embedded_resource(v: dict[str, Any], path: str, errs: list[FieldError]) -> None:
    for key in ("apiVersion", "kind"):
        if key not in v:
            errs.append(FieldError(child(path, key), fe.REQUIRED, ""))
    api_version = v.get("apiVersion")
    if "apiVersion" in v:
        if not isinstance(api_version, str):
            errs.append(FieldError(child(path, "apiVersion"), fe.INVALID, "must be a string", api_version))
        elif not api_version:
            errs.append(FieldError(child(path, "apiVersion"), fe.INVALID, "must not be empty", api_version))
        elif not _GROUP_VERSION.match(api_version):
            errs.append(
                FieldError(
                    child(path, "apiVersion"),
                    fe.INVALID,
                    f"unexpected GroupVersion string: {api_version}",
                    api_version,
                )
            )
    kind = v.get("kind")
    if "kind" in v:
        if not isinstance(kind, str):
            errs.append(FieldError(child(path, "kind"), fe.INVALID, "must be a string", kind))
        elif not kind:
            errs.append(FieldError(child(path, "kind"), fe.INVALID, "must not be empty", kind))
        elif not _DNS1035.match(kind.lower()) or len(kind) > 63:
            errs.append(
                FieldError(
                    child(path, "kind"),
                    fe.INVALID,
                    "may have mixed case, but should otherwise match: a DNS-1035 label must consist of "
                    "lower case alphanumeric characters or '-', start with an alphabetic character, "
                    "and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', "
                    "regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
                    kind,
                )
            )
    if "metadata" in v:
        _check_embedded_metadata(v["metadata"], child(path, "metadata"), errs)


def _check_embedded_metadata(meta: Any, path: str, errs: list[FieldError]) -> None:
    # Light version of ObjectMeta decoding + ValidateObjectMeta: the shapes, and names that could
    # never be a path segment.
    if meta is None:
        return
    if not isinstance(meta, dict):
        errs.append(
            FieldError(
                path,
                fe.INVALID,
                f"json: cannot unmarshal {_go_kind(meta)} into Go value of type v1.ObjectMeta",
                meta,
            )
        )
        return
    for key in ("name", "generateName", "namespace"):
        value = meta.get(key)
        if value is None:
            continue
        if not isinstance(value, str):
            errs.append(
                FieldError(
                    path,
                    fe.INVALID,
                    f"json: cannot unmarshal {_go_kind(value)} into Go struct field ObjectMeta.{key} "
                    "of type string",
                    meta,
                )
            )
        elif key != "namespace" and value in (".", ".."):
            errs.append(FieldError(child(path, key), fe.INVALID, f"may not be '{value}'", value))
        elif key != "namespace" and ("/" in value or "%" in value):
            bad = "/" if "/" in value else "%"
            errs.append(FieldError(child(path, key), fe.INVALID, f"may not contain '{bad}'", value))
    for key in ("labels", "annotations"):
        value = meta.get(key)
        if value is None:
            continue
        if not isinstance(value, dict) or not all(isinstance(x, str) for x in value.values()):
            errs.append(
                FieldError(
                    path,
                    fe.INVALID,
                    f"json: cannot unmarshal {_go_kind(value)} into Go struct field ObjectMeta.{key} of type "
                    "map[string]string",
                    meta,
                )
            )


def _go_kind(v: Any) -> str:
    return {"integer": "number", "null": "null"}.get(TYPE_OF.get(type(v), ""), TYPE_OF.get(type(v), "value"))


def validate_lists(n: Node, v: Any, path: str, errs: list[FieldError]) -> None:
    if isinstance(v, dict):
        if n.additional is not None and n.additional.has_lists_below:
            for k, x in v.items():
                validate_lists(n.additional, x, _fpath_key(path, k), errs)
        for k, x in v.items():
            sub = n.properties.get(k)
            if sub is not None and sub.has_lists_below:
                validate_lists(sub, x, child(path, k), errs)
    elif isinstance(v, list):
        if n.list_type == "set":
            _check_list_set(v, path, errs)
        elif n.list_type == "map":
            _check_list_map(n, v, path, errs)
        if n.items is not None and n.items.has_lists_below:
            for i, x in enumerate(v):
                validate_lists(n.items, x, f"{path}[{i}]", errs)


def _duplicates(keys: list[str]) -> list[int]:
    """Indexes of the second occurrence of each repeated key (as apiextensions reports them)."""
    counts: dict[str, int] = {}
    out = []
    for i, k in enumerate(keys):
        counts[k] = counts.get(k, 0) + 1
        if counts[k] == 2:
            out.append(i)
    return out


def _check_list_set(v: list[Any], path: str, errs: list[FieldError]) -> None:
    if len(v) <= 1:
        return
    for i in _duplicates([json_key(x) for x in v]):
        errs.append(FieldError(f"{path}[{i}]", fe.DUPLICATE, "", v[i]))


def _check_list_map(n: Node, v: list[Any], path: str, errs: list[FieldError]) -> None:
    for i, x in enumerate(v):
        if x is not None and not isinstance(x, dict):
            errs.append(
                FieldError(f"{path}[{i}]", fe.INVALID, "must be an object for an array of list-type map", x)
            )
            return
    if len(v) <= 1:
        return
    keys = []
    key_values = []
    for x in v:
        entry = {k: x[k] for k in n.list_map_keys if isinstance(x, dict) and k in x}
        key_values.append(entry)
        keys.append(json_key(entry))
    for i in _duplicates(keys):
        errs.append(FieldError(f"{path}[{i}]", fe.DUPLICATE, "", key_values[i]))


def validate_rules(n: Node, v: Any, old: Any, has_old: bool, path: str, errs: list[FieldError]) -> None:
    for rule in n.rules:
        _run_rule(n, rule, v, old, has_old, path, errs)
    if isinstance(v, dict):
        old_map = old if has_old and isinstance(old, dict) else None
        for k, x in v.items():
            sub = n.properties.get(k)
            sub_path = child(path, k)
            if sub is None and n.additional is not None:
                sub, sub_path = n.additional, _fpath_key(path, k)
            if sub is not None and sub.has_rules_below:
                found = old_map is not None and k in old_map
                validate_rules(sub, x, old_map.get(k) if old_map else None, found, sub_path, errs)
    elif isinstance(v, list) and n.items is not None and n.items.has_rules_below:
        old_by_key = _correlate_list(n, old) if has_old else {}
        for i, x in enumerate(v):
            key = _list_map_key(n, x)
            found = key is not None and key in old_by_key
            validate_rules(
                n.items, x, old_by_key.get(key) if found and key else None, found, f"{path}[{i}]", errs
            )


def _list_map_key(n: Node, x: Any) -> str | None:
    # Only list-type=map items correlate with their old selves (by key); other lists are atomic.
    if n.list_type != "map" or not isinstance(x, dict):
        return None
    return json_key([x.get(k) for k in n.list_map_keys])


def _correlate_list(n: Node, old: Any) -> dict[str, Any]:
    if n.list_type != "map" or not isinstance(old, list):
        return {}
    out = {}
    for x in old:
        key = _list_map_key(n, x)
        if key is not None:
            out[key] = x
    return out


def _expression_message(rule: Rule, v: Any, old: Any) -> str:
    """A messageExpression's text; "" (fall back to message) if it fails or is not a string."""
    if rule.message_expression is None:
        return ""
    try:
        text = rule.message_expression.evaluate(v, old)
    except CelError:
        return ""
    return text.strip() if isinstance(text, str) else ""


def _run_rule(
    n: Node, rule: Rule, v: Any, old: Any, has_old: bool, path: str, errs: list[FieldError]
) -> None:
    if rule.program is None:
        return  # outside our CEL subset: skipped rather than rejecting valid objects
    if rule.uses_old_self and not has_old:
        return  # transition rules only run on updates where the old value exists
    if has_old and not rule.uses_old_self and json_equal(v, old):
        return  # ratcheting: an unchanged value keeps passing
    type_name = n.type_name or "object"
    shown = rule.message or rule.rule
    try:
        ok = rule.program.evaluate(v, old if has_old else None)
    except CelError as err:
        errs.append(FieldError(path or NIL_PATH, fe.INVALID, f"{err} evaluating rule: {shown}", type_name))
        return
    if ok is True:
        return
    fpath = child(path, rule.field_path) if rule.field_path else path
    detail = (
        _expression_message(rule, v, old if has_old else None) or rule.message or f"failed rule: {rule.rule}"
    )
    value: Any = fe._MISSING if type_name in ("object", "array") else v
    reason = {
        "FieldValueForbidden": fe.FORBIDDEN,
        "FieldValueRequired": fe.REQUIRED,
        "FieldValueDuplicate": fe.DUPLICATE,
    }.get(rule.reason or "", fe.INVALID)
    errs.append(FieldError(fpath or NIL_PATH, reason, detail, value))
