"""check_crd_schema: the structural-schema rules apiextensions enforces on a CRD's openAPIV3Schema."""

from __future__ import annotations

from typing import Any

import pytest

from localkube.apiserver.schema import check_crd_schema

P = "spec.validation.openAPIV3Schema"
A = f"{P}.properties[spec].properties[a]"


def spec_root(**props: Any) -> dict[str, Any]:
    return {"type": "object", "properties": {"spec": {"type": "object", "properties": props}}}


CASES = [
    (spec_root(a={"type": "string"}), []),
    (spec_root(a={"x-kubernetes-int-or-string": True}), []),
    (spec_root(a={"x-kubernetes-preserve-unknown-fields": True}), []),
    (
        spec_root(a={"description": "no type"}),
        [f"{A}.type: Required value: must not be empty for specified object fields"],
    ),
    (
        spec_root(a={"type": "array"}),
        [f"{A}.items: Required value: must be specified"],
    ),
    (
        spec_root(a={"type": "array", "items": {"description": "x"}}),
        [f"{A}.items.type: Required value: must not be empty for specified array items"],
    ),
    (
        {"properties": {"spec": {"type": "object"}}},
        [f"{P}.type: Required value: must not be empty at the root"],
    ),
    (
        {"type": "string"},
        [f'{P}.type: Invalid value: "string": must be object at the root'],
    ),
    (
        spec_root(a={"$ref": "#/definitions/x"}),
        [
            f"{A}.$ref: Forbidden: $ref is not supported",
            f"{A}.type: Required value: must not be empty for specified object fields",
        ],
    ),
    (
        spec_root(a={"type": "string", "default": 5}),
        [
            f'{P}.properties[spec].properties[a].default: Invalid value: "integer":  in body must be of type '
            'string: "integer"'
        ],
    ),
    (
        spec_root(a={"type": "object", "properties": {"b": {"type": "string"}}, "default": {"c": 1}}),
        [f'{P}.properties[spec].properties[a].default: Invalid value: {{}}: must not have unknown fields'],
    ),
    (
        spec_root(a={"type": "array", "items": {"type": "string"}, "uniqueItems": True}),
        [
            f"{A}.uniqueItems: Forbidden: uniqueItems cannot be set to true since "
            "the runtime complexity becomes quadratic"
        ],
    ),
    (
        spec_root(
            a={
                "type": "object",
                "properties": {"b": {"type": "string"}},
                "additionalProperties": {"type": "string"},
            }
        ),
        [f"{A}.additionalProperties: Forbidden: additionalProperties and properties are mutual exclusive"],
    ),
    (
        spec_root(a={"type": "string", "anyOf": [{"type": "string"}]}),
        [f"{A}.anyOf[0].type: Forbidden: must be empty to be structural"],
    ),
    (
        spec_root(a={"type": "array", "items": {"type": "object"}, "x-kubernetes-list-type": "map"}),
        [
            f"{A}.x-kubernetes-list-map-keys: Required value: must not be empty "
            "if x-kubernetes-list-type is map"
        ],
    ),
    (
        {"type": "object", "additionalProperties": {"type": "string"}},
        [f"{P}.additionalProperties: Forbidden: must not be used at the root"],
    ),
    (
        {
            "type": "object",
            "properties": {"metadata": {"type": "object", "properties": {"labels": {"type": "object"}}}},
        },
        [
            f"{P}.properties[metadata]: Forbidden: must not specify anything other than name and "
            "generateName, but metadata is implicitly specified"
        ],
    ),
    (
        {"type": "object", "properties": {"metadata": {"type": "object", "default": {}}}},
        [f"{P}.properties[metadata].default: Forbidden: must not be set in top-level metadata"],
    ),
]


@pytest.mark.parametrize(("schema", "expected"), CASES, ids=lambda x: repr(x)[:60])
def test_structural_rules(schema: dict[str, Any], expected: list[str]) -> None:
    assert [e.message() for e in check_crd_schema(schema)] == expected


def test_per_version_and_relative_paths() -> None:
    errs = check_crd_schema({"properties": {}}, path="spec.versions[0].schema.openAPIV3Schema")
    assert [e.path for e in errs] == ["spec.versions[0].schema.openAPIV3Schema.type"]
    errs = check_crd_schema(spec_root(a={"type": "array"}), path="")
    assert [e.path for e in errs] == ["properties[spec].properties[a].items"]


def test_int_or_string_anyof_pattern_is_allowed() -> None:
    quantity = {
        "anyOf": [{"type": "integer"}, {"type": "string"}],
        "pattern": "^[0-9]+$",
        "x-kubernetes-int-or-string": True,
    }
    assert (
        check_crd_schema(spec_root(q=quantity, m={"type": "object", "additionalProperties": quantity})) == []
    )


def test_root_value_validations_must_be_complete() -> None:
    schema = {
        "type": "object",
        "properties": {"spec": {"type": "object", "properties": {"a": {"type": "string"}}}},
        "anyOf": [
            {"properties": {"spec": {"required": ["a"]}}},
            {"properties": {"status": {"required": ["b"]}}},
        ],
    }
    assert [e.message() for e in check_crd_schema(schema)] == [
        f"{P}.properties[status]: Required value: because it is defined in {P}.anyOf[1].properties[status]"
    ]
