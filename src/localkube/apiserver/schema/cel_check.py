"""The type check kube-apiserver's CEL compilation runs on a CRD's validation rules, against the
schema of the node each rule is on: a field the schema does not declare, an operator with no
overload for its operands' types (`self.name + 1` on a string), `&&`/`||` on a non-bool, and a
rule that does not evaluate to a bool fail the CRD with 422 instead of every object later.

Types come from literals, the schema (`self`, `oldSelf`, a macro's variable over a list's items)
and a few functions (`size`, conversions); anything else is `dyn`, which nothing is checked
against, so the check errs on the side of accepting. Messages and positions are cel-go's, as
kube-apiserver v1.37 prints them (all errors, each with the source line and a caret)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import celpy

from localkube.apiserver.schema.cel_python import OPEN, ROOT_FIELDS, field_schema, parsed

# A CEL type: a primitive's name, a schema (a value read from the object), or None for dyn
Typ = str | dict[str, Any] | None

_NUMERIC = frozenset({"int", "uint", "double"})
_ORDERED = _NUMERIC | {"string", "bytes", "bool"}
_ARITHMETIC = {
    "addition_add": ("_+_", _NUMERIC | {"string", "bytes"}),
    "addition_sub": ("_-_", _NUMERIC),
    "multiplication_mul": ("_*_", _NUMERIC),
    "multiplication_div": ("_/_", _NUMERIC),
    "multiplication_mod": ("_%_", frozenset({"int", "uint"})),
}
_RELATIONS = {
    "relation_lt": "_<_",
    "relation_le": "_<=_",
    "relation_gt": "_>_",
    "relation_ge": "_>=_",
    "relation_eq": "_==_",
    "relation_ne": "_!=_",
}
LITERAL_TYPES = {
    "INT_LIT": "int",
    "UINT_LIT": "uint",
    "FLOAT_LIT": "double",
    "STRING_LIT": "string",
    "MLSTRING_LIT": "string",
    "BYTES_LIT": "bytes",
    "BOOL_LIT": "bool",
    "NULL_LIT": "null",
}
# functions and methods whose result type does not depend on their arguments
RESULT_TYPES = {
    "size": "int",
    "int": "int",
    "uint": "uint",
    "double": "double",
    "string": "string",
    "bytes": "bytes",
    "bool": "bool",
    "has": "bool",
    "startsWith": "bool",
    "endsWith": "bool",
    "contains": "bool",
    "matches": "bool",
    "all": "bool",
    "exists": "bool",
    "exists_one": "bool",
}
# grammar nodes that are their only child's value
_PASS_THROUGH = frozenset(
    {"expr", "conditionalor", "conditionaland", "relation", "addition", "multiplication", "unary"}
    | {"member", "primary", "literal", "paren_expr"}
)
_MACROS = frozenset({"all", "exists", "exists_one", "map", "filter"})
_QUANTIFIERS = frozenset({"all", "exists", "exists_one"})  # these take two variables too
# string formats kube-apiserver types as something other than a string
_FORMATS = {"byte": "bytes", "duration": "duration", "date-time": "timestamp", "date": "timestamp"}
# arithmetic on these has overloads of mixed types (timestamp + duration): not checked here
_TIME = frozenset({"timestamp", "duration"})
# string methods taking one string: a receiver and argument of other types have no overload
_STRING_METHODS = frozenset({"startsWith", "endsWith", "contains", "matches"})
_SCHEMA_TYPES = {"int": "integer", "double": "number", "bool": "boolean", "string": "string"}


def primitive(t: Typ) -> str | None:
    """The primitive type a value of type `t` has, None when it is not one or not known."""
    if t is None or isinstance(t, str):
        return t
    if t is OPEN or t.get("nullable") or t.get("x-kubernetes-int-or-string"):
        return None
    kind = t.get("type")
    if kind == "string":
        fmt = t.get("format")
        return _FORMATS.get(str(fmt), "string")
    return {"integer": "int", "number": "double", "boolean": "bool"}.get(str(kind))


@dataclass
class _Checker:
    text: str
    schema: dict[str, Any]
    at_root: bool
    errors: list[tuple[int, str]] = field(default_factory=list)

    # ---- positions: cel-go reports an operator's, a selection's '.', a call's '(' -----------

    def _skip(self, i: int) -> int:
        while i < len(self.text):
            if self.text[i].isspace():
                i += 1
            elif self.text.startswith("//", i):
                end = self.text.find("\n", i)
                i = len(self.text) if end < 0 else end
            else:
                break
        return i

    def _after(self, node: Any) -> int:
        """The first character after `node` that is not space or a comment."""
        end = node.end_pos if hasattr(node, "end_pos") else node.meta.end_pos
        return self._skip(end)

    def _where(self, node: Any) -> int:
        while hasattr(node, "data"):
            children = [c for c in node.children if c is not None]
            if node.data == "member_dot":
                return self._after(children[0])
            if node.data in ("member_dot_arg", "ident_arg"):
                name = children[1] if node.data == "member_dot_arg" else children[0]
                return self._skip(name.end_pos)
            if node.data in ("relation", "addition", "multiplication") and len(children) == 2:
                return self._after(children[0].children[0])
            if node.data in ("conditionalor", "conditionaland") and len(children) == 2:
                return self._after(children[0])
            if len(children) != 1:
                return int(node.meta.start_pos)
            node = children[0]
        return int(node.start_pos)

    def _error(self, at: int, message: str) -> None:
        self.errors.append((at, message))

    # ---- types ---------------------------------------------------------------------------

    def typ(self, node: Any, env: dict[str, Typ]) -> Typ:
        if not hasattr(node, "data"):
            return LITERAL_TYPES.get(node.type) if hasattr(node, "type") else None
        children = [c for c in node.children if c is not None]
        data = node.data
        if data in ("conditionalor", "conditionaland") and len(children) == 2:
            for operand in children:
                found = primitive(self.typ(operand, env))
                if found is not None and found != "bool":
                    self._error(self._where(operand), f"expected type 'bool' but found '{found}'")
            return "bool"
        if data in ("relation", "addition", "multiplication") and len(children) == 2:
            return self._binary(children[0], children[1], env)
        if data == "unary" and len(children) == 2:
            return self._unary(node, children, env)
        if data == "member_dot":
            return self._select(children[0], children[1], env)
        if data == "member_dot_arg":
            return self._method(children, env)
        if data == "ident_arg":
            for arg in call_args(children[1:]):
                self.typ(arg, env)
            return RESULT_TYPES.get(str(children[0]))
        if data == "ident":
            name = str(children[0])
            if name in env:
                return env[name]
            return self.schema if name in ("self", "oldSelf") else None
        if len(children) == 1 and data in _PASS_THROUGH:
            return self.typ(children[0], env)
        parts = [self.typ(child, env) for child in children]
        if data == "expr" and len(parts) == 3:  # a ternary: the type its two branches share
            then, other = primitive(parts[1]), primitive(parts[2])
            return then if then is not None and then == other else None
        return None  # an index, a list or map literal: errors inside only

    def _binary(self, op_node: Any, right: Any, env: dict[str, Typ]) -> Typ:
        left = op_node.children[0]
        lt, rt = primitive(self.typ(left, env)), primitive(self.typ(right, env))
        kind = op_node.data
        if kind == "relation_in":
            return "bool"
        if kind in _RELATIONS:
            if lt is not None and rt is not None:
                ordering = kind not in ("relation_eq", "relation_ne")
                fine = (
                    (lt == rt and lt in _ORDERED | _TIME) or (lt in _NUMERIC and rt in _NUMERIC)
                    if ordering
                    else lt == rt
                )
                if not fine:
                    self._overload(self._after(left), _RELATIONS[kind], lt, rt)
            return "bool"
        name, allowed = _ARITHMETIC[kind]
        if lt is None or rt is None or lt in _TIME or rt in _TIME:
            return None
        if lt != rt or lt not in allowed:
            self._overload(self._after(left), name, lt, rt)
            return None
        return lt

    def _unary(self, node: Any, children: list[Any], env: dict[str, Typ]) -> Typ:
        negate = children[0].data == "unary_neg"
        found = primitive(self.typ(children[1], env))
        allowed = {"int", "double"} if negate else {"bool"}
        if found is not None and found not in allowed:
            name = "-_" if negate else "!_"
            self._error(
                int(node.meta.start_pos), f"found no matching overload for '{name}' applied to '({found})'"
            )
            return None
        return found if negate else "bool"

    def _overload(self, at: int, name: str, lt: str, rt: str) -> None:
        self._error(at, f"found no matching overload for '{name}' applied to '({lt}, {rt})'")

    def _select(self, base_node: Any, name: Any, env: dict[str, Typ]) -> Typ:
        base = self.typ(base_node, env)
        if not isinstance(base, dict) or base is OPEN:
            return None
        if base is self.schema and self.at_root and str(name) in ROOT_FIELDS:
            return None
        found = field_schema(base, str(name))
        if found is None:
            self._error(self._after(base_node), f"undefined field '{name}'")
        return found

    def _method(self, children: list[Any], env: dict[str, Typ]) -> Typ:
        target, name = children[0], str(children[1])
        base = self.typ(target, env)
        args = call_args(children[2:])
        inner = dict(env)
        if name in _MACROS and len(args) >= 2 and isinstance(base, dict) and base is not OPEN:
            var = variable(args[0])
            second = variable(args[1]) if name in _QUANTIFIERS and len(args) == 3 else None
            if second is not None:  # all(i, v, p): an index (a key) and the item (the value)
                is_list = base.get("type") == "array"
                extra = base.get("additionalProperties")
                inner[second] = _element(base) if is_list else extra if isinstance(extra, dict) else None
                if var is not None:
                    inner[var] = "int" if is_list else "string"
                args = args[2:]
            else:
                if var is not None:
                    inner[var] = _element(base)
                args = args[1:]
        found = [self.typ(arg, inner) for arg in args]
        if name == "filter":
            return base
        if name == "map" and len(found) == 1:  # a list of what the expression gives
            element = primitive(found[0])
            return (
                {"type": "array", "items": {"type": _SCHEMA_TYPES[element]}}
                if element in _SCHEMA_TYPES
                else None
            )
        if name in _STRING_METHODS and len(found) == 1:
            receiver, arg = primitive(base), primitive(found[0])
            if receiver is not None and arg is not None and (receiver, arg) != ("string", "string"):
                self._error(
                    self._skip(children[1].end_pos),
                    f"found no matching overload for '{name}' applied to '{receiver}.({arg})'",
                )
        return RESULT_TYPES.get(name)


def call_args(children: list[Any]) -> list[Any]:
    """A call's argument expressions, from the parse tree's children after its name."""
    return [a for c in children if hasattr(c, "data") and c.data == "exprlist" for a in c.children]


def variable(node: Any) -> str | None:
    """The name, when a macro's first argument is one (its variable)."""
    while hasattr(node, "data") and len(node.children) == 1 and node.data != "ident":
        node = node.children[0]
    return str(node.children[0]) if hasattr(node, "data") and node.data == "ident" else None


