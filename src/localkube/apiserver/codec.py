"""The API server's JSON codec: strict decoding of request bodies, fast encoding of what it serves.

orjson refuses `NaN`/`Infinity` literals (stored, they would make every later LIST invalid JSON)
and decodes several times faster than the standard library. Values it cannot represent exactly
(integers beyond 64 bits become floats) and the YAML path are checked by `problem`, which also
caps nesting: everything after decoding (copies, merges, schema walks) recurses, and Python's
stack, not Kubernetes' 10,000, is the limit here.
"""

from __future__ import annotations

import json
import math
import sys
from typing import Any

import orjson

from localkube.apiserver import errors

# kube-apiserver allows 10,000 levels. orjson's decoder stops at 1,024, and Python's standard
# decoder would need a recursion limit far past what its C stack takes, so 1,000 it is: orjson
# decodes every allowed body, and what recurses after decoding (copies, merges, schema walks,
# managedFields, encoding) needs a few Python frames per level, which RECURSION_LIMIT covers.
MAX_DEPTH = 1000
# Python 3.11 runs Python-to-Python calls without growing the C stack, so a limit this high costs
# nothing until used; C recursion (the standard JSON encoder, comparisons) stays bounded by
# MAX_DEPTH. Raised, never lowered, when the API server starts (`ensure_recursion_limit`).
RECURSION_LIMIT = 20_000
INT64_MIN, INT64_MAX = -(1 << 63), (1 << 63) - 1
# orjson turns an integer literal it cannot hold into a float; any float this large may be one
_MAYBE_BIG_INT = float(1 << 63)


def ensure_recursion_limit() -> None:
    """Let every recursive step handle an object nested MAX_DEPTH levels (see RECURSION_LIMIT)."""
    if sys.getrecursionlimit() < RECURSION_LIMIT:
        sys.setrecursionlimit(RECURSION_LIMIT)


class CodecError(ValueError):
    """A body that is not acceptable JSON; the message says why, for a 400."""


def loads(raw: bytes | str) -> Any:
    """Strict JSON: no NaN/Infinity, no nesting past MAX_DEPTH, integers within int64."""
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as e:
        if "depth limit" in str(e):
            raise CodecError(too_deep()) from e
        raise CodecError(str(e)) from e
    found = problem(value)
    if found == _BIG:
        # a float that may stand for a big integer literal: decode exactly to tell
        value = json.loads(raw)
        found = problem(value, exact=True)
    if found:
        raise CodecError(found)
    return value


_BIG = "big"


def too_deep() -> str:
    return f"the object is nested more than {MAX_DEPTH} levels deep"


