"""Structural-schema validation, defaulting and pruning of custom resources, as apiextensions does it.

Pure: no I/O. A CRD version's `openAPIV3Schema` is compiled once into a tree of `_Node`s (cached by
the identity of the schema dict), then every write runs, in the API server's order:

1. `prune(obj, schema)`: drop fields the schema does not declare (and non-nullable nulls without
   a default), returning the dropped paths for `fieldValidation=Strict|Warn`;
2. `apply_defaults(obj, schema)`: fill `default`s;
3. `validate(obj, schema, old=...)`: OpenAPI value validation (kube-openapi's rules and wording,
   ratcheted on update: unchanged values that a newer schema rejects are let through),
   embedded-resource TypeMeta/ObjectMeta checks, `x-kubernetes-list-type` uniqueness and the
   `x-kubernetes-validations` CEL rules our subset understands (see schema_cel.py).

Messages follow kube-openapi and k8s.io/apimachinery field errors word for word, e.g.
`spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string"`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from localkube.apiserver import fielderrors as fe
from localkube.apiserver.fielderrors import FieldError
from localkube.apiserver.schema_cel import CelError, CelProgram, compile_rule
from localkube.apiserver.schema_formats import string_format_checker
from localkube.apiserver.schema_ratchet import ratchet
from localkube.apiserver.schema_values import deep_copy, go_float, go_number, json_equal, json_key

__all__ = [
    "CompiledSchema",
    "apply_defaults",
    "check_crd_schema",
    "compile_schema",
    "prune",
    "validate",
]

# kube-openapi reports errors not tied to one field (anyOf/oneOf/allOf/not, range conversions) with a
# nil field path, which apimachinery prints as "<nil>".
NIL_PATH = "<nil>"

_META_FIELDS = frozenset(("apiVersion", "kind", "metadata"))

# The fields of metav1.ObjectMeta: anything else under an embedded (or root) `metadata` is dropped
# by the strict JSON decoding into ObjectMeta.
OBJECT_META_FIELDS = frozenset(
    (
        "name",
        "generateName",
        "namespace",
        "selfLink",
        "uid",
        "resourceVersion",
        "generation",
        "creationTimestamp",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
        "labels",
        "annotations",
        "ownerReferences",
        "finalizers",
        "managedFields",
    )
)

_TYPE_OF: dict[type, str] = {
    bool: "boolean",
    int: "integer",
    float: "number",
    str: "string",
    list: "array",
    dict: "object",
}

_INT32 = (-(2**31), 2**31 - 1)
_INT64 = (-(2**63), 2**63 - 1)
_FLOAT32_MAX = 3.4028234663852886e38


@dataclass
class _Rule:
    rule: str
    message: str
    program: CelProgram | None  # None: outside our CEL subset, skipped
    uses_old_self: bool
    field_path: str
    reason: str | None
    message_expression: CelProgram | None = None


class _Node:
    """One compiled schema node; attributes mirror the JSONSchemaProps keywords that matter."""

    __slots__ = (
        "additional",
        "additional_allows",
        "all_of",
        "any_of",
        "default",
        "embedded",
        "enum",
        "excl_max",
        "excl_min",
        "format_check",
        "format_name",
        "has_default",
        "has_lists_below",
        "has_rules_below",
        "int_format",
        "int_or_string",
        "items",
        "kept_format",
        "list_map_keys",
        "list_type",
        "max_items",
        "max_length",
        "max_props",
        "maximum",
        "min_items",
        "min_length",
        "min_props",
        "minimum",
        "multiple_of",
        "not_",
        "nullable",
        "one_of",
        "pattern",
        "pattern_re",
        "preserve",
        "properties",
        "required",
        "rules",
        "type_name",
        "types",
        "unique",
    )

    def __init__(self) -> None:
        self.types: frozenset[str] = frozenset()
        self.type_name = ""
        self.nullable = False
        self.int_or_string = False
        self.preserve = False
        self.embedded = False
        self.format_name = ""
        self.format_check: Callable[[str], bool] | None = None
        self.int_format = ""
        # the format apiextensions keeps after dropping unsupported ones (drives the type check)
        self.kept_format = ""
        self.enum: list[Any] | None = None
        self.maximum: float | None = None
        self.minimum: float | None = None
        self.excl_max = False
        self.excl_min = False
        self.multiple_of: float | None = None
        self.pattern = ""
        self.pattern_re: re.Pattern[str] | None = None
        self.max_length: int | None = None
        self.min_length: int | None = None
        self.max_items: int | None = None
        self.min_items: int | None = None
        self.unique = False
        self.max_props: int | None = None
        self.min_props: int | None = None
        self.required: list[str] = []
        self.properties: dict[str, _Node] = {}
        # additionalProperties: a schema node, or None with additional_allows saying true/false/absent.
        self.additional: _Node | None = None
        self.additional_allows: bool | None = None
        self.items: _Node | None = None
        self.all_of: list[_Node] = []
        self.any_of: list[_Node] = []
        self.one_of: list[_Node] = []
        self.not_: _Node | None = None
        self.list_type = ""
        self.list_map_keys: list[str] = []
        self.rules: list[_Rule] = []
        self.has_default = False
        self.default: Any = None
        self.has_rules_below = False
        self.has_lists_below = False


def _translate_pattern(pattern: str) -> str:
    # Go's RE2 and Python's re agree on what CRDs use; \z is Go's end-of-text, Python's is \Z.
    return pattern.replace(r"\z", r"\Z")


class _Compiler:
    def __init__(self) -> None:
        self._seen: dict[int, _Node] = {}

    def node(self, s: Any) -> _Node:
        if not isinstance(s, dict):
            return _Node()
        key = id(s)
        found = self._seen.get(key)
        if found is not None:
            return found
        n = _Node()
        self._seen[key] = n
        t = s.get("type")
        if s.get("x-kubernetes-int-or-string"):
            n.int_or_string = True
            n.types = frozenset(("integer", "string"))
            n.type_name = "integer,string"
        elif isinstance(t, str) and t:
            n.types = frozenset((t,))
            n.type_name = t
        n.nullable = bool(s.get("nullable"))
        n.preserve = bool(s.get("x-kubernetes-preserve-unknown-fields"))
        n.embedded = bool(s.get("x-kubernetes-embedded-resource"))
        fmt = s.get("format")
        if isinstance(fmt, str) and fmt:
            single = t if isinstance(t, str) and not n.int_or_string else ""
            if single in ("", "string"):
                n.format_check = string_format_checker(fmt)
                n.format_name = fmt if n.format_check else ""
                n.kept_format = n.format_name
            elif fmt in {"integer": ("int32", "int64"), "number": ("float", "double")}.get(single, ()):
                n.int_format = fmt
                n.kept_format = fmt
        if isinstance(s.get("enum"), list):
            n.enum = list(s["enum"])
        n.maximum = _num(s.get("maximum"))
        n.minimum = _num(s.get("minimum"))
        n.excl_max = bool(s.get("exclusiveMaximum"))
        n.excl_min = bool(s.get("exclusiveMinimum"))
        n.multiple_of = _num(s.get("multipleOf"))
        pat = s.get("pattern")
        if isinstance(pat, str) and pat:
            n.pattern = pat
            try:
                n.pattern_re = re.compile(_translate_pattern(pat))
            except re.error:
                n.pattern_re = None  # RE2 syntax Python lacks: the pattern is not enforced
        n.max_length = _int(s.get("maxLength"))
        n.min_length = _int(s.get("minLength"))
        n.max_items = _int(s.get("maxItems"))
        n.min_items = _int(s.get("minItems"))
        n.unique = bool(s.get("uniqueItems"))
        n.max_props = _int(s.get("maxProperties"))
        n.min_props = _int(s.get("minProperties"))
        if isinstance(s.get("required"), list):
            n.required = [r for r in s["required"] if isinstance(r, str)]
        props = s.get("properties")
        if isinstance(props, dict):
            n.properties = {k: self.node(v) for k, v in props.items()}
        ap = s.get("additionalProperties")
        if isinstance(ap, bool):
            n.additional_allows = ap
        elif isinstance(ap, dict):
            n.additional = self.node(ap)
            n.additional_allows = True
        items = s.get("items")
        if isinstance(items, dict):
            n.items = self.node(items)
        elif isinstance(items, list) and items:
            n.items = self.node(items[0])  # tuple items are not structural; validate like the first
        for word, dest in (("allOf", n.all_of), ("anyOf", n.any_of), ("oneOf", n.one_of)):
            if isinstance(s.get(word), list):
                dest.extend(self.node(x) for x in s[word])
        if isinstance(s.get("not"), dict):
            n.not_ = self.node(s["not"])
        if isinstance(s.get("x-kubernetes-list-type"), str):
            n.list_type = s["x-kubernetes-list-type"]
        if isinstance(s.get("x-kubernetes-list-map-keys"), list):
            n.list_map_keys = [k for k in s["x-kubernetes-list-map-keys"] if isinstance(k, str)]
        if "default" in s:
            n.has_default = True
            n.default = s["default"]
        rules = s.get("x-kubernetes-validations")
        for raw in rules if isinstance(rules, list) else []:
            if isinstance(raw, dict) and isinstance(raw.get("rule"), str):
                n.rules.append(_compile_rule(raw))
        children = [*n.properties.values(), n.additional, n.items]
        n.has_rules_below = bool(n.rules) or any(c is not None and c.has_rules_below for c in children)
        n.has_lists_below = bool(n.list_type in ("set", "map")) or any(
            c is not None and c.has_lists_below for c in children
        )
        return n


def _compile_rule(raw: dict[str, Any]) -> _Rule:
    text = raw["rule"]
    try:
        program: CelProgram | None = compile_rule(text)
    except CelError:
        program = None
    message = raw.get("message") if isinstance(raw.get("message"), str) else ""
    field_path = raw.get("fieldPath") if isinstance(raw.get("fieldPath"), str) else ""
    reason = raw.get("reason") if isinstance(raw.get("reason"), str) else None
    message_expression: CelProgram | None = None
    if isinstance(raw.get("messageExpression"), str):
        try:
            message_expression = compile_rule(raw["messageExpression"])
        except CelError:
            message_expression = None
    return _Rule(
        rule=text,
        message=str(message).strip(),
        program=program,
        uses_old_self=program.uses_old_self if program else "oldSelf" in text,
        field_path=str(field_path).lstrip("."),
        reason=reason,
        message_expression=message_expression,
    )


def _num(v: Any) -> float | None:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return None
    return float(v)


def _int(v: Any) -> int | None:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return None
    return int(v)


def _child(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


# ---------------------------------------------------------------------------------------------
# OpenAPI value validation (kube-openapi's SchemaValidator)


def _type_error(path: str, type_name: str, actual: str) -> FieldError:
    return FieldError(
        path or NIL_PATH, fe.TYPE_INVALID, f'{path} in body must be of type {type_name}: "{actual}"', actual
    )


def _validate(n: _Node, v: Any, path: str, errs: list[FieldError]) -> None:
    if v is None:
        if n.types and not n.nullable:
            errs.append(_type_error(path, n.type_name, "null"))
        if n.enum is not None and not any(e is None for e in n.enum):
            errs.append(_enum_error(n, v, path))
        return
    t = _TYPE_OF.get(type(v)) or _json_kind(v)
    # (a formatted node checks numbers, booleans and objects against its format too)
    if (n.types and t not in n.types) or (n.kept_format and t not in ("string", "array")):
        _check_type(n, v, t, path, errs)
    if n.all_of or n.any_of or n.one_of or n.not_ is not None:
        _validate_composition(n, v, path, errs)
    if t == "string":
        _validate_string(n, v, path, errs)
    elif t in ("integer", "number"):
        _validate_number(n, v, path, errs)
    elif t == "array":
        _validate_array(n, v, path, errs)
    if n.enum is not None and not any(json_equal(v, e) for e in n.enum):
        errs.append(_enum_error(n, v, path))
    if t == "object":
        _validate_object(n, v, path, errs)


def _check_type(n: _Node, v: Any, t: str, path: str, errs: list[FieldError]) -> None:
    """kube-openapi's type validator, including its quirk of checking a declared format first."""
    float_int = t == "number" and "integer" in n.types and float(v).is_integer()
    int_float = t == "integer" and "number" in n.types
    fmt = n.kept_format
    if fmt and t not in ("string", "array"):
        # Decoded JSON numbers are int64 or float64; booleans and objects have no format.
        data_format = {"integer": "int64", "number": "float64"}.get(t, "")
        if not (t in n.types or data_format == fmt or float_int or int_float):
            errs.append(_type_error(path, fmt, data_format))
        return
    if fmt and not ({"integer", "number"} & n.types):
        return  # a string or array for a formatted non-numeric node passes the type check
    if n.types and t not in n.types and not (float_int or int_float):
        errs.append(_type_error(path, n.type_name, t))


