"""Structural-schema validation, defaulting and pruning, case by case as apiextensions documents them.

Expected messages are kube-openapi's and apimachinery's wording (what `kubectl` prints after
`The X "y" is invalid:`).
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from localkube.apiserver import fielderrors as fe
from localkube.apiserver.schema import apply_defaults, compile_schema, prune, validate


def root(**props: Any) -> dict[str, Any]:
    """A CRD root schema whose `spec` has the given properties."""
    return {
        "type": "object",
        "properties": {
            "apiVersion": {"type": "string"},
            "kind": {"type": "string"},
            "metadata": {"type": "object"},
            "spec": {"type": "object", "properties": props},
        },
    }


def obj(**spec: Any) -> dict[str, Any]:
    return {"apiVersion": "x.io/v1", "kind": "X", "metadata": {"name": "a"}, "spec": spec}


def messages(o: dict[str, Any], schema: dict[str, Any], old: Any = None) -> list[str]:
    return [e.message() for e in validate(o, schema, old=old)]


VALIDATION = [
    # (schema of spec.x, value of spec.x, expected messages)
    ({"type": "integer"}, 3, []),
    ({"type": "integer"}, 3.0, []),
    ({"type": "number"}, 3, []),
    (
        {"type": "integer"},
        "3",
        ['spec.x: Invalid value: "string": spec.x in body must be of type integer: "string"'],
    ),
    (
        {"type": "integer"},
        3.5,
        [
            'spec.x: Invalid value: "number": spec.x in body must be of type integer: "number"',
            # kube-openapi's range check also fires for a fractional value under `integer`
            '<nil>: Invalid value: "": Checked value must be of type integer (default format) in spec.x',
        ],
    ),
    (
        {"type": "boolean"},
        "true",
        ['spec.x: Invalid value: "string": spec.x in body must be of type boolean: "string"'],
    ),
    (
        {"type": "string"},
        True,
        ['spec.x: Invalid value: "boolean": spec.x in body must be of type string: "boolean"'],
    ),
    (
        {"type": "object"},
        [],
        ['spec.x: Invalid value: "array": spec.x in body must be of type object: "array"'],
    ),
    (
        {"type": "array", "items": {"type": "string"}},
        {"a": 1},
        ['spec.x: Invalid value: "object": spec.x in body must be of type array: "object"'],
    ),
    ({"type": "string", "nullable": True}, None, []),
    (
        {"type": "string"},
        None,
        ['spec.x: Invalid value: "null": spec.x in body must be of type string: "null"'],
    ),
    ({"type": "string", "enum": ["a", "b"]}, "a", []),
    (
        {"type": "string", "enum": ["a", "b"]},
        "c",
        ['spec.x: Unsupported value: "c": supported values: "a", "b"'],
    ),
    (
        {"type": "integer", "enum": [1, 2]},
        3,
        ['spec.x: Unsupported value: 3: supported values: "1", "2"'],
    ),
    ({"type": "integer", "maximum": 10}, 10, []),
    (
        {"type": "integer", "maximum": 10},
        11,
        ["spec.x: Invalid value: 11: spec.x in body should be less than or equal to 10"],
    ),
    (
        {"type": "integer", "maximum": 10, "exclusiveMaximum": True},
        10,
        ["spec.x: Invalid value: 10: spec.x in body should be less than 10"],
    ),
    (
        {"type": "integer", "minimum": 1},
        0,
        ["spec.x: Invalid value: 0: spec.x in body should be greater than or equal to 1"],
    ),
    (
        {"type": "integer", "minimum": 0, "exclusiveMinimum": True},
        0,
        ["spec.x: Invalid value: 0: spec.x in body should be greater than 0"],
    ),
    (
        {"type": "number", "maximum": 1.5},
        2.5,
        ["spec.x: Invalid value: 2.5: spec.x in body should be less than or equal to 1.5"],
    ),
    (
        {"type": "integer", "multipleOf": 3},
        7,
        ["spec.x: Invalid value: 7: spec.x in body should be a multiple of 3"],
    ),
    ({"type": "number", "multipleOf": 0.5}, 2.5, []),
    (
        {"type": "integer", "format": "int32"},
        2**31,
        ['<nil>: Invalid value: "": Checked value must be of type integer with format int32 in spec.x'],
    ),
    ({"type": "integer", "format": "int64"}, 2**31, []),
    # kube-openapi checks a declared format before the type, and words the error after it
    (
        {"type": "integer", "format": "int32"},
        True,
        ['spec.x: Invalid value: "": spec.x in body must be of type int32: ""'],
    ),
    (
        {"type": "integer", "format": "int32"},
        3.5,
        [
            'spec.x: Invalid value: "float64": spec.x in body must be of type int32: "float64"',
            '<nil>: Invalid value: "": Checked value must be of type integer with format int32 in spec.x',
        ],
    ),
    (
        {"type": "string", "format": "date-time"},
        5,
        ['spec.x: Invalid value: "int64": spec.x in body must be of type date-time: "int64"'],
    ),
    ({"type": "integer", "format": "int32"}, 7.0, []),
    ({"type": "number", "format": "double"}, 7, []),
    (
        {"type": "string", "pattern": "^a+$"},
        "ab",
        ["spec.x: Invalid value: \"ab\": spec.x in body should match '^a+$'"],
    ),
    # RE2's Unicode classes are beyond Python's re: such a pattern is not enforced
    ({"type": "string", "pattern": "^\\p{L}+$"}, "123", []),
    # Go's regexp.MatchString finds the pattern anywhere unless anchored.
    ({"type": "string", "pattern": "b"}, "abc", []),
    ({"type": "string", "maxLength": 3}, "abc", []),
    ({"type": "string", "maxLength": 3}, "abcd", ["spec.x: Too long: may not be more than 3 bytes"]),
    ({"type": "string", "maxLength": 1}, "ab", ["spec.x: Too long: may not be more than 1 byte"]),
    # lengths count characters (runes), not bytes
    ({"type": "string", "maxLength": 2}, "éé", []),
    (
        {"type": "string", "minLength": 2},
        "a",
        ['spec.x: Invalid value: "a": spec.x in body should be at least 2 chars long'],
    ),
    (
        {"type": "array", "items": {"type": "integer"}, "minItems": 2},
        [1],
        ["spec.x: Invalid value: 1: spec.x in body should have at least 2 items"],
    ),
    (
        {"type": "array", "items": {"type": "integer"}},
        [1, "2"],
        ['spec.x[1]: Invalid value: "string": spec.x[1] in body must be of type integer: "string"'],
    ),
    (
        {"type": "array", "items": {"type": "integer"}, "uniqueItems": True},
        [1, 2, 1],
        ['spec.x: Invalid value: "": spec.x in body shouldn\'t contain duplicates'],
    ),
    (
        {"type": "object", "minProperties": 1},
        {},
        ["spec.x: Invalid value: 0: spec.x in body should have at least 1 properties"],
    ),
    (
        {"type": "object", "additionalProperties": False, "properties": {"a": {"type": "string"}}},
        {"a": "1", "b": "2"},
        ['spec.x: Invalid value: "b": spec.x.b in body is a forbidden property'],
    ),
    (
        {"type": "object", "additionalProperties": {"type": "string"}},
        {"k": 1},
        ['spec.x.k: Invalid value: "integer": spec.x.k in body must be of type string: "integer"'],
    ),
    (
        {"type": "object", "required": ["a", "b"], "properties": {"a": {"type": "string"}}},
        {},
        ["spec.x.a: Required value", "spec.x.b: Required value"],
    ),
    (
        {"x-kubernetes-int-or-string": True, "anyOf": [{"type": "integer"}, {"type": "string"}]},
        "50%",
        [],
    ),
    (
        {"x-kubernetes-int-or-string": True, "anyOf": [{"type": "integer"}, {"type": "string"}]},
        True,
        [
            'spec.x: Invalid value: "boolean": spec.x in body must be of type integer,string: "boolean"',
            '<nil>: Invalid value: "": "spec.x" must validate at least one schema (anyOf)',
            'spec.x: Invalid value: "boolean": spec.x in body must be of type integer: "boolean"',
        ],
    ),
    ({"type": "string", "format": "date-time"}, "2024-01-02T03:04:05Z", []),
    (
        {"type": "string", "format": "date-time"},
        "yesterday",
        ['spec.x: Invalid value: "yesterday": spec.x in body must be of type date-time: "yesterday"'],
    ),
    ({"type": "string", "format": "no-such-format"}, "anything", []),
    ({"type": "string", "format": "byte"}, "aGVs\nbG8=", []),
    (
        {"type": "string", "format": "byte"},
        "not base64!",
        ['spec.x: Invalid value: "not base64!": spec.x in body must be of type byte: "not base64!"'],
    ),
    ({"type": "string", "format": "duration"}, "1h30m", []),
    ({"type": "string", "format": "date"}, "2024-02-29", []),
    (
        {"type": "string", "format": "date"},
        "2023-02-29",
        ['spec.x: Invalid value: "2023-02-29": spec.x in body must be of type date: "2023-02-29"'],
    ),
    (
        {"type": "string", "format": "uuid"},
        "nope",
        ['spec.x: Invalid value: "nope": spec.x in body must be of type uuid: "nope"'],
    ),
    ({"x-kubernetes-preserve-unknown-fields": True}, {"any": ["thing", 1]}, []),
    (
        {"type": "string", "oneOf": [{"pattern": "^a"}, {"pattern": "b$"}]},
        "ab",
        [
            '<nil>: Invalid value: "": "spec.x" must validate one and only one schema (oneOf). '
            "Found 2 valid alternatives"
        ],
    ),
    (
        {"type": "string", "not": {"enum": ["forbidden"]}},
        "forbidden",
        ['<nil>: Invalid value: "": "spec.x" must not validate the schema (not)'],
    ),
    (
        {"type": "string", "allOf": [{"minLength": 2}, {"maxLength": 3}]},
        "a",
        [
            'spec.x: Invalid value: "a": spec.x in body should be at least 2 chars long',
            '<nil>: Invalid value: "": "spec.x" must validate all the schemas (allOf)',
        ],
    ),
    (
        {"type": "array", "items": {"type": "string"}, "x-kubernetes-list-type": "set"},
        ["a", "b", "a"],
        ['spec.x[2]: Duplicate value: "a"'],
    ),
]


@pytest.mark.parametrize(("schema", "value", "expected"), VALIDATION, ids=lambda x: repr(x)[:50])
def test_validation(schema: dict[str, Any], value: Any, expected: list[str]) -> None:
    assert messages(obj(x=value), root(x=schema)) == expected


def test_too_many_items_carries_the_count() -> None:
    errs = validate(obj(x=[1, 2, 3]), root(x={"type": "array", "items": {"type": "integer"}, "maxItems": 2}))
    assert [(e.path, e.reason, e.detail, e.value) for e in errs] == [
        ("spec.x", fe.TOO_MANY, "must have at most 2 items", 3)
    ]


def test_list_map_keys_must_be_unique() -> None:
    schema = root(
        x={
            "type": "array",
            "x-kubernetes-list-type": "map",
            "x-kubernetes-list-map-keys": ["name"],
            "items": {"type": "object", "properties": {"name": {"type": "string"}, "v": {"type": "integer"}}},
        }
    )
    errs = validate(obj(x=[{"name": "a", "v": 1}, {"name": "b"}, {"name": "a", "v": 2}]), schema)
    assert [(e.path, e.reason, e.value) for e in errs] == [("spec.x[2]", fe.DUPLICATE, {"name": "a"})]
    # An update keeps an already-broken list without complaint (ratcheting), as the API server does.
    broken = obj(x=[{"name": "a"}, {"name": "a"}])
    assert validate(copy.deepcopy(broken), schema, old=broken) == []


def test_embedded_resource_needs_api_version_and_kind() -> None:
    schema = root(
        x={
            "type": "object",
            "x-kubernetes-embedded-resource": True,
            "x-kubernetes-preserve-unknown-fields": True,
        }
    )
    assert messages(obj(x={"apiVersion": "v1", "kind": "Pod"}), schema) == []
    assert messages(obj(x={"metadata": {"name": "p"}}), schema) == [
        "spec.x.apiVersion: Required value",
        "spec.x.kind: Required value",
    ]
    assert messages(obj(x={"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "a/b"}}), schema) == [
        "spec.x.metadata.name: Invalid value: \"a/b\": may not contain '/'"
    ]


# ------------------------------------------------------------------------------------- defaulting

DEFAULTS = [
    # (schema of spec, spec before, spec after)
    ({"a": {"type": "string", "default": "x"}}, {}, {"a": "x"}),
    ({"a": {"type": "string", "default": "x"}}, {"a": "y"}, {"a": "y"}),
    # defaults only apply inside objects that exist...
    (
        {"o": {"type": "object", "properties": {"a": {"type": "string", "default": "x"}}}},
        {},
        {},
    ),
    (
        {"o": {"type": "object", "properties": {"a": {"type": "string", "default": "x"}}}},
        {"o": {}},
        {"o": {"a": "x"}},
    ),
    # ...unless the parent has a default itself; then the parent's default is defaulted too.
    (
        {"o": {"type": "object", "default": {}, "properties": {"a": {"type": "string", "default": "x"}}}},
        {},
        {"o": {"a": "x"}},
    ),
    # a non-nullable null is replaced by the default; a nullable null stays null
    ({"a": {"type": "string", "default": "x"}}, {"a": None}, {"a": "x"}),
    ({"a": {"type": "string", "nullable": True, "default": "x"}}, {"a": None}, {"a": None}),
    # array items and map values
    (
        {
            "l": {
                "type": "array",
                "items": {"type": "object", "properties": {"p": {"type": "string", "default": "TCP"}}},
            }
        },
        {"l": [{}, {"p": "UDP"}]},
        {"l": [{"p": "TCP"}, {"p": "UDP"}]},
    ),
    (
        {
            "m": {
                "type": "object",
                "additionalProperties": {
                    "type": "object",
                    "properties": {"n": {"type": "integer", "default": 1}},
                },
            }
        },
        {"m": {"k": {}}},
        {"m": {"k": {"n": 1}}},
    ),
]


@pytest.mark.parametrize(("spec_schema", "before", "after"), DEFAULTS, ids=lambda x: repr(x)[:50])
def test_defaulting(spec_schema: dict[str, Any], before: dict[str, Any], after: dict[str, Any]) -> None:
    schema = root(**spec_schema)
    o = obj(**before)
    prune(o, schema)  # the API server prunes first: non-nullable nulls without a default go
    apply_defaults(o, schema)
    assert o["spec"] == after


def test_default_values_are_copies() -> None:
    schema = root(
        o={"type": "object", "default": {"l": []}, "properties": {"l": {"type": "array", "items": {}}}}
    )
    a, b = obj(), obj()
    apply_defaults(a, schema)
    apply_defaults(b, schema)
    a["spec"]["o"]["l"].append(1)
    assert b["spec"]["o"] == {"l": []}


# --------------------------------------------------------------------------------------- pruning

PRUNING = [
    # (schema of spec, spec before, spec after, reported paths)
    ({"a": {"type": "string"}}, {"a": "1", "b": 2}, {"a": "1"}, ["spec.b"]),
    (
        {"l": {"type": "array", "items": {"type": "object", "properties": {"n": {"type": "string"}}}}},
        {"l": [{"n": "a"}, {"n": "b", "z": 1}]},
        {"l": [{"n": "a"}, {"n": "b"}]},
        ["spec.l[1].z"],
    ),
    (
        {
            "m": {
                "type": "object",
                "additionalProperties": {"type": "object", "properties": {"v": {"type": "string"}}},
            }
        },
        {"m": {"k1": {"v": "a", "w": 1}}},
        {"m": {"k1": {"v": "a"}}},
        ["spec.m.k1.w"],
    ),
    # preserve-unknown-fields keeps what is unknown, but still prunes inside declared properties
    (
        {
            "p": {
                "type": "object",
                "x-kubernetes-preserve-unknown-fields": True,
                "properties": {"known": {"type": "object", "properties": {"a": {"type": "string"}}}},
            }
        },
        {"p": {"anything": {"deep": 1}, "known": {"a": "1", "b": 2}}},
        {"p": {"anything": {"deep": 1}, "known": {"a": "1"}}},
        ["spec.p.known.b"],
    ),
    # an object without declared properties keeps nothing
    ({"o": {"type": "object"}}, {"o": {"a": 1}}, {"o": {}}, ["spec.o.a"]),
    # embedded resources keep apiVersion/kind/metadata, and prune unknown ObjectMeta fields
    (
        {
            "e": {
                "type": "object",
                "x-kubernetes-embedded-resource": True,
                "properties": {"spec": {"type": "object", "properties": {"r": {"type": "integer"}}}},
            }
        },
        {
            "e": {
                "apiVersion": "v1",
                "kind": "K",
                "metadata": {"name": "n", "bad": 1},
                "spec": {"r": 1, "s": 2},
            }
        },
        {"e": {"apiVersion": "v1", "kind": "K", "metadata": {"name": "n"}, "spec": {"r": 1}}},
        ["spec.e.metadata.bad", "spec.e.spec.s"],
    ),
    # non-nullable nulls without a default are dropped silently; nullable ones stay
    (
        {"a": {"type": "string"}, "b": {"type": "string", "nullable": True}},
        {"a": None, "b": None},
        {"b": None},
        [],
    ),
]


@pytest.mark.parametrize(("spec_schema", "before", "after", "paths"), PRUNING, ids=lambda x: repr(x)[:50])
def test_pruning(
    spec_schema: dict[str, Any], before: dict[str, Any], after: dict[str, Any], paths: list[str]
) -> None:
    schema = root(**spec_schema)
    o = obj(**before)
    assert prune(o, schema) == paths
    assert o["spec"] == after


def test_pruning_keeps_the_resource_root_and_reports_unknown_metadata() -> None:
    schema = root()
    o = {"apiVersion": "x.io/v1", "kind": "X", "metadata": {"name": "a", "nmae": "b"}, "spec": {}, "extra": 1}
    assert prune(copy.deepcopy(o), schema) == ["extra", "metadata.nmae"]
    # the API server may check root metadata itself
    assert prune(o, schema, root_metadata=False) == ["extra"]
    assert o["apiVersion"] == "x.io/v1" and o["kind"] == "X"


def test_preserve_unknown_fields_at_the_root_keeps_metadata() -> None:
    schema = {
        "type": "object",
        "x-kubernetes-preserve-unknown-fields": True,
        "properties": {"metadata": {"type": "object"}, "spec": {"type": "object", "properties": {}}},
    }
    o = {"apiVersion": "x.io/v1", "kind": "X", "metadata": {"name": "a"}, "spec": {"z": 1}, "other": 2}
    assert prune(o, schema) == ["spec.z"]
    assert o == {"apiVersion": "x.io/v1", "kind": "X", "metadata": {"name": "a"}, "spec": {}, "other": 2}


def test_compiled_schema_is_reused_for_the_same_dict() -> None:
    schema = root(a={"type": "string"})
    assert compile_schema(schema) is compile_schema(schema)
    assert compile_schema(copy.deepcopy(schema)) is not compile_schema(schema)


# ------------------------------------------------------------------------------------- ratcheting


def test_update_may_keep_an_unchanged_invalid_value() -> None:
    schema = root(
        a={"type": "string", "maxLength": 3},
        b={"type": "integer"},
        groups={
            "type": "array",
            "x-kubernetes-list-type": "map",
            "x-kubernetes-list-map-keys": ["name"],
            "items": {
                "type": "object",
                "required": ["size"],
                "properties": {"name": {"type": "string"}, "size": {"type": "integer", "maximum": 5}},
            },
        },
        atomic={"type": "array", "items": {"type": "integer", "maximum": 5}},
    )
    # stored before the schema got stricter
    old = obj(a="toolong", b=1, groups=[{"name": "g", "size": 9}, {"name": "h"}], atomic=[9])
    new = copy.deepcopy(old)
    new["spec"]["b"] = 2
    new["spec"]["groups"].reverse()  # list-type=map items correlate by key, not position
    assert messages(new, schema, old=old) == [
        "spec.atomic[0]: Invalid value: 9: spec.atomic[0] in body should be less than or equal to 5"
    ]
    assert messages(new, schema) == [
        "spec.a: Too long: may not be more than 3 bytes",
        "spec.groups[0].size: Required value",
        "spec.groups[1].size: Invalid value: 9: spec.groups[1].size in body should be less than or equal to "
        "5",
        "spec.atomic[0]: Invalid value: 9: spec.atomic[0] in body should be less than or equal to 5",
    ]
    # changing the invalid value itself is validated
    new["spec"]["a"] = "stilltoolong"
    assert "spec.a: Too long: may not be more than 3 bytes" in messages(new, schema, old=old)
