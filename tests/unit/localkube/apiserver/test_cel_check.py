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
        "tags": {"type": "array", "items": {"type": "string"}},
        "ports": {"type": "array", "items": {"type": "integer"}},
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


# kube-apiserver v1.37.2 compiles new rules at compatibility version 1.36: no math, base64 or
# cel.bind library, strings v2 (no string reverse()), Kubernetes' lists v0 (no includes())
@pytest.mark.parametrize(
    ("rule", "at", "message"),
    [
        ("self.name.reverse() == 'a'", 18, "found no matching overload for 'reverse' applied to 'string.()'"),
        ("self.tags.sum() == 'a'", 14, "found no matching overload for 'sum' applied to 'list(string).()'"),
        ("self.ports.includes(1)", 20, "undeclared reference to 'includes' (in container '')"),
        (
            "self.ports.indexOf('a') == 0",
            19,
            "found no matching overload for 'indexOf' applied to 'list(int).(string)'",
        ),
        (
            "self.name.startsWith(1)",
            21,
            "found no matching overload for 'startsWith' applied to 'string.(int)'",
        ),
        ("size(1) == 1", 5, "found no matching overload for 'size' applied to '(int)'"),
        ("lists.range('a') == []", 12, "found no matching overload for 'lists.range' applied to '(string)'"),
        ("isDNS(self.name)", 6, "undeclared reference to 'isDNS' (in container '')"),
        ("self.nosuch() == 1", 12, "undeclared reference to 'nosuch' (in container '')"),
        ("other.x > 1", 1, "undeclared reference to 'other' (in container '')"),
        ("self.items.all(x, y > 0)", 19, "undeclared reference to 'y' (in container '')"),
    ],
)
def test_a_function_kube_apiserver_does_not_declare_or_cannot_apply_fails_the_crd(
    rule: str, at: int, message: str
) -> None:
    assert cel_check.compile_errors(rule, SPEC) == "compilation failed: " + error(at, message, rule)


def test_a_library_kube_apiserver_lacks_names_the_namespace_the_function_and_its_arguments() -> None:
    rule = "cel.bind(x, self.name, x == 'a')"
    assert cel_check.compile_errors(rule, SPEC) == "compilation failed: " + "\n".join(
        error(at, f"undeclared reference to '{name}' (in container '')", rule)
        for at, name in ((1, "cel"), (9, "bind"), (10, "x"), (24, "x"))
    )
    rule = "math.greatest(1, 2) == 2 && base64.encode(b'a') == 'YQ=='"
    assert cel_check.compile_errors(rule, SPEC) == "compilation failed: " + "\n".join(
        error(at, f"undeclared reference to '{name}' (in container '')", rule)
        for at, name in ((1, "math"), (14, "greatest"), (29, "base64"), (42, "encode"))
    )


def test_a_method_on_an_undeclared_name_is_not_reported_again() -> None:
    rule = "authorizer.group('a').resource('b').check('get').allowed()"
    assert cel_check.compile_errors(rule, SPEC) == "compilation failed: " + error(
        1, "undeclared reference to 'authorizer' (in container '')", rule
    )


@pytest.mark.parametrize(
    "rule",
    [
        "self.ports.reverse() == [1] && self.ports.sum() == 1 && self.tags.min() == 'a'",
        "self.tags.isSorted() && self.tags.indexOf('a') == 0 && self.name.indexOf('a') == 0",
        "'%s'.format([self.name]) == 'a' && strings.quote(self.name) == 'a'",
        "lists.range(3) == [0, 1, 2] && self.ports.sortBy(x, -x) == [1] && [[1]].flatten() == [1]",
        "self.ports.distinct().slice(0, 1) == [1] && self.ports.sort() == [1]",
        "self.tags.all(i, v, i >= 0 && v != '') && self.labels.exists(k, v, k == v)",
        "self.tags.existsOne(i, v, v == 'a') && self.tags.exists_one(i, v, i == 0)",
        "self.tags.transformList(i, v, v) == ['a'] && self.labels.transformMap(k, v, k != '', v) == {}",
        "self.labels.transformMapEntry(k, v, {k: v}) == {} && self.tags.map(x, x != '', x).size() == 1",
        "ip(self.name).family() == 4 && cidr(self.name).prefixLength() == 4 && ip.isCanonical(self.name)",
        "quantity(self.name).isLessThan(quantity('1')) && sign(quantity('1')) == 1",
        "semver(self.name).major() == 1 && isSemver(self.name) && url(self.name).getHost() == 'a'",
        "self.name.find('a') == 'a' && self.name.findAll('a').size() == 1 && isURL(self.name)",
        "format.dns1123Label().validate(self.name).hasValue() && optional.of(self.name).hasValue()",
        "self.tags.first().hasValue() && self.tags.last().orValue('') == ''",
        "optional.ofNonZeroValue(self.name).optMap(x, x).hasValue()",
        "optional.of(self.name).optFlatMap(x, optional.of(x)).hasValue()",
        "sets.contains(self.tags, ['a']) && sets.equivalent(self.tags, ['a'])",
        "type(self.name) == string && type(self.when) == google.protobuf.Timestamp",
        "self.when.getHours() == 1 && self.tags.join(',') == 'a' && self.name.charAt(0) == 'a'",
        "self.?name.orValue('') == '' && self.tags[?0].orValue('') == ''",
        "[?optional.of(self.name)].size() == 1 && {?'a': optional.of(self.name)}.size() == 1",
    ],
)
def test_functions_macros_and_syntax_kube_apiserver_declares_compile(rule: str) -> None:
    assert cel_check.compile_errors(rule, SPEC) == ""


def test_an_optional_field_selection_must_name_a_field() -> None:
    rule = "self.?nosuch.orValue('') == ''"
    assert cel_check.compile_errors(rule, SPEC) == "compilation failed: " + error(
        5, "undefined field 'nosuch'", rule
    )