def _json_kind(v: Any) -> str:
    # Subclasses of the JSON types (e.g. from YAML loaders) still count as their base type.
    for base, name in _TYPE_OF.items():
        if isinstance(v, base):
            return name
    return type(v).__name__


def _enum_error(n: _Node, v: Any, path: str) -> FieldError:
    values = []
    for allowed in n.enum or []:
        values.append(allowed if isinstance(allowed, str) else _go_json(allowed))
    quoted = ", ".join(_go_quote(x) for x in values)
    return FieldError(path or NIL_PATH, fe.NOT_SUPPORTED, f"supported values: {quoted}" if quoted else "", v)


def _go_json(v: Any) -> str:
    import json

    return json.dumps(v, separators=(",", ":"))


def _go_quote(s: str) -> str:
    import json

    return json.dumps(s, ensure_ascii=False)


def _validate_composition(n: _Node, v: Any, path: str, errs: list[FieldError]) -> None:
    if n.any_of:
        best: list[FieldError] | None = None
        ok = False
        for sub in n.any_of:
            sub_errs: list[FieldError] = []
            _validate(sub, v, path, sub_errs)
            if not sub_errs:
                ok = True
                break
            if best is None or len(sub_errs) < len(best):
                best = sub_errs
        if not ok:
            errs.append(
                FieldError(NIL_PATH, fe.INVALID, f'"{path}" must validate at least one schema (anyOf)', "")
            )
            errs.extend(best or [])
    if n.one_of:
        valid = 0
        best = None
        for sub in n.one_of:
            sub_errs = []
            _validate(sub, v, path, sub_errs)
            if not sub_errs:
                valid += 1
            elif valid == 0 and (best is None or len(sub_errs) < len(best)):
                best = sub_errs
        if valid != 1:
            more = "Found none valid" if valid == 0 else f"Found {valid} valid alternatives"
            errs.append(
                FieldError(
                    NIL_PATH,
                    fe.INVALID,
                    f'"{path}" must validate one and only one schema (oneOf). {more}',
                    "",
                )
            )
            if valid == 0:
                errs.extend(best or [])
    if n.all_of:
        valid = 0
        for sub in n.all_of:
            sub_errs = []
            _validate(sub, v, path, sub_errs)
            if not sub_errs:
                valid += 1
            errs.extend(sub_errs)
        if valid != len(n.all_of):
            more = ". None validated" if valid == 0 else ""
            errs.append(
                FieldError(NIL_PATH, fe.INVALID, f'"{path}" must validate all the schemas (allOf){more}', "")
            )
    if n.not_ is not None:
        sub_errs = []
        _validate(n.not_, v, path, sub_errs)
        if not sub_errs:
            errs.append(FieldError(NIL_PATH, fe.INVALID, f'"{path}" must not validate the schema (not)', ""))


