"""The static cost budget kube-apiserver v1.37 puts on a CRD's validation rules. Pure.

Each rule's worst-case cost is estimated as cel-go's checker does (a call costs 1 plus its
arguments, `&&`/`||` the sum of their sides, `?:` the condition and the dearer branch, a macro its
range's size times its step; string functions cost by the sizes of their strings), with the sizes
Kubernetes gives the schema's values: `maxLength`, `maxItems` and `maxProperties` where declared,
else as many as fit in a 3 MiB request. A rule's cost is multiplied by how many times it can run
in one object (its node's cardinality, the product of the enclosing lists' and maps' maxima); over
10M the CRD is refused, as is a schema whose rules add up to over 100M.

Where this estimator does not know a construct it estimates low (a function cel-go sizes is taken
as costing 1, a value of unknown size as empty), so a CRD kube-apiserver accepts is never refused.
"""

from __future__ import annotations

import ast
import math
from dataclasses import dataclass, field, replace
from typing import Any

from localkube.apiserver.schema.cel_check import LITERAL_TYPES, RESULT_TYPES, call_args, variable
from localkube.apiserver.schema.cel_python import parsed

PER_EXPRESSION_LIMIT = 10_000_000  # StaticEstimatedCostLimit
CRD_LIMIT = 100_000_000  # StaticEstimatedCRDCostLimit
MAX_REQUEST_BYTES = 3 * 1024 * 1024
_MAX = 2**64 - 1
_STRING_FACTOR = 0.1
_REGEX_FACTOR = 0.25
_SCALARS = frozenset({"bool", "int", "uint", "double", "duration", "timestamp"})
_STRINGISH = frozenset({"string", "bytes"})
_NAMESPACES = frozenset({"math", "strings", "base64", "sets", "optional", "ip", "format", "lists", "cel"})
_SIZED_BY_ARG = frozenset({"quantity", "isQuantity", "semver", "isSemver", "isIP", "isCIDR", "cidr", "ip"})
# what calls give, beyond the functions cel_check types
_RESULT_KINDS = {
    **RESULT_TYPES,
    "duration": "duration",
    "timestamp": "timestamp",
    "lowerAscii": "string",
    "upperAscii": "string",
    "trim": "string",
    "substring": "string",
    "replace": "string",
    "join": "string",
    "find": "string",
    "split": "list",
    "findAll": "list",
}


# ---- the sizes Kubernetes declares for schema values (k8s.io/apiserver pkg/cel/common) ----------


@dataclass
class Decl:
    """What CEL knows of one schema node: its kind, the most elements (characters, items,
    properties) a value of it has, and the fewest bytes it takes in JSON."""

    kind: str
    max_elements: int
    min_size: int
    schema: dict[str, Any] = field(default_factory=dict)
    is_root: bool = False

    def field(self, name: str) -> Decl | None:
        if self.kind != "object":
            return None
        props = _props(self.schema, self.is_root)
        sub = props.get(name)
        if sub is None:
            sub = props.get(_unescape(name))
        return decl(sub, bool(sub.get("x-kubernetes-embedded-resource"))) if isinstance(sub, dict) else None

    def element(self) -> Decl | None:
        sub = self.schema.get("items") if self.kind == "list" else self.schema.get("additionalProperties")
        if self.kind not in ("list", "map") or not isinstance(sub, dict):
            return None
        return decl(sub, bool(sub.get("x-kubernetes-embedded-resource")))


_STRING_KEY = Decl("string", 0, 2)
_META = {
    "kind": {"type": "string"},
    "apiVersion": {"type": "string"},
    "metadata": {
        "type": "object",
        "properties": {"name": {"type": "string"}, "generateName": {"type": "string"}},
    },
}


def _props(s: dict[str, Any], is_root: bool) -> dict[str, Any]:
    found = s.get("properties")
    props: dict[str, Any] = found if isinstance(found, dict) else {}
    if not is_root or _has_meta(props):
        return props
    return {**props, **_META}


