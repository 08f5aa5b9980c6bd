"""Building OpenAPI schemas from the model classes plus the hand-kept facts. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kubeschema import _facts as facts
from kubeschema._models import Field, element_type, fields, is_model, type_description

INT_OR_STRING_DEF = "io.k8s.apimachinery.pkg.util.intstr.IntOrString"
QUANTITY_DEF = "io.k8s.apimachinery.pkg.api.resource.Quantity"
TIME_DEF = "io.k8s.apimachinery.pkg.apis.meta.v1.Time"
MICRO_TIME_DEF = "io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime"
RAW_DEF = "io.k8s.apimachinery.pkg.runtime.RawExtension"

# Fields whose timestamps are metav1.MicroTime rather than metav1.Time.
_MICRO_TIME = frozenset(
    {
        ("EventsV1Event", "eventTime"),
        ("CoreV1Event", "eventTime"),
        ("EventsV1EventSeries", "lastObservedTime"),
        ("CoreV1EventSeries", "lastObservedTime"),
        ("V1LeaseSpec", "acquireTime"),
        ("V1LeaseSpec", "renewTime"),
    }
)
_JSON_FIELDS = frozenset(
    {
        ("V1JSONSchemaProps", f)
        for f in (
            "default",
            "example",
            "enum",
            "items",
            "additionalProperties",
            "additionalItems",
            "dependencies",
        )
    }
)


@dataclass(frozen=True)
class Options:
    descriptions: bool = True
    # the schema as controller-gen writes it into a CRD: an ObjectMeta nested in a type (a pod
    # template's metadata) in its reduced form, and its atomic structs; else kube-apiserver's
    controller_gen: bool = True


def int_or_string() -> dict[str, Any]:
    return {"anyOf": [{"type": "integer"}, {"type": "string"}], "x-kubernetes-int-or-string": True}


def quantity() -> dict[str, Any]:
    return {
        "anyOf": [{"type": "integer"}, {"type": "string"}],
        "pattern": facts.QUANTITY_PATTERN,
        "x-kubernetes-int-or-string": True,
    }


def _integer(cls: str, name: str) -> dict[str, Any]:
    wide = name in facts.INT64_FIELDS or (cls, name) in facts.INT64_EXACT
    return {"type": "integer", "format": "int64" if wide else "int32"}


def _scalar(cls: str, name: str, type_str: str) -> dict[str, Any]:
    if type_str == "str":
        return {"type": "string"}
    if type_str == "int":
        return _integer(cls, name)
    if type_str == "bool":
        return {"type": "boolean"}
    if type_str == "float":
        return {"type": "number", "format": "double"}
    if type_str == "datetime":
        return {"type": "string", "format": "date-time"}
    if type_str == "date":
        return {"type": "string", "format": "date"}
    # `object`: RawExtension / apiextensions JSON - any JSON value, kept as is.
    return {"x-kubernetes-preserve-unknown-fields": True}


def _embedded_object_meta(opts: Options) -> dict[str, Any]:
    props: dict[str, Any] = {}
    by_name = {f.name: f for f in fields("V1ObjectMeta")}
    for name in facts.EMBEDDED_OBJECT_META_FIELDS:
        f = by_name[name]
        if name in ("annotations", "labels"):
            sub: dict[str, Any] = {"type": "object", "additionalProperties": {"type": "string"}}
        elif name == "finalizers":
            sub = {"type": "array", "items": {"type": "string"}}
        else:
            sub = {"type": "string"}
        if opts.descriptions and f.description:
            sub = {"description": f.description, **sub}
        props[name] = sub
    return {"type": "object", "properties": props}


def structural(cls: str, opts: Options, stack: tuple[str, ...] = ()) -> dict[str, Any]:
    """The fully inlined structural schema of a model class."""
    if cls in stack:
        # Recursive types (JSONSchemaProps) cannot be inlined: accept anything below here.
        return {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
    if cls == "V1ObjectMeta" and stack and opts.controller_gen:
        return _embedded_object_meta(opts)
    inner_stack = (*stack, cls)
    props = {f.name: _field_schema(cls, f, opts, inner_stack) for f in fields(cls)}
    out: dict[str, Any] = {"type": "object"}
    if props:
        out["properties"] = props
    required = facts.REQUIRED.get(cls)
    if required:
        out["required"] = sorted(required)  # controller-gen sorts them
    if cls in (facts.CONTROLLER_GEN_ATOMIC_STRUCTS if opts.controller_gen else facts.ATOMIC_STRUCTS):
        out["x-kubernetes-map-type"] = "atomic"
    if opts.descriptions and not stack:
        text = _kind_description(cls)
        if text:
            out = {"description": text, **out}
    return out


def _kind_description(cls: str) -> str:
    return type_description(cls) or facts.KIND_DESCRIPTIONS.get(cls, "")


def _field_description(f: Field) -> str:
    # The generator drops the description of fields whose type is another model (Pod.spec, ...):
    # fall back to that type's own description.
    if f.description:
        return f.description
    inner = element_type(element_type(f.type)[1])[1]
    return type_description(inner) if is_model(inner) else ""


def _field_schema(cls: str, f: Field, opts: Options, stack: tuple[str, ...]) -> dict[str, Any]:
    key = (cls, f.name)
    shape, inner = element_type(f.type)
    if key in facts.INT_OR_STRING:
        out = int_or_string()
    elif key in facts.QUANTITY and shape == "map":
        out = {"type": "object", "additionalProperties": quantity()}
    elif key in facts.QUANTITY:
        out = quantity()
    elif shape == "list":
        out = {"type": "array", "items": _element(cls, f.name, inner, opts, stack)}
        list_type = facts.LIST_TYPES.get(key)
        if list_type is not None:
            out["x-kubernetes-list-type"] = list_type[0]
            if list_type[1]:
                out["x-kubernetes-list-map-keys"] = list(list_type[1])
    elif shape == "map":
        out = {"type": "object", "additionalProperties": _element(cls, f.name, inner, opts, stack)}
        if key in facts.ATOMIC_MAPS:
            out["x-kubernetes-map-type"] = "atomic"
    elif key in facts.ATOMIC_JSON:
        out = {**_element(cls, f.name, inner, opts, stack), "x-kubernetes-map-type": "atomic"}
    else:
        out = _element(cls, f.name, inner, opts, stack)
    if key in facts.DEFAULTS:
        out["default"] = facts.DEFAULTS[key]
    out.update(facts.VALUE_VALIDATIONS.get(key, {}))
    if opts.descriptions:
        text = _field_description(f)
        if text:
            out = {"description": text, **out}
    return out


def _element(cls: str, name: str, type_str: str, opts: Options, stack: tuple[str, ...]) -> dict[str, Any]:
    if (cls, name) in _JSON_FIELDS:
        return {"x-kubernetes-preserve-unknown-fields": True}
    shape, inner = element_type(type_str)
    if shape == "list":
        return {"type": "array", "items": _element(cls, name, inner, opts, stack)}
    if shape == "map":
        return {"type": "object", "additionalProperties": _element(cls, name, inner, opts, stack)}
    if is_model(type_str):
        return structural(type_str, opts, stack)
    return _scalar(cls, name, type_str)


# ---------------------------------------------------------------------------------------------
# OpenAPI v2-style definitions with $ref


def definition(cls: str, def_names: dict[str, str]) -> dict[str, Any]:
    props = {f.name: _ref_field(cls, f, def_names) for f in fields(cls)}
    out: dict[str, Any] = {"type": "object"}
    if props:
        out["properties"] = props
    required = facts.REQUIRED.get(cls)
    if required:
        out["required"] = list(required)
    if cls in facts.ATOMIC_STRUCTS:
        out["x-kubernetes-map-type"] = "atomic"
    text = _kind_description(cls)
    if text:
        out = {"description": text, **out}
    return out


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/definitions/{name}"}


def _ref_field(cls: str, f: Field, def_names: dict[str, str]) -> dict[str, Any]:
    key = (cls, f.name)
    shape, inner = element_type(f.type)
    if key in facts.INT_OR_STRING:
        out = _ref(INT_OR_STRING_DEF)
    elif key in facts.QUANTITY and shape == "map":
        out = {"type": "object", "additionalProperties": _ref(QUANTITY_DEF)}
    elif key in facts.QUANTITY:
        out = _ref(QUANTITY_DEF)
    elif shape == "list":
        out = {"type": "array", "items": _ref_element(cls, f.name, inner, def_names)}
        list_type = facts.LIST_TYPES.get(key)
        if list_type is not None:
            out["x-kubernetes-list-type"] = list_type[0]
            if list_type[1]:
                out["x-kubernetes-list-map-keys"] = list(list_type[1])
                # kubectl's strategic merge reads these for built-in lists.
                out["x-kubernetes-patch-merge-key"] = list_type[1][0]
                out["x-kubernetes-patch-strategy"] = "merge"
    elif shape == "map":
        out = {"type": "object", "additionalProperties": _ref_element(cls, f.name, inner, def_names)}
        if key in facts.ATOMIC_MAPS:
            out["x-kubernetes-map-type"] = "atomic"
    else:
        out = _ref_element(cls, f.name, inner, def_names)
    if key in facts.DEFAULTS:
        out["default"] = facts.DEFAULTS[key]
    text = _field_description(f)
    if text:
        out = {"description": text, **out}
    return out


def _ref_element(cls: str, name: str, type_str: str, def_names: dict[str, str]) -> dict[str, Any]:
    if (cls, name) in _JSON_FIELDS:
        return _ref("io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSON")
    shape, inner = element_type(type_str)
    if shape == "list":
        return {"type": "array", "items": _ref_element(cls, name, inner, def_names)}
    if shape == "map":
        return {"type": "object", "additionalProperties": _ref_element(cls, name, inner, def_names)}
    if is_model(type_str) and type_str in def_names:
        return _ref(def_names[type_str])
    if type_str == "datetime":
        return _ref(MICRO_TIME_DEF if (cls, name) in _MICRO_TIME else TIME_DEF)
    if type_str == "object":
        return _ref(RAW_DEF)
    return _scalar(cls, name, type_str)


def well_known_definitions() -> dict[str, dict[str, Any]]:
    """The apimachinery leaf types the definitions refer to."""
    return {
        INT_OR_STRING_DEF: {
            "description": "IntOrString is a type that can hold an int32 or a string.",
            "type": "string",
            "format": "int-or-string",
        },
        QUANTITY_DEF: {
            "description": "Quantity is a fixed-point representation of a number, e.g. 100m or 1Gi.",
            "type": "string",
        },
        TIME_DEF: {
            "description": "Time is a wrapper around time.Time which marshals to RFC 3339 in YAML and JSON.",
            "type": "string",
            "format": "date-time",
        },
        MICRO_TIME_DEF: {
            "description": "MicroTime is version of Time with microsecond level precision.",
            "type": "string",
            "format": "date-time",
        },
        RAW_DEF: {
            "description": "RawExtension is used to hold extensions in external versions.",
            "type": "object",
        },
        "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSON": {
            "description": "JSON represents any valid JSON value.",
        },
    }
