"""CRD rules type-checked against their node's schema, as kube-apiserver's CEL compilation does:
the expected messages are kube-apiserver v1.37.2's, probed on the real control plane (the
integration test test_cel_libraries.py sends some of them to both planes)."""

from __future__ import annotations

import pytest

from localkube.apiserver.schema import cel_check

SPEC = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "replicas": {"type": "integer"},
        "ratio": {"type": "number"},
        "flag": {"type": "boolean"},
        "when": {"type": "string", "format": "date-time"},
        "template": {"type": "object", "properties": {"image": {"type": "string"}}},
        "labels": {"type": "object", "additionalProperties": {"type": "string"}},
        "extra": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
        "items": {"type": "array", "items": {"type": "object", "properties": {"name": {"type": "string"}}}},
        "port": {"x-kubernetes-int-or-string": True},
    },
}


@pytest.mark.parametrize(
    "rule",
    [
        "self.replicas >= 0 && has(self.template.image)",
        "self.labels.team == 'a' && self.extra.anything.at.all == 1",
        "self.items.all(x, x.name != '')",
        "oldSelf.replicas <= self.replicas",
        "self.replicas < 1.5",  # ordering across numeric types is allowed, equality is not
        "self.items.all(x, x.name.size() > 0) && size(self.items) + 1 > 1",
        "self.port == 80 || self.port == 'http'",  # int-or-string is dyn
        "self.when == self.when",
        "self.replicas in [1, 2] && (self.flag ? self.name : 'x') == 'y'",
    ],
)
def test_rules_that_type_check_compile(rule: str) -> None:
    assert cel_check.compile_errors(rule, SPEC) == ""


def error(at: int, message: str, rule: str) -> str:
    return f"ERROR: <input>:1:{at}: {message}\n | {rule}\n | {'.' * (at - 1)}^"


@pytest.mark.parametrize(
    ("rule", "at", "message"),
    [
        ("self.replcas > 0", 5, "undefined field 'replcas'"),
        ("has(self.template.img)", 18, "undefined field 'img'"),
        ("oldSelf.size == self.replicas", 8, "undefined field 'size'"),
        ("self.items.all(x, x.nmae != '')", 20, "undefined field 'nmae'"),
        ("self.name + 1 == 2", 11, "found no matching overload for '_+_' applied to '(string, int)'"),
        ("self.replicas == 'a'", 15, "found no matching overload for '_==_' applied to '(int, string)'"),
        ("self.replicas == 1.5", 15, "found no matching overload for '_==_' applied to '(int, double)'"),
        ("self.replicas == null", 15, "found no matching overload for '_==_' applied to '(int, null)'"),
        ("self.replicas < 'a'", 15, "found no matching overload for '_<_' applied to '(int, string)'"),
        ("self.ratio % 2.0 == 1.0", 12, "found no matching overload for '_%_' applied to '(double, double)'"),
        ("self.replicas + 1u > 0", 15, "found no matching overload for '_+_' applied to '(int, uint)'"),
        ("!self.name", 1, "found no matching overload for '!_' applied to '(string)'"),
        ("-self.name == 'a'", 1, "found no matching overload for '-_' applied to '(string)'"),
        ("self.replicas > 0 && self.name", 26, "expected type 'bool' but found 'string'"),
        (
            "self.items.all(i, i.name + 1 > 0)",
            26,
            "found no matching overload for '_+_' applied to '(string, int)'",
        ),
        (
            "size(self.items) + 'a' == 'b'",
            18,
            "found no matching overload for '_+_' applied to '(int, string)'",
        ),
    ],
)
def test_type_errors_are_named_where_kube_apiserver_names_them(rule: str, at: int, message: str) -> None:
    assert cel_check.compile_errors(rule, SPEC) == "compilation failed: " + error(at, message, rule)


def test_every_error_is_reported_in_order_and_an_erroneous_operand_is_not_reported_again() -> None:
    rule = "self.flag == 1 || self.replicas + 'x' == 'y'"
    assert cel_check.compile_errors(rule, SPEC) == "compilation failed: " + "\n".join(
        [
            error(11, "found no matching overload for '_==_' applied to '(bool, int)'", rule),
            error(33, "found no matching overload for '_+_' applied to '(int, string)'", rule),
        ]
    )


def test_a_rule_must_be_a_bool_and_a_message_expression_need_not() -> None:
    assert cel_check.compile_errors("self.replicas + 1", SPEC) == "cel expression must evaluate to a bool"
    assert cel_check.compile_errors("self.flag ? 'a' : 'b'", SPEC) == "cel expression must evaluate to a bool"
    assert cel_check.compile_errors("self.name + ' is wrong'", SPEC, rule=False) == ""


def test_at_the_root_of_a_kind_api_version_kind_and_metadata_are_there() -> None:
    root = {"type": "object", "properties": {"spec": SPEC}}
    rule = "self.metadata.name.size() < 60 && self.spec.replicas > 0"
    assert cel_check.compile_errors(rule, root, at_root=True) == ""
    assert "undefined field 'metadata'" in cel_check.compile_errors("self.metadata.name == 'a'", SPEC)
