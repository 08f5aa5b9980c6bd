"""Field errors as Kubernetes reports them in an Invalid (422) Status's `details.causes`.

Pure data: the validators produce these, the HTTP layer turns a list of them into a Status.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

# The `reason` strings Kubernetes puts in a StatusCause (k8s.io/apimachinery field.ErrorType).
REQUIRED = "FieldValueRequired"
INVALID = "FieldValueInvalid"
NOT_SUPPORTED = "FieldValueNotSupported"
DUPLICATE = "FieldValueDuplicate"
TOO_LONG = "FieldValueTooLong"
TOO_MANY = "FieldValueTooMany"
FORBIDDEN = "FieldValueForbidden"
TYPE_INVALID = "FieldValueTypeInvalid"
UNKNOWN = "FieldValueUnknown"
NOT_FOUND = "FieldValueNotFound"

_MISSING = object()


@dataclass(frozen=True)
class FieldError:
    """One bad field: `path` is Kubernetes' dotted form, e.g. `spec.workerGroupSpecs[0].replicas`."""

    path: str
    reason: str
    detail: str
    value: Any = _MISSING

    def body(self) -> str:
        """The message without the field, as a StatusCause carries it (field.Error.ErrorBody)."""
        label = {
            REQUIRED: "Required value",
            INVALID: "Invalid value",
            NOT_SUPPORTED: "Unsupported value",
            DUPLICATE: "Duplicate value",
            TOO_LONG: "Too long",
            TOO_MANY: "Too many",
            FORBIDDEN: "Forbidden",
            TYPE_INVALID: "Invalid value",
            UNKNOWN: "Unknown field",
            NOT_FOUND: "Not found",
        }.get(self.reason, "Invalid value")
        if self.value is _MISSING or self.reason in (REQUIRED, FORBIDDEN, TOO_LONG):
            head = f"{label}"
        else:
            head = f"{label}: {_render(self.value)}"
        return f"{head}: {self.detail}" if self.detail else head

    def message(self) -> str:
        """The text Kubernetes prints for this error, e.g. `spec.x: Invalid value: "a": must be ...`."""
        return f"{self.path}: {self.body()}" if self.path else self.body()

    def cause(self) -> dict[str, str]:
        return {"reason": self.reason, "message": self.body(), "field": self.path}


class Verbatim(str):
    """A value Kubernetes prints in a form of its own (a Go struct as JSON): shown as it is."""


def go_json(fields: dict[str, Any]) -> Verbatim:
    """A Go struct's encoding/json form: fields in declaration order, and <, > and & escaped as
    Go escapes them."""
    text = json.dumps(fields, separators=(",", ":"), ensure_ascii=False)
    return Verbatim(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


def _render(value: Any) -> str:
    if isinstance(value, Verbatim):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        # Go's %#v of a []string, which is how Kubernetes prints a bad list
        return "[]string{" + ", ".join(json.dumps(v) for v in value) + "}"
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"), sort_keys=True)
    return json.dumps(value)
