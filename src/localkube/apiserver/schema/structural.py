"""The rules a CRD's openAPIV3Schema must satisfy before apiextensions serves it. Pure.

Covers the OpenAPI-subset rules (no $ref, definitions, patternProperties, ...), the structural
invariants (every specified node has a type unless int-or-string or preserve-unknown-fields;
value validations inside allOf/anyOf/oneOf/not carry no types, defaults or descriptions), the
extension rules (list-type/map-type/preserve-unknown-fields shapes), the completeness of the
root's value validations, and that every `default` validates and has nothing to prune.
Validation rules are compiled (syntax, declared names, types against the schema) and their
estimated cost held to kube-apiserver's budget (cel_cost.py: per rule, scaled by how many times it
can run in one object, and for the whole schema); a construct the estimator does not know is
estimated low, so a CRD is never refused that kube-apiserver accepts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from localkube.apiserver import fielderrors as fe
from localkube.apiserver.fielderrors import FieldError
from localkube.apiserver.schema import cel_check, cel_cost, cel_python
from localkube.apiserver.schema.compiled import CompiledSchema
from localkube.apiserver.schema.node import NIL_PATH
from localkube.apiserver.schema.values import deep_copy
from localkube.apiserver.shapes import as_dict, as_list

DEFAULT_PATH = "spec.validation.openAPIV3Schema"

_TYPES = ("array", "boolean", "integer", "number", "object", "string")
_SUPPORTED_TYPES = ", ".join(f'"{t}"' for t in _TYPES)
_META = ("apiVersion", "kind", "metadata")

_ROOT, _ITEM, _FIELD = "root", "item", "field"


def check_structural(schema: Any, *, path: str = DEFAULT_PATH) -> list[FieldError]:
    """All violations, with paths like `spec.validation.openAPIV3Schema.properties[spec].type`.

    With `path=""` the paths are relative to the schema (`properties[spec].type`).
    """
    if not path:
        return [_relative(e) for e in check_structural(schema, path=_ANCHOR)]
    if not isinstance(schema, dict):
        return [FieldError(path, fe.REQUIRED, "")]
    errs: list[FieldError] = []
    if schema.get("nullable") is True:
        errs.append(FieldError(f"{path}.nullable", fe.FORBIDDEN, "nullable cannot be true at the root"))
    costs = _Costs()
    _openapi_subset(
        schema, path, errs, is_root=True, in_meta=False, defaults_forbidden="", scope=_Scope(1, costs)
    )
    structural: list[FieldError] = []
    _structural(schema, path, _ROOT, structural)
    _completeness(schema, schema, path, path, structural)
    structural.sort(key=lambda e: e.message())
    errs.extend(structural)
    defaults = [] if errs else _check_defaults(schema, path)
    errs.extend(defaults)
    if not structural and not defaults:
        # kube-apiserver estimates the rules' costs of a structural schema with valid defaults only
        errs.extend(costs.errors(path))
    return errs


@dataclass
class _Costs:
    """The estimated costs of a schema's rules and messageExpressions, and those over budget."""

    observed: list[tuple[str, int]] = field(default_factory=list)
    over: list[FieldError] = field(default_factory=list)

    def observe(self, path: str, cost: int, what: str) -> None:
        if cost > cel_cost.PER_EXPRESSION_LIMIT:
            message = cel_cost.budget_message(what, cost, cel_cost.PER_EXPRESSION_LIMIT)
            self.over.append(FieldError(path, fe.FORBIDDEN, message))
        self.observed.append((path, cost))

    def errors(self, path: str) -> list[FieldError]:
        found = list(self.over)
        total = min(sum(cost for _, cost in self.observed), 2**64 - 1)
        if total > cel_cost.CRD_LIMIT:
            # the (at most four) dearest that are each at least 1% of the limit
            dearest = [o for o in self.observed if o[1] >= cel_cost.CRD_LIMIT // 100]
            for where, _ in sorted(dearest, key=lambda o: -o[1])[:4]:
                found.append(
                    FieldError(
                        where,
                        fe.FORBIDDEN,
                        "contributed to estimated rule cost total exceeding cost limit for entire "
                        "OpenAPIv3 schema",
                    )
                )
            what = "x-kubernetes-validations estimated rule cost total for entire OpenAPIv3 schema"
            message = cel_cost.budget_message(what, total, cel_cost.CRD_LIMIT)
            found.append(FieldError(path, fe.FORBIDDEN, message))
        return found


@dataclass(frozen=True)
class _Scope:
    """Where a node's rules run: how many of the node one object can hold (None: no enclosing
    list or map bounds it), and the schema's cost tally."""

    cardinality: int | None
    costs: _Costs

    def child(self, parent: dict[str, Any]) -> _Scope:
        most = cel_cost.max_elements(parent)
        if self.cardinality is None or most is None:
            return _Scope(None, self.costs)
        return _Scope(cel_cost.multiply(self.cardinality, most) or 0, self.costs)


_ANCHOR = "<schema>"


def _relative(e: FieldError) -> FieldError:
    rest = e.path[len(_ANCHOR) :].lstrip(".")
    return FieldError(rest, e.reason, e.detail, e.value)


def _child(path: str, name: str) -> str:
    return f"{path}.{name}"


def _key(path: str, name: str, key: str) -> str:
    return f"{path}.{name}[{key}]"


def _openapi_subset(
    s: dict[str, Any],
    path: str,
    errs: list[FieldError],
    *,
    is_root: bool,
    in_meta: bool,
    defaults_forbidden: str,
    scope: _Scope | None = None,
) -> None:
    t = s.get("type")
    if isinstance(t, str) and t and t not in _TYPES:
        errs.append(
            FieldError(_child(path, "type"), fe.NOT_SUPPORTED, f"supported values: {_SUPPORTED_TYPES}", t)
        )
    if t == "null":
        errs.append(
            FieldError(
                _child(path, "type"),
                fe.FORBIDDEN,
                "type cannot be set to null, use nullable as an alternative",
            )
        )
    if "default" in s and defaults_forbidden:
        errs.append(
            FieldError(_child(path, "default"), fe.FORBIDDEN, f"must not be set {defaults_forbidden}")
        )
    for key, word in (
        ("id", "id"),
        ("additionalItems", "additionalItems"),
        ("patternProperties", "patternProperties"),
        ("definitions", "definitions"),
        ("dependencies", "dependencies"),
        ("$ref", "$ref"),
    ):
        if s.get(key) not in (None, "", {}):
            errs.append(FieldError(_child(path, key), fe.FORBIDDEN, f"{word} is not supported"))
    if isinstance(s.get("items"), list):
        errs.append(
            FieldError(_child(path, "items"), fe.FORBIDDEN, "items must be a schema object and not an array")
        )
    if in_meta and s.get("x-kubernetes-embedded-resource"):
        errs.append(
            FieldError(
                _child(path, "x-kubernetes-embedded-resource"),
                fe.FORBIDDEN,
                "must not be used inside of resource meta",
            )
        )
    if s.get("uniqueItems") is True:
        errs.append(
            FieldError(
                _child(path, "uniqueItems"),
                fe.FORBIDDEN,
                "uniqueItems cannot be set to true since the runtime complexity becomes quadratic",
            )
        )
    props: dict[str, Any] = s["properties"] if isinstance(s.get("properties"), dict) else {}
    ap = s.get("additionalProperties")
    if ap is not None and props and (ap is False or isinstance(ap, dict)):
        errs.append(
            FieldError(
                _child(path, "additionalProperties"),
                fe.FORBIDDEN,
                "additionalProperties and properties are mutual exclusive",
            )
        )
    if s.get("x-kubernetes-preserve-unknown-fields") is False:
        errs.append(
            FieldError(
                _child(path, "x-kubernetes-preserve-unknown-fields"),
                fe.INVALID,
                "must be true or undefined",
                False,
            )
        )
    _extension_rules(s, path, errs, is_root, scope)
    child = scope.child(s) if scope is not None else None
    if isinstance(ap, dict):
        sub_forbid = (
            "inside additionalProperties applying to object metadata" if in_meta else defaults_forbidden
        )
        _openapi_subset(
            ap,
            _child(path, "additionalProperties"),
            errs,
            is_root=False,
            in_meta=in_meta,
            defaults_forbidden=sub_forbid,
            scope=child,
        )
    embedded = bool(s.get("x-kubernetes-embedded-resource"))
    for name, sub in props.items():
        if not isinstance(sub, dict):
            continue
        sub_meta, sub_forbid = in_meta, defaults_forbidden
        if (is_root or embedded) and name in _META:
            sub_meta = True
            if is_root:
                sub_forbid = f"in top-level {name}"
        _openapi_subset(
            sub,
            _key(path, "properties", name),
            errs,
            is_root=False,
            in_meta=sub_meta,
            defaults_forbidden=sub_forbid,
            scope=child,
        )
    if isinstance(s.get("not"), dict):
        _openapi_subset(
            s["not"],
            _child(path, "not"),
            errs,
            is_root=False,
            in_meta=in_meta,
            defaults_forbidden=defaults_forbidden,
        )
    for key in ("allOf", "oneOf", "anyOf"):
        for i, sub in enumerate(as_list(s.get(key))):
            if isinstance(sub, dict):
                _openapi_subset(
                    sub,
                    f"{path}.{key}[{i}]",
                    errs,
                    is_root=False,
                    in_meta=in_meta,
                    defaults_forbidden=defaults_forbidden,
                )
    if isinstance(s.get("items"), dict):
        _openapi_subset(
            s["items"],
            _child(path, "items"),
            errs,
            is_root=False,
            in_meta=in_meta,
            defaults_forbidden=defaults_forbidden,
            scope=child,
        )


def _extension_rules(
    s: dict[str, Any], path: str, errs: list[FieldError], is_root: bool = False, scope: _Scope | None = None
) -> None:
    t = s.get("type") or ""
    map_type = s.get("x-kubernetes-map-type")
    if map_type is not None:
        if t != "object":
            errs.append(_type_must_be(path, t, "object if x-kubernetes-map-type is specified"))
        if map_type not in ("atomic", "granular"):
            errs.append(
                FieldError(
                    _child(path, "x-kubernetes-map-type"),
                    fe.NOT_SUPPORTED,
                    'supported values: "atomic", "granular"',
                    map_type,
                )
            )
    list_type = s.get("x-kubernetes-list-type")
    keys = [k for k in as_list(s.get("x-kubernetes-list-map-keys")) if isinstance(k, str)]
    if list_type is not None:
        if t != "array":
            errs.append(_type_must_be(path, t, "array if x-kubernetes-list-type is specified"))
        if list_type not in ("atomic", "set", "map"):
            errs.append(
                FieldError(
                    _child(path, "x-kubernetes-list-type"),
                    fe.NOT_SUPPORTED,
                    'supported values: "atomic", "map", "set"',
                    list_type,
                )
            )
    if keys and list_type != "map":
        if list_type is None:
            errs.append(
                FieldError(
                    _child(path, "x-kubernetes-list-type"),
                    fe.REQUIRED,
                    "must be map if x-kubernetes-list-map-keys is non-empty",
                )
            )
        else:
            errs.append(
                FieldError(
                    _child(path, "x-kubernetes-list-type"),
                    fe.INVALID,
                    "must be map if x-kubernetes-list-map-keys is non-empty",
                    list_type,
                )
            )
    if list_type == "map":
        items = s.get("items")
        if not keys:
            errs.append(
                FieldError(
                    _child(path, "x-kubernetes-list-map-keys"),
                    fe.REQUIRED,
                    "must not be empty if x-kubernetes-list-type is map",
                )
            )
        if not isinstance(items, dict):
            errs.append(
                FieldError(
                    _child(path, "items"), fe.REQUIRED, "must have a schema if x-kubernetes-list-type is map"
                )
            )
        else:
            if items.get("type") != "object":
                errs.append(
                    FieldError(
                        _child(path, "items.type"),
                        fe.INVALID,
                        "must be object if parent array's x-kubernetes-list-type is map",
                        items.get("type", ""),
                    )
                )
            item_props = as_dict(items.get("properties"))
            required = {r for r in as_list(items.get("required")) if isinstance(r, str)}
            for k in keys:
                prop = item_props.get(k) if isinstance(item_props, dict) else None
                if isinstance(prop, dict):
                    if prop.get("type") in ("object", "array"):
                        errs.append(
                            FieldError(
                                f"{path}.items.properties[{k}].type",
                                fe.INVALID,
                                "must be a scalar type if parent array's x-kubernetes-list-type is map",
                                prop.get("type"),
                            )
                        )
                    if k not in required and "default" not in prop:
                        errs.append(
                            FieldError(
                                f"{path}.items.properties[{k}].default",
                                fe.REQUIRED,
                                "this property is in x-kubernetes-list-map-keys, so it must have a default "
                                "or be a required property",
                            )
                        )
                    if prop.get("nullable"):
                        errs.append(
                            FieldError(
                                f"{path}.items.properties[{k}].nullable",
                                fe.FORBIDDEN,
                                "this property is in x-kubernetes-list-map-keys, so it cannot be nullable",
                            )
                        )
            if len(set(keys)) != len(keys):
                errs.append(
                    FieldError(
                        _child(path, "x-kubernetes-list-map-keys"),
                        fe.INVALID,
                        "must not contain duplicate entries",
                        keys,
                    )
                )
    for i, rule in enumerate(as_list(s.get("x-kubernetes-validations"))):
        rpath = f"{path}.x-kubernetes-validations[{i}]"
        if not isinstance(rule, dict) or not rule.get("rule"):
            errs.append(FieldError(f"{rpath}.rule", fe.REQUIRED, "rule is not specified"))
            continue
        compiled = True
        for key in ("rule", "messageExpression"):
            if not isinstance(rule.get(key), str):
                continue
            # compiled against the node's schema, as kube-apiserver type-checks it: a field the
            # schema does not declare fails the CRD instead of every object
            why = cel_python.syntax_error(rule[key]) or cel_check.compile_errors(
                rule[key], s, is_root, rule=key == "rule"
            )
            if why:
                errs.append(FieldError(f"{rpath}.{key}", fe.INVALID, why, _rule_struct(rule)))
            elif scope is not None and compiled and rule[key].strip():
                _observe_cost(s, f"{rpath}.{key}", rule[key], is_root, key, scope)
            compiled = compiled and not why
        msg = rule.get("message")
        if msg is not None and isinstance(msg, str):
            if not msg.strip():
                errs.append(FieldError(f"{rpath}.message", fe.INVALID, "must be non-empty if specified", msg))
            elif "\n" in msg:
                errs.append(FieldError(f"{rpath}.message", fe.INVALID, "must not contain line breaks", msg))
        elif "\n" in str(rule.get("rule")) and not rule.get("messageExpression"):
            errs.append(
                FieldError(
                    f"{rpath}.message", fe.REQUIRED, "message must be specified if rule contains line breaks"
                )
            )


def _observe_cost(s: dict[str, Any], path: str, text: str, is_root: bool, key: str, scope: _Scope) -> None:
    """A rule's estimated cost (times how many of its node one object holds) or a
    messageExpression's (once), held to the per-expression budget and added to the schema's."""
    as_root = is_root or bool(s.get("x-kubernetes-embedded-resource"))
    cost = cel_cost.estimate(text, s, as_root)
    if key == "rule":
        times = scope.cardinality if scope.cardinality is not None else cel_cost.cardinality(s, as_root)
        scope.costs.observe(path, cel_cost.multiply(cost, times), "estimated rule cost")
    else:
        scope.costs.observe(path, cost, "estimated messageExpression cost")


def _type_must_be(path: str, t: str, what: str) -> FieldError:
    if not t:
        return FieldError(_child(path, "type"), fe.REQUIRED, f"must be {what}")
    return FieldError(_child(path, "type"), fe.INVALID, f"must be {what}", t)


def _is_int_or_string_any_of(branches: Any) -> bool:
    return (
        isinstance(branches, list)
        and len(branches) == 2
        and branches[0] == {"type": "integer"}
        and branches[1] == {"type": "string"}
    )


def _structural(s: dict[str, Any], path: str, level: str, errs: list[FieldError]) -> None:
    t = s.get("type") or ""
    items = s.get("items")
    if t == "array" and not isinstance(items, dict):
        errs.append(FieldError(_child(path, "items"), fe.REQUIRED, "must be specified"))
    if isinstance(items, dict):
        _structural(items, _child(path, "items"), _ITEM, errs)
    props: dict[str, Any] = s["properties"] if isinstance(s.get("properties"), dict) else {}
    for name, sub in props.items():
        if isinstance(sub, dict):
            _structural(sub, _key(path, "properties", name), _FIELD, errs)
    ap = s.get("additionalProperties")
    if ap is not None and ap is not False:
        if level == _ROOT:
            errs.append(
                FieldError(_child(path, "additionalProperties"), fe.FORBIDDEN, "must not be used at the root")
            )
        if isinstance(ap, dict):
            _structural(ap, _child(path, "additionalProperties"), _FIELD, errs)
    int_or_string = bool(s.get("x-kubernetes-int-or-string"))
    preserve = bool(s.get("x-kubernetes-preserve-unknown-fields"))
    embedded = bool(s.get("x-kubernetes-embedded-resource"))
    if int_or_string and preserve:
        errs.append(
            FieldError(
                _child(path, "x-kubernetes-preserve-unknown-fields"),
                fe.INVALID,
                "must be false if x-kubernetes-int-or-string is true",
                True,
            )
        )
    if int_or_string and embedded:
        errs.append(
            FieldError(
                _child(path, "x-kubernetes-embedded-resource"),
                fe.INVALID,
                "must be false if x-kubernetes-int-or-string is true",
                True,
            )
        )
    skip_any_of = _is_int_or_string_any_of(s.get("anyOf"))
    all_of: list[Any] = s["allOf"] if isinstance(s.get("allOf"), list) else []
    skip_first_all_of = (
        bool(all_of) and isinstance(all_of[0], dict) and _is_int_or_string_any_of(all_of[0].get("anyOf"))
    )
    _value_validation(s, path, skip_any_of, skip_first_all_of, errs)
    if embedded and t != "object":
        errs.append(_type_must_be(path, t, "object if x-kubernetes-embedded-resource is true"))
    elif not t and not int_or_string and not preserve:
        detail = {
            _ROOT: "must not be empty at the root",
            _ITEM: "must not be empty for specified array items",
            _FIELD: "must not be empty for specified object fields",
        }[level]
        errs.append(FieldError(_child(path, "type"), fe.REQUIRED, detail))
    if embedded and ap is not None:
        errs.append(
            FieldError(
                _child(path, "additionalProperties"),
                fe.FORBIDDEN,
                "must not be used if x-kubernetes-embedded-resource is set",
            )
        )
    if level == _ROOT and t and t != "object":
        errs.append(FieldError(_child(path, "type"), fe.INVALID, "must be object at the root", t))
    check_meta = level == _ROOT or embedded
    for name in ("kind", "apiVersion"):
        sub = props.get(name)
        if check_meta and isinstance(sub, dict) and sub.get("type") != "string":
            errs.append(
                FieldError(
                    f"{path}.properties[{name}].type", fe.INVALID, "must be string", sub.get("type", "")
                )
            )
    meta = props.get("metadata")
    if isinstance(meta, dict):
        mpath = _key(path, "properties", "metadata")
        if check_meta and meta.get("type") != "object":
            errs.append(FieldError(_child(mpath, "type"), fe.INVALID, "must be object", meta.get("type", "")))
        if level == _ROOT and not _only_names(meta):
            errs.append(
                FieldError(
                    mpath,
                    fe.FORBIDDEN,
                    "must not specify anything other than name and generateName, but metadata is "
                    "implicitly specified",
                )
            )
    if embedded and not preserve and not props:
        errs.append(
            FieldError(
                _child(path, "properties"),
                fe.REQUIRED,
                "must not be empty if x-kubernetes-embedded-resource is true without "
                "x-kubernetes-preserve-unknown-fields",
            )
        )


def _only_names(meta: dict[str, Any]) -> bool:
    # At the root, metadata may only say `type: object` and constrain name/generateName.
    allowed = {"type", "properties", "default"}  # a default is reported on its own
    if set(meta) - allowed:
        return False
    props = as_dict(meta.get("properties"))
    return isinstance(props, dict) and set(props) <= {"name", "generateName"}


_FORBIDDEN_NESTED: tuple[tuple[str, str, str], ...] = (
    ("type", "must be empty to be structural", fe.FORBIDDEN),
    ("default", "must be undefined to be structural", fe.FORBIDDEN),
    ("title", "must be empty to be structural", fe.FORBIDDEN),
    ("description", "must be empty to be structural", fe.FORBIDDEN),
    ("nullable", "must be false to be structural", fe.FORBIDDEN),
    ("x-kubernetes-preserve-unknown-fields", "must be false to be structural", fe.FORBIDDEN),
    ("x-kubernetes-embedded-resource", "must be false to be structural", fe.FORBIDDEN),
    ("x-kubernetes-int-or-string", "must be false to be structural", fe.FORBIDDEN),
    ("x-kubernetes-list-map-keys", "must be empty to be structural", fe.FORBIDDEN),
    ("x-kubernetes-list-type", "must be undefined to be structural", fe.FORBIDDEN),
    ("x-kubernetes-map-type", "must be undefined to be structural", fe.FORBIDDEN),
)


def _value_validation(
    s: dict[str, Any], path: str, skip_any_of: bool, skip_first_all_of: bool, errs: list[FieldError]
) -> None:
    if not skip_any_of:
        for i, sub in enumerate(as_list(s.get("anyOf"))):
            _nested(sub, f"{path}.anyOf[{i}]", False, errs)
    for i, sub in enumerate(as_list(s.get("allOf"))):
        _nested(sub, f"{path}.allOf[{i}]", skip_first_all_of and i == 0, errs)
    for i, sub in enumerate(as_list(s.get("oneOf"))):
        _nested(sub, f"{path}.oneOf[{i}]", False, errs)
    if isinstance(s.get("not"), dict):
        _nested(s["not"], _child(path, "not"), False, errs)
    pattern = s.get("pattern")
    if isinstance(pattern, str) and pattern:
        import re

        try:
            re.compile(pattern.replace(r"\z", r"\Z"))
        except re.error as err:
            if re.search(r"\\[pP]", pattern):
                return  # RE2 Unicode classes Python's re lacks: give the benefit of the doubt
            errs.append(
                FieldError(
                    _child(path, "pattern"),
                    fe.INVALID,
                    f"must be a valid regular expression, but isn't: {err}",
                    pattern,
                )
            )


def _nested(s: Any, path: str, skip_any_of: bool, errs: list[FieldError]) -> None:
    if not isinstance(s, dict):
        return
    _value_validation(s, path, skip_any_of or _is_int_or_string_any_of(s.get("anyOf")), False, errs)
    if isinstance(s.get("items"), dict):
        _nested(s["items"], _child(path, "items"), False, errs)
    for k, sub in as_dict(s.get("properties")).items():
        _nested(sub, _key(path, "properties", k), False, errs)
    for key, detail, reason in _FORBIDDEN_NESTED:
        value = s.get(key)
        if value not in (None, False, "", []):
            errs.append(FieldError(_child(path, key), reason, detail))
    if s.get("additionalProperties") is not None:
        errs.append(
            FieldError(
                _child(path, "additionalProperties"), fe.FORBIDDEN, "must be undefined to be structural"
            )
        )
    if s.get("x-kubernetes-validations"):
        errs.append(
            FieldError(
                _child(path, "x-kubernetes-validations"), fe.FORBIDDEN, "must be empty to be structural"
            )
        )
    if "metadata" in as_dict(s.get("properties")):
        errs.append(
            FieldError(
                _key(path, "properties", "metadata"),
                fe.FORBIDDEN,
                "must not be specified in a nested context",
            )
        )


def _completeness(v: dict[str, Any], s: Any, s_path: str, v_path: str, errs: list[FieldError]) -> None:
    """What the root's allOf/anyOf/oneOf/not constrain must exist in the structural schema too."""
    if isinstance(v.get("not"), dict):
        _complete_nested(v["not"], s, s_path, _child(v_path, "not"), errs)
    for key in ("allOf", "anyOf", "oneOf"):
        for i, sub in enumerate(as_list(v.get(key))):
            if isinstance(sub, dict):
                _complete_nested(sub, s, s_path, f"{v_path}.{key}[{i}]", errs)


def _complete_nested(v: dict[str, Any], s: Any, s_path: str, v_path: str, errs: list[FieldError]) -> None:
    if not isinstance(s, dict):
        errs.append(FieldError(s_path, fe.REQUIRED, f"because it is defined in {v_path}"))
        return
    _completeness(v, s, s_path, v_path, errs)
    if isinstance(v.get("items"), dict):
        _complete_nested(v["items"], s.get("items"), _child(s_path, "items"), _child(v_path, "items"), errs)
    s_props = as_dict(s.get("properties"))
    for k, sub in as_dict(v.get("properties")).items():
        if not isinstance(sub, dict):
            continue
        if k not in s_props:
            errs.append(
                FieldError(
                    _key(s_path, "properties", k),
                    fe.REQUIRED,
                    f"because it is defined in {_key(v_path, 'properties', k)}",
                )
            )
        else:
            _complete_nested(
                sub, s_props[k], _key(s_path, "properties", k), _key(v_path, "properties", k), errs
            )


def _check_defaults(schema: dict[str, Any], path: str) -> list[FieldError]:
    """Every default must validate against its node and have nothing to prune."""
    errs: list[FieldError] = []

    def walk(s: Any, p: str) -> None:
        if not isinstance(s, dict):
            return
        if "default" in s:
            _check_one_default(s, p, deep_copy(s["default"]), errs)
        if isinstance(s.get("items"), dict):
            walk(s["items"], _child(p, "items"))
        for k, sub in as_dict(s.get("properties")).items():
            walk(sub, _key(p, "properties", k))
        if isinstance(s.get("additionalProperties"), dict):
            walk(s["additionalProperties"], _child(p, "additionalProperties"))

    walk(schema, path)
    return errs


def _check_one_default(s: dict[str, Any], p: str, value: Any, errs: list[FieldError]) -> None:
    # Not compile_schema(): these sub-schemas must not crowd the cache of whole CRD schemas.
    compiled = CompiledSchema(s)
    dpath = _child(p, "default")
    if value is None and s.get("nullable"):
        return
    if compiled.prune(value, root_metadata=False, resource_root=False):
        errs.append(FieldError(dpath, fe.INVALID, "must not have unknown fields", value))
        return
    for e in compiled.validate(value):
        sub = e.path
        new_path = dpath if sub in ("", NIL_PATH) else f"{dpath}.{sub}"
        errs.append(FieldError(new_path, e.reason, e.detail, e.value))


def _rule_struct(rule: dict[str, Any]) -> fe.Verbatim:
    """A rule as kube-apiserver prints it in an error: its Go ValidationRule struct."""
    return fe.go_json(
        {
            "Rule": rule.get("rule", ""),
            "Message": rule.get("message", ""),
            "MessageExpression": rule.get("messageExpression", ""),
            "Reason": rule.get("reason"),
            "FieldPath": rule.get("fieldPath", ""),
            "OptionalOldSelf": rule.get("optionalOldSelf"),
        }
    )