def _has_meta(props: dict[str, Any]) -> bool:
    meta = props.get("metadata")
    meta_props = meta.get("properties") if isinstance(meta, dict) else None
    return (
        all(
            isinstance(props.get(k), dict) and props[k].get("type") == "string"
            for k in ("kind", "apiVersion")
        )
        and isinstance(meta, dict)
        and meta.get("type") == "object"
        and isinstance(meta_props, dict)
        and all(
            isinstance(meta_props.get(k), dict) and meta_props[k].get("type") == "string"
            for k in ("name", "generateName")
        )
    )


_ESCAPES = (("__underscores__", "__"), ("__dot__", "."), ("__dash__", "-"), ("__slash__", "/"))


def _unescape(name: str) -> str:
    if name.startswith("__") and name.endswith("__") and name[2:-2].isalpha():
        return name[2:-2]  # an escaped reserved word
    for escaped, plain in _ESCAPES:
        name = name.replace(escaped, plain)
    return name


def _int(v: Any) -> int | None:
    return max(v, 0) if isinstance(v, int) and not isinstance(v, bool) else None


def _string_max(s: dict[str, Any]) -> int:
    fmt = s.get("format")
    return {"duration": 32, "date": 12, "date-time": 32}.get(str(fmt), MAX_REQUEST_BYTES - 2)


def decl(s: dict[str, Any], is_root: bool = False) -> Decl | None:
    """The CEL declaration of schema node `s` (None where CEL has none: no type)."""
    max_length = _int(s.get("maxLength"))
    if s.get("x-kubernetes-int-or-string"):
        return Decl("dyn", max_length * 4 if max_length is not None else MAX_REQUEST_BYTES - 2, 1, s)
    t = s.get("type")
    if t == "array":
        items = s.get("items")
        elem = (
            decl(items, bool(items.get("x-kubernetes-embedded-resource")))
            if isinstance(items, dict)
            else None
        )
        if elem is None:
            return None
        most = _int(s.get("maxItems"))
        return Decl(
            "list", most if most is not None else (MAX_REQUEST_BYTES - 2) // (elem.min_size + 1), 2, s
        )
    if t == "object":
        extra = s.get("additionalProperties")
        if isinstance(extra, dict):
            value = decl(extra, bool(extra.get("x-kubernetes-embedded-resource")))
            if value is None:
                return None
            most = _int(s.get("maxProperties"))
            return Decl(
                "map", most if most is not None else (MAX_REQUEST_BYTES - 2) // (value.min_size + 6), 2, s
            )
        required = {r for r in s.get("required") or () if isinstance(r, str)}
        size = 2
        for name, sub in _props(s, is_root).items():
            if name in required and isinstance(sub, dict) and "default" not in sub:
                found = decl(sub, bool(sub.get("x-kubernetes-embedded-resource")))
                if found is not None:
                    size += len(name) + found.min_size + 4
        return Decl("object", 0, size, s, is_root)
    if t == "string":
        fmt = s.get("format")
        if fmt == "byte":
            return Decl("bytes", max_length if max_length is not None else MAX_REQUEST_BYTES - 2, 2, s)
        if fmt in ("duration", "date", "date-time"):
            kind = "duration" if fmt == "duration" else "timestamp"
            return Decl(kind, _string_max(s), {"duration": 3, "date": 12}.get(fmt, 21), s)
        if max_length is not None:
            most = max_length * 4
        elif s.get("enum"):
            most = max((len(v) for v in s["enum"] if isinstance(v, str)), default=0)
        else:
            most = MAX_REQUEST_BYTES - 2
        return Decl("string", most, 2, s)
    simple = {"boolean": ("bool", 4), "number": ("double", 1), "integer": ("int", 1)}.get(str(t))
    return Decl(simple[0], 0, simple[1], s) if simple else None


# ---- cel-go's cost arithmetic: saturating at 2^64-1, factors rounded up -------------------------


def _add(*xs: int) -> int:
    return min(sum(xs), _MAX)


def _mul(x: int, y: int) -> int:
    return min(x * y, _MAX)


