"""The server side of a SPDY/3.1 connection: streams the client opens, over any byte transport.

The transport is either a raw connection upgraded from HTTP (`Upgrade: SPDY/3.1`, what
kube-apiserver sends a kubelet) or a websocket whose binary messages carry the SPDY bytes
(`SPDY/3.1+portforward.k8s.io`, what kubectl sends first). Framing is `spdy.Codec`; this module
only keeps the streams: it answers each SYN_STREAM the handler accepts with a SYN_REPLY (the client
waits for it before writing), resets the others, echoes pings, and ends at GOAWAY or EOF.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from typing import Any, Protocol

from localkube.kubelet import spdy

log = logging.getLogger(__name__)

QUEUED_FRAMES = 64  # DATA frames buffered per stream before reading the connection waits (as spdystream)


class Transport(Protocol):
    async def read(self) -> bytes:
        """The next bytes from the peer; b"" once it is gone."""
        ...

    async def write(self, data: bytes) -> None: ...


class Stream:
    """One stream the client opened: its headers, the bytes it sends, and our half to write."""

    def __init__(self, session: Session, stream_id: int, headers: spdy.Headers):
        self.session = session
        self.id = stream_id
        self.headers = headers
        self._incoming: asyncio.Queue[bytes] = asyncio.Queue(QUEUED_FRAMES)
        self.remote_done = False  # FIN or RST from the client: no more bytes come
        self.local_done = False  # we sent FIN or RST
        self.abandoned = False  # its handler is done: what still arrives is dropped

    def header(self, name: str) -> str:
        return self.headers.get(name.lower(), "")

    async def read(self) -> bytes:
        """The next chunk the client sent; b"" after its FIN, a reset, or the connection's end."""
        if self.remote_done and self._incoming.empty():
            return b""
        data = await self._incoming.get()
        return data

    async def write(self, data: bytes) -> None:
        if self.local_done or not data:
            return
        await self.session.send(*spdy.data_frames(self.id, data))

    async def close(self) -> None:
        """Our half is done (an empty DATA frame with FIN)."""
        if not self.local_done:
            self.local_done = True
            await self.session.send(spdy.Data(self.id, b"", True))

    async def reset(self, status: int = spdy.CANCEL) -> None:
        if not self.local_done:
            self.local_done = True
            await self.session.send(spdy.RstStream(self.id, status))
        self._remote_end()

    def _remote_end(self) -> None:
        if not self.remote_done:
            self.remote_done = True
            # wake a reader waiting on an empty queue; a full queue already wakes it
            with contextlib.suppress(asyncio.QueueFull):
                self._incoming.put_nowait(b"")

    async def _received(self, data: bytes, fin: bool) -> None:
        if self.remote_done or self.abandoned:
            return
        if data:
            await self._incoming.put(data)
        if fin:
            self._remote_end()


# Checks a new stream's headers: None accepts it, a message refuses it (the stream is reset).
Accept = Callable[[Stream], str | None]
Handler = Callable[[Stream], Coroutine[Any, Any, None]]


class Session:
    def __init__(self, transport: Transport, accept: Accept, handle: Handler):
        self.transport = transport
        self.accept = accept
        self.handle = handle
        self.codec = spdy.Codec()
        self.streams: dict[int, Stream] = {}
        self._lock = asyncio.Lock()
        self._tasks: set[asyncio.Task[None]] = set()
        self.closed = asyncio.Event()

    async def send(self, *frames: spdy.Frame) -> None:
        # encode under the lock: the header compression context must see frames in send order
        async with self._lock:
            if self.closed.is_set():
                return
            try:
                await self.transport.write(b"".join(self.codec.encode(f) for f in frames))
            except (ConnectionError, RuntimeError) as e:
                log.debug("spdy: write failed: %s", e)
                self.closed.set()

    async def serve(self) -> None:
        """Read frames until the client says GOAWAY or goes away; then end every stream."""
        try:
            while not self.closed.is_set():
                data = await self.transport.read()
                if not data:
                    break
                for frame in self.codec.feed(data):
                    if not await self._dispatch(frame):
                        return
        except spdy.ProtocolError as e:
            log.info("spdy: closing a connection that broke the protocol: %s", e)
            await self.send(spdy.GoAway(max(self.streams, default=0), spdy.GOAWAY_PROTOCOL_ERROR))
        finally:
            self.closed.set()
            for stream in self.streams.values():
                stream.local_done = True
                stream._remote_end()
            for task in list(self._tasks):
                task.cancel()
            for task in list(self._tasks):
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task

    async def _dispatch(self, frame: spdy.Frame) -> bool:
        if isinstance(frame, spdy.SynStream):
            await self._open(frame)
        elif isinstance(frame, spdy.Data):
            stream = self.streams.get(frame.stream_id)
            if stream is not None:
                await stream._received(frame.data, frame.fin)
        elif isinstance(frame, spdy.RstStream):
            stream = self.streams.pop(frame.stream_id, None)
            if stream is not None:
                stream.local_done = True  # nothing may be sent on a reset stream
                stream._remote_end()
        elif isinstance(frame, spdy.HeadersFrame) and frame.fin:
            stream = self.streams.get(frame.stream_id)
            if stream is not None:
                stream._remote_end()
        elif isinstance(frame, spdy.Ping):
            # the client's pings (odd ids) come back unchanged; we send none of our own
            if frame.ping_id & 1:
                await self.send(frame)
        elif isinstance(frame, spdy.GoAway):
            return False
        return True  # SETTINGS, WINDOW_UPDATE, SYN_REPLY: nothing to do on this side

    async def _open(self, frame: spdy.SynStream) -> None:
        if frame.stream_id in self.streams or frame.stream_id % 2 == 0:
            # the client opens odd streams, each once
            await self.send(spdy.RstStream(frame.stream_id, spdy.PROTOCOL_ERROR))
            return
        stream = Stream(self, frame.stream_id, frame.headers)
        problem = self.accept(stream)
        if problem is not None:
            log.info("spdy: refusing stream %d: %s", frame.stream_id, problem)
            await self.send(spdy.RstStream(frame.stream_id, spdy.CANCEL))
            return
        self.streams[frame.stream_id] = stream
        if frame.fin:
            stream._remote_end()
        await self.send(spdy.SynReply(frame.stream_id))
        task = asyncio.create_task(self.handle(stream))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def forget(self, stream: Stream) -> None:
        """The stream's handler is done with it: later frames for it are dropped, never queued
        (a full queue nobody reads would stop the whole connection)."""
        stream.abandoned = True
        self.streams.pop(stream.id, None)
        while not stream._incoming.empty():
            stream._incoming.get_nowait()