def _validate_string(n: _Node, v: str, path: str, errs: list[FieldError]) -> None:
    # kube-openapi's string validator stops at the first failing keyword.
    if n.max_length is not None and len(v) > n.max_length:
        unit = "byte" if n.max_length == 1 else "bytes"
        errs.append(FieldError(path or NIL_PATH, fe.TOO_LONG, f"may not be more than {n.max_length} {unit}"))
    elif n.min_length is not None and len(v) < n.min_length:
        errs.append(
            FieldError(
                path or NIL_PATH,
                fe.INVALID,
                f"{path} in body should be at least {n.min_length} chars long",
                v,
            )
        )
    elif n.pattern_re is not None and n.pattern_re.search(v) is None:
        # (a pattern Python cannot compile is RE2 syntax we lack, e.g. \p{L}: not enforced, since
        # the API server would not have accepted a CRD whose pattern Go cannot compile)
        errs.append(FieldError(path or NIL_PATH, fe.INVALID, f"{path} in body should match '{n.pattern}'", v))
    if n.format_check is not None and not n.format_check(v):
        errs.append(
            FieldError(
                path or NIL_PATH,
                fe.TYPE_INVALID,
                f"{path} in body must be of type {n.format_name}: {_go_quote(v)}",
                v,
            )
        )


