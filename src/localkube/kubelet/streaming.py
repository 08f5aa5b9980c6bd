"""How a kubelet streaming request (exec, attach, port-forward) reaches its session.

Two carriers, as Kubernetes has them:

- a websocket: remotecommand's `v5/v4.channel.k8s.io` (one byte of channel, then data), or for
  port-forward `SPDY/3.1+portforward.k8s.io` (SPDY bytes in binary messages, what kubectl sends);
- an HTTP upgrade to SPDY/3.1 (`Upgrade: SPDY/3.1`, protocol versions negotiated with
  `X-Stream-Protocol-Version`): what kube-apiserver sends a kubelet for all three.

`Channels` gives exec and attach one view of either: numbered channels for output, and the
client's stdin, resize and close events.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Mapping
from typing import Protocol

from aiohttp import WSMsgType, web

from localkube.kubelet import spdy, spdysession
from localkube.upgrade import Upgraded

STDIN, STDOUT, STDERR, ERROR, RESIZE, CLOSE = 0, 1, 2, 3, 4, 255
STREAM_CREATION_TIMEOUT = 30.0  # the kubelet's: how long the client has to open every stream
# remotecommand over SPDY: v4 carries the final metav1.Status as JSON on the error stream (v5 is
# a websocket-only addition, older ones send plain text)
REMOTECOMMAND_SPDY = ("v4.channel.k8s.io",)
STREAM_TYPES = {"stdin": STDIN, "stdout": STDOUT, "stderr": STDERR, "error": ERROR, "resize": RESIZE}


def negotiate(client: list[str], server: tuple[str, ...]) -> str | None:
    """httpstream.Handshake: the client's first protocol the server speaks; "" when the client
    names none (older clients); None when nothing matches."""
    if not client:
        return ""
    return next((p for p in client if p in server), None)


def refuse_protocols(client: list[str], server: tuple[str, ...]) -> web.Response:
    return web.Response(
        status=403,
        text=(
            "unable to upgrade: unable to negotiate protocol: "
            f"client supports {client}, server supports {list(server)}"
        ),
        headers={"X-Accepted-Stream-Protocol-Versions": ", ".join(server)},
    )


class WebSocketTransport:
    """SPDY bytes in a websocket's binary messages (client-go's TunnelingConnection)."""

    def __init__(self, ws: web.WebSocketResponse):
        self.ws = ws

    async def read(self) -> bytes:
        while True:
            msg = await self.ws.receive()
            if msg.type == WSMsgType.BINARY:
                if msg.data:
                    return bytes(msg.data)
                continue
            if msg.type in (WSMsgType.PING, WSMsgType.PONG):
                continue
            return b""  # close, error, or a text message (not part of the tunnel)

    async def write(self, data: bytes) -> None:
        await self.ws.send_bytes(data)


# ---- one view of exec/attach sessions over either carrier ----


class Channels(Protocol):
    async def send(self, channel: int, data: bytes) -> None: ...

    def incoming(self) -> AsyncIterator[tuple[int, bytes]]:
        """(STDIN, bytes), (RESIZE, json) and (CLOSE, bytes([STDIN])) from the client."""
        ...

    async def finish(self, status: Mapping[str, object]) -> None:
        """Send the final Status and end the session."""
        ...


def frame_channel(kind: WSMsgType, data: object) -> tuple[int, bytes] | None:
    """(channel, payload) of a remotecommand frame. Clients may send binary frames or, as the
    official Python client does for str stdin, text frames whose first character is the channel."""
    if kind == WSMsgType.BINARY and isinstance(data, bytes) and data:
        return data[0], data[1:]
    if kind == WSMsgType.TEXT and isinstance(data, str) and data:
        return ord(data[0]), data[1:].encode()
    return None


class WebSocketChannels:
    def __init__(self, ws: web.WebSocketResponse):
        self.ws = ws
        self.v5 = ws.ws_protocol == "v5.channel.k8s.io"

    async def send(self, channel: int, data: bytes) -> None:
        await self.ws.send_bytes(bytes([channel]) + data)

    async def incoming(self) -> AsyncIterator[tuple[int, bytes]]:
        async for msg in self.ws:
            frame = frame_channel(msg.type, msg.data)
            if frame is None or (frame[0] == CLOSE and not self.v5):
                continue  # closing a stream is v5's; older clients cannot say it
            yield frame

    async def finish(self, status: Mapping[str, object]) -> None:
        with contextlib.suppress(ConnectionError):
            await self.send(ERROR, json.dumps(status).encode())
        await self.ws.close()


class SpdyChannels:
    """remotecommand v4 over SPDY: one stream per channel, opened by the client, with a
    `streamType` header; the final Status is JSON on the error stream."""

    def __init__(self, transport: Upgraded, expected: set[str]):
        self.transport = transport
        self.expected = expected
        self.streams: dict[str, spdysession.Stream] = {}
        self.ready = asyncio.Event()
        self.session = spdysession.Session(transport, self._accept, self._opened)
        self.serving = asyncio.create_task(self.session.serve())

    def _accept(self, stream: spdysession.Stream) -> str | None:
        kind = stream.header("streamType")
        if kind not in self.expected:
            return f"unexpected stream type {kind!r}"
        if kind in self.streams:
            return f"{kind} stream already assigned"
        return None

    async def _opened(self, stream: spdysession.Stream) -> None:
        self.streams[stream.header("streamType")] = stream
        if set(self.streams) == self.expected:
            self.ready.set()

    async def wait_ready(self) -> bool:
        """Whether the client opened every stream it asked for in time."""
        closed = asyncio.create_task(self.session.closed.wait())
        ready = asyncio.create_task(self.ready.wait())
        try:
            await asyncio.wait(
                {closed, ready}, timeout=STREAM_CREATION_TIMEOUT, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            closed.cancel()
            ready.cancel()
        return self.ready.is_set()

    async def send(self, channel: int, data: bytes) -> None:
        kind = next((k for k, c in STREAM_TYPES.items() if c == channel), "")
        stream = self.streams.get(kind)
        if stream is not None:
            await stream.write(data)

    async def incoming(self) -> AsyncIterator[tuple[int, bytes]]:
        queue: asyncio.Queue[tuple[int, bytes] | None] = asyncio.Queue()

        async def stdin(stream: spdysession.Stream) -> None:
            while data := await stream.read():
                await queue.put((STDIN, data))
            await queue.put((CLOSE, bytes([STDIN])))

        async def resize(stream: spdysession.Stream) -> None:
            # a sequence of JSON objects ({"Width": w, "Height": h}), as Go's json.Encoder writes them
            decoder, buf = json.JSONDecoder(), ""
            while data := await stream.read():
                buf += data.decode(errors="replace")
                while buf.strip():
                    try:
                        obj, end = decoder.raw_decode(buf.lstrip())
                    except ValueError:
                        break
                    buf = buf.lstrip()[end:]
                    await queue.put((RESIZE, json.dumps(obj).encode()))

        readers = [
            asyncio.create_task(f(self.streams[k]))
            for k, f in (("stdin", stdin), ("resize", resize))
            if k in self.streams
        ]
        ended = asyncio.create_task(self.session.closed.wait())
        ended.add_done_callback(lambda _t: queue.put_nowait(None))
        try:
            while (item := await queue.get()) is not None:
                yield item
        finally:
            ended.cancel()
            for t in readers:
                t.cancel()

    async def finish(self, status: Mapping[str, object]) -> None:
        error = self.streams.get("error")
        if error is not None:
            await error.write(json.dumps(status).encode())
        for stream in self.streams.values():
            await stream.close()
        await self.session.send(spdy.GoAway(max(self.session.streams, default=0)))
        self.transport.close()
        self.serving.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self.serving


def expected_streams(stdin: bool, stdout: bool, stderr: bool, tty: bool) -> set[str]:
    """The streams a remotecommand client opens (and the kubelet waits for): error always, resize
    with a tty, and stderr never with a tty (it is merged into the terminal)."""
    kinds = {"error"}
    kinds |= {k for k, on in (("stdin", stdin), ("stdout", stdout), ("stderr", stderr and not tty)) if on}
    if tty:
        kinds.add("resize")
    return kinds
