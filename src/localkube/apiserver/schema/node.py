"""Compiling a structural schema (a CRD version's openAPIV3Schema) into a tree of Nodes. Pure.

Compiling once per schema turns every keyword lookup on the hot path (each write of a custom
resource) into an attribute read, and pre-compiles patterns and CEL rules.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from localkube.apiserver.schema import cel_python
from localkube.apiserver.schema.cel import CelError, CelProgram, compile_rule
from localkube.apiserver.schema.formats import string_format_checker

# kube-openapi reports errors not tied to one field (anyOf/oneOf/allOf/not, range conversions) with a
# nil field path, which apimachinery prints as "<nil>".
NIL_PATH = "<nil>"

META_FIELDS = frozenset(("apiVersion", "kind", "metadata"))

# The fields of metav1.ObjectMeta: anything else under an embedded (or root) `metadata` is dropped
# by the strict JSON decoding into ObjectMeta.
OBJECT_META_FIELDS = frozenset(
    (
        "name",
        "generateName",
        "namespace",
        "selfLink",
        "uid",
        "resourceVersion",
        "generation",
        "creationTimestamp",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
        "labels",
        "annotations",
        "ownerReferences",
        "finalizers",
        "managedFields",
    )
)

TYPE_OF: dict[type, str] = {
    bool: "boolean",
    int: "integer",
    float: "number",
    str: "string",
    list: "array",
    dict: "object",
}

INT32 = (-(2**31), 2**31 - 1)
INT64 = (-(2**63), 2**63 - 1)
FLOAT32_MAX = 3.4028234663852886e38


@dataclass
class Rule:
    rule: str
    message: str
    program: CelProgram | None  # None: outside our CEL subset, skipped
    uses_old_self: bool
    field_path: str
    reason: str | None
    message_expression: CelProgram | None = None


class Node:
    """One compiled schema node; attributes mirror the JSONSchemaProps keywords that matter."""

    __slots__ = (
        "additional",
        "additional_allows",
        "all_of",
        "any_of",
        "default",
        "embedded",
        "enum",
        "excl_max",
        "excl_min",
        "format_check",
        "format_name",
        "has_default",
        "has_lists_below",
        "has_rules_below",
        "int_format",
        "int_or_string",
        "items",
        "kept_format",
        "list_map_keys",
        "list_type",
        "max_items",
        "max_length",
        "max_props",
        "maximum",
        "min_items",
        "min_length",
        "min_props",
        "minimum",
        "multiple_of",
        "not_",
        "nullable",
        "one_of",
        "pattern",
        "pattern_re",
        "preserve",
        "properties",
        "required",
        "rules",
        "type_name",
        "types",
        "unique",
    )

    def __init__(self) -> None:
        self.types: frozenset[str] = frozenset()
        self.type_name = ""
        self.nullable = False
        self.int_or_string = False
        self.preserve = False
        self.embedded = False
        self.format_name = ""
        self.format_check: Callable[[str], bool] | None = None
        self.int_format = ""
        # the format apiextensions keeps after dropping unsupported ones (drives the type check)
        self.kept_format = ""
        self.enum: list[Any] | None = None
        self.maximum: float | None = None
        self.minimum: float | None = None
        self.excl_max = False
        self.excl_min = False
        self.multiple_of: float | None = None
        self.pattern = ""
        self.pattern_re: re.Pattern[str] | None = None
        self.max_length: int | None = None
        self.min_length: int | None = None
        self.max_items: int | None = None
        self.min_items: int | None = None
        self.unique = False
        self.max_props: int | None = None
        self.min_props: int | None = None
        self.required: list[str] = []
        self.properties: dict[str, Node] = {}
        # additionalProperties: a schema node, or None with additional_allows saying true/false/absent.
        self.additional: Node | None = None
        self.additional_allows: bool | None = None
        self.items: Node | None = None
        self.all_of: list[Node] = []
        self.any_of: list[Node] = []
        self.one_of: list[Node] = []
        self.not_: Node | None = None
        self.list_type = ""
        self.list_map_keys: list[str] = []
        self.rules: list[Rule] = []
        self.has_default = False
        self.default: Any = None
        self.has_rules_below = False
        self.has_lists_below = False


def _translate_pattern(pattern: str) -> str:
    # Go's RE2 and Python's re agree on what CRDs use; \z is Go's end-of-text, Python's is \Z.
    return pattern.replace(r"\z", r"\Z")


class Compiler:
    def __init__(self) -> None:
        self._seen: dict[int, Node] = {}

    def node(self, s: Any) -> Node:
        if not isinstance(s, dict):
            return Node()
        key = id(s)
        found = self._seen.get(key)
        if found is not None:
            return found
        n = Node()
        self._seen[key] = n
        t = s.get("type")
        if s.get("x-kubernetes-int-or-string"):
            n.int_or_string = True
            n.types = frozenset(("integer", "string"))
            n.type_name = "integer,string"
        elif isinstance(t, str) and t:
            n.types = frozenset((t,))
            n.type_name = t
        n.nullable = bool(s.get("nullable"))
        n.preserve = bool(s.get("x-kubernetes-preserve-unknown-fields"))
        n.embedded = bool(s.get("x-kubernetes-embedded-resource"))
        fmt = s.get("format")
        if isinstance(fmt, str) and fmt:
            single = t if isinstance(t, str) and not n.int_or_string else ""
            if single in ("", "string"):
                n.format_check = string_format_checker(fmt)
                n.format_name = fmt if n.format_check else ""
                n.kept_format = n.format_name
            elif fmt in {"integer": ("int32", "int64"), "number": ("float", "double")}.get(single, ()):
                n.int_format = fmt
                n.kept_format = fmt
        if isinstance(s.get("enum"), list):
            n.enum = list(s["enum"])
        n.maximum = _num(s.get("maximum"))
        n.minimum = _num(s.get("minimum"))
        n.excl_max = bool(s.get("exclusiveMaximum"))
        n.excl_min = bool(s.get("exclusiveMinimum"))
        n.multiple_of = _num(s.get("multipleOf"))
        pat = s.get("pattern")
        if isinstance(pat, str) and pat:
            n.pattern = pat
            try:
                n.pattern_re = re.compile(_translate_pattern(pat))
            except re.error:
                n.pattern_re = None  # RE2 syntax Python lacks: the pattern is not enforced
        n.max_length = _int(s.get("maxLength"))
        n.min_length = _int(s.get("minLength"))
        n.max_items = _int(s.get("maxItems"))
        n.min_items = _int(s.get("minItems"))
        n.unique = bool(s.get("uniqueItems"))
        n.max_props = _int(s.get("maxProperties"))
        n.min_props = _int(s.get("minProperties"))
        if isinstance(s.get("required"), list):
            n.required = [r for r in s["required"] if isinstance(r, str)]
        props = s.get("properties")
        if isinstance(props, dict):
            n.properties = {k: self.node(v) for k, v in props.items()}
        ap = s.get("additionalProperties")
        if isinstance(ap, bool):
            n.additional_allows = ap
        elif isinstance(ap, dict):
            n.additional = self.node(ap)
            n.additional_allows = True
        items = s.get("items")
        if isinstance(items, dict):
            n.items = self.node(items)
        elif isinstance(items, list) and items:
            n.items = self.node(items[0])  # tuple items are not structural; validate like the first
        for word, dest in (("allOf", n.all_of), ("anyOf", n.any_of), ("oneOf", n.one_of)):
            if isinstance(s.get(word), list):
                dest.extend(self.node(x) for x in s[word])
        if isinstance(s.get("not"), dict):
            n.not_ = self.node(s["not"])
        if isinstance(s.get("x-kubernetes-list-type"), str):
            n.list_type = s["x-kubernetes-list-type"]
        if isinstance(s.get("x-kubernetes-list-map-keys"), list):
            n.list_map_keys = [k for k in s["x-kubernetes-list-map-keys"] if isinstance(k, str)]
        if "default" in s:
            n.has_default = True
            n.default = s["default"]
        rules = s.get("x-kubernetes-validations")
        for raw in rules if isinstance(rules, list) else []:
            if isinstance(raw, dict) and isinstance(raw.get("rule"), str):
                n.rules.append(_compile_rule(raw))
        children = [*n.properties.values(), n.additional, n.items]
        n.has_rules_below = bool(n.rules) or any(c is not None and c.has_rules_below for c in children)
        n.has_lists_below = bool(n.list_type in ("set", "map")) or any(
            c is not None and c.has_lists_below for c in children
        )
        return n


def _compile_rule(raw: dict[str, Any]) -> Rule:
    text = raw["rule"]
    try:
        program: CelProgram | None = compile_rule(text)
    except CelError:
        program = cel_python.fallback(text)
    message = raw.get("message") if isinstance(raw.get("message"), str) else ""
    field_path = raw.get("fieldPath") if isinstance(raw.get("fieldPath"), str) else ""
    reason = raw.get("reason") if isinstance(raw.get("reason"), str) else None
    message_expression: CelProgram | None = None
    if isinstance(raw.get("messageExpression"), str):
        try:
            message_expression = compile_rule(raw["messageExpression"])
        except CelError:
            message_expression = None
    return Rule(
        rule=text,
        message=str(message).strip(),
        program=program,
        uses_old_self=program.uses_old_self if program else "oldSelf" in text,
        field_path=str(field_path).lstrip("."),
        reason=reason,
        message_expression=message_expression,
    )


def _num(v: Any) -> float | None:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return None
    return float(v)


def _int(v: Any) -> int | None:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return None
    return int(v)


def child(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key
