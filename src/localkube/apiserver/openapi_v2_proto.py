"""/openapi/v2 in protobuf: the Swagger 2.0 document as gnostic's `openapi.v2.Document` message.

client-go's `OpenAPISchema()` asks for nothing else (`Accept:
application/com.github.proto-openapi.spec.v2@v1.0+protobuf`), so `kubectl explain
--output=plaintext-openapiv2` and the tools built on client-go's discovery need it. kube-apiserver
makes it by parsing its JSON document with gnostic and marshalling the result; this does the same
from our JSON document. Field numbers are those of gnostic's OpenAPIv2.proto. Values gnostic keeps
as YAML text (`Any`: defaults, enums, examples, vendor extensions) are written as JSON, which is
YAML too. Pure.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import orjson

Encode = Callable[[Any], bytes]


# --- the wire format


def _varint(n: int) -> bytes:
    n &= (1 << 64) - 1  # negative int64s take ten bytes, as in Go
    out = bytearray()
    while n > 0x7F:
        out.append(n & 0x7F | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def _tag(number: int, wire_type: int) -> bytes:
    return _varint(number << 3 | wire_type)


def _bytes(number: int, payload: bytes) -> bytes:
    return _tag(number, 2) + _varint(len(payload)) + payload


def _string(number: int, value: Any) -> bytes:
    return _bytes(number, str(value).encode()) if value not in (None, "") else b""


def _bool(number: int, value: Any, *, oneof: bool = False) -> bytes:
    # proto3 leaves out a false field, except a oneof's chosen member
    return _tag(number, 0) + (b"\x01" if value else b"\x00") if value or oneof else b""


def _int(number: int, value: Any) -> bytes:
    return _tag(number, 0) + _varint(int(value)) if value else b""


def _double(number: int, value: Any) -> bytes:
    return _tag(number, 1) + struct.pack("<d", float(value)) if value else b""


def _any(value: Any) -> bytes:
    return _string(2, orjson.dumps(value).decode())  # Any.yaml


def _named(name: str, value: bytes) -> bytes:
    return _string(1, name) + _bytes(2, value)


def _vendor(number: int, obj: Mapping[str, Any]) -> bytes:
    return b"".join(_bytes(number, _named(k, _any(v))) for k, v in obj.items() if k.startswith("x-"))


# --- message tables: JSON key -> (field number, how the value is written)

Field = tuple[int, str | Encode]


def _fields(obj: Mapping[str, Any], table: Mapping[str, Field], vendor: int | None) -> bytes:
    out = bytearray()
    for key, (number, how) in table.items():
        if key not in obj:
            continue
        value = obj[key]
        if callable(how):
            out += _bytes(number, how(value))
        elif how == "string":
            out += _string(number, value)
        elif how == "bool":
            out += _bool(number, value)
        elif how == "int":
            out += _int(number, value)
        elif how == "double":
            out += _double(number, value)
        elif how == "any":
            out += _bytes(number, _any(value))
        elif how == "strings":
            out += b"".join(_string(number, v) for v in value or ())
        elif how == "anys":
            out += b"".join(_bytes(number, _any(v)) for v in value or ())
    if vendor is not None:
        out += _vendor(vendor, obj)
    return bytes(out)


def _message(table: Mapping[str, Field], vendor: int | None) -> Encode:
    return lambda obj: _fields(obj if isinstance(obj, Mapping) else {}, table, vendor)


def _repeated(number: int, encode: Encode, values: Iterable[Any]) -> bytes:
    return b"".join(_bytes(number, encode(v)) for v in values)


def _named_map(encode: Encode) -> Encode:
    """gnostic's `Named*` lists: a JSON object as (name, value) pairs, in the document's order."""
    return lambda obj: b"".join(_bytes(1, _named(str(k), encode(v))) for k, v in (obj or {}).items())


def _validations(first: int) -> dict[str, Field]:
    """The JSON Schema validation keywords that parameters, headers and items share, numbered
    from `first` (gnostic numbers them after each message's own fields)."""
    keys = [
        ("default", "any"),
        ("maximum", "double"),
        ("exclusiveMaximum", "bool"),
        ("minimum", "double"),
        ("exclusiveMinimum", "bool"),
        ("maxLength", "int"),
        ("minLength", "int"),
        ("pattern", "string"),
        ("maxItems", "int"),
        ("minItems", "int"),
        ("uniqueItems", "bool"),
        ("enum", "anys"),
        ("multipleOf", "double"),
    ]
    return {k: (first + i, how) for i, (k, how) in enumerate(keys)}


_EXTERNAL_DOCS = _message({"description": (1, "string"), "url": (2, "string")}, 3)
_XML = _message(
    {
        "name": (1, "string"),
        "namespace": (2, "string"),
        "prefix": (3, "string"),
        "attribute": (4, "bool"),
        "wrapped": (5, "bool"),
    },
    6,
)


def _primitives_items(obj: Any) -> bytes:
    return _fields(obj if isinstance(obj, Mapping) else {}, _PRIMITIVES_ITEMS, 18)


_PRIMITIVES_ITEMS: dict[str, Field] = {
    "type": (1, "string"),
    "format": (2, "string"),
    "items": (3, _primitives_items),
    "collectionFormat": (4, "string"),
    **_validations(5),
}


def _schema(obj: Any) -> bytes:
    if not isinstance(obj, Mapping):
        return b""
    out = bytearray(_fields(obj, _SCHEMA, 31))
    extra = obj.get("additionalProperties")
    if isinstance(extra, bool):  # AdditionalPropertiesItem: oneof {Schema schema = 1; bool boolean = 2}
        out += _bytes(21, _bool(2, extra, oneof=True))
    elif isinstance(extra, Mapping):
        out += _bytes(21, _bytes(1, _schema(extra)))
    kind = obj.get("type")
    if kind is not None:  # TypeItem: a type or a list of them
        out += _bytes(22, b"".join(_string(1, t) for t in (kind if isinstance(kind, list) else [kind])))
    items = obj.get("items")
    if items is not None:  # ItemsItem: a schema or a list of them
        out += _bytes(23, _repeated(1, _schema, items if isinstance(items, list) else [items]))
    out += _repeated(24, _schema, obj.get("allOf") or ())
    if "properties" in obj:
        out += _bytes(25, _named_map(_schema)(obj["properties"]))
    return bytes(out)


_SCHEMA: dict[str, Field] = {
    "$ref": (1, "string"),
    "format": (2, "string"),
    "title": (3, "string"),
    "description": (4, "string"),
    "default": (5, "any"),
    "multipleOf": (6, "double"),
    "maximum": (7, "double"),
    "exclusiveMaximum": (8, "bool"),
    "minimum": (9, "double"),
    "exclusiveMinimum": (10, "bool"),
    "maxLength": (11, "int"),
    "minLength": (12, "int"),
    "pattern": (13, "string"),
    "maxItems": (14, "int"),
    "minItems": (15, "int"),
    "uniqueItems": (16, "bool"),
    "maxProperties": (17, "int"),
    "minProperties": (18, "int"),
    "required": (19, "strings"),
    "enum": (20, "anys"),
    "discriminator": (26, "string"),
    "readOnly": (27, "bool"),
    "xml": (28, _XML),
    "externalDocs": (29, _EXTERNAL_DOCS),
    "example": (30, "any"),
}


def _non_body(fields_first: int, own: dict[str, Field], vendor: int) -> Encode:
    items: dict[str, Field] = {
        "items": (fields_first, _primitives_items),
        "collectionFormat": (fields_first + 1, "string"),
    }
    return _message({**own, **items, **_validations(fields_first + 2)}, vendor)


_COMMON = {"required": (1, "bool"), "in": (2, "string"), "description": (3, "string"), "name": (4, "string")}
# query and formData parameters have allowEmptyValue (5); header and path parameters do not
_QUERY = _non_body(
    8, {**_COMMON, "allowEmptyValue": (5, "bool"), "type": (6, "string"), "format": (7, "string")}, 23
)
_HEADER = _non_body(7, {**_COMMON, "type": (5, "string"), "format": (6, "string")}, 22)
# NonBodyParameter: oneof {header = 1; formData = 2; query = 3; path = 4}
_NON_BODY = {"header": (1, _HEADER), "formData": (2, _QUERY), "query": (3, _QUERY), "path": (4, _HEADER)}
_BODY = _message(
    {
        "description": (1, "string"),
        "name": (2, "string"),
        "in": (3, "string"),
        "required": (4, "bool"),
        "schema": (5, _schema),
    },
    6,
)
_JSON_REFERENCE = _message({"$ref": (1, "string"), "description": (2, "string")}, None)


def _parameter(obj: Any) -> bytes:
    """Parameter: oneof {BodyParameter body = 1; NonBodyParameter non_body = 2}."""
    where = obj.get("in") if isinstance(obj, Mapping) else None
    if where == "body":
        return _bytes(1, _BODY(obj))
    number, encode = _NON_BODY.get(str(where), _NON_BODY["query"])
    return _bytes(2, _bytes(number, encode(obj)))


def _parameters_item(obj: Any) -> bytes:
    """ParametersItem: oneof {Parameter parameter = 1; JsonReference json_reference = 2}."""
    if isinstance(obj, Mapping) and "$ref" in obj:
        return _bytes(2, _JSON_REFERENCE(obj))
    return _bytes(1, _parameter(obj))


_HEADER_OBJECT_FIELDS: dict[str, Field] = {
    "type": (1, "string"),
    "format": (2, "string"),
    "items": (3, _primitives_items),
    "collectionFormat": (4, "string"),
    **_validations(5),
    "description": (18, "string"),
}
_HEADER_OBJECT = _message(_HEADER_OBJECT_FIELDS, 19)


_RESPONSE = _message(
    {
        "description": (1, "string"),
        # SchemaItem: oneof {Schema schema = 1; FileSchema file_schema = 2}
        "schema": (2, lambda s: _bytes(1, _schema(s))),
        "headers": (3, _named_map(_HEADER_OBJECT)),
        "examples": (4, lambda e: b"".join(_bytes(1, _named(str(k), _any(v))) for k, v in e.items())),
    },
    5,
)


def _responses(obj: Any) -> bytes:
    """Responses: the codes as NamedResponseValue (1), each oneof {Response = 1; JsonReference = 2}."""
    out = bytearray()
    for code, value in (obj or {}).items():
        if str(code).startswith("x-"):
            continue
        inner = _bytes(2, _JSON_REFERENCE(value)) if "$ref" in value else _bytes(1, _RESPONSE(value))
        out += _bytes(1, _named(str(code), inner))
    return bytes(out) + _vendor(2, obj or {})


_SECURITY_REQUIREMENT = _named_map(lambda scopes: b"".join(_string(1, s) for s in scopes or ()))


# SecurityDefinitionsItem: oneof {basic = 1; apiKey = 2; ...}; OAuth2 flows are not written
# (localkube's document has none)
_SECURITY_DEFINITIONS = {
    "basic": (1, _message({"type": (1, "string"), "description": (2, "string")}, 3)),
    "apiKey": (
        2,
        _message(
            {"type": (1, "string"), "name": (2, "string"), "in": (3, "string"), "description": (4, "string")},
            5,
        ),
    ),
}


def _security_definition(obj: Any) -> bytes:
    found = _SECURITY_DEFINITIONS.get(str(obj.get("type")))
    return _bytes(found[0], found[1](obj)) if found else b""


_OPERATION = _message(
    {
        "tags": (1, "strings"),
        "summary": (2, "string"),
        "description": (3, "string"),
        "externalDocs": (4, _EXTERNAL_DOCS),
        "operationId": (5, "string"),
        "produces": (6, "strings"),
        "consumes": (7, "strings"),
        "responses": (9, _responses),
        "schemes": (10, "strings"),
        "deprecated": (11, "bool"),
    },
    13,
)


def _operation(obj: Any) -> bytes:
    out = _OPERATION({k: v for k, v in obj.items() if k not in ("parameters", "security")})
    out += _repeated(8, _parameters_item, obj.get("parameters") or ())
    out += _repeated(12, _SECURITY_REQUIREMENT, obj.get("security") or ())
    return out


_METHODS = {"get": 2, "put": 3, "post": 4, "delete": 5, "options": 6, "head": 7, "patch": 8}


def _path_item(obj: Any) -> bytes:
    out = bytearray(_string(1, obj.get("$ref")))
    for method, number in _METHODS.items():
        if method in obj:
            out += _bytes(number, _operation(obj[method]))
    out += _repeated(9, _parameters_item, obj.get("parameters") or ())
    return bytes(out) + _vendor(10, obj)


def _paths(obj: Any) -> bytes:
    out = bytearray(_vendor(1, obj))
    for path, item in obj.items():
        if not str(path).startswith("x-"):
            out += _bytes(2, _named(str(path), _path_item(item)))
    return bytes(out)


_INFO = _message(
    {
        "title": (1, "string"),
        "version": (2, "string"),
        "description": (3, "string"),
        "termsOfService": (4, "string"),
        "contact": (5, _message({"name": (1, "string"), "url": (2, "string"), "email": (3, "string")}, 4)),
        "license": (6, _message({"name": (1, "string"), "url": (2, "string")}, 3)),
    },
    7,
)


def document(swagger: Mapping[str, Any]) -> bytes:
    """The `openapi.v2.Document` message of a Swagger 2.0 document."""
    table: dict[str, Field] = {
        "swagger": (1, "string"),
        "info": (2, _INFO),
        "host": (3, "string"),
        "basePath": (4, "string"),
        "schemes": (5, "strings"),
        "consumes": (6, "strings"),
        "produces": (7, "strings"),
        "paths": (8, _paths),
        "definitions": (9, _named_map(_schema)),
        "parameters": (10, _named_map(_parameter)),
        "responses": (11, _named_map(_RESPONSE)),
        "securityDefinitions": (13, _named_map(_security_definition)),
        "externalDocs": (15, _EXTERNAL_DOCS),
    }
    out = _fields(swagger, table, None)
    out += _repeated(12, _SECURITY_REQUIREMENT, swagger.get("security") or ())
    out += _repeated(14, _TAG, swagger.get("tags") or ())
    return out + _vendor(16, swagger)


_TAG = _message({"name": (1, "string"), "description": (2, "string"), "externalDocs": (3, _EXTERNAL_DOCS)}, 4)
