"""x-kubernetes-validations: the CEL subset, and how rules are applied to objects."""

from __future__ import annotations

from typing import Any

import pytest

from localkube.apiserver.schema import validate
from localkube.apiserver.schema.cel import CelError, compile_rule

EXPRESSIONS = [
    ("self == oldSelf", {"self": 1, "old": 1}, True),
    ("self == oldSelf", {"self": {"a": [1]}, "old": {"a": [1]}}, True),
    ("self == oldSelf", {"self": "a", "old": "b"}, False),
    ("self in ['a', 'b']", {"self": "b"}, True),
    ("self in ['a', 'b']", {"self": "c"}, False),
    ("size(self) <= 3", {"self": "abcd"}, False),
    ("self.size() == 2", {"self": [1, 2]}, True),
    ("has(self.x) && self.x > 0", {"self": {"x": 2}}, True),
    ("!has(self.x) || self.x > 0", {"self": {}}, True),
    ("self.min <= self.max", {"self": {"min": 1, "max": 3}}, True),
    ("self.replicas >= 0 && self.replicas <= 10", {"self": {"replicas": 11}}, False),
    ("self.name.startsWith('ray-') && !self.name.endsWith('-')", {"self": {"name": "ray-head"}}, True),
    ("self.name.matches('^[a-z]+$')", {"self": {"name": "Abc"}}, False),
    ("self.all(x, x > 0)", {"self": [1, 2, 3]}, True),
    ("self.exists(x, x == 'b')", {"self": ["a", "b"]}, True),
    ("self.filter(x, x > 1).size() == 2", {"self": [1, 2, 3]}, True),
    ("self.map(x, x * 2)[1] == 4", {"self": [1, 2]}, True),
    ("self.a + self.b == 'xy'", {"self": {"a": "x", "b": "y"}}, True),
    ("self.n % 2 == 0 ? self.even : !self.even", {"self": {"n": 4, "even": True}}, True),
    ("7 / 2 == 3 && -7 / 2 == -3", {"self": None}, True),
    ("self.x == 1.5", {"self": {"x": 1.5}}, True),
    ('"a\\tb".size() == 3', {"self": None}, True),
    ("self.m['k'] == 'v'", {"self": {"m": {"k": "v"}}}, True),
    ("'k' in self.m", {"self": {"m": {"k": "v"}}}, True),
    # && and || are commutative about errors: a decisive side wins over a missing key
    ("self.missing == 1 || true", {"self": {}}, True),
    ("false && self.missing == 1", {"self": {}}, False),
]


@pytest.mark.parametrize(("rule", "env", "expected"), EXPRESSIONS, ids=[e[0] for e in EXPRESSIONS])
def test_expressions(rule: str, env: dict[str, Any], expected: bool) -> None:
    assert compile_rule(rule).evaluate(env.get("self"), env.get("old")) is expected


@pytest.mark.parametrize(
    "rule",
    [
        "self.x.y(",  # syntax
        "self.quantity().isLessThan(quantity('1'))",  # Kubernetes CEL library: not in our subset
        "duration(self.d) > duration('1s')",
        "self.@x",
    ],
)
def test_rules_outside_the_subset_do_not_compile(rule: str) -> None:
    with pytest.raises(CelError):
        compile_rule(rule)


def test_missing_key_is_a_runtime_error() -> None:
    with pytest.raises(CelError, match="no such key: x"):
        compile_rule("self.x == 1").evaluate({})


def schema(rules: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {
            "spec": {
                "type": "object",
                "properties": {"x": {"type": "string", "x-kubernetes-validations": rules, **extra}},
                "x-kubernetes-validations": [
                    {"rule": "!has(self.x) || self.x != 'top'", "message": "not top"}
                ],
            }
        },
    }


def messages(o: Any, s: dict[str, Any], old: Any = None) -> list[str]:
    return [e.message() for e in validate(o, s, old=old)]


