"""SPDY/3.1 framing, the part of it Kubernetes' streaming uses (pure: bytes in, frames out).

kubectl port-forward, and kube-apiserver talking to a kubelet for exec/attach/port-forward, multiplex
streams over one connection with SPDY/3.1 (draft-mbelshe-httpbis-spdy-00, as moby/spdystream
speaks it). A frame is an 8-byte header and a payload:

    control: 1 | version (15) | type (16) ; flags (8) | length (24) ; payload
    data:    0 | stream id (31)           ; flags (8) | length (24) ; payload

Header blocks (SYN_STREAM, SYN_REPLY, HEADERS) are name/value lists compressed with zlib, one
compression context per direction for the whole connection, primed with the spec's dictionary.
Flow control (WINDOW_UPDATE) is decoded and ignored: spdystream, the peer on the other end of
every connection here, neither sends nor honours it.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass, field

VERSION = 3

SYN_STREAM, SYN_REPLY, RST_STREAM, SETTINGS, PING, GOAWAY, HEADERS, WINDOW_UPDATE = 1, 2, 3, 4, 6, 7, 8, 9
FLAG_FIN = 0x01
FLAG_UNIDIRECTIONAL = 0x02

# RST_STREAM status codes
PROTOCOL_ERROR, INVALID_STREAM, REFUSED_STREAM, UNSUPPORTED_VERSION, CANCEL, INTERNAL_ERROR = 1, 2, 3, 4, 5, 6
# GOAWAY status codes
GOAWAY_OK, GOAWAY_PROTOCOL_ERROR, GOAWAY_INTERNAL_ERROR = 0, 1, 2

MAX_HEADER_BLOCK = 1 << 20  # decompressed bytes of one header block we accept (a zlib bomb stops here)
MAX_DATA = 1 << 16  # bytes per DATA frame we send


def _dictionary() -> bytes:
    """The SPDY/3 header compression dictionary (spec section 2.6.10.1): length-prefixed header names
    and values, then a run of common status lines, dates and content types."""
    words = str.split(
        "options head post put delete trace accept accept-charset accept-encoding accept-language "
        "accept-ranges age allow authorization cache-control connection content-base content-encoding "
        "content-language content-length content-location content-md5 content-range content-type date "
        "etag expect expires from host if-match if-modified-since if-none-match if-range "
        "if-unmodified-since last-modified location max-forwards pragma proxy-authenticate "
        "proxy-authorization range referer retry-after server te trailer transfer-encoding upgrade "
        "user-agent vary via warning www-authenticate method get status 200@OK version HTTP/1.1 url "
        "public set-cookie keep-alive origin"
    )
    tail = (
        "100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505"
        "203 Non-Authoritative Information204 No Content301 Moved Permanently400 Bad Request401 "
        "Unauthorized403 Forbidden404 Not Found500 Internal Server Error501 Not Implemented503 Service "
        "UnavailableJan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 Mon, Tue, Wed, Thu, Fri, "
        "Sat, Sun, GMTchunked,text/html,image/png,image/jpg,image/gif,application/xml,"
        "application/xhtml+xml,text/plain,text/javascript,publicprivatemax-age=gzip,deflate,sdch"
        "charset=utf-8charset=iso-8859-1,utf-,*,enq=0."
    )
    out = b"".join(struct.pack(">I", len(w)) + w.replace("@", " ").encode() for w in words)
    return out + tail.encode()


DICTIONARY = _dictionary()


class ProtocolError(Exception):
    """The peer broke the framing; the connection cannot go on (its compression state is lost)."""


Headers = dict[str, str]


@dataclass(frozen=True)
class SynStream:
    stream_id: int
    headers: Headers
    fin: bool = False
    associated_to: int = 0
    priority: int = 0
    unidirectional: bool = False


@dataclass(frozen=True)
class SynReply:
    stream_id: int
    headers: Headers = field(default_factory=dict)
    fin: bool = False


@dataclass(frozen=True)
class RstStream:
    stream_id: int
    status: int


@dataclass(frozen=True)
class Settings:
    entries: tuple[tuple[int, int, int], ...]  # (flags, id, value)


@dataclass(frozen=True)
class Ping:
    ping_id: int


@dataclass(frozen=True)
class GoAway:
    last_good_stream_id: int
    status: int = GOAWAY_OK


@dataclass(frozen=True)
class HeadersFrame:
    stream_id: int
    headers: Headers
    fin: bool = False


@dataclass(frozen=True)
class WindowUpdate:
    stream_id: int
    delta: int


@dataclass(frozen=True)
class Data:
    stream_id: int
    data: bytes
    fin: bool = False


Frame = SynStream | SynReply | RstStream | Settings | Ping | GoAway | HeadersFrame | WindowUpdate | Data


def encode_name_values(headers: Headers) -> bytes:
    """The uncompressed SPDY/3 name/value block: a count, then length-prefixed names and values
    (names lowercase, as the spec requires and Go's framer checks; several values joined by NUL)."""
    out = [struct.pack(">I", len(headers))]
    for name, value in headers.items():
        n, v = name.lower().encode(), value.encode()
        out += [struct.pack(">I", len(n)), n, struct.pack(">I", len(v)), v]
    return b"".join(out)


def decode_name_values(block: bytes) -> Headers:
    try:
        (count,) = struct.unpack_from(">I", block, 0)
        pos, headers = 4, {}
        for _ in range(count):
            (n,) = struct.unpack_from(">I", block, pos)
            name = block[pos + 4 : pos + 4 + n]
            pos += 4 + n
            (v,) = struct.unpack_from(">I", block, pos)
            value = block[pos + 4 : pos + 4 + v]
            pos += 4 + v
            if len(name) != n or len(value) != v or not name:
                raise ProtocolError("truncated header block")
            headers[name.decode()] = value.decode()
    except (struct.error, UnicodeDecodeError) as e:
        raise ProtocolError(f"bad header block: {e}") from e
    if pos != len(block):
        raise ProtocolError("trailing bytes after the header block")
    return headers


class Codec:
    """One side of a SPDY connection's framing: `feed` turns received bytes into frames, `encode`
    turns frames into bytes. Stateful only as SPDY requires: a partial frame, and one zlib context
    per direction (so frames must be encoded in the order they are sent)."""

    def __init__(self) -> None:
        self._buf = bytearray()
        self._deflate = zlib.compressobj(
            zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, 15, 8, zlib.Z_DEFAULT_STRATEGY, DICTIONARY
        )
        self._inflate = zlib.decompressobj(zdict=DICTIONARY)

    # ---- encoding ----

    def _compress(self, headers: Headers) -> bytes:
        raw = encode_name_values(headers)
        return self._deflate.compress(raw) + self._deflate.flush(zlib.Z_SYNC_FLUSH)

    def encode(self, frame: Frame) -> bytes:
        if isinstance(frame, Data):
            if len(frame.data) > 0xFFFFFF:
                raise ValueError("a DATA frame holds at most 2^24-1 bytes")
            head = struct.pack(
                ">II", frame.stream_id & 0x7FFFFFFF, (FLAG_FIN if frame.fin else 0) << 24 | len(frame.data)
            )
            return head + frame.data
        flags = 0
        if isinstance(frame, SynStream):
            kind = SYN_STREAM
            flags = (FLAG_FIN if frame.fin else 0) | (FLAG_UNIDIRECTIONAL if frame.unidirectional else 0)
            payload = struct.pack(">IIBB", frame.stream_id, frame.associated_to, (frame.priority & 7) << 5, 0)
            payload += self._compress(frame.headers)
        elif isinstance(frame, SynReply):
            kind, flags = SYN_REPLY, FLAG_FIN if frame.fin else 0
            payload = struct.pack(">I", frame.stream_id) + self._compress(frame.headers)
        elif isinstance(frame, HeadersFrame):
            kind, flags = HEADERS, FLAG_FIN if frame.fin else 0
            payload = struct.pack(">I", frame.stream_id) + self._compress(frame.headers)
        elif isinstance(frame, RstStream):
            kind, payload = RST_STREAM, struct.pack(">II", frame.stream_id, frame.status)
        elif isinstance(frame, Settings):
            kind = SETTINGS
            payload = struct.pack(">I", len(frame.entries)) + b"".join(
                struct.pack(">II", f << 24 | i, v) for f, i, v in frame.entries
            )
        elif isinstance(frame, Ping):
            kind, payload = PING, struct.pack(">I", frame.ping_id)
        elif isinstance(frame, GoAway):
            kind, payload = GOAWAY, struct.pack(">II", frame.last_good_stream_id, frame.status)
        elif isinstance(frame, WindowUpdate):
            kind, payload = WINDOW_UPDATE, struct.pack(">II", frame.stream_id, frame.delta)
        else:  # pragma: no cover - the union is closed
            raise TypeError(frame)
        return struct.pack(">HHI", 0x8000 | VERSION, kind, flags << 24 | len(payload)) + payload

    # ---- decoding ----

    def _decompress(self, block: bytes) -> Headers:
        try:
            raw = self._inflate.decompress(block, MAX_HEADER_BLOCK)
        except zlib.error as e:
            raise ProtocolError(f"header block: {e}") from e
        if self._inflate.unconsumed_tail:
            raise ProtocolError(f"header block larger than {MAX_HEADER_BLOCK} bytes")
        return decode_name_values(raw)

    def feed(self, data: bytes) -> list[Frame]:
        """The frames completed by `data` (a partial frame waits for the next call)."""
        self._buf += data
        frames: list[Frame] = []
        while len(self._buf) >= 8:
            word, flags_length = struct.unpack_from(">II", self._buf, 0)
            flags, length = flags_length >> 24, flags_length & 0xFFFFFF
            if len(self._buf) < 8 + length:
                break
            payload = bytes(self._buf[8 : 8 + length])
            del self._buf[: 8 + length]
            if not word & 0x80000000:
                frames.append(Data(word & 0x7FFFFFFF, payload, bool(flags & FLAG_FIN)))
                continue
            version, kind = (word >> 16) & 0x7FFF, word & 0xFFFF
            if version != VERSION:
                raise ProtocolError(f"SPDY version {version}, expected {VERSION}")
            frame = self._control(kind, flags, payload)
            if frame is not None:
                frames.append(frame)
        return frames

    def _control(self, kind: int, flags: int, p: bytes) -> Frame | None:
        fin = bool(flags & FLAG_FIN)
        need = {
            SYN_STREAM: 10,
            SYN_REPLY: 4,
            RST_STREAM: 8,
            SETTINGS: 4,
            PING: 4,
            GOAWAY: 4,
            HEADERS: 4,
            WINDOW_UPDATE: 8,
        }
        if kind in need and len(p) < need[kind]:
            raise ProtocolError(f"control frame {kind} too short ({len(p)} bytes)")
        if kind == SYN_STREAM:
            sid, assoc, pri = struct.unpack_from(">IIB", p, 0)
            return SynStream(
                sid & 0x7FFFFFFF,
                self._decompress(p[10:]),
                fin,
                assoc & 0x7FFFFFFF,
                pri >> 5,
                bool(flags & FLAG_UNIDIRECTIONAL),
            )
        if kind in (SYN_REPLY, HEADERS):
            (sid,) = struct.unpack_from(">I", p, 0)
            headers = self._decompress(p[4:])
            cls = SynReply if kind == SYN_REPLY else HeadersFrame
            return cls(sid & 0x7FFFFFFF, headers, fin)
        if kind == RST_STREAM:
            sid, status = struct.unpack_from(">II", p, 0)
            return RstStream(sid & 0x7FFFFFFF, status)
        if kind == SETTINGS:
            (count,) = struct.unpack_from(">I", p, 0)
            if len(p) != 4 + 8 * count:
                raise ProtocolError("SETTINGS length does not match its entry count")
            entries = []
            for i in range(count):
                fid, value = struct.unpack_from(">II", p, 4 + 8 * i)
                entries.append((fid >> 24, fid & 0xFFFFFF, value))
            return Settings(tuple(entries))
        if kind == PING:
            return Ping(struct.unpack_from(">I", p, 0)[0])
        if kind == GOAWAY:
            (last,) = struct.unpack_from(">I", p, 0)
            status = struct.unpack_from(">I", p, 4)[0] if len(p) >= 8 else GOAWAY_OK
            return GoAway(last & 0x7FFFFFFF, status)
        if kind == WINDOW_UPDATE:
            sid, delta = struct.unpack_from(">II", p, 0)
            return WindowUpdate(sid & 0x7FFFFFFF, delta & 0x7FFFFFFF)
        return None  # unknown control frames are ignored, as the spec says


def data_frames(stream_id: int, data: bytes, fin: bool = False) -> list[Data]:
    """`data` cut into DATA frames of at most MAX_DATA bytes; FIN on the last (an empty one if no data)."""
    chunks = [data[i : i + MAX_DATA] for i in range(0, len(data), MAX_DATA)] or [b""]
    return [Data(stream_id, c, fin and i == len(chunks) - 1) for i, c in enumerate(chunks)]
