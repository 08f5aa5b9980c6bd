"""Update validation of fields a kind fixes at create (ValidateImmutableField in kube's
ValidateXxxUpdate): one error per changed field, worded and valued as kube-apiserver's. Pure.

What the error shows of the new value differs by field: the value itself (as Go prints it), or
null where kube-apiserver v1.37's declarative validation owns the rule (it passes no value)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from localkube.apiserver.fielderrors import INVALID, FieldError
from localkube.apiserver.shapes import get_path
from localkube.apiserver.strategy import Obj


def _same(value: Any) -> Any:
    return value


def _null(value: Any) -> Any:
    return None


NULL = _null  # `shown` of the fields declarative validation checks


@dataclass(frozen=True)
class Fixed:
    """One immutable field: its dotted path in the object, the path kube's error names when that
    differs (CSIDriver's `spec.attachedRequired`), and what the error shows of the new value."""

    path: str
    reported: str = ""
    shown: Callable[[Any], Any] = _same


def unchanged(*fields: Fixed) -> Callable[[Obj, Obj], list[FieldError]]:
    """A strategy's validate_update refusing a change of any of `fields`."""

    def validate(old: Obj, new: Obj) -> list[FieldError]:
        return [
            FieldError(f.reported or f.path, INVALID, "field is immutable", f.shown(get_path(new, f.path)))
            for f in fields
            if get_path(old, f.path) != get_path(new, f.path)
        ]

    return validate