def _validate_number(n: _Node, v: int | float, path: str, errs: list[FieldError]) -> None:
    single = n.type_name if len(n.types) == 1 else ""
    if single == "integer":
        lo, hi = _INT32 if n.int_format == "int32" else _INT64
        if (isinstance(v, float) and not v.is_integer()) or not lo <= v <= hi:
            shown = f"with format {n.int_format}" if n.int_format else "(default format)"
            errs.append(
                FieldError(
                    NIL_PATH, fe.INVALID, f"Checked value must be of type integer {shown} in {path}", ""
                )
            )
    elif single == "number" and n.int_format == "float" and abs(v) > _FLOAT32_MAX:
        errs.append(
            FieldError(
                NIL_PATH, fe.INVALID, f"Checked value must be of type number with format float in {path}", ""
            )
        )
    is_int = isinstance(v, int)
    if n.multiple_of is not None:
        factor = n.multiple_of
        if is_int:
            f = int(factor)
            bad = f <= 0 or v % f != 0
            shown = str(f)
        else:
            mult = (1 / factor * v) if 0 < factor < 1 else (v / factor if factor else float("nan"))
            bad = factor <= 0 or not float(mult).is_integer()
            shown = go_float(factor)
        if factor <= 0:
            errs.append(
                FieldError(
                    path or NIL_PATH,
                    fe.INVALID,
                    f"factor MultipleOf declared for {path} must be positive: {shown}",
                    v,
                )
            )
        elif bad:
            errs.append(
                FieldError(path or NIL_PATH, fe.INVALID, f"{path} in body should be a multiple of {shown}", v)
            )
    if n.minimum is not None:
        bound: int | float = int(n.minimum) if is_int else n.minimum
        if (v <= bound) if n.excl_min else (v < bound):
            word = "greater than" if n.excl_min else "greater than or equal to"
            errs.append(
                FieldError(
                    path or NIL_PATH, fe.INVALID, f"{path} in body should be {word} {go_number(bound)}", v
                )
            )
    if n.maximum is not None:
        bound = int(n.maximum) if is_int else n.maximum
        if (v >= bound) if n.excl_max else (v > bound):
            word = "less than" if n.excl_max else "less than or equal to"
            errs.append(
                FieldError(
                    path or NIL_PATH, fe.INVALID, f"{path} in body should be {word} {go_number(bound)}", v
                )
            )


