"""Label and field selectors, parsed and matched as the Kubernetes API server does.

Pure: the list and watch handlers parse `?labelSelector=` / `?fieldSelector=` once and call
`matches` per object. Parse errors raise `SelectorError` with Kubernetes' wording, which the HTTP
layer returns as a 400 BadRequest.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from localkube.apiserver import metadata as v


class SelectorError(ValueError):
    """A selector that does not parse or names a field the kind does not support."""


# Operators, spelled as Kubernetes' selection package names them.
EQUALS = "="
DOUBLE_EQUALS = "=="
NOT_EQUALS = "!="
IN = "in"
NOT_IN = "notin"
EXISTS = "exists"
DOES_NOT_EXIST = "!"
GREATER_THAN = "gt"
LESS_THAN = "lt"


@dataclass(frozen=True)
class Requirement:
    """One `key op values` term of a label selector."""

    key: str
    operator: str
    values: tuple[str, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        present = self.key in labels
        if self.operator in (IN, EQUALS, DOUBLE_EQUALS):
            return present and labels[self.key] in self.values
        if self.operator in (NOT_IN, NOT_EQUALS):
            # Kubernetes: a missing label satisfies `!=` and `notin`.
            return not present or labels[self.key] not in self.values
        if self.operator == EXISTS:
            return present
        if self.operator == DOES_NOT_EXIST:
            return not present
        if self.operator in (GREATER_THAN, LESS_THAN):
            if not present:
                return False
            try:
                have = int(labels[self.key])
                want = int(self.values[0])
            except ValueError:
                return False
            return have > want if self.operator == GREATER_THAN else have < want
        return False

    def __str__(self) -> str:
        if self.operator == EXISTS:
            return self.key
        if self.operator == DOES_NOT_EXIST:
            return f"!{self.key}"
        if self.operator in (IN, NOT_IN):
            return f"{self.key} {self.operator} ({','.join(sorted(self.values))})"
        symbol = {GREATER_THAN: ">", LESS_THAN: "<"}.get(self.operator, self.operator)
        return f"{self.key}{symbol}{self.values[0]}"


@dataclass(frozen=True)
class LabelSelector:
    """A conjunction of requirements; no requirements selects everything."""

    requirements: tuple[Requirement, ...] = ()
    # A selector that can match nothing (e.g. from a nil metav1.LabelSelector) is distinct from empty.
    nothing: bool = False

    @property
    def empty(self) -> bool:
        return not self.requirements and not self.nothing

    def matches(self, labels: Mapping[str, str] | None) -> bool:
        if self.nothing:
            return False
        have = labels or {}
        return all(r.matches(have) for r in self.requirements)

    def __str__(self) -> str:
        return ",".join(str(r) for r in self.requirements)


EVERYTHING = LabelSelector()
NOTHING = LabelSelector(nothing=True)


# --- label selector parsing ---------------------------------------------------------------------

# Token kinds of Kubernetes' selector lexer.
_IDENT = "identifier"
_END = "end of string"
_SPECIAL = "!=(),=><"
_WS = " \t\r\n"


@dataclass
class _Lexer:
    text: str
    pos: int = 0

    def next(self) -> tuple[str, str]:
        """Returns (kind, literal); kind is _IDENT, _END or the operator/punctuation literal itself."""
        s = self.text
        while self.pos < len(s) and s[self.pos] in _WS:
            self.pos += 1
        if self.pos >= len(s):
            return _END, ""
        c = s[self.pos]
        if c in _SPECIAL:
            two = s[self.pos : self.pos + 2]
            if two in ("!=", "=="):
                self.pos += 2
                return two, two
            self.pos += 1
            return c, c
        start = self.pos
        while self.pos < len(s) and s[self.pos] not in _SPECIAL and s[self.pos] not in _WS:
            self.pos += 1
        word = s[start : self.pos]
        if word in (IN, NOT_IN):
            return word, word
        return _IDENT, word

    def peek(self) -> tuple[str, str]:
        saved = self.pos
        tok = self.next()
        self.pos = saved
        return tok


def parse_label_selector(text: str) -> LabelSelector:
    """Parses `?labelSelector=` syntax: `a=b,c!=d,e in (x,y),f notin (z),g,!h`.

    Raises SelectorError with the messages Kubernetes' label parser gives.
    """
    lexer = _Lexer(text)
    requirements: list[Requirement] = []
    while True:
        kind, lit = lexer.peek()
        if kind == _END:
            break
        if kind not in (_IDENT, "!"):
            raise SelectorError(f"found '{lit}', expected: !, identifier, or 'end of string'")
        requirements.append(_parse_requirement(lexer))
        kind, lit = lexer.next()
        if kind == _END:
            break
        if kind != ",":
            raise SelectorError(f"found '{lit}', expected: ',' or 'end of string'")
        nxt, nlit = lexer.peek()
        if nxt not in (_IDENT, "!"):
            raise SelectorError(f"found '{nlit}', expected: identifier after ','")
    return LabelSelector(tuple(requirements))


def _parse_requirement(lexer: _Lexer) -> Requirement:
    kind, lit = lexer.next()
    if kind == "!":
        kind, lit = lexer.next()
        if kind != _IDENT:
            raise SelectorError(f"found '{lit}', expected: identifier after '!'")
        _check_key(lit)
        return Requirement(lit, DOES_NOT_EXIST)
    key = lit
    _check_key(key)
    op_kind, op_lit = lexer.peek()
    if op_kind in (_END, ","):
        return Requirement(key, EXISTS)
    lexer.next()
    if op_kind in ("=", "==", "!="):
        operator = {"=": EQUALS, "==": DOUBLE_EQUALS, "!=": NOT_EQUALS}[op_kind]
        value = _parse_exact_value(lexer)
        _check_value(key, value)
        return Requirement(key, operator, (value,))
    if op_kind in (">", "<"):
        value = _parse_exact_value(lexer)
        try:
            int(value)
        except ValueError:
            raise SelectorError(
                f"for 'Gt', 'Lt' operators, the value must be an integer: invalid value {value!r}"
            ) from None
        return Requirement(key, GREATER_THAN if op_kind == ">" else LESS_THAN, (value,))
    if op_kind in (IN, NOT_IN):
        values = _parse_values(lexer)
        for value in values:
            _check_value(key, value)
        return Requirement(key, op_kind, tuple(values))
    raise SelectorError(f"found '{op_lit}', expected: '=', '!=', '==', 'in', notin'")


def _parse_exact_value(lexer: _Lexer) -> str:
    kind, lit = lexer.peek()
    if kind in (_END, ","):
        return ""  # `a=` selects the empty value, as in Kubernetes
    lexer.next()
    if kind in (_IDENT, IN, NOT_IN):
        return lit
    raise SelectorError(f"found '{lit}', expected: identifier")


def _parse_values(lexer: _Lexer) -> list[str]:
    kind, lit = lexer.next()
    if kind != "(":
        raise SelectorError(f"found '{lit}', expected:'('")
    values: list[str] = []
    expect_value = True
    while True:
        kind, lit = lexer.next()
        if kind in (_IDENT, IN, NOT_IN) and expect_value:
            values.append(lit)
            expect_value = False
        elif kind == ",":
            if expect_value:
                values.append("")  # `(a,,b)` and `(,a)` hold the empty value
            expect_value = True
        elif kind == ")":
            if expect_value and values:
                values.append("")
            break
        elif kind == _END:
            raise SelectorError(f"found '{lit}', expected: ',', ')' or identifier")
        else:
            raise SelectorError(f"found '{lit}', expected: ',' or ')'")
    if not values:
        raise SelectorError("for 'in', 'notin' operators, values set can't be empty")
    return values


def _check_key(key: str) -> None:
    errs = v.qualified_name_errors(key)
    if errs:
        raise SelectorError(f'invalid label key "{key}": {"; ".join(errs)}')


def _check_value(key: str, value: str) -> None:
    errs = v.label_value_errors(value)
    if errs:
        raise SelectorError(f'invalid label value: "{value}": at key: "{key}": {"; ".join(errs)}')


# --- metav1.LabelSelector -----------------------------------------------------------------------


def label_selector_from_dict(sel: Mapping[str, Any] | None) -> LabelSelector:
    """Converts a metav1.LabelSelector (`matchLabels` + `matchExpressions`) to a selector.

    `None` selects nothing and `{}` selects everything, as metav1.LabelSelectorAsSelector does.
    """
    if sel is None:
        return NOTHING
    requirements: list[Requirement] = []
    for key, value in sorted((sel.get("matchLabels") or {}).items()):
        _check_key(str(key))
        _check_value(str(key), str(value))
        requirements.append(Requirement(str(key), EQUALS, (str(value),)))
    for expr in sel.get("matchExpressions") or []:
        key = str(expr.get("key", ""))
        op = str(expr.get("operator", ""))
        values = tuple(str(x) for x in (expr.get("values") or []))
        _check_key(key)
        if op in ("In", "NotIn"):
            if not values:
                raise SelectorError("for 'in', 'notin' operators, values set can't be empty")
            for value in values:
                _check_value(key, value)
            requirements.append(Requirement(key, IN if op == "In" else NOT_IN, values))
        elif op in ("Exists", "DoesNotExist"):
            if values:
                raise SelectorError("values set must be empty for exists and does not exist")
            requirements.append(Requirement(key, EXISTS if op == "Exists" else DOES_NOT_EXIST))
        else:
            raise SelectorError(f'"{op}" is not a valid label selector operator')
    return LabelSelector(tuple(requirements))


def matches_selector_map(selector: Mapping[str, str] | None, labels: Mapping[str, str] | None) -> bool:
    """Service-style selector (`spec.selector` of a Service): every pair must be present.

    An empty or missing selector selects no pods: Kubernetes manages no endpoints for a Service
    without a selector.
    """
    if not selector:
        return False
    have = labels or {}
    return all(have.get(k) == val for k, val in selector.items())


# --- field selectors ----------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldRequirement:
    field: str
    operator: str  # EQUALS or NOT_EQUALS (== is normalised to =)
    value: str

    def matches(self, obj: Mapping[str, Any]) -> bool:
        have = field_value(obj, self.field)
        return have == self.value if self.operator == EQUALS else have != self.value


@dataclass(frozen=True)
class FieldSelector:
    requirements: tuple[FieldRequirement, ...] = field(default_factory=tuple)

    @property
    def empty(self) -> bool:
        return not self.requirements

    def matches(self, obj: Mapping[str, Any]) -> bool:
        return all(r.matches(obj) for r in self.requirements)

    def exact(self, name: str) -> str | None:
        """The value a `name=value` term pins, so the store can look it up instead of scanning."""
        for r in self.requirements:
            if r.field == name and r.operator == EQUALS:
                return r.value
        return None


# the words of most kinds' field label conversion (a kind's Strategy may word it otherwise)
FIELD_LABEL_NOT_SUPPORTED = "field label not supported: {label}"


def _not_supported(label: str) -> str:
    return FIELD_LABEL_NOT_SUPPORTED.format(label=label)


def parse_field_selector(
    text: str, supported: Collection[str], unsupported: Callable[[str], str] = _not_supported
) -> FieldSelector:
    """Parses `?fieldSelector=` syntax: `metadata.name=x,status.phase!=Running`.

    Values may escape `\\,`, `\\=` and `\\\\`. A field not in `supported` raises
    `unsupported(field)`: the words the kind's Kubernetes registry uses.
    """
    if not text.strip():
        return FieldSelector()
    reqs: list[FieldRequirement] = []
    for term in _split_terms(text):
        if term == "":
            continue
        reqs.append(_parse_field_term(term, supported, unsupported))
    return FieldSelector(tuple(reqs))


def _split_terms(text: str) -> list[str]:
    terms: list[str] = []
    current: list[str] = []
    escaped = False
    for c in text:
        if escaped:
            current.append(c)
            escaped = False
        elif c == "\\":
            current.append(c)
            escaped = True
        elif c == ",":
            terms.append("".join(current))
            current = []
        else:
            current.append(c)
    terms.append("".join(current))
    return terms


def _parse_field_term(
    term: str, supported: Collection[str], unsupported: Callable[[str], str]
) -> FieldRequirement:
    # Kubernetes tries `!=` then `==` then `=` and takes the first unescaped occurrence.
    for symbol, operator in (("!=", NOT_EQUALS), ("==", EQUALS), ("=", EQUALS)):
        at = _find_unescaped(term, symbol)
        if at < 0:
            continue
        name = term[:at].strip()
        raw = term[at + len(symbol) :].strip()
        value = _unescape(raw)
        if name not in supported:
            raise SelectorError(unsupported(name))
        return FieldRequirement(name, operator, value)
    raise SelectorError(f"invalid selector: '{term}'; can't understand '{term}'")


def _find_unescaped(term: str, symbol: str) -> int:
    i = 0
    while i < len(term):
        if term[i] == "\\":
            i += 2
            continue
        if term.startswith(symbol, i):
            return i
        i += 1
    return -1


def _unescape(raw: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(raw):
        c = raw[i]
        if c == "\\":
            if i + 1 >= len(raw) or raw[i + 1] not in "\\,=":
                raise SelectorError(f"invalid field selector: invalid escape sequence: {raw[i : i + 2]}")
            out.append(raw[i + 1])
            i += 2
            continue
        if c in ",=":
            raise SelectorError(f"invalid field selector: unescaped {c} in value: {raw}")
        out.append(c)
        i += 1
    return "".join(out)


def field_value(obj: Mapping[str, Any], path: str) -> str:
    """The string a field selector compares against: missing fields are "", booleans lower-case."""
    node: Any = obj
    for part in path.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return ""
        node = node[part]
    if node is None:
        return ""
    if isinstance(node, bool):
        return "true" if node else "false"
    if isinstance(node, (str, int, float)):
        return str(node)
    return ""


def selector_keys(selector: LabelSelector) -> Iterable[str]:
    """The label keys a selector mentions (for index lookups and diagnostics)."""
    return (r.key for r in selector.requirements)
