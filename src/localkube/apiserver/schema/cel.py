"""A small subset of CEL for CRD `x-kubernetes-validations` rules. Pure.

Supported: literals (int, double, string, bool, null, lists, maps), `self`/`oldSelf`, field
selection and indexing, `! - * / % + - < <= > >= == != in && || ?:`, `has(x.f)`, `size(x)` /
`x.size()`, `startsWith`, `endsWith`, `contains`, `matches`, `int()`, `string()`, `double()`, and
the list macros `all`, `exists`, `exists_one`, `map`, `filter`. That covers KubeRay's CRD
(`self == oldSelf`, `self in [...]`) and the common idioms. Anything else is a compile error
(`CelError`), and the caller skips such a rule instead of rejecting objects it cannot judge.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from localkube.apiserver.schema.values import json_equal, json_type

__all__ = ["CelError", "CelProgram", "compile_rule"]


class CelError(Exception):
    """A rule we cannot compile, or one that fails at run time (CEL's "no such key", ...)."""


_TOKEN = re.compile(
    r"""\s*(?:
      (?P<num>\d+\.\d+(?:[eE][+-]?\d+)?|\d+[eE][+-]?\d+|0x[0-9a-fA-F]+u?|\d+u?)
    | (?P<str>[rR]?(?:'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"))
    | (?P<id>[A-Za-z_][A-Za-z0-9_]*)
    | (?P<op>==|!=|<=|>=|&&|\|\||[-+*/%<>!?:.,\[\](){}])
    )""",
    re.VERBOSE,
)

_ESCAPES = {
    "n": "\n",
    "t": "\t",
    "r": "\r",
    "\\": "\\",
    "'": "'",
    '"': '"',
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "v": "\v",
    "?": "?",
    "`": "`",
}


def _tokens(text: str) -> list[tuple[str, str]]:
    out = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise CelError(f"Syntax error: token recognition error at: '{text[pos:].strip()[:1]}'")
        pos = m.end()
        kind = m.lastgroup or ""
        out.append((kind, m.group(kind)))
    out.append(("end", ""))
    return out


def _unquote(tok: str) -> str:
    raw = tok[0] in "rR"
    body = tok[2:-1] if raw else tok[1:-1]
    if raw:
        return body

    def sub(m: re.Match[str]) -> str:
        c = m.group(1)
        if c in _ESCAPES:
            return _ESCAPES[c]
        if c.startswith("u") or c.startswith("x"):
            return chr(int(c[1:], 16))
        raise CelError(f"invalid escape sequence \\{c}")

    return re.sub(r"\\(u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|.)", sub, body)


# AST: tuples, the first element naming the node kind.
Ast = tuple[Any, ...]

_MACROS = {"all", "exists", "exists_one", "map", "filter"}
_METHODS = {"size", "startsWith", "endsWith", "contains", "matches"}
_FUNCTIONS = {"size", "int", "string", "double", "has"}


class _Parser:
    def __init__(self, text: str) -> None:
        self.toks = _tokens(text)
        self.i = 0

    def peek(self) -> str:
        return self.toks[self.i][1] if self.toks[self.i][0] != "end" else ""

    def take(self, expected: str | None = None) -> tuple[str, str]:
        tok = self.toks[self.i]
        if expected is not None and tok[1] != expected:
            raise CelError(f"Syntax error: expected '{expected}', found '{tok[1]}'")
        self.i += 1
        return tok

    def parse(self) -> Ast:
        node = self.expr()
        if self.toks[self.i][0] != "end":
            raise CelError(f"Syntax error: unexpected '{self.toks[self.i][1]}'")
        return node

    def expr(self) -> Ast:
        cond = self.or_()
        if self.peek() == "?":
            self.take()
            a = self.expr()
            self.take(":")
            b = self.expr()
            return ("cond", cond, a, b)
        return cond

    def or_(self) -> Ast:
        node = self.and_()
        while self.peek() == "||":
            self.take()
            node = ("or", node, self.and_())
        return node

    def and_(self) -> Ast:
        node = self.rel()
        while self.peek() == "&&":
            self.take()
            node = ("and", node, self.rel())
        return node

    def rel(self) -> Ast:
        node = self.add()
        while self.peek() in ("==", "!=", "<", "<=", ">", ">=", "in"):
            op = self.take()[1]
            node = ("bin", op, node, self.add())
        return node

    def add(self) -> Ast:
        node = self.mul()
        while self.peek() in ("+", "-"):
            op = self.take()[1]
            node = ("bin", op, node, self.mul())
        return node

    def mul(self) -> Ast:
        node = self.unary()
        while self.peek() in ("*", "/", "%"):
            op = self.take()[1]
            node = ("bin", op, node, self.unary())
        return node

    def unary(self) -> Ast:
        if self.peek() == "!":
            self.take()
            return ("not", self.unary())
        if self.peek() == "-":
            self.take()
            return ("neg", self.unary())
        return self.member()

    def member(self) -> Ast:
        node = self.primary()
        while True:
            if self.peek() == ".":
                self.take()
                kind, name = self.take()
                if kind != "id":
                    raise CelError(f"Syntax error: expected a field name, found '{name}'")
                if self.peek() == "(":
                    args = self.args()
                    if name in _MACROS:
                        node = self.macro(name, node, args)
                    elif name in _METHODS:
                        node = ("method", name, node, args)
                    else:
                        raise CelError(f"undeclared reference to '{name}'")
                else:
                    node = ("field", node, name)
            elif self.peek() == "[":
                self.take()
                idx = self.expr()
                self.take("]")
                node = ("index", node, idx)
            else:
                return node

    def macro(self, name: str, target: Ast, args: list[Ast]) -> Ast:
        want = 2
        if len(args) != want or args[0][0] != "ident":
            raise CelError(f"unsupported form of the {name} macro")
        return ("macro", name, target, args[0][1], args[1])

    def args(self) -> list[Ast]:
        self.take("(")
        out: list[Ast] = []
        if self.peek() != ")":
            out.append(self.expr())
            while self.peek() == ",":
                self.take()
                out.append(self.expr())
        self.take(")")
        return out

    def primary(self) -> Ast:
        kind, val = self.take()
        if kind == "num":
            if val.endswith("u"):
                return ("lit", int(val[:-1], 0))
            if "." in val or ("e" in val.lower() and not val.lower().startswith("0x")):
                return ("lit", float(val))
            return ("lit", int(val, 0))
        if kind == "str":
            return ("lit", _unquote(val))
        if kind == "id":
            if val in ("true", "false"):
                return ("lit", val == "true")
            if val == "null":
                return ("lit", None)
            if self.peek() == "(":
                args = self.args()
                if val not in _FUNCTIONS:
                    raise CelError(f"undeclared reference to '{val}'")
                if val == "has":
                    if len(args) != 1 or args[0][0] != "field":
                        raise CelError("invalid argument to has() macro")
                    return ("has", args[0][1], args[0][2])
                return ("call", val, args)
            return ("ident", val)
        if val == "(":
            node = self.expr()
            self.take(")")
            return node
        if val == "[":
            items: list[Ast] = []
            if self.peek() != "]":
                items.append(self.expr())
                while self.peek() == ",":
                    self.take()
                    if self.peek() == "]":
                        break
                    items.append(self.expr())
            self.take("]")
            return ("list", items)
        if val == "{":
            entries: list[tuple[Ast, Ast]] = []
            if self.peek() != "}":
                while True:
                    k = self.expr()
                    self.take(":")
                    entries.append((k, self.expr()))
                    if self.peek() != ",":
                        break
                    self.take()
                    if self.peek() == "}":
                        break
            self.take("}")
            return ("map", entries)
        raise CelError(f"Syntax error: unexpected '{val}'")


def _uses(node: Any, name: str) -> bool:
    if isinstance(node, tuple):
        if len(node) == 2 and node[0] == "ident" and node[1] == name:
            return True
        return any(_uses(x, name) for x in node[1:])
    if isinstance(node, list):
        return any(_uses(x, name) for x in node)
    return False


@dataclass(frozen=True)
class CelProgram:
    """A compiled rule: `evaluate(self_value, old_self_value)` returns the rule's value."""

    text: str
    ast: Ast
    uses_old_self: bool

    def evaluate(self, self_value: Any, old_self: Any = None) -> Any:
        env = {"self": self_value}
        if self.uses_old_self:
            env["oldSelf"] = old_self
        return _eval(self.ast, env)


def compile_rule(text: str) -> CelProgram:
    """Parse a rule; CelError if it is outside the subset."""
    ast = _Parser(text).parse()
    return CelProgram(text=text, ast=ast, uses_old_self=_uses(ast, "oldSelf"))


def _eval(node: Ast, env: dict[str, Any]) -> Any:
    kind = node[0]
    if kind == "lit":
        return node[1]
    if kind == "ident":
        if node[1] not in env:
            raise CelError(f"undeclared reference to '{node[1]}'")
        return env[node[1]]
    if kind == "field":
        target = _eval(node[1], env)
        if not isinstance(target, dict):
            raise CelError(f"no such key: {node[2]}")
        if node[2] not in target:
            raise CelError(f"no such key: {node[2]}")
        return target[node[2]]
    if kind == "has":
        target = _eval(node[1], env)
        if not isinstance(target, dict):
            raise CelError("invalid type for field selection.")
        return node[2] in target
    if kind == "index":
        return _index(_eval(node[1], env), _eval(node[2], env))
    if kind == "list":
        return [_eval(x, env) for x in node[1]]
    if kind == "map":
        return {_eval(k, env): _eval(v, env) for k, v in node[1]}
    if kind == "not":
        return not _bool(_eval(node[1], env))
    if kind == "neg":
        value = _eval(node[1], env)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise CelError("no such overload")
        return -value
    if kind == "and":
        return _logic(node, env, short=False)
    if kind == "or":
        return _logic(node, env, short=True)
    if kind == "cond":
        return _eval(node[2], env) if _bool(_eval(node[1], env)) else _eval(node[3], env)
    if kind == "bin":
        return _binary(node[1], _eval(node[2], env), _eval(node[3], env))
    if kind == "call":
        return _call(node[1], [_eval(a, env) for a in node[2]])
    if kind == "method":
        return _call(node[1], [_eval(node[2], env), *(_eval(a, env) for a in node[3])])
    if kind == "macro":
        return _macro(node, env)
    raise CelError(f"unsupported expression {kind}")


def _bool(v: Any) -> bool:
    if not isinstance(v, bool):
        raise CelError("no matching overload")
    return v


def _logic(node: Ast, env: dict[str, Any], *, short: bool) -> bool:
    # CEL's && and || are commutative with respect to errors: a decisive side wins over an error.
    error: CelError | None = None
    for side in (node[1], node[2]):
        try:
            if _bool(_eval(side, env)) is short:
                return short
        except CelError as err:
            error = error or err
    if error is not None:
        raise error
    return not short


def _index(target: Any, key: Any) -> Any:
    if isinstance(target, list):
        if isinstance(key, bool) or not isinstance(key, (int, float)) or int(key) != key:
            raise CelError("unsupported index type")
        i = int(key)
        if not 0 <= i < len(target):
            raise CelError(f"index out of bounds: {i}")
        return target[i]
    if isinstance(target, dict):
        if key not in target:
            raise CelError(f"no such key: {key}")
        return target[key]
    raise CelError("no such overload")


_Compare = Callable[[Any, Any], bool]


def _binary(op: str, a: Any, b: Any) -> Any:
    if op == "==":
        return json_equal(a, b)
    if op == "!=":
        return not json_equal(a, b)
    if op == "in":
        if isinstance(b, list):
            return any(json_equal(a, x) for x in b)
        if isinstance(b, dict):
            return a in b
        raise CelError("no such overload")
    number = (
        isinstance(a, (int, float))
        and not isinstance(a, bool)
        and isinstance(b, (int, float))
        and not isinstance(b, bool)
    )
    if op in ("<", "<=", ">", ">="):
        if not (number or (type(a) is type(b) and isinstance(a, (str, bool)))):
            raise CelError(f"no such overload: {json_type(a)} {op} {json_type(b)}")
        return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]
    if op == "+":
        if (
            number
            or (isinstance(a, str) and isinstance(b, str))
            or (isinstance(a, list) and isinstance(b, list))
        ):
            return a + b
        raise CelError("no such overload")
    if not number:
        raise CelError("no such overload")
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    if op in ("/", "%"):
        if b == 0:
            raise CelError("division by zero" if op == "/" else "modulus by zero")
        if isinstance(a, int) and isinstance(b, int):
            q = abs(a) // abs(b) * (1 if (a >= 0) == (b >= 0) else -1)  # CEL truncates toward zero
            return q if op == "/" else a - q * b
        if op == "%":
            raise CelError("no such overload")
        return a / b
    raise CelError(f"unsupported operator {op}")