def _validate_array(n: _Node, v: list[Any], path: str, errs: list[FieldError]) -> None:
    if n.items is not None:
        items = n.items
        for i, x in enumerate(v):
            _validate(items, x, f"{path}[{i}]", errs)
    size = len(v)
    if n.min_items is not None and size < n.min_items:
        errs.append(
            FieldError(
                path or NIL_PATH, fe.INVALID, f"{path} in body should have at least {n.min_items} items", size
            )
        )
    if n.max_items is not None and size > n.max_items:
        word = "item" if n.max_items == 1 else "items"
        errs.append(
            FieldError(path or NIL_PATH, fe.TOO_MANY, f"must have at most {n.max_items} {word}", size)
        )
    if n.unique and size > 1:
        seen: set[str] = set()
        for x in v:
            key = json_key(_canonical_number(x))
            if key in seen:
                errs.append(
                    FieldError(
                        path or NIL_PATH, fe.INVALID, f"{path} in body shouldn't contain duplicates", ""
                    )
                )
                break
            seen.add(key)


def _canonical_number(x: Any) -> Any:
    if isinstance(x, float) and x.is_integer():
        return int(x)
    return x


def _validate_object(n: _Node, v: dict[str, Any], path: str, errs: list[FieldError]) -> None:
    size = len(v)
    if n.min_props is not None and size < n.min_props:
        errs.append(
            FieldError(
                path or NIL_PATH,
                fe.INVALID,
                f"{path} in body should have at least {n.min_props} properties",
                size,
            )
        )
    if n.max_props is not None and size > n.max_props:
        word = "item" if n.max_props == 1 else "items"
        errs.append(
            FieldError(path or NIL_PATH, fe.TOO_MANY, f"must have at most {n.max_props} {word}", size)
        )
    props = n.properties
    if n.additional_allows is False:
        for k in v:
            if k not in props:
                errs.append(
                    FieldError(path or NIL_PATH, fe.INVALID, f"{path}.{k} in body is a forbidden property", k)
                )
    elif n.additional is not None:
        extra = n.additional
        for k, x in v.items():
            if k not in props:
                _validate(extra, x, _child(path, k), errs)
    for k, sub in props.items():
        if k in v:
            _validate(sub, v[k], _child(path, k), errs)
    for k in n.required:
        if k not in v:
            errs.append(FieldError(_child(path, k), fe.REQUIRED, ""))


