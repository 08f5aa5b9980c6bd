"""OpenAPI value validation of a decoded JSON value against a compiled node, as kube-openapi's
SchemaValidator does it (the same checks, order and wording), with apiextensions' conversion of
its errors into field errors. Pure.
"""

from __future__ import annotations

import json
from typing import Any

from localkube.apiserver import fielderrors as fe
from localkube.apiserver.fielderrors import FieldError
from localkube.apiserver.schema.node import FLOAT32_MAX, INT32, INT64, NIL_PATH, TYPE_OF, Node, child
from localkube.apiserver.schema.values import go_float, go_number, json_equal, json_key


def _type_error(path: str, type_name: str, actual: str) -> FieldError:
    return FieldError(
        path or NIL_PATH, fe.TYPE_INVALID, f'{path} in body must be of type {type_name}: "{actual}"', actual
    )


def validate_value(n: Node, v: Any, path: str, errs: list[FieldError]) -> None:
    if v is None:
        if n.types and not n.nullable:
            errs.append(_type_error(path, n.type_name, "null"))
        if n.enum is not None and not any(e is None for e in n.enum):
            errs.append(_enum_error(n, v, path))
        return
    t = TYPE_OF.get(type(v)) or _json_kind(v)
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


def _check_type(n: Node, v: Any, t: str, path: str, errs: list[FieldError]) -> None:
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
    for base, name in TYPE_OF.items():
        if isinstance(v, base):
            return name
    return type(v).__name__


def _enum_error(n: Node, v: Any, path: str) -> FieldError:
    values = []
    for allowed in n.enum or []:
        values.append(allowed if isinstance(allowed, str) else _go_json(allowed))
    quoted = ", ".join(go_quote(x) for x in values)
    return FieldError(path or NIL_PATH, fe.NOT_SUPPORTED, f"supported values: {quoted}" if quoted else "", v)


def _go_json(v: Any) -> str:
    return json.dumps(v, separators=(",", ":"))


def go_quote(s: str) -> str:
    return json.dumps(s, ensure_ascii=False)


def _validate_composition(n: Node, v: Any, path: str, errs: list[FieldError]) -> None:
    if n.any_of:
        best: list[FieldError] | None = None
        ok = False
        for sub in n.any_of:
            sub_errs: list[FieldError] = []
            validate_value(sub, v, path, sub_errs)
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
            validate_value(sub, v, path, sub_errs)
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
            validate_value(sub, v, path, sub_errs)
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
        validate_value(n.not_, v, path, sub_errs)
        if not sub_errs:
            errs.append(FieldError(NIL_PATH, fe.INVALID, f'"{path}" must not validate the schema (not)', ""))


def _validate_string(n: Node, v: str, path: str, errs: list[FieldError]) -> None:
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
                f"{path} in body must be of type {n.format_name}: {go_quote(v)}",
                v,
            )
        )


def _validate_number(n: Node, v: int | float, path: str, errs: list[FieldError]) -> None:
    single = n.type_name if len(n.types) == 1 else ""
    if single == "integer":
        lo, hi = INT32 if n.int_format == "int32" else INT64
        if (isinstance(v, float) and not v.is_integer()) or not lo <= v <= hi:
            shown = f"with format {n.int_format}" if n.int_format else "(default format)"
            errs.append(
                FieldError(
                    NIL_PATH, fe.INVALID, f"Checked value must be of type integer {shown} in {path}", ""
                )
            )
    elif single == "number" and n.int_format == "float" and abs(v) > FLOAT32_MAX:
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


def _validate_array(n: Node, v: list[Any], path: str, errs: list[FieldError]) -> None:
    if n.items is not None:
        items = n.items
        for i, x in enumerate(v):
            validate_value(items, x, f"{path}[{i}]", errs)
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


def _validate_object(n: Node, v: dict[str, Any], path: str, errs: list[FieldError]) -> None:
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
                validate_value(extra, x, child(path, k), errs)
    for k, sub in props.items():
        if k in v:
            validate_value(sub, v[k], child(path, k), errs)
    for k in n.required:
        if k not in v:
            errs.append(FieldError(child(path, k), fe.REQUIRED, ""))
