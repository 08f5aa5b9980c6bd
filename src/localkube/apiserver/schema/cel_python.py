"""CRD validation rules through cel-python (a maintained CEL implementation): their syntax is
checked when the CRD is written (a rule that cannot be parsed fails the CRD with 422, as
kube-apiserver's compilation does), and rules the hand-written subset (schema_cel.py) cannot
compile are evaluated here instead of being skipped."""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import celpy
from celpy import celtypes

from kubeschema.quantity import QuantityError, parse_quantity
from localkube.apiserver.schema.cel import CelProgram

# cel-python logs every parse at DEBUG, and a failed one at INFO; the 422 reports it
logging.getLogger("celpy").setLevel(logging.WARNING)


@functools.cache
def _environment() -> celpy.Environment:
    return celpy.Environment()


@functools.lru_cache(maxsize=4096)
def syntax_error(expression: str) -> str:
    """Kubernetes' wording of why `expression` is not CEL ("" when it parses)."""
    try:
        _environment().compile(expression)
    except celpy.CELParseError as e:
        line, column = getattr(e, "line", None) or 1, getattr(e, "column", None) or 0
        return f"compilation failed: ERROR: <input>:{line}:{column}: Syntax error: {str(e).strip()}"
    return ""


@dataclass(frozen=True)
class CelPyProgram(CelProgram):
    """A rule outside the hand-written subset, run by cel-python. Only a clean `false` fails an
    object: an evaluation error (a Kubernetes library function such as quantity(), which plain CEL
    lacks) passes it, so a valid object is never refused for what this engine cannot judge."""

    program: Any = None

    def evaluate(self, self_value: Any, old_self: Any = None) -> Any:
        activation = {"self": celpy.json_to_cel(self_value)}
        if self.uses_old_self:
            activation["oldSelf"] = celpy.json_to_cel(old_self)
        try:
            result = self.program.evaluate(activation)
        except (celpy.CELEvalError, TypeError, ValueError, KeyError, ZeroDivisionError, RecursionError):
            return True
        return bool(result) if isinstance(result, celtypes.BoolType) else True


@dataclass(frozen=True)
class _Quantity:
    """A value of Kubernetes' CEL `Quantity` type."""

    value: Decimal


def _quantity(raw: Any) -> _Quantity:
    return _Quantity(parse_quantity(str(raw)).value)


def _is_quantity(raw: Any) -> celtypes.BoolType:
    try:
        parse_quantity(str(raw))
    except QuantityError:
        return celtypes.BoolType(False)
    return celtypes.BoolType(True)


def _value(q: Any) -> Decimal:
    return q.value if isinstance(q, _Quantity) else Decimal(int(q))


def _compare(a: _Quantity, b: Any) -> int:
    return (a.value > _value(b)) - (a.value < _value(b))


def _as_integer(q: _Quantity) -> celtypes.IntType:
    if q.value != q.value.to_integral_value() or not (-(2**63) <= q.value < 2**63):
        raise ValueError("cannot convert value to integer")
    return celtypes.IntType(int(q.value))


# Kubernetes' CEL quantity library (k8s.io/apiserver/pkg/cel/library/quantity.go), the one CRD
# rules use most (resource limits); methods take their target as the first argument
KUBERNETES_LIBRARY: dict[str, Any] = {
    "quantity": _quantity,
    "isQuantity": _is_quantity,
    "isLessThan": lambda a, b: celtypes.BoolType(_compare(a, b) < 0),
    "isGreaterThan": lambda a, b: celtypes.BoolType(_compare(a, b) > 0),
    "compareTo": lambda a, b: celtypes.IntType(_compare(a, b)),
    "sign": lambda q: celtypes.IntType((q.value > 0) - (q.value < 0)),
    "isInteger": lambda q: celtypes.BoolType(q.value == q.value.to_integral_value()),
    "asInteger": _as_integer,
    "asApproximateFloat": lambda q: celtypes.DoubleType(float(q.value)),
    "add": lambda a, b: _Quantity(a.value + _value(b)),
    "sub": lambda a, b: _Quantity(a.value - _value(b)),
}


def fallback(text: str) -> CelProgram | None:
    """The rule as a cel-python program, or None if it does not parse (the CRD was refused)."""
    if syntax_error(text):
        return None
    env = _environment()
    program = env.program(env.compile(text), functions=KUBERNETES_LIBRARY)
    return CelPyProgram(text=text, ast=("lit", True), uses_old_self="oldSelf" in text, program=program)
