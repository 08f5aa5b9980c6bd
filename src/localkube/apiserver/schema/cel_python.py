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
    return _environment().compile(expression)


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
    """Kubernetes' wording of why `expression` does not compile ("" when it does): a syntax error,
    or a name no library declares (a misspelt function fails the CRD, as in kube-apiserver,
    instead of passing every object)."""
    try:
        tree = parsed(expression)
    except celpy.CELParseError as e:
        line, column = getattr(e, "line", None) or 1, getattr(e, "column", None) or 0
        return f"compilation failed: ERROR: <input>:{line}:{column}: Syntax error: {str(e).strip()}"
    found = undeclared(tree)
    if found is None:
        return ""
    name, line, column = found
    where = f"compilation failed: ERROR: <input>:{line}:{column}"
    return f"{where}: undeclared reference to '{name}' (in container '')"


# CEL's standard functions and the libraries kube-apiserver gives CRD rules (k8s.io/apiserver's
# cel/library and cel-go's ext: strings, lists, sets, math, encoders, optional, bindings, semver),
# whether or not this engine evaluates them: a rule naming one compiles.
_STANDARD_AND_EXTENSIONS = frozenset(
    """
    size int uint double string bytes bool type dyn duration timestamp matches contains startsWith
    endsWith has all exists exists_one map filter getDate getDayOfMonth getDayOfWeek getDayOfYear
    getFullYear getHours getMilliseconds getMinutes getMonth getSeconds charAt indexOf lastIndexOf
    lowerAscii upperAscii replace split substring trim join quote reverse format isSorted sum min
    max slice flatten distinct sort sortBy range first last find findAll url isURL getScheme getHost
    getHostname getPort getEscapedPath getQuery ip isIP isCanonical family isUnspecified isLoopback
    isLinkLocalMulticast isLinkLocalUnicast isGlobalUnicast cidr isCIDR containsIP containsCIDR
    masked prefixLength named validate of none ofNonZeroValue hasValue value orValue or optMap
    optFlatMap equivalent intersects greatest least ceil floor round trunc abs sign isInf isNaN
    isFinite bitAnd bitOr bitXor bitNot bitShiftLeft bitShiftRight sqrt encode decode bind
    transformList transformMap transformMapEntry semver isSemver major minor patch isLessThan
    isGreaterThan compareTo
    """.split()  # noqa: SIM905 - a word list reads better than 150 quoted names
)
# Variables a rule may name besides its own bound ones: the value and the library namespaces.
_VARIABLES = frozenset(
    {"self", "oldSelf", "math", "base64", "cel", "sets", "strings", "format", "ip", "optional"}
)
_TYPE_NAMES = frozenset(
    {"int", "uint", "double", "string", "bytes", "bool", "list", "map", "null_type", "type"}
)
_MACROS = frozenset({"all", "exists", "exists_one", "map", "filter", "transformList", "transformMap", "bind"})


@functools.cache
def _declared() -> frozenset[str]:
    return _STANDARD_AND_EXTENSIONS | frozenset(cel_library.FUNCTIONS) | frozenset(KUBERNETES_LIBRARY)


def _bare_ident(tree: Any) -> str | None:
    """The name if this expression subtree is nothing but an identifier (a macro's variable)."""
    # cel-python's AST is a lark Tree: nodes have `data` and `children`, tokens are strings
    while hasattr(tree, "data") and len(tree.children) == 1 and tree.data != "ident":
        tree = tree.children[0]
    if hasattr(tree, "data") and tree.data == "ident":
        return str(tree.children[0])
    return None


def undeclared(tree: Any) -> tuple[str, int, int] | None:
    """The first name the expression uses that nothing declares: (name, line, column)."""
    bound: set[str] = set()
    for node in tree.iter_subtrees():
        if node.data == "member_dot_arg" and str(node.children[1]) in _MACROS and len(node.children) > 2:
            args = node.children[2].children
            bound.update(n for n in (_bare_ident(a) for a in args[:-1]) if n)
    for node in tree.iter_subtrees_topdown():
        token: Any = None
        if node.data == "ident":
            token = node.children[0]
            if str(token) in _VARIABLES or str(token) in bound or str(token) in _TYPE_NAMES:
                continue
        elif node.data in ("ident_arg", "member_dot_arg"):
            token = node.children[0] if node.data == "ident_arg" else node.children[1]
            if str(token) in _declared():
                continue
        else:
            continue
        return str(token), getattr(token, "line", 1) or 1, getattr(token, "column", 1) or 1
    return None


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
    """The rule as a cel-python program, or None if it does not parse (the CRD was refused)."""
    if syntax_error(text):
        return None
    env = _environment()
    program = env.program(env.compile(text), functions={**cel_library.FUNCTIONS, **KUBERNETES_LIBRARY})
    return CelPyProgram(text=text, ast=("lit", True), uses_old_self="oldSelf" in text, program=program)
