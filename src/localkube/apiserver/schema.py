"""Structural-schema validation, defaulting and pruning of custom resources, as apiextensions does it.

Pure: no I/O. A CRD version's `openAPIV3Schema` is compiled once into a tree of `Node`s (schema_node.py,
cached by the identity of the schema dict), then every write runs, in the API server's order:

1. `prune(obj, schema)`: drop fields the schema does not declare (and non-nullable nulls without
   a default), returning the dropped paths for `fieldValidation=Strict|Warn`;
2. `apply_defaults(obj, schema)`: fill `default`s;
3. `validate(obj, schema, old=...)`: OpenAPI value validation (kube-openapi's rules and wording,
   ratcheted on update: unchanged values that a newer schema rejects are let through),
   embedded-resource TypeMeta/ObjectMeta checks, `x-kubernetes-list-type` uniqueness and the
   `x-kubernetes-validations` CEL rules our subset understands (see schema_cel.py).

The work is split by job: schema_node (compiling), schema_openapi (value validation),
schema_checks (embedded resources, list types, CEL rules), schema_ratchet (updates),
schema_prune (pruning, defaulting), schema_structural (check_crd_schema).

Messages follow kube-openapi and k8s.io/apimachinery field errors word for word, e.g.
`spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string"`.
"""

from __future__ import annotations

from typing import Any

from localkube.apiserver.fielderrors import FieldError
from localkube.apiserver.schema_checks import validate_embedded, validate_lists, validate_rules
from localkube.apiserver.schema_node import NIL_PATH, OBJECT_META_FIELDS, Compiler, Node
from localkube.apiserver.schema_openapi import validate_value
from localkube.apiserver.schema_prune import default, prune_nulls, prune_unknown
from localkube.apiserver.schema_ratchet import ratchet

__all__ = [
    "NIL_PATH",
    "OBJECT_META_FIELDS",
    "CompiledSchema",
    "apply_defaults",
    "check_crd_schema",
    "compile_schema",
    "prune",
    "validate",
]


class CompiledSchema:
    """A structural schema compiled once; its methods are the module functions without the lookup."""

    def __init__(self, schema: dict[str, Any]) -> None:
        self.schema = schema
        self.root = Compiler().node(schema)

    def validate(self, obj: Any, *, old: Any = None) -> list[FieldError]:
        errs: list[FieldError] = []
        validate_value(self.root, obj, "", errs)
        if old is not None and errs:
            errs = ratchet(self.root, obj, old, errs)
        validate_embedded(self.root, obj, "", errs)
        # Like the API server, an update only enforces list uniqueness if the old object obeyed it.
        if self.root.has_lists_below and (old is None or not _list_errors(self.root, old)):
            validate_lists(self.root, obj, "", errs)
        if self.root.has_rules_below:
            validate_rules(self.root, obj, old, old is not None, "", errs)
        return errs

    def prune(self, obj: Any, *, root_metadata: bool = True, resource_root: bool = True) -> list[str]:
        out: list[str] = []
        meta = obj.get("metadata") if isinstance(obj, dict) else None
        prune_unknown(self.root, obj, "", resource_root, out)
        if isinstance(meta, dict) and not root_metadata:
            # the caller decodes the root ObjectMeta itself: don't report it twice
            out = [p for p in out if not p.startswith("metadata.")]
        prune_nulls(self.root, obj)
        out.sort()
        return out

    def apply_defaults(self, obj: Any) -> None:
        default(self.root, obj)


def _list_errors(root: Node, obj: Any) -> list[FieldError]:
    errs: list[FieldError] = []
    validate_lists(root, obj, "", errs)
    return errs


_CACHE: dict[int, CompiledSchema] = {}
_CACHE_LIMIT = 256


def compile_schema(schema: dict[str, Any]) -> CompiledSchema:
    """The compiled form of `schema`, cached by the dict's identity (treat the dict as immutable)."""
    found = _CACHE.get(id(schema))
    if found is not None and found.schema is schema:
        return found
    compiled = CompiledSchema(schema)
    if len(_CACHE) >= _CACHE_LIMIT:
        _CACHE.pop(next(iter(_CACHE)))
    _CACHE[id(schema)] = compiled
    return compiled


def validate(obj: Any, schema: dict[str, Any], *, old: Any = None) -> list[FieldError]:
    """Errors in `obj` under the structural `schema`; `old` (on updates) enables transition rules."""
    return compile_schema(schema).validate(obj, old=old)


def prune(obj: Any, schema: dict[str, Any], *, root_metadata: bool = True) -> list[str]:
    """Remove, in place, fields `schema` does not declare; return their paths (`spec.foo`), sorted.

    The root's and embedded resources' apiVersion/kind/metadata are kept; unknown ObjectMeta fields
    inside them are dropped too (pass root_metadata=False to leave the root's unreported). Also
    drops non-nullable nulls that have no default, without reporting them, as apiextensions does.
    """
    return compile_schema(schema).prune(obj, root_metadata=root_metadata)


def apply_defaults(obj: Any, schema: dict[str, Any]) -> None:
    """Apply `default`s in place: missing or non-nullable-null fields of objects that exist."""
    compile_schema(schema).apply_defaults(obj)


def check_crd_schema(
    schema: dict[str, Any], *, path: str = "spec.validation.openAPIV3Schema"
) -> list[FieldError]:
    """Structural-schema violations of a CRD version's openAPIV3Schema (see schema_structural.py).

    `path` prefixes the reported fields; for a v1 CRD's per-version schema pass
    `spec.versions[0].schema.openAPIV3Schema`, as the v1 API reports it; `path=""` gives paths
    relative to the schema (`properties[spec].type`).
    """
    from localkube.apiserver.schema_structural import check_structural

    return check_structural(schema, path=path)