# ---------------------------------------------------------------------------------------------
# Embedded resources (apiextensions' objectmeta.Validate), list types, CEL rules


_DNS1035 = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
_GROUP_VERSION = re.compile(r"^([^/]+/)?[^/]+$")


def _fpath_key(path: str, key: str) -> str:
    return f"{path}[{key}]"


def _validate_embedded(n: _Node, v: Any, path: str, errs: list[FieldError]) -> None:
    if isinstance(v, dict):
        if n.embedded:
            _check_embedded_resource(v, path, errs)
        for k, x in v.items():
            sub = n.properties.get(k)
            if sub is not None:
                _validate_embedded(sub, x, _child(path, k), errs)
            elif n.additional is not None:
                _validate_embedded(n.additional, x, _fpath_key(path, k), errs)
    elif isinstance(v, list) and n.items is not None:
        for i, x in enumerate(v):
            _validate_embedded(n.items, x, f"{path}[{i}]", errs)


def _check_embedded_resource(v: dict[str, Any], path: str, errs: list[FieldError]) -> None:
    for key in ("apiVersion", "kind"):
        if key not in v:
            errs.append(FieldError(_child(path, key), fe.REQUIRED, ""))
    api_version = v.get("apiVersion")
    if "apiVersion" in v:
        if not isinstance(api_version, str):
            errs.append(FieldError(_child(path, "apiVersion"), fe.INVALID, "must be a string", api_version))
        elif not api_version:
            errs.append(FieldError(_child(path, "apiVersion"), fe.INVALID, "must not be empty", api_version))
        elif not _GROUP_VERSION.match(api_version):
            errs.append(
                FieldError(
                    _child(path, "apiVersion"),
                    fe.INVALID,
                    f"unexpected GroupVersion string: {api_version}",
                    api_version,
                )
            )
    kind = v.get("kind")
    if "kind" in v:
        if not isinstance(kind, str):
            errs.append(FieldError(_child(path, "kind"), fe.INVALID, "must be a string", kind))
        elif not kind:
            errs.append(FieldError(_child(path, "kind"), fe.INVALID, "must not be empty", kind))
        elif not _DNS1035.match(kind.lower()) or len(kind) > 63:
            errs.append(
                FieldError(
                    _child(path, "kind"),
                    fe.INVALID,
                    "may have mixed case, but should otherwise match: a DNS-1035 label must consist of "
                    "lower case alphanumeric characters or '-', start with an alphabetic character, "
                    "and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', "
                    "regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
                    kind,
                )
            )
    if "metadata" in v:
        _check_embedded_metadata(v["metadata"], _child(path, "metadata"), errs)


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
            errs.append(FieldError(_child(path, key), fe.INVALID, f"may not be '{value}'", value))
        elif key != "namespace" and ("/" in value or "%" in value):
            bad = "/" if "/" in value else "%"
            errs.append(FieldError(_child(path, key), fe.INVALID, f"may not contain '{bad}'", value))
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
    return {"integer": "number", "null": "null"}.get(
        _TYPE_OF.get(type(v), ""), _TYPE_OF.get(type(v), "value")
    )


def _validate_lists(n: _Node, v: Any, path: str, errs: list[FieldError]) -> None:
    if isinstance(v, dict):
        if n.additional is not None and n.additional.has_lists_below:
            for k, x in v.items():
                _validate_lists(n.additional, x, _fpath_key(path, k), errs)
        for k, x in v.items():
            sub = n.properties.get(k)
            if sub is not None and sub.has_lists_below:
                _validate_lists(sub, x, _child(path, k), errs)
    elif isinstance(v, list):
        if n.list_type == "set":
            _check_list_set(v, path, errs)
        elif n.list_type == "map":
            _check_list_map(n, v, path, errs)
        if n.items is not None and n.items.has_lists_below:
            for i, x in enumerate(v):
                _validate_lists(n.items, x, f"{path}[{i}]", errs)


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


def _check_list_map(n: _Node, v: list[Any], path: str, errs: list[FieldError]) -> None:
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


