"""CRD validation rules through cel-python (a maintained CEL implementation): their syntax is
checked when the CRD is written (a rule that cannot be parsed fails the CRD with 422, as
kube-apiserver's compilation does), and rules the hand-written subset (schema_cel.py) cannot
compile are evaluated here instead of being skipped."""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from typing import Any

import celpy
import celpy.celtypes

from localkube.apiserver.schema.cel import CelProgram

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


@dataclass(frozen=True)
class CelPyProgram(CelProgram):
    """A rule outside the hand-written subset, run by cel-python. Only a clean `false` fails an
    object: an evaluation error (a Kubernetes library function such as quantity(), which plain CEL
    lacks) passes it, so a valid object is never refused for what this engine cannot judge."""

    program: Any = None

    def evaluate(self, self_value: Any, old_self: Any = None) -> Any:
        activation = {"self": celpy.json_to_cel(self_value)}
        if self.uses_old_self:
            activation["oldSelf"] = celpy.json_to_cel(old_self)
        try:
            result = self.program.evaluate(activation)
        except (celpy.CELEvalError, TypeError, ValueError, KeyError, ZeroDivisionError, RecursionError):
            return True
        return bool(result) if isinstance(result, celpy.celtypes.BoolType) else True


def fallback(text: str) -> CelProgram | None:
    """The rule as a cel-python program, or None if it does not parse (the CRD was refused)."""
    if syntax_error(text):
        return None
    env = _environment()
    program = env.program(env.compile(text))
    return CelPyProgram(text=text, ast=("lit", True), uses_old_self="oldSelf" in text, program=program)
