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
from localkube.apiserver.schema import cel_library
from localkube.apiserver.schema.cel import CelError, CelProgram

# cel-python logs every parse at DEBUG, and a failed one at INFO; the 422 reports it
logging.getLogger("celpy").setLevel(logging.WARNING)


@functools.cache
def _environment() -> celpy.Environment:
    return celpy.Environment()


@functools.lru_cache(maxsize=4096)
def parsed(expression: str) -> Any:
    """The expression's parse tree, its optional-value markers blanked (`checkable`)."""
    return _environment().compile(checkable(expression))


def checkable(expression: str) -> str:
    """`expression` as cel-python's grammar takes it: the '?' of CEL's optional syntax (`a.?b`,
    `a[?i]`, `[?x]`, `{?k: v}`), which that grammar lacks, becomes a space, so positions stay
    those of the rule; cel_check types such a selection as unknown."""
    out = list(expression)
    quote = ""
    last = ""  # the last character outside strings that is not space
    i = 0
    while i < len(expression):
        c = expression[i]
        if quote:
            if c == "\\":
                i += 1
            elif expression.startswith(quote, i):
                i += len(quote) - 1
                quote = ""
        elif c in "'\"":
            quote = c * 3 if expression.startswith(c * 3, i) else c
            i += len(quote) - 1
            last = c
        elif c == "?" and last in (".", "[", "{", ","):
            out[i] = " "
        elif not c.isspace():
            last = c
        i += 1
    return "".join(out)


# a schema node past which a rule's field names are not checked: any field may be there
OPEN = {"x-kubernetes-preserve-unknown-fields": True}
# what every object of a kind has besides what its schema declares (a rule at the root names them)
ROOT_FIELDS = ("apiVersion", "kind", "metadata")


def field_schema(schema: dict[str, Any], name: str) -> dict[str, Any] | None:
    """The schema of field `name` of a value under `schema`; None if the schema says it has no
    such field, OPEN where it cannot tell (unknown fields kept, embedded objects, maps of any)."""
    if (
        schema.get("x-kubernetes-preserve-unknown-fields")
        or schema.get("x-kubernetes-embedded-resource")
        or schema.get("x-kubernetes-int-or-string")
        or (name.startswith("__") and name.endswith("__"))  # an escaped property name
    ):
        return OPEN
    properties = schema.get("properties")
    if isinstance(properties, dict) and name in properties:
        found = properties[name]
        return found if isinstance(found, dict) else OPEN
    additional = schema.get("additionalProperties")
    if isinstance(additional, dict):
        return additional
    if schema.get("type") == "object" and isinstance(properties, dict) and additional is None:
        return None
    return OPEN


@functools.lru_cache(maxsize=4096)
def syntax_error(expression: str) -> str:
    """Kubernetes' wording of why `expression` does not parse ("" when it does); the names it
    uses and their types are cel_check's."""
    try:
        parsed(expression)
    except celpy.CELParseError as e:
        line, column = getattr(e, "line", None) or 1, getattr(e, "column", None) or 0
        return f"compilation failed: ERROR: <input>:{line}:{column}: Syntax error: {str(e).strip()}"
    return ""


@dataclass(frozen=True)
class CelPyProgram(CelProgram):
    """A rule outside the hand-written subset, run by cel-python with Kubernetes' libraries. A
    library function that refuses its argument (`url('x')`, `ip('1.2.3')`) fails the rule with its
    message (CelError), as in Kubernetes. Other evaluation errors (a standard function cel-python
    lacks) pass the object, so a valid object is never refused for what this engine cannot judge."""

    program: Any = None

    def evaluate(self, self_value: Any, old_self: Any = None) -> Any:
        activation: dict[str, Any] = {**cel_library.NAMESPACES, "self": celpy.json_to_cel(self_value)}
        if self.uses_old_self:
            activation["oldSelf"] = celpy.json_to_cel(old_self)
        try:
            result = self.program.evaluate(activation)
        except celpy.CELEvalError as e:
            if (
                len(e.args) > 2
                and isinstance(e.args[1], type)
                and issubclass(e.args[1], cel_library.LibraryError)
            ):
                raise CelError(str(e.args[2][0]) if e.args[2] else "library error") from e
            return True
        except (TypeError, ValueError, KeyError, ZeroDivisionError, RecursionError):
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
    """The rule as a cel-python program, or None if it does not parse (the CRD was refused) or
    uses optional syntax, which cel-python cannot run (the rule is not evaluated)."""
    if syntax_error(text) or checkable(text) != text:
        return None
    env = _environment()
    program = env.program(env.compile(text), functions={**cel_library.FUNCTIONS, **KUBERNETES_LIBRARY})
    return CelPyProgram(text=text, ast=("lit", True), uses_old_self="oldSelf" in text, program=program)