def test_rule_message_or_default() -> None:
    s = schema([{"rule": "self.size() < 4"}, {"rule": "self != 'zz'", "message": "no zz"}])
    assert messages({"spec": {"x": "zz"}}, s) == [
        'spec.x: Invalid value: "zz": no zz',
    ]
    assert messages({"spec": {"x": "abcd"}}, s) == [
        'spec.x: Invalid value: "abcd": failed rule: self.size() < 4',
    ]
    # an object's failure omits the value
    assert messages({"spec": {"x": "top"}}, s) == ["spec: Invalid value: not top"]


def test_transition_rules_run_only_on_update_with_an_old_value() -> None:
    s = schema([{"rule": "self == oldSelf", "message": "x is immutable"}])
    assert messages({"spec": {"x": "a"}}, s) == []
    assert messages({"spec": {"x": "b"}}, s, old={"spec": {"x": "a"}}) == [
        'spec.x: Invalid value: "b": x is immutable'
    ]
    assert messages({"spec": {"x": "a"}}, s, old={"spec": {"x": "a"}}) == []
    # the field did not exist before: nothing to compare with
    assert messages({"spec": {"x": "b"}}, s, old={"spec": {}}) == []


def test_unsupported_rules_are_skipped_not_enforced() -> None:
    s = schema([{"rule": "quantity(self).isGreaterThan(quantity('1'))"}])
    assert messages({"spec": {"x": "anything"}}, s) == []


def test_reason_and_field_path() -> None:
    s = {
        "type": "object",
        "properties": {
            "spec": {
                "type": "object",
                "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
                "x-kubernetes-validations": [
                    {
                        "rule": "self.a <= self.b",
                        "message": "a must not exceed b",
                        "fieldPath": ".a",
                        "reason": "FieldValueForbidden",
                    }
                ],
            }
        },
    }
    errs = validate({"spec": {"a": 2, "b": 1}}, s)
    assert [(e.path, e.reason, e.message()) for e in errs] == [
        ("spec.a", "FieldValueForbidden", "spec.a: Forbidden: a must not exceed b")
    ]


def test_runtime_error_is_reported_with_the_rule() -> None:
    s = {
        "type": "object",
        "properties": {
            "spec": {
                "type": "object",
                "properties": {"a": {"type": "integer"}},
                "x-kubernetes-validations": [{"rule": "self.a > 0"}],
            }
        },
    }
    assert messages({"spec": {}}, s) == [
        'spec: Invalid value: "object": no such key: a evaluating rule: self.a > 0'
    ]


def test_list_map_items_correlate_with_their_old_selves() -> None:
    s = {
        "type": "object",
        "properties": {
            "spec": {
                "type": "object",
                "properties": {
                    "groups": {
                        "type": "array",
                        "x-kubernetes-list-type": "map",
                        "x-kubernetes-list-map-keys": ["name"],
                        "items": {
                            "type": "object",
                            "properties": {
                                "name": {"type": "string"},
                                "kind": {
                                    "type": "string",
                                    "x-kubernetes-validations": [
                                        {"rule": "self == oldSelf", "message": "immutable"}
                                    ],
                                },
                            },
                        },
                    }
                },
            }
        },
    }
    old = {"spec": {"groups": [{"name": "a", "kind": "cpu"}, {"name": "b", "kind": "gpu"}]}}
    reordered = {"spec": {"groups": [{"name": "b", "kind": "gpu"}, {"name": "a", "kind": "cpu"}]}}
    assert messages(reordered, s, old=old) == []
    changed = {"spec": {"groups": [{"name": "b", "kind": "cpu"}, {"name": "c", "kind": "x"}]}}
    assert messages(changed, s, old=old) == ['spec.groups[0].kind: Invalid value: "cpu": immutable']


def test_message_expression() -> None:
    s = schema(
        [{"rule": "self.size() < 4", "messageExpression": "'too long: ' + self", "message": "fallback"}]
    )
    assert messages({"spec": {"x": "abcd"}}, s) == ['spec.x: Invalid value: "abcd": too long: abcd']
    broken = schema([{"rule": "self.size() < 4", "messageExpression": "self.nope", "message": "fallback"}])
    assert messages({"spec": {"x": "abcd"}}, broken) == ['spec.x: Invalid value: "abcd": fallback']
