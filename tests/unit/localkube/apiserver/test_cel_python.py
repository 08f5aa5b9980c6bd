"""CRD rules through cel-python: syntax errors named as kube-apiserver names them, and rules beyond
the hand-written subset evaluated, Kubernetes' quantity library included."""

from __future__ import annotations

import pytest

from localkube.apiserver.schema import cel_check, cel_python
from localkube.apiserver.schema.cel import CelError


def test_syntax_errors_are_named() -> None:
    assert cel_python.syntax_error("self.x > 1") == ""
    assert cel_python.syntax_error("self.x >").startswith("compilation failed: ERROR: <input>:1:")


def test_quantity_library() -> None:
    rule = cel_python.fallback('quantity(self.memory).isLessThan(quantity("1Gi")) && isQuantity(self.memory)')
    assert rule is not None
    assert rule.evaluate({"memory": "512Mi"}) is True
    assert rule.evaluate({"memory": "2Gi"}) is False
    sized = cel_python.fallback('quantity(self.cpu).add(1).asInteger() == 3 && quantity("1500m").sign() == 1')
    assert sized is not None and sized.evaluate({"cpu": "2"}) is True


def test_transition_rules_and_unknown_functions() -> None:
    rule = cel_python.fallback("duration(self) >= duration(oldSelf)")
    assert rule is not None and rule.uses_old_self
    assert rule.evaluate("2h", "1h") is True and rule.evaluate("30m", "1h") is False
    # a declared library function this engine does not implement (semver) cannot be judged here:
    # the object passes
    unknown = cel_python.fallback("semver(self).major() == 2")
    assert unknown is not None and unknown.evaluate("1.0.0") is True


def judge(rule: str, value: object) -> object:
    program = cel_python.fallback(rule)
    assert program is not None, cel_python.syntax_error(rule)
    try:
        return program.evaluate(value)
    except CelError as e:
        return f"error: {e}"


@pytest.mark.parametrize(
    ("rule", "value", "expected"),
    [
        ("!format.dns1123Label().validate(self).hasValue()", "my-name", True),
        ("!format.dns1123Label().validate(self).hasValue()", "My_Name", False),
        ("!format.dns1123LabelPrefix().validate(self).hasValue()", "gen-", True),
        ("!format.dns1035Label().validate(self).hasValue()", "1abc", False),
        ("format.named('labelValue').value().validate(self) == optional.none()", "ok.value", True),
        ("!format.named('nope').hasValue() && format.named('uuid').hasValue()", "", True),
        ("format.uri().validate(self).hasValue()", "relative/path", True),
        ("url(self).getHostname() == '::1' && url(self).getPort() == '80'", "http://[::1]:80/x", True),
        (
            "url(self).getQuery()['a'] == ['1', '2'] && url(self).getEscapedPath() == '/p'",
            "https://h/p?a=1&a=2",
            True,
        ),
        ("isURL(self)", "no scheme", False),
        ("ip(self).isGlobalUnicast() && ip(self).family() == 6", "2001:db8::1", True),
        ("ip.isCanonical(self)", "2001:DB8::1", False),
        ("isIP(self)", "::ffff:10.0.0.1", False),  # IPv4-mapped IPv6 is refused, as Kubernetes does
        ("isIP(self)", "fe80::1%eth0", False),  # so is a zone
        ("cidr(self).containsCIDR('10.2.0.0/16') && cidr(self).prefixLength() == 8", "10.0.0.0/8", True),
        (
            "string(cidr(self).masked()) == '10.0.0.0/8' && string(cidr(self).ip()) == '10.9.9.9'",
            "10.9.9.9/8",
            True,
        ),
        ("isCIDR(self)", "10.0.0.0", False),
        (
            "self.isSorted() && self.sum() == 6 && self.max() == 3 && self.lastIndexOf(2) == 1",
            [1, 2, 3],
            True,
        ),
        ("self.isSorted()", ["b", "a"], False),
        ("self.findAll('[0-9]+') == ['1', '22'] && self.find('x') == ''", "a1b22", True),
        ("self.split('-', 2) == ['a', 'b-c'] && self.upperAscii() == 'A-B-C'", "a-b-c", True),
        ("self.lastIndexOf('-') == 3 && self.indexOf('-', 2) == 3", "a-b-c", True),
        ("sets.contains(self, [2]) && sets.equivalent(self, [2, 1, 1])", [1, 2], True),
        ("optional.ofNonZeroValue(self).orValue('none') == 'none'", "", True),
    ],
)
def test_kubernetes_libraries(rule: str, value: object, expected: object) -> None:
    assert judge(rule, value) == expected


@pytest.mark.parametrize(
    ("rule", "value", "message"),
    [
        ("ip(self).family() == 4", "1.2.3", "parse error during conversion from string"),
        ("cidr(self).prefixLength() > 0", "10.0.0.0/33", "parse error"),
        ("url(self).getScheme() == 'https'", "nope", "invalid URI for request"),
        ("self.max() > 0", [], "max called on empty list"),
        ("self.find('(') == ''", "x", "error parsing regexp"),
    ],
)
def test_a_library_function_refusing_its_argument_fails_the_rule(
    rule: str, value: object, message: str
) -> None:
    result = judge(rule, value)
    assert isinstance(result, str) and result.startswith("error: ") and message in result


def test_optional_syntax_parses_but_is_not_evaluated() -> None:
    """cel-python's grammar has no `a.?b`: the rule is checked with the marker blanked (same
    positions) and, kube-apiserver accepting it, stored; cel-python cannot run it."""
    rule = "self.?name.orValue('') == '' && [?self[?0]].size() < 2 && {?'k': x} != {} && 'a.?' != ''"
    assert cel_python.checkable(rule) == rule.replace(".?n", ". n").replace("[?", "[ ").replace("{?", "{ ")
    assert cel_python.syntax_error(rule) == ""
    assert cel_python.fallback(rule) is None
    assert cel_python.checkable("self.a ? 1 : 2") == "self.a ? 1 : 2"


def test_macro_variables_and_library_namespaces_are_declared() -> None:
    for rule in (
        "self.all(x, x.exists(y, y > 0)) && self.map(z, z).size() > 0",
        "format.dns1123Label().validate(self.name) == optional.none() && sets.contains([1], [1])",
        "quantity(self.memory).isLessThan(quantity('1Gi')) && int(self.x) > 0 && type(self) == map",
    ):
        assert cel_check.compile_errors(rule, {"x-kubernetes-preserve-unknown-fields": True}) == "", rule
