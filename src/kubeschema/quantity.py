"""Kubernetes resource quantities ("500m", "5Gi", "1e3", 4): parsing, arithmetic, formatting.

The one parser for the operator's builders and localkube's kubelet: exact decimal values, Go's
`Quantity.Value()` (round up), and the canonical string Kubernetes prints for a sum (so status
fields read like KubeRay's).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal
from typing import Literal

Format = Literal["DecimalSI", "BinarySI", "DecimalExponent"]

_BINARY = {"Ki": 1, "Mi": 2, "Gi": 3, "Ti": 4, "Pi": 5, "Ei": 6}
_DECIMAL = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_RE = re.compile(r"^([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?[0-9]+)?$")


@dataclass(frozen=True)
class Quantity:
    value: Decimal
    format: Format = "DecimalSI"

    def __add__(self, other: Quantity) -> Quantity:
        return Quantity(self.value + other.value, self.format)

    def __mul__(self, n: int) -> Quantity:
        return Quantity(self.value * n, self.format)

    def is_zero(self) -> bool:
        return self.value == 0

    def ceil_int(self) -> int:
        """Go's `Quantity.Value()`: the value rounded up to an integer ("500m" -> 1)."""
        return int(self.value.to_integral_value(rounding=ROUND_CEILING))

    def __str__(self) -> str:
        return format_quantity(self)


class QuantityError(ValueError):
    pass


def parse_quantity(raw: str | int | float) -> Quantity:
    if isinstance(raw, bool):
        raise QuantityError(f"quantity {raw!r} is not a number")
    if isinstance(raw, int):
        return Quantity(Decimal(raw))
    if isinstance(raw, float):
        return Quantity(Decimal(str(raw)))
    m = _RE.match(raw.strip())
    if not m:
        raise QuantityError(f"quantity {raw!r} is not a Kubernetes quantity (e.g. 500m, 2, 5Gi)")
    number, suffix = Decimal(m.group(1)), m.group(2) or ""
    if suffix in _BINARY:
        return Quantity(number * (Decimal(1024) ** _BINARY[suffix]), "BinarySI")
    if suffix[:1] in ("e", "E"):
        return Quantity(number * (Decimal(10) ** int(suffix[1:])), "DecimalExponent")
    return Quantity(number * (Decimal(10) ** _DECIMAL[suffix]), "DecimalSI")


def is_quantity(raw: str) -> bool:
    try:
        parse_quantity(raw)
    except QuantityError:
        return False
    return True


def format_quantity(q: Quantity) -> str:
    """The canonical form Kubernetes serializes: largest exact suffix, keeping the format family."""
    v = q.value
    if v == 0:
        return "0"
    sign = "-" if v < 0 else ""
    v = abs(v)
    if q.format == "BinarySI" and v == v.to_integral_value() and v >= 1024:
        n = int(v)
        for suffix, power in sorted(_BINARY.items(), key=lambda kv: -kv[1]):
            unit = 1024**power
            if n % unit == 0:
                return f"{sign}{n // unit}{suffix}"
    # Decimal: the largest power of 1000 (down to nano) that leaves an integer mantissa.
    for suffix, exp in sorted(_DECIMAL.items(), key=lambda kv: -kv[1]):
        mantissa = v / (Decimal(10) ** exp)
        if mantissa == mantissa.to_integral_value() and (mantissa >= 1 or exp == -9):
            return f"{sign}{int(mantissa)}{suffix}"
    # Finer than a nanounit: Kubernetes rounds up to nano.
    nano = (v * Decimal(10) ** 9).to_integral_value(rounding=ROUND_CEILING)
    return f"{sign}{int(nano)}n"


def go_float(x: float) -> str:
    """Format a float as Go's encoding/json does for float64 (1 -> "1", 0.5 -> "0.5")."""
    if x == int(x) and abs(x) < 1e21:
        return str(int(x))
    return repr(x)