def _call(name: str, args: list[Any]) -> Any:
    if name == "size":
        if len(args) != 1 or not isinstance(args[0], (str, list, dict)):
            raise CelError("no such overload: size")
        return len(args[0])
    if name in ("startsWith", "endsWith", "contains", "matches"):
        if len(args) != 2 or not all(isinstance(a, str) for a in args):
            raise CelError(f"no such overload: {name}")
        s, arg = args
        if name == "startsWith":
            return s.startswith(arg)
        if name == "endsWith":
            return s.endswith(arg)
        if name == "contains":
            return arg in s
        try:
            return re.search(arg, s) is not None
        except re.error as err:
            raise CelError(f"invalid regular expression: {err}") from err
    if name == "int":
        try:
            return int(args[0])
        except (TypeError, ValueError) as err:
            raise CelError("no such overload: int") from err
    if name == "double":
        try:
            return float(args[0])
        except (TypeError, ValueError) as err:
            raise CelError("no such overload: double") from err
    if name == "string":
        v = args[0]
        if isinstance(v, bool):
            return "true" if v else "false"
        return str(v)
    raise CelError(f"undeclared reference to '{name}'")


def _macro(node: Ast, env: dict[str, Any]) -> Any:
    _, name, target_ast, var, body = node
    target = _eval(target_ast, env)
    if isinstance(target, dict):
        elements = list(target)
    elif isinstance(target, list):
        elements = target
    else:
        raise CelError(f"no such overload: {name}")

    def run(x: Any) -> Any:
        return _eval(body, {**env, var: x})

    if name == "all":
        return all(_bool(run(x)) for x in elements)
    if name == "exists":
        return any(_bool(run(x)) for x in elements)
    if name == "exists_one":
        return sum(1 for x in elements if _bool(run(x))) == 1
    if name == "map":
        return [run(x) for x in elements]
    return [x for x in elements if _bool(run(x))]