def _validate_rules(n: _Node, v: Any, old: Any, has_old: bool, path: str, errs: list[FieldError]) -> None:
    for rule in n.rules:
        _run_rule(n, rule, v, old, has_old, path, errs)
    if isinstance(v, dict):
        old_map = old if has_old and isinstance(old, dict) else None
        for k, x in v.items():
            sub = n.properties.get(k)
            sub_path = _child(path, k)
            if sub is None and n.additional is not None:
                sub, sub_path = n.additional, _fpath_key(path, k)
            if sub is not None and sub.has_rules_below:
                found = old_map is not None and k in old_map
                _validate_rules(sub, x, old_map.get(k) if old_map else None, found, sub_path, errs)
    elif isinstance(v, list) and n.items is not None and n.items.has_rules_below:
        old_by_key = _correlate_list(n, old) if has_old else {}
        for i, x in enumerate(v):
            key = _list_map_key(n, x)
            found = key is not None and key in old_by_key
            _validate_rules(
                n.items, x, old_by_key.get(key) if found and key else None, found, f"{path}[{i}]", errs
            )


def _list_map_key(n: _Node, x: Any) -> str | None:
    # Only list-type=map items correlate with their old selves (by key); other lists are atomic.
    if n.list_type != "map" or not isinstance(x, dict):
        return None
    return json_key([x.get(k) for k in n.list_map_keys])


def _correlate_list(n: _Node, old: Any) -> dict[str, Any]:
    if n.list_type != "map" or not isinstance(old, list):
        return {}
    out = {}
    for x in old:
        key = _list_map_key(n, x)
        if key is not None:
            out[key] = x
    return out


def _expression_message(rule: _Rule, v: Any, old: Any) -> str:
    """A messageExpression's text; "" (fall back to message) if it fails or is not a string."""
    if rule.message_expression is None:
        return ""
    try:
        text = rule.message_expression.evaluate(v, old)
    except CelError:
        return ""
    return text.strip() if isinstance(text, str) else ""


