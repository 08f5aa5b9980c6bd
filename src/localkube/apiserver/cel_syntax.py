"""CEL syntax of CRD validation rules, checked by cel-python's parser (a maintained CEL grammar)
when the CRD is written: a rule that cannot be parsed fails the CRD with 422, as kube-apiserver's
compilation does, instead of being skipped when objects are validated."""

from __future__ import annotations

import functools
import logging

import celpy

# cel-python logs every parse at DEBUG, and a failed one at INFO; the 422 reports it
logging.getLogger("celpy").setLevel(logging.WARNING)


@functools.cache
def _environment() -> celpy.Environment:
    return celpy.Environment()


@functools.lru_cache(maxsize=4096)
def syntax_error(expression: str) -> str:
    """Kubernetes' wording of why `expression` is not CEL ("" when it parses)."""
    try:
        _environment().compile(expression)
    except celpy.CELParseError as e:
        line, column = getattr(e, "line", None) or 1, getattr(e, "column", None) or 0
        return f"compilation failed: ERROR: <input>:{line}:{column}: Syntax error: {str(e).strip()}"
    return ""