def _element(schema: dict[str, Any]) -> Typ:
    """What a macro's variable ranges over: a list's items, a map's keys."""
    if schema.get("type") == "array":
        items = schema.get("items")
        return items if isinstance(items, dict) else None
    if isinstance(schema.get("additionalProperties"), dict):
        return "string"
    return None


def _display(text: str, at: int, message: str) -> str:
    line = text.count("\n", 0, at) + 1
    start = text.rfind("\n", 0, at) + 1
    column = at - start + 1
    source = text.splitlines()[line - 1] if text else ""
    return f"ERROR: <input>:{line}:{column}: {message}\n | {source}\n | {'.' * (column - 1)}^"


def compile_errors(expression: str, schema: dict[str, Any], at_root: bool = False, rule: bool = True) -> str:
    """kube-apiserver's message for why `expression` does not type-check on a node of `schema`
    ("" when it does). `at_root`: the rule is on the kind's root schema (apiVersion, kind and
    metadata are there). `rule`: a validation rule, which must be a bool (not a messageExpression)."""
    try:
        tree = parsed(expression)
    except celpy.CELParseError:
        return ""  # cel_python.syntax_error says why
    checker = _Checker(expression, schema, at_root)
    result = checker.typ(tree, {})
    if checker.errors:
        shown = [_display(expression, at, msg) for at, msg in sorted(checker.errors, key=lambda e: e[0])]
        return "compilation failed: " + "\n".join(shown)
    found = primitive(result)
    if rule and found is not None and found != "bool":
        return "cel expression must evaluate to a bool"
    return ""