def problem(value: Any, exact: bool = False) -> str:
    """Why a decoded value may not be stored ("" if it may): depth, non-finite numbers, non-int64
    integers. `exact`: floats are what the body wrote (not orjson's stand-ins for big integers).
    Iterative, so any depth is measured without recursion."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    big = ""
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            if depth > MAX_DEPTH:
                return too_deep()
            for v in item.values():
                if isinstance(v, dict | list):
                    stack.append((v, depth + 1))
                elif isinstance(v, float | int):
                    big = big or _number_problem(v, exact)
        elif isinstance(item, list):
            if depth > MAX_DEPTH:
                return too_deep()
            for v in item:
                if isinstance(v, dict | list):
                    stack.append((v, depth + 1))
                elif isinstance(v, float | int):
                    big = big or _number_problem(v, exact)
        elif isinstance(item, float | int):
            big = big or _number_problem(item, exact)
    return big


def _number_problem(v: float | int, exact: bool) -> str:
    if isinstance(v, bool):
        return ""
    if isinstance(v, int):
        if INT64_MIN <= v <= INT64_MAX:
            return ""
        return f"json: cannot unmarshal number {v} into a Go value of type int64"
    if not math.isfinite(v):
        return f"json: unsupported value: {v!r} (NaN and Infinity are not JSON)"
    if not exact and abs(v) >= _MAYBE_BIG_INT and v.is_integer():
        return _BIG
    return ""


def dumps(obj: Any) -> bytes:
    """Compact UTF-8 JSON. orjson stops at 254 levels; deeper objects (allowed only up to
    MAX_DEPTH, so this is for safety) go through the standard library."""
    try:
        return orjson.dumps(obj)
    except orjson.JSONEncodeError:
        return json.dumps(obj, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()


class _Decoded(dict[str, Any]):
    """A decoded JSON object and the paths, relative to it, of the keys repeated within it."""

    repeated: list[str]


def _repeated_within(value: Any) -> list[str]:
    if isinstance(value, _Decoded):
        return value.repeated
    if isinstance(value, list):
        inner = ((i, p) for i, v in enumerate(value) for p in _repeated_within(v))
        return [f"[{i}]{'' if p.startswith('[') else '.'}{p}" for i, p in inner]
    return []


def duplicate_fields(raw: bytes | str) -> list[str]:
    """Paths of keys repeated in one JSON object, as Go's strict decoder names them
    (`metadata.name`, `spec.containers[0].name`), for fieldValidation=Strict. Called on a body
    that already decoded, so it is well formed."""

    def pairs(items: list[tuple[str, Any]]) -> _Decoded:
        obj = _Decoded()
        obj.repeated = []
        for k, v in items:
            if k in obj:
                obj.repeated.append(k)
            obj[k] = v
            obj.repeated.extend(f"{k}{p}" if p.startswith("[") else f"{k}.{p}" for p in _repeated_within(v))
        return obj

    return _repeated_within(json.loads(raw, object_pairs_hook=pairs))


def from_yaml(value: Any) -> Any:
    """A value PyYAML decoded, as the JSON Kubernetes converts YAML to: timestamps and the like as
    strings, keys as strings; `.nan`/`.inf` and excessive nesting refused (CodecError)."""
    found = problem(value, exact=True)
    if found:
        raise CodecError(found)
    try:
        text = json.dumps(value, default=str, allow_nan=False)
    except TypeError as e:  # a key JSON cannot have (a date, a list)
        raise CodecError(f"unsupported map key: {e}") from e
    return loads(text)


JSON_MEDIA = ("application/json", "application/json-patch+json", "application/merge-patch+json",
              "application/strategic-merge-patch+json")  # fmt: skip


def refuse_duplicates(raw: bytes, field_validation: str | None, media: str) -> None:
    """fieldValidation=Strict refuses a JSON body that names a field twice (400), as Go's strict
    decoder does; other modes keep the last value, as JSON decoders do."""
    if field_validation != "Strict" or media not in JSON_MEDIA or b'"' not in raw:
        return
    try:
        found = duplicate_fields(raw)
    except (ValueError, RecursionError):
        return  # malformed or too deep: decoding answers it
    if found:
        names = ", ".join(f'duplicate field "{f}"' for f in dict.fromkeys(found))
        raise errors.bad_request(f"{_as_kind(raw)}strict decoding error: {names}")


def _as_kind(raw: bytes) -> str:
    """kube-apiserver's prefix of a decoding error, for a body that names its kind."""
    try:
        body = json.loads(raw)
    except ValueError:
        return ""
    if not isinstance(body, dict):
        return ""
    kind, api_version = body.get("kind"), body.get("apiVersion")
    if not isinstance(kind, str) or not isinstance(api_version, str) or not kind:
        return ""
    version = api_version.rsplit("/", 1)[-1]
    return f'{kind} in version "{version}" cannot be handled as a {kind}: '


def header_text(text: str) -> str:
    """Text for a quoted HTTP header value (a Warning): quotes and control characters escaped as
    Go's %q writes them, so a field name with a newline or NUL cannot break the response."""
    out = []
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(ch)
    return "".join(out)
