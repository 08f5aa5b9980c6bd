"""Decoding `application/vnd.kubernetes.protobuf` request bodies into the JSON form of the object.

Go clients send built-in kinds as protobuf: kubectl's typed commands (`kubectl create
namespace|configmap|secret|...`), which cannot fall back to JSON, and controller-runtime operators
(KubeRay's creates its Pods, Services, Jobs, ... this way). The envelope is the magic `k8s\\0`
followed by a runtime.Unknown {typeMeta, raw}; `raw` is the object's message. The field tables
(`protobuf_messages`) are generated from Kubernetes' Go types by tools/protobuf_tables.py; the
JSON form is what Go's JSON encoding of the same struct would send, without its nulls and empty
objects (omitted, as a JSON client omits them). Responses are always JSON (clients accept it). Pure.
"""

from __future__ import annotations

import base64
import datetime as dt
from dataclasses import dataclass
from typing import Any

from kubeschema.timestamps import format_micro_time, format_time
from localkube.apiserver import codec
from localkube.apiserver.protobuf_messages import ANY_VERSION_KINDS, KINDS, MESSAGES

MAGIC = b"k8s\x00"


class ProtobufError(ValueError):
    pass


@dataclass(frozen=True)
class F:
    """One field: its JSON name, type (scalar name, `map:<value type>`, or a message name)."""

    name: str
    type: str
    repeated: bool = False
    pointer: bool = False  # Go *T: a zero value was set on purpose and is kept
    inline: bool = False  # Go's embedded struct: its fields appear in the parent's JSON
    zero: bool = False  # a scalar without omitempty: Go's JSON writes its zero value too


def _table(fields: dict[int, tuple[str, str, str]]) -> dict[int, F]:
    return {
        number: F(name, type_, "r" in flags, "p" in flags, "i" in flags, "z" in flags)
        for number, (name, type_, flags) in fields.items()
    }


# The envelope and the messages of types whose JSON form is not an object (`_special`)
ENVELOPE: dict[str, dict[int, F]] = {
    "Unknown": {
        1: F("typeMeta", "TypeMeta"),
        2: F("raw", "bytes"),
        3: F("contentEncoding", "string"),
        4: F("contentType", "string"),
    },
    "TypeMeta": {1: F("apiVersion", "string"), 2: F("kind", "string")},
    "Time": {1: F("seconds", "int"), 2: F("nanos", "int")},
    "MicroTime": {1: F("seconds", "int"), 2: F("nanos", "int")},
    "Duration": {1: F("duration", "int")},
    "IntOrString": {1: F("type", "int"), 2: F("intVal", "int"), 3: F("strVal", "string")},
    "Quantity": {1: F("string", "string")},
    "RawExtension": {1: F("raw", "rawbytes")},
    "FieldsV1": {1: F("raw", "rawbytes")},
    "StringList": {1: F("items", "string", repeated=True)},
}
TABLES: dict[str, dict[int, F]] = {**{name: _table(f) for name, f in MESSAGES.items()}, **ENVELOPE}


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(buf):
            raise ProtobufError("truncated varint")
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise ProtobufError("varint too long")


