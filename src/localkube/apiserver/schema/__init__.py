"""Structural-schema validation, defaulting and pruning of custom resources, as apiextensions does it.

Pure: no I/O. A CRD version's `openAPIV3Schema` is compiled once into a tree of `Node`s (node.py,
cached by the identity of the schema dict in compiled.py), then every write runs, in the API server's order:

1. `prune(obj, schema)`: drop fields the schema does not declare (and non-nullable nulls without
   a default), returning the dropped paths for `fieldValidation=Strict|Warn`;
2. `apply_defaults(obj, schema)`: fill `default`s;
3. `validate(obj, schema, old=...)`: OpenAPI value validation (kube-openapi's rules and wording,
   ratcheted on update: unchanged values that a newer schema rejects are let through),
   embedded-resource TypeMeta/ObjectMeta checks, `x-kubernetes-list-type` uniqueness and the
   `x-kubernetes-validations` CEL rules our subset understands (see cel.py).

This module is the package's entry point; the work is split by job: node (compiling), compiled (a
compiled schema and the cache), openapi (value validation), checks (embedded resources, list types,
CEL rules), cel (the CEL subset), ratchet (updates), prune (pruning, defaulting), structural
(check_crd_schema), formats and values (string formats, JSON value helpers).

Messages follow kube-openapi and k8s.io/apimachinery field errors word for word, e.g.
`spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string"`.
"""

from __future__ import annotations

from typing import Any

from localkube.apiserver.fielderrors import FieldError
from localkube.apiserver.schema.compiled import CompiledSchema, compile_schema
from localkube.apiserver.schema.node import NIL_PATH, OBJECT_META_FIELDS
from localkube.apiserver.schema.structural import check_structural

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
    """Structural-schema violations of a CRD version's openAPIV3Schema (see structural.py).

    `path` prefixes the reported fields; for a v1 CRD's per-version schema pass
    `spec.versions[0].schema.openAPIV3Schema`, as the v1 API reports it; `path=""` gives paths
    relative to the schema (`properties[spec].type`).
    """
    return check_structural(schema, path=path)