def _factor(x: int, f: float) -> int:
    fx = float(x)
    if fx > 0 and fx > _MAX / f:
        return _MAX
    c = math.ceil(fx * f)
    return _MAX if c >= 2.0**64 else int(c)


# ---- the estimate --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _E:
    """One expression's estimate: its cost and what cel-go knows of its value's size: the schema
    path it reads (`self`, field names, `@items`/`@values`/`@keys`), a size it computed, the size
    of a local variable, a literal list's or a macro result's element size."""

    cost: int
    path: tuple[str, ...] | None = None
    size: int | None = None
    var_size: int | None = None
    entry: int | None = None
    kind: str | None = None
    decl: Decl | None = None


@dataclass
class _Estimator:
    root: Decl

    def lookup(self, path: tuple[str, ...] | None) -> Decl | None:
        if not path:
            return None
        node: Decl | None = self.root
        for name in path[1:]:  # the first is the variable (self), as Kubernetes' estimator reads it
            if node is None:
                return None
            if name in ("@items", "@values"):
                node = node.element()
            elif name == "@keys":
                node = _STRING_KEY if node.kind == "map" else None
            else:
                node = node.field(name)
        return node

    def size(self, e: _E) -> int:
        """cel-go's computeSize, an unknown size taken as 0."""
        if e.size is not None:
            return e.size
        found = self.lookup(e.path)
        if found is not None:
            return found.max_elements
        if e.kind in _SCALARS:
            return 1
        return e.var_size or 0

    def walk(self, node: Any, env: dict[str, _E]) -> _E:
        if not hasattr(node, "data"):
            return _E(0)
        children = [c for c in node.children if c is not None]
        data = node.data
        if data == "expr" and len(children) == 3:
            return self._conditional(children, env)
        if data in ("conditionalor", "conditionaland") and len(children) == 2:
            a, b = self.walk(children[0], env), self.walk(children[1], env)
            return _E(_add(a.cost, b.cost), kind="bool")
        if data in ("relation", "addition", "multiplication") and len(children) == 2:
            return self._binary(children[0], children[1], env)
        if data == "unary" and len(children) == 2:
            operand = self.walk(children[1], env)
            negate = children[0].data == "unary_neg"
            return _E(_add(1, operand.cost), kind=operand.kind if negate else "bool")
        if data == "member_dot":
            return self._select(self.walk(children[0], env), str(children[1]))
        if data == "member_dot_arg":
            return self._method(children[0], str(children[1]), call_args(children[2:]), env)
        if data == "ident_arg":
            return self._call(str(children[0]), None, call_args(children[1:]), env)
        if data == "member_index":
            return self._index(self.walk(children[0], env), self.walk(children[1], env))
        if data == "ident":
            return self._ident(str(children[0]), env)
        if data == "literal":
            return self._literal(children[0])
        if data == "list_lit":
            items = [self.walk(a, env) for a in call_args(children)]
            entry = max((self.size(i) for i in items), default=0)
            return _E(_add(10, *(i.cost for i in items)), size=len(items), entry=entry, kind="list")
        if data == "map_lit":
            parts = [self.walk(a, env) for c in children for a in c.children]
            return _E(_add(30, *(p.cost for p in parts)), size=len(parts) // 2, kind="map")
        if data == "member_object":
            inits = [c for c in children[1:] if hasattr(c, "children")]
            parts = [self.walk(c, env) for i in inits for c in i.children if hasattr(c, "data")]
            return _E(_add(40, *(p.cost for p in parts)))
        if len(children) == 1:
            return self.walk(children[0], env)
        return _E(sum(self.walk(c, env).cost for c in children))

    def _literal(self, token: Any) -> _E:
        kind = LITERAL_TYPES.get(getattr(token, "type", ""))
        if kind in ("string", "bytes"):
            try:
                value = ast.literal_eval(str(token))
                size = len(value)
            except (ValueError, SyntaxError):
                size = 0
            return _E(0, size=size, kind=kind)
        return _E(0, size=1, kind=kind)

    def _ident(self, name: str, env: dict[str, _E]) -> _E:
        if name in env:
            var = env[name]
            return _E(1, path=var.path, var_size=var.var_size, entry=var.entry, kind=var.kind, decl=var.decl)
        if name in ("self", "oldSelf"):
            return _E(1, path=(name,), kind=self.root.kind, decl=self.root)
        return _E(1, path=(name,))

    def _select(self, operand: _E, name: str) -> _E:
        cost = _add(operand.cost, 1 if operand.kind in ("object", "map") else 0)
        found = None
        if operand.decl is not None:
            found = operand.decl.element() if operand.decl.kind == "map" else operand.decl.field(name)
        path = (operand.path or ()) + (name,)
        return _E(cost, path=path, kind=found.kind if found else None, decl=found)

    def _index(self, target: _E, index: _E) -> _E:
        cost = _add(1, target.cost, index.cost)
        if target.kind not in ("list", "map"):
            return _E(cost)
        found = target.decl.element() if target.decl is not None else None
        step = "@items" if target.kind == "list" else "@values"
        return _E(
            cost,
            path=(target.path or ()) + (step,),
            size=target.entry,
            kind=found.kind if found else None,
            decl=found,
        )

    def _conditional(self, children: list[Any], env: dict[str, _E]) -> _E:
        cond, a, b = (self.walk(c, env) for c in children)
        kind = a.kind if a.kind == b.kind else None
        return _E(
            _add(cond.cost, max(a.cost, b.cost)),
            size=max(self.size(a), self.size(b)),
            entry=max(a.entry or 0, b.entry or 0) if a.entry is not None and b.entry is not None else None,
            kind=kind,
            decl=a.decl if a.decl is b.decl else None,
        )

    def _binary(self, op_node: Any, right_node: Any, env: dict[str, _E]) -> _E:
        op = op_node.data
        a, b = self.walk(op_node.children[0], env), self.walk(right_node, env)
        args = _add(a.cost, b.cost)
        if op in ("relation_eq", "relation_ne"):
            return _E(_add(args, _factor(min(self.size(a), self.size(b)), _STRING_FACTOR)), kind="bool")
        if op in ("relation_lt", "relation_le", "relation_gt", "relation_ge"):
            if a.kind in _STRINGISH or b.kind in _STRINGISH:
                return _E(_add(args, _factor(min(self.size(a), self.size(b)), _STRING_FACTOR)), kind="bool")
            return _E(_add(args, 1), kind="bool")
        if op == "relation_in":
            extra = self.size(b) if b.kind == "list" else 1 if b.kind == "map" else 0
            return _E(_add(args, extra), kind="bool")
        kind = a.kind or b.kind
        if op == "addition_add" and kind in ("string", "bytes", "list"):
            size = _add(self.size(a), self.size(b))
            if kind == "list":
                entry = (
                    max(a.entry or 0, b.entry or 0) if a.entry is not None and b.entry is not None else None
                )
                return _E(_add(args, 1), size=size, entry=entry, kind=kind)
            return _E(_add(args, _factor(size, _STRING_FACTOR)), size=size, kind=kind)
        return _E(_add(args, 1), kind=kind)

    def _method(self, target_node: Any, name: str, args: list[Any], env: dict[str, _E]) -> _E:
        namespace = _bare_name(target_node)
        if namespace in _NAMESPACES and namespace not in env:
            if namespace == "cel" and name == "bind" and len(args) == 3:
                return self._bind(args, env)
            return self._call(f"{namespace}.{name}", None, args, env)
        if name in ("all", "exists", "exists_one", "map", "filter") and len(args) in (2, 3):
            var = variable(args[0])
            if len(args) == 3 and name != "map":  # all(i, v, p): an index or key, and the item
                second = variable(args[1])
                if var is not None and second is not None:
                    return self._macro(name, self.walk(target_node, env), second, args[2:], env, var)
            elif var is not None:
                return self._macro(name, self.walk(target_node, env), var, args[1:], env)
        return self._call(name, self.walk(target_node, env), args, env)

    def _bind(self, args: list[Any], env: dict[str, _E]) -> _E:
        var = variable(args[0])
        init = self.walk(args[1], env)
        inner = dict(env)
        if var is not None:
            inner[var] = replace(init, var_size=self._computed(init))
        body = self.walk(args[2], inner)
        return replace(body, cost=_add(10, init.cost, body.cost))

    def _computed(self, e: _E) -> int | None:
        if e.size is not None:
            return e.size
        found = self.lookup(e.path)
        return found.max_elements if found is not None else (1 if e.kind in _SCALARS else e.var_size)

    def _macro(
        self, name: str, target: _E, var: str, args: list[Any], env: dict[str, _E], key: str | None = None
    ) -> _E:
        count = self.size(target)
        is_list = target.kind == "list" or target.entry is not None
        elem = target.decl.element() if target.decl is not None and target.kind in ("list", "map") else None
        if target.kind == "map" and key is None:
            elem = _STRING_KEY  # one variable over a map: its keys
        step_name = "@items" if is_list else "@keys" if key is None else "@values"
        item = _E(
            0,
            path=(target.path or ()) + (step_name,),
            var_size=target.entry if is_list else None,
            kind=elem.kind if elem else None,
            decl=elem,
        )
        inner = {**env, var: item}
        if key is not None:
            inner[key] = (
                _E(0, kind="int") if is_list else _E(0, path=(target.path or ()) + ("@keys",), kind="string")
            )
        parts = [self.walk(a, inner) for a in args]
        body = parts[-1].cost
        if name == "all":
            step, extra = _add(3, body), 1  # @not_strictly_false(@result), @result && p; the result
        elif name == "exists":
            step, extra = _add(4, body), 1
        elif name == "exists_one":
            step, extra = _add(2, body), 2  # p ? @result + 1 : @result; @result == 1
        elif name == "filter":
            step, extra = _add(13, body), 11  # p ? @result + [x] : @result; [] and the result
        elif len(parts) == 2:  # map(x, p, f)
            step, extra = _add(parts[0].cost, 12, body), 11
        else:
            step, extra = _add(12, body), 11  # @result + [f]
        cost = _add(target.cost, extra, _mul(count, step))
        if name in ("map", "filter"):
            entry = self.size(item) if name == "filter" else self.size(parts[-1])
            return _E(
                cost, size=count, entry=entry, kind="list", decl=target.decl if name == "filter" else None
            )
        return _E(cost, size=1, kind="bool")

    def _call(self, name: str, target: _E | None, arg_nodes: list[Any], env: dict[str, _E]) -> _E:
        if name == "has" and len(arg_nodes) == 1:
            inner = _unwrap(arg_nodes[0])
            if getattr(inner, "data", None) == "member_dot":
                # a presence test costs its operand only, as kube-apiserver's estimate has it
                return _E(self.walk(inner.children[0], env).cost, kind="bool")
        args = [self.walk(a, env) for a in arg_nodes]
        if name == "dyn" and len(args) == 1 and target is None:
            return replace(args[0], cost=_add(1, args[0].cost))
        base = _add(target.cost if target else 0, *(a.cost for a in args))
        fn, size = self._function(name, target, args)
        return _E(_add(base, fn), size=size, kind=_RESULT_KINDS.get(name))

    def _function(self, name: str, target: _E | None, args: list[Any]) -> tuple[int, int | None]:
        """A call's own cost and its result's size (None: not known)."""
        subject, pattern = (
            (target, args[0] if args else None)
            if target
            else (args[0] if args else None, args[1] if len(args) > 1 else None)
        )
        if name in ("matches", "find", "findAll") and subject is not None and pattern is not None:
            cost = _mul(
                _factor(_add(self.size(subject), 1), _STRING_FACTOR),
                _factor(self.size(pattern), _REGEX_FACTOR),
            )
            return cost, (self.size(subject) if name != "matches" else None)
        if target is None:
            if name in _SIZED_BY_ARG | {"url"} and args:
                return _factor(self.size(args[0]), _STRING_FACTOR), (
                    self.size(args[0]) if name == "url" else None
                )
            if name == "ip.isCanonical" and args:
                return _factor(self.size(args[0]), 2 * _STRING_FACTOR), None
            return 1, None
        if name == "contains" and len(args) == 1 and target.kind != "list":
            return _mul(
                _factor(self.size(target), _STRING_FACTOR), _factor(self.size(args[0]), _STRING_FACTOR)
            ), None
        if name in ("startsWith", "endsWith") and len(args) == 1:
            return _factor(self.size(args[0]), _STRING_FACTOR), None
        if name in ("lowerAscii", "upperAscii", "substring", "trim"):
            return _factor(self.size(target), _STRING_FACTOR), self.size(target)
        if name in ("replace", "split"):
            most = self.size(target)
            if name == "split" and len(args) > 1 and args[1].kind == "int" and args[1].size == 1:
                most = 0  # a literal limit: cel-go takes it, unknown here, estimated low
            return _factor(self.size(target), 2 * _STRING_FACTOR), (
                self.size(target) if name == "replace" else most
            )
        if name in ("isSorted", "sum", "max", "min", "indexOf", "lastIndexOf"):
            if target.kind == "list":
                elem = target.decl.element() if target.decl is not None else None
                each = 1
                if elem is not None and elem.kind in _STRINGISH and target.path:
                    each = _add(1, _factor(elem.max_elements, _STRING_FACTOR))
                return _mul(self.size(target), each), None
            if target.kind in _STRINGISH:
                return _factor(self.size(target), _STRING_FACTOR), None
            return 1, None
        if name == "join" and target.kind == "list":
            elem = target.decl.element() if target.decl is not None else None
            count = self.size(target)
            size = _mul(count, elem.max_elements) if elem is not None and target.path else 0
            if args:
                size = _add(size, _mul(self.size(args[0]), max(count - 1, 0)))
            return _factor(size, _STRING_FACTOR), size
        return 1, None


def _bare_name(node: Any) -> str | None:
    node = _unwrap(node)
    if getattr(node, "data", None) == "ident":
        return str(node.children[0])
    return None


def _unwrap(node: Any) -> Any:
    while hasattr(node, "data") and len(node.children) == 1 and node.data not in ("ident", "literal"):
        node = node.children[0]
    return node


# ---- per rule and per schema ---------------------------------------------------------------------


def estimate(expression: str, schema: dict[str, Any], is_root: bool = False) -> int:
    """The estimated worst-case cost of `expression` on a node of `schema` (one evaluation)."""
    root = decl(schema, is_root)
    if root is None:
        return 0
    return _Estimator(root).walk(parsed(expression), {}).cost


def cardinality(schema: dict[str, Any], is_root: bool = False) -> int:
    """How many of this node a request can hold, when no enclosing bound says fewer."""
    found = decl(schema, is_root)
    return MAX_REQUEST_BYTES // (found.min_size + 1) if found is not None else 0


def max_elements(schema: dict[str, Any]) -> int | None:
    """How many children of `schema` an object holds (None: unbounded), as a context's factor."""
    t = schema.get("type")
    if t == "object":
        if schema.get("additionalProperties") is not None:
            return _int(schema.get("maxProperties"))
        return 1
    if t == "array":
        return _int(schema.get("maxItems"))
    return 1


def multiply(cost: int, times: int) -> int:
    return 0 if cost == 0 else _mul(cost, times)


def budget_message(what: str, cost: int, limit: int) -> str:
    factor = cost / limit
    if factor > 100.0:
        shown = "more than 100x"
    elif factor < 1.5:
        shown = f"{factor:f}x"
    else:
        shown = f"{factor:.1f}x"
    return (
        f"{what} exceeds budget by factor of {shown} (try simplifying the rule, or adding maxItems, "
        "maxProperties, and maxLength where arrays, maps, and strings are declared)"
    )
