"""Kubernetes resource quantities ("500m", "2", "1Gi", "1e3") as exact fractions (pure)."""

from __future__ import annotations

from fractions import Fraction

_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL = {"n": Fraction(1, 10**9), "u": Fraction(1, 10**6), "m": Fraction(1, 1000), "": Fraction(1),
            "k": Fraction(10**3), "M": Fraction(10**6), "G": Fraction(10**9), "T": Fraction(10**12),
            "P": Fraction(10**15), "E": Fraction(10**18)}  # fmt: skip


def parse(q: str | int | float) -> Fraction:
    if isinstance(q, int | float):
        return Fraction(q)
    s = q.strip()
    for suffix, mult in _BINARY.items():
        if s.endswith(suffix):
            return Fraction(s[: -len(suffix)]) * mult
    if len(s) > 1 and s[-1] in _DECIMAL and not s[-1].isdigit():
        return Fraction(s[:-1]) * _DECIMAL[s[-1]]
    if "e" in s.lower():
        base, _, exp = s.lower().partition("e")
        return Fraction(base) * Fraction(10) ** int(exp)
    return Fraction(s)


def format_cpu(value: Fraction) -> str:
    if value.denominator == 1:
        return str(value.numerator)
    return f"{int(value * 1000)}m"


def format_bytes(value: Fraction) -> str:
    v = int(value)
    for suffix in ("Ei", "Pi", "Ti", "Gi", "Mi", "Ki"):
        mult = _BINARY[suffix]
        if v and v % mult == 0:
            return f"{v // mult}{suffix}"
    return str(v)
