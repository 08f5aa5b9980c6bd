"""SPDY/3.1 framing against byte vectors written from the spec (draft-mbelshe-httpbis-spdy-00)."""

from __future__ import annotations

import struct
import zlib

import pytest

from localkube.kubelet import spdy


def test_the_dictionary_is_the_specs() -> None:
    # the spec's dictionary is 1423 bytes; zlib names a preset dictionary by its Adler-32
    assert len(spdy.DICTIONARY) == 1423
    assert zlib.adler32(spdy.DICTIONARY) == 0xE3C6A7C2
    assert spdy.DICTIONARY.startswith(b"\x00\x00\x00\x07options\x00\x00\x00\x04head")
    assert spdy.DICTIONARY.endswith(b"charset=iso-8859-1,utf-,*,enq=0.")


@pytest.mark.parametrize(
    ("frame", "wire"),
    [
        # control frame: 0x8003 (C bit, version 3), type, flags, 24-bit length, payload
        (spdy.Ping(1), "80 03 00 06 00 00 00 04 00 00 00 01"),
        (spdy.RstStream(5, spdy.CANCEL), "80 03 00 03 00 00 00 08 00 00 00 05 00 00 00 05"),
        (spdy.GoAway(7, spdy.GOAWAY_OK), "80 03 00 07 00 00 00 08 00 00 00 07 00 00 00 00"),
        (spdy.WindowUpdate(3, 65536), "80 03 00 09 00 00 00 08 00 00 00 03 00 01 00 00"),
        (spdy.Settings(((0, 7, 65536),)), "80 03 00 04 00 00 00 0c 00 00 00 01 00 00 00 07 00 01 00 00"),
        # data frame: stream id with the C bit clear, FIN flag 0x01
        (spdy.Data(3, b"hi", fin=True), "00 00 00 03 01 00 00 02 68 69"),
        (spdy.Data(1, b""), "00 00 00 01 00 00 00 00"),
    ],
)
def test_frames_without_header_blocks(frame: spdy.Frame, wire: str) -> None:
    data = bytes.fromhex(wire)
    assert spdy.Codec().encode(frame) == data
    assert spdy.Codec().feed(data) == [frame]


def test_name_value_block_layout() -> None:
    # SPDY/3: 32-bit count, then 32-bit length-prefixed names (lowercased) and values
    block = spdy.encode_name_values({"streamType": "error", "port": "80"})
    assert block == (
        b"\x00\x00\x00\x02"
        b"\x00\x00\x00\x0astreamtype\x00\x00\x00\x05error"
        b"\x00\x00\x00\x04port\x00\x00\x00\x0280"
    )
    assert spdy.decode_name_values(block) == {"streamtype": "error", "port": "80"}


def test_syn_stream_layout_and_its_compressed_headers() -> None:
    frame = spdy.SynStream(1, {"streamtype": "data", "port": "8080", "requestid": "0"}, priority=0)
    wire = spdy.Codec().encode(frame)
    head, kind, flags_length = struct.unpack_from(">HHI", wire)
    assert (head, kind) == (0x8003, spdy.SYN_STREAM)
    assert flags_length >> 24 == 0 and flags_length & 0xFFFFFF == len(wire) - 8
    stream_id, associated, priority = struct.unpack_from(">IIB", wire, 8)
    assert (stream_id, associated, priority) == (1, 0, 0)
    block = wire[18:]
    # a zlib stream with FDICT set, naming the SPDY dictionary by its Adler-32
    assert block[0] & 0x0F == 8 and block[1] & 0x20
    assert struct.unpack_from(">I", block, 2)[0] == zlib.adler32(spdy.DICTIONARY)
    inflate = zlib.decompressobj(zdict=spdy.DICTIONARY)
    assert spdy.decode_name_values(inflate.decompress(block)) == frame.headers


def test_header_compression_is_one_context_per_direction() -> None:
    sender, receiver = spdy.Codec(), spdy.Codec()
    headers = {"streamtype": "error", "port": "80", "requestid": "0"}
    first = sender.encode(spdy.SynStream(1, headers))
    second = sender.encode(spdy.SynStream(3, headers))
    assert len(second) < len(first)  # the second refers back to the first
    assert receiver.feed(first + second) == [spdy.SynStream(1, headers), spdy.SynStream(3, headers)]
    # without the first frame's context the second cannot be read
    with pytest.raises(spdy.ProtocolError):
        spdy.Codec().feed(second)


def test_frames_split_anywhere_are_put_back_together() -> None:
    sender, receiver = spdy.Codec(), spdy.Codec()
    frames: list[spdy.Frame] = [
        spdy.SynStream(1, {"streamtype": "stdout"}, fin=True),
        spdy.SynReply(1, {}),
        spdy.HeadersFrame(1, {"x": "y"}),
        spdy.Data(1, b"x" * 1000),
        spdy.Ping(2),
        spdy.Data(1, b"", fin=True),
    ]
    wire = b"".join(sender.encode(f) for f in frames)
    got: list[spdy.Frame] = []
    for i in range(len(wire)):
        got += receiver.feed(wire[i : i + 1])
    assert got == frames


def test_unknown_control_frames_are_skipped() -> None:
    unknown = bytes.fromhex("80 03 00 0a 00 00 00 02 ab cd")
    assert spdy.Codec().feed(unknown + bytes.fromhex("80 03 00 06 00 00 00 04 00 00 00 09")) == [spdy.Ping(9)]


@pytest.mark.parametrize(
    "wire",
    [
        "80 02 00 06 00 00 00 04 00 00 00 01",  # SPDY/2
        "80 03 00 03 00 00 00 04 00 00 00 01",  # RST_STREAM too short
        "80 03 00 04 00 00 00 08 00 00 00 05 00 00 00 00",  # SETTINGS count beyond its length
        "80 03 00 02 00 00 00 08 00 00 00 01 12 34 56 78",  # SYN_REPLY whose block is not zlib
    ],
)
def test_broken_frames_are_protocol_errors(wire: str) -> None:
    with pytest.raises(spdy.ProtocolError):
        spdy.Codec().feed(bytes.fromhex(wire))


def test_a_header_block_bomb_is_refused() -> None:
    deflate = zlib.compressobj(zdict=spdy.DICTIONARY)
    huge = struct.pack(">I", 1) + struct.pack(">I", 1) + b"a" + struct.pack(">I", 1 << 21) + b"a" * (1 << 21)
    block = deflate.compress(huge) + deflate.flush(zlib.Z_SYNC_FLUSH)
    payload = struct.pack(">I", 1) + block
    wire = struct.pack(">HHI", 0x8003, spdy.SYN_REPLY, len(payload)) + payload
    with pytest.raises(spdy.ProtocolError, match="larger than"):
        spdy.Codec().feed(wire)


def test_a_truncated_name_value_block_is_refused() -> None:
    with pytest.raises(spdy.ProtocolError):
        spdy.decode_name_values(b"\x00\x00\x00\x01\x00\x00\x00\x09abc")


def test_long_data_is_cut_into_frames_with_fin_on_the_last() -> None:
    frames = spdy.data_frames(5, b"x" * (spdy.MAX_DATA * 2 + 1), fin=True)
    assert [len(f.data) for f in frames] == [spdy.MAX_DATA, spdy.MAX_DATA, 1]
    assert [f.fin for f in frames] == [False, False, True]
    assert spdy.data_frames(5, b"", fin=True) == [spdy.Data(5, b"", True)]
