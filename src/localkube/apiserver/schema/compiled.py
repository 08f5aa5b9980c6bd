"""A structural schema compiled once into a tree of `Node`s, and the cache of compiled CRD schemas.

Apart from the package's entry point so that schema checks (structural.py) can compile a default's
sub-schema without importing the entry point that imports them."""

from __future__ import annotations

from typing import Any

from localkube.apiserver.fielderrors import (
    INVALID,
    NOT_SUPPORTED,
    REQUIRED,
    TOO_LONG,
    TOO_MANY,
    TYPE_INVALID,
    FieldError,
)
from localkube.apiserver.schema.checks import validate_embedded, validate_lists, validate_rules
from localkube.apiserver.schema.node import Compiler, Node
from localkube.apiserver.schema.openapi import validate_value
from localkube.apiserver.schema.prune import default, prune_nulls, prune_unknown
from localkube.apiserver.schema.ratchet import ratchet

# schema errors after which CEL rules are not run (apiextensions-apiserver's hasBlockingErr)
_BLOCKING = frozenset({NOT_SUPPORTED, REQUIRED, TOO_LONG, TOO_MANY, TYPE_INVALID})
_RULES_NOT_CHECKED = (
    "some validation rules were not checked because the object was invalid; correct the existing errors "
    "to complete validation"
)


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
            if any(e.reason in _BLOCKING for e in errs):
                # as apiextensions-apiserver: rules do not run on a value of the wrong shape
                errs.append(FieldError("<nil>", INVALID, _RULES_NOT_CHECKED, None))
            else:
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
