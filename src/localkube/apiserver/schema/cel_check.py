"""The type check kube-apiserver's CEL compilation runs on a CRD's validation rules, against the
schema of the node each rule is on: a field the schema does not declare, an operator with no
overload for its operands' types (`self.name + 1` on a string), `&&`/`||` on a non-bool, and a
rule that does not evaluate to a bool fail the CRD with 422 instead of every object later, and so
does a name kube-apiserver does not declare (cel_env.py: `math.greatest`, `cel.bind`, a misspelt
function) or a library function given types none of its overloads takes (`'abc'.reverse()`).

Types come from literals, the schema (`self`, `oldSelf`, a macro's variable over a list's items)
and a few functions (`size`, conversions); anything else is `dyn`, which nothing is checked
against, so the check errs on the side of accepting. Messages and positions are cel-go's, as
kube-apiserver v1.37 prints them (all errors, each with the source line and a caret)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import celpy

from localkube.apiserver.schema import cel_env
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
    "existsOne": "bool",
}
# grammar nodes that are their only child's value
_PASS_THROUGH = frozenset(
    {"expr", "conditionalor", "conditionaland", "relation", "addition", "multiplication", "unary"}
    | {"member", "primary", "literal", "paren_expr"}
)
# string formats kube-apiserver types as something other than a string
_FORMATS = {"byte": "bytes", "duration": "duration", "date-time": "timestamp", "date": "timestamp"}
# arithmetic on these has overloads of mixed types (timestamp + duration): not checked here
_TIME = frozenset({"timestamp", "duration"})
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
            name = str(children[0])
            args = call_args(children[1:])
            if name == "has" and len(args) == 1:  # a macro: its argument is a field selection
                self.typ(args[0], env)
                return "bool"
            return self._call(name, [], args, env, self._skip(children[0].end_pos))
        if data == "ident":
            name = str(children[0])
            if name in env:
                return env[name]
            if name in cel_env.VARIABLES:
                return self.schema
            if name not in cel_env.TYPE_NAMES:
                self._error(int(children[0].start_pos), _undeclared(name))
            return None
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
        if f"{qualified(base_node)}.{name}" in cel_env.TYPE_NAMES:  # google.protobuf.Timestamp
            return None
        base = self.typ(base_node, env)
        if not isinstance(base, dict) or base is OPEN:
            return None
        if base is self.schema and self.at_root and str(name) in ROOT_FIELDS:
            return None
        found = field_schema(base, str(name))
        dot = self._after(base_node)
        if found is None:
            self._error(dot, f"undefined field '{name}'")
        if self.text[self._skip(dot + 1) : self._skip(dot + 1) + 1] == "?":
            return None  # `a.?b`: an optional of the field (cel_python blanks the '?' to parse)
        return found

    def _method(self, children: list[Any], env: dict[str, Typ]) -> Typ:
        target, name = children[0], str(children[1])
        args = call_args(children[2:])
        at = self._skip(children[1].end_pos)
        bound = cel_env.MACROS.get((name, len(args)))
        namespace = qualified(target)
        if bound is None and namespace is not None and cel_env.declared(f"{namespace}.{name}"):
            return self._call(f"{namespace}.{name}", [], args, env, at)  # sets.contains(...)
        base = self.typ(target, env)
        if bound is None:
            return self._call(name, [base], args, env, at)
        inner = dict(env)
        names = [variable(arg) for arg in args[:bound]]
        if bound == 2:  # all(i, v, p): an index (a key) and the item (the value)
            over: dict[str, Any] = base if isinstance(base, dict) else {}
            is_list = over.get("type") == "array"
            extra = over.get("additionalProperties")
            types: list[Typ] = [
                "int" if is_list else "string" if isinstance(extra, dict) else None,
                _element(over) if is_list else extra if isinstance(extra, dict) else None,
            ]
        else:
            ranged = isinstance(base, dict) and name not in ("optMap", "optFlatMap")
            types = [_element(base) if isinstance(base, dict) and ranged else None]
        for var, typ in zip(names, types, strict=True):
            if var is not None:
                inner[var] = typ if base is not OPEN else None
        found = [self.typ(arg, inner) for arg in args[bound:]]
        if name == "filter":
            return base
        if name == "map" and len(found) == 1:  # a list of what the expression gives
            element = primitive(found[0])
            return (
                {"type": "array", "items": {"type": _SCHEMA_TYPES[element]}}
                if element in _SCHEMA_TYPES
                else None
            )
        return RESULT_TYPES.get(name)

    def _call(self, name: str, receiver: list[Typ], args: list[Any], env: dict[str, Typ], at: int) -> Typ:
        """A function call (a method's when `receiver` holds its target's type): its name must be
        declared, and where every type is known, one overload must take them."""
        found = [self.typ(arg, env) for arg in args]
        if not cel_env.declared(name):
            self._error(at, _undeclared(name))
            return None
        known = [cel_type(t) for t in receiver + found]
        if all(t is not None for t in known):
            why = cel_env.no_overload(name, [t for t in known if t is not None], bool(receiver))
            if why:
                self._error(at, why)
        return RESULT_TYPES.get(name)


def _undeclared(name: str) -> str:
    return f"undeclared reference to '{name}' (in container '')"


def cel_type(t: Typ) -> str | None:
    """A known type in cel_env's notation (`list(string)`), None when it is not known."""
    if isinstance(t, dict) and t is not OPEN and t.get("type") == "array" and not t.get("nullable"):
        items = t.get("items")
        element = cel_type(items) if isinstance(items, dict) else None
        return f"list({element})" if element else None
    if isinstance(t, dict) and t is not OPEN and t.get("type") == "object" and not t.get("nullable"):
        extra = t.get("additionalProperties")
        value = cel_type(extra) if isinstance(extra, dict) and not t.get("properties") else None
        return f"map(string,{value})" if value else None
    found = primitive(t)
    return {"timestamp": "Timestamp", "duration": "Duration", "null": None}.get(str(found), found)


def qualified(node: Any) -> str | None:
    """The dotted name when `node` is nothing but one (`sets`, `google.protobuf`), else None."""
    while hasattr(node, "data") and len(node.children) == 1 and node.data != "ident":
        node = node.children[0]
    if not hasattr(node, "data"):
        return None
    if node.data == "ident":
        return str(node.children[0])
    if node.data == "member_dot":
        base = qualified(node.children[0])
        return f"{base}.{node.children[1]}" if base is not None else None
    return None


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