def _run_rule(
    n: _Node, rule: _Rule, v: Any, old: Any, has_old: bool, path: str, errs: list[FieldError]
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
    fpath = _child(path, rule.field_path) if rule.field_path else path
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


# ---------------------------------------------------------------------------------------------
# Pruning (apiextensions' pruning.Prune + PruneNonNullableNullsWithoutDefaults) and defaulting


def _prune(n: _Node | None, v: Any, path: str, embedded_root: bool, out: list[str]) -> None:
    if n is not None and n.preserve:
        _skip_prune(n, v, path, embedded_root, out)
        return
    if isinstance(v, dict):
        if n is None:
            for k in list(v):
                out.append(_child(path, k))
                del v[k]
            return
        embedded = n.embedded or embedded_root
        for k in list(v):
            if embedded and k in _META_FIELDS:
                if k == "metadata" and isinstance(v[k], dict):
                    _prune_object_meta(v[k], _child(path, k), out)
                continue
            sub = n.properties.get(k)
            if sub is None and n.additional is not None:
                sub = n.additional
            if sub is not None:
                _prune(sub, v[k], _child(path, k), False, out)
            elif n.additional_allows is not None:
                # additionalProperties: true/false keeps the key (false is then a validation error)
                _prune(None, v[k], _child(path, k), False, out)
            else:
                out.append(_child(path, k))
                del v[k]
    elif isinstance(v, list):
        items = n.items if n is not None else None
        for i, x in enumerate(v):
            _prune(items, x, f"{path}[{i}]", False, out)


def _skip_prune(n: _Node, v: Any, path: str, embedded_root: bool, out: list[str]) -> None:
    if isinstance(v, dict):
        for k in list(v):
            if (n.embedded or embedded_root) and k in _META_FIELDS:
                if k == "metadata" and isinstance(v[k], dict):
                    _prune_object_meta(v[k], _child(path, k), out)
                continue
            sub = n.properties.get(k)
            if sub is None:
                sub = n.additional
            if sub is not None:
                _prune(sub, v[k], _child(path, k), False, out)
    elif isinstance(v, list) and n.items is not None:
        for i, x in enumerate(v):
            _skip_prune(n.items, x, f"{path}[{i}]", False, out)


def _prune_object_meta(meta: dict[str, Any], path: str, out: list[str]) -> None:
    for k in list(meta):
        if k not in OBJECT_META_FIELDS:
            out.append(_child(path, k))
            del meta[k]


def _prune_nulls(n: _Node | None, v: Any) -> None:
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
                _prune_nulls(sub, x)
    elif isinstance(v, list):
        items = n.items if n is not None else None
        for x in v:
            _prune_nulls(items, x)


def _default(n: _Node | None, v: Any) -> None:
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
                _default(sub2, x)
            elif extra is not None:
                if x is None and not extra.nullable and extra.has_default:
                    v[k] = x = deep_copy(extra.default)
                _default(extra, x)
    elif isinstance(v, list):
        items = n.items
        if items is None:
            return
        for i, x in enumerate(v):
            if x is None and not items.nullable and items.has_default:
                v[i] = x = deep_copy(items.default)
            _default(items, x)


# ---------------------------------------------------------------------------------------------
# Public interface


class CompiledSchema:
    """A structural schema compiled once; its methods are the module functions without the lookup."""

    def __init__(self, schema: dict[str, Any]) -> None:
        self.schema = schema
        self.root = _Compiler().node(schema)

    def validate(self, obj: Any, *, old: Any = None) -> list[FieldError]:
        errs: list[FieldError] = []
        _validate(self.root, obj, "", errs)
        if old is not None and errs:
            errs = ratchet(self.root, obj, old, errs)
        _validate_embedded(self.root, obj, "", errs)
        # Like the API server, an update only enforces list uniqueness if the old object obeyed it.
        if self.root.has_lists_below and (old is None or not _list_errors(self.root, old)):
            _validate_lists(self.root, obj, "", errs)
        if self.root.has_rules_below:
            _validate_rules(self.root, obj, old, old is not None, "", errs)
        return errs

    def prune(self, obj: Any, *, root_metadata: bool = True, resource_root: bool = True) -> list[str]:
        out: list[str] = []
        meta = obj.get("metadata") if isinstance(obj, dict) else None
        _prune(self.root, obj, "", resource_root, out)
        if isinstance(meta, dict) and not root_metadata:
            # the caller decodes the root ObjectMeta itself: don't report it twice
            out = [p for p in out if not p.startswith("metadata.")]
        _prune_nulls(self.root, obj)
        out.sort()
        return out

    def apply_defaults(self, obj: Any) -> None:
        _default(self.root, obj)


def _list_errors(root: _Node, obj: Any) -> list[FieldError]:
    errs: list[FieldError] = []
    _validate_lists(root, obj, "", errs)
    return errs


_CACHE: dict[int, CompiledSchema] = {}
_CACHE_LIMIT = 256


def compile_schema(schema: dict[str, Any]) -> CompiledSchema:
    """The compiled form of `schema`, cached by the dict's identity (treat the dict as immutable)."""
    found = _CACHE.get(id(schema))
    if found is not None and found.schema is schema:
        return found
    compiled = CompiledSchema(schema)
    if len(_CACHE) >= _CACHE_LIMIT:
        _CACHE.pop(next(iter(_CACHE)))
    _CACHE[id(schema)] = compiled
    return compiled


def validate(obj: Any, schema: dict[str, Any], *, old: Any = None) -> list[FieldError]:
    """Errors in `obj` under the structural `schema`; `old` (on updates) enables transition rules."""
    return compile_schema(schema).validate(obj, old=old)


def prune(obj: Any, schema: dict[str, Any], *, root_metadata: bool = True) -> list[str]:
    """Remove, in place, fields `schema` does not declare; return their paths (`spec.foo`), sorted.

    The root's and embedded resources' apiVersion/kind/metadata are kept; unknown ObjectMeta fields
    inside them are dropped too (pass root_metadata=False to leave the root's unreported). Also
    drops non-nullable nulls that have no default, without reporting them, as apiextensions does.
    """
    return compile_schema(schema).prune(obj, root_metadata=root_metadata)


def apply_defaults(obj: Any, schema: dict[str, Any]) -> None:
    """Apply `default`s in place: missing or non-nullable-null fields of objects that exist."""
    compile_schema(schema).apply_defaults(obj)


def check_crd_schema(
    schema: dict[str, Any], *, path: str = "spec.validation.openAPIV3Schema"
) -> list[FieldError]:
    """Structural-schema violations of a CRD version's openAPIV3Schema (see schema_structural.py).

    `path` prefixes the reported fields; for a v1 CRD's per-version schema pass
    `spec.versions[0].schema.openAPIV3Schema`, as the v1 API reports it; `path=""` gives paths
    relative to the schema (`properties[spec].type`).
    """
    from localkube.apiserver.schema_structural import check_structural

    return check_structural(schema, path=path)