def _fields(buf: bytes) -> list[tuple[int, int | bytes]]:
    """(field number, value) pairs: ints for varints, bytes for length-delimited; fixed ones skipped."""
    out: list[tuple[int, int | bytes]] = []
    pos = 0
    while pos < len(buf):
        key, pos = _varint(buf, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(buf, pos)
            out.append((number, value))
        elif wire == 2:
            length, pos = _varint(buf, pos)
            if pos + length > len(buf):
                raise ProtobufError("truncated field")
            out.append((number, buf[pos : pos + length]))
            pos += length
        elif wire == 1:
            pos += 8
        elif wire == 5:
            pos += 4
        else:
            raise ProtobufError(f"unsupported wire type {wire}")
    return out


def _signed(value: int) -> int:
    return value - (1 << 64) if value >= 1 << 63 else value


def _text(value: bytes) -> str:
    try:
        return value.decode()
    except UnicodeDecodeError as e:
        raise ProtobufError(f"invalid UTF-8 in a string: {e}") from e


def _scalar(type_: str, value: int | bytes) -> Any:
    if type_ in ("string", "bytes", "rawbytes"):
        if not isinstance(value, bytes):
            raise ProtobufError(f"expected {type_}")
        if type_ == "string":
            return _text(value)
        # JSON carries []byte in base64; rawbytes stay bytes for `_special`
        return base64.b64encode(value).decode() if type_ == "bytes" else value
    if not isinstance(value, int):
        raise ProtobufError(f"expected {'a boolean' if type_ == 'bool' else 'an integer'}")
    if type_ == "int":
        return _signed(value)
    if type_ == "bool":
        return bool(value)
    raise ProtobufError(f"unknown type {type_}")


def _empty(value: Any) -> bool:
    return value is None or value is False or value in ("", 0) or value == {} or value == []


def go_duration(ns: int) -> str:
    """Go's time.Duration.String(), metav1.Duration's JSON: "1h2m3.5s", "1.5ms", "0s"."""
    sign, ns = ("-", -ns) if ns < 0 else ("", ns)

    def fraction(value: int, digits: int) -> str:
        whole, part = divmod(value, 10**digits)
        return f"{whole}.{part:0{digits}d}".rstrip("0").rstrip(".")

    if ns == 0:
        return "0s"
    if ns < 1000:
        return f"{sign}{ns}ns"
    if ns < 1_000_000:
        return f"{sign}{fraction(ns, 3)}\u00b5s"
    if ns < 1_000_000_000:
        return f"{sign}{fraction(ns, 6)}ms"
    hours, rest = divmod(ns, 3600 * 10**9)
    minutes, rest = divmod(rest, 60 * 10**9)
    text = f"{hours}h" if hours else ""
    text += f"{minutes}m" if hours or minutes else ""
    return f"{sign}{text}{fraction(rest, 9)}s"


def _stamp(msg: dict[str, Any], micro: bool) -> str | None:
    """metav1.Time / MicroTime: a zero time is Go's JSON null (omitted here)."""
    seconds, nanos = msg.get("seconds", 0), msg.get("nanos", 0)
    if not seconds and not nanos:
        return None
    try:
        stamp = dt.datetime.fromtimestamp(seconds, dt.UTC) + dt.timedelta(microseconds=nanos // 1000)
    except (OverflowError, OSError, ValueError) as e:
        raise ProtobufError(f"time out of range: {seconds}s") from e
    return format_micro_time(stamp) if micro else format_time(stamp)


def _raw_json(raw: bytes) -> Any:
    """RawExtension / FieldsV1: JSON bytes (or, in a RawExtension, a protobuf object of its own)."""
    if not raw:
        return None
    if raw.startswith(MAGIC):
        return decode(raw)
    try:
        return codec.loads(raw)
    except codec.CodecError as e:
        raise ProtobufError(f"embedded object is not JSON: {e}") from e


def _special(name: str, msg: dict[str, Any]) -> Any:
    """A type whose JSON form is not its message's (names from tools/protobuf_tables.py)."""
    if name == "IntOrString":
        return msg.get("strVal", "") if msg.get("type") == 1 else msg.get("intVal", 0)
    if name == "Quantity":
        return msg.get("string", "0")
    if name in ("Time", "MicroTime"):
        return _stamp(msg, name == "MicroTime")
    if name == "Duration":
        return go_duration(msg.get("duration", 0))
    if name in ("RawExtension", "FieldsV1"):
        return _raw_json(msg.get("raw", b""))
    if name == "StringList":
        return msg.get("items", [])
    return msg


def _value(field: F, type_: str, value: int | bytes) -> Any:
    if type_ not in TABLES:
        return _scalar(type_, value)
    if not isinstance(value, bytes):
        raise ProtobufError(f"{field.name}: expected a message")
    return _special(type_, _message(value, type_))


def _map_entry(field: F, value: int | bytes) -> tuple[str, Any]:
    if not isinstance(value, bytes):
        raise ProtobufError(f"{field.name}: expected a map entry")
    entry = dict(_fields(value))
    key = entry.get(1, b"")
    if not isinstance(key, bytes):
        raise ProtobufError(f"{field.name}: bad map key")
    value_type = field.type[4:]
    zero: int | bytes = 0 if value_type in ("int", "bool") else b""
    return _text(key), _value(field, value_type, entry.get(2, zero))


def _packed(field: F, value: bytes) -> list[Any]:
    """A repeated number written packed (one length-delimited run of varints)."""
    out, pos = [], 0
    while pos < len(value):
        number, pos = _varint(value, pos)
        out.append(_scalar(field.type, number))
    return out


def _message(buf: bytes, name: str) -> dict[str, Any]:
    spec = TABLES[name]
    out: dict[str, Any] = {}
    for number, value in _fields(buf):
        field = spec.get(number)
        if field is None:
            continue
        if field.type.startswith("map:"):
            key, item = _map_entry(field, value)
            out.setdefault(field.name, {})[key] = item
            continue
        if field.repeated and field.type in ("int", "bool") and isinstance(value, bytes):
            out.setdefault(field.name, []).extend(_packed(field, value))
            continue
        decoded = _value(field, field.type, value)
        if field.inline and isinstance(decoded, dict):
            out.update(decoded)
        elif field.repeated:
            out.setdefault(field.name, []).append(decoded)
        elif decoded is None:
            out.pop(field.name, None)
        elif field.pointer or field.zero or not _empty(decoded):
            out[field.name] = decoded
    return out


def decode(body: bytes) -> dict[str, Any]:
    """The JSON form of a protobuf-encoded object; ProtobufError for kinds or bytes it cannot read."""
    if not body.startswith(MAGIC):
        raise ProtobufError(
            "provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]"
        )
    unknown = _message(body[len(MAGIC) :], "Unknown")
    type_meta = unknown.get("typeMeta") or {}
    api_version, kind = type_meta.get("apiVersion", ""), type_meta.get("kind", "")
    # client-go sends DeleteOptions in the group/version of the resource being deleted (helm
    # uninstall: "v1", "apps/v1", ...), so it is read whatever version it names
    message = KINDS.get((api_version, kind)) or ANY_VERSION_KINDS.get(kind)
    if message is None:
        raise ProtobufError(f"no protobuf decoding for {api_version}, Kind={kind}")
    raw = base64.b64decode(unknown.get("raw", ""))
    return {"apiVersion": api_version, "kind": kind, **_message(raw, message)}
