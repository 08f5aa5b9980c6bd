"""CRD rules through cel-python: syntax errors named as kube-apiserver names them, and rules beyond
the hand-written subset evaluated, Kubernetes' quantity library included."""

from __future__ import annotations

from localkube.apiserver.schema import cel_python


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
    # a library function plain CEL lacks (url()) cannot be judged here: the object passes
    unknown = cel_python.fallback('url(self).getHost() == "example.com"')
    assert unknown is not None and unknown.evaluate("https://other.org") is True
