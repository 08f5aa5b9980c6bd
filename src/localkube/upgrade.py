"""HTTP/1.1 upgrades to SPDY/3.1 on an aiohttp server (aiohttp itself takes only websocket): answer
`101 Switching Protocols` and read and write the raw connection from then on. The kubelet serves
exec, attach and port-forward this way; the API server relays such connections to it."""

from __future__ import annotations

import asyncio

from aiohttp import web

PROTOCOL_HEADER = "X-Stream-Protocol-Version"


def is_spdy_upgrade(request: web.Request) -> bool:
    connection = {t.strip().lower() for t in request.headers.get("Connection", "").split(",")}
    return "upgrade" in connection and request.headers.get("Upgrade", "").lower() == "spdy/3.1"


def client_protocols(request: web.Request) -> list[str]:
    """The X-Stream-Protocol-Version values, in the client's order (one header each, or a list)."""
    return [p.strip() for v in request.headers.getall(PROTOCOL_HEADER, []) for p in v.split(",") if p.strip()]


class _RawReader:
    """Takes aiohttp's place as the reader of an upgraded connection: the bytes after our 101."""

    def __init__(self, transport: asyncio.Transport | None):
        self.queue: asyncio.Queue[bytes] = asyncio.Queue()
        self.transport = transport
        self.paused = False

    def feed_data(self, data: bytes) -> tuple[bool, bytes]:
        self.queue.put_nowait(bytes(data))
        if self.queue.qsize() > 64 and self.transport is not None and not self.paused:
            self.paused = True  # a slow consumer: stop reading the socket until it catches up
            self.transport.pause_reading()
        return False, b""

    def feed_eof(self) -> None:
        self.queue.put_nowait(b"")

    async def read(self) -> bytes:
        data = await self.queue.get()
        if self.paused and self.queue.qsize() < 16 and self.transport is not None:
            self.paused = False
            self.transport.resume_reading()
        if not data:
            self.queue.put_nowait(b"")  # EOF stays EOF
        return data


class Upgraded:
    """The raw connection after `101 Switching Protocols` to SPDY/3.1."""

    def __init__(self, request: web.Request, response: web.StreamResponse, reader: _RawReader):
        self.request = request
        self.response = response
        self.reader = reader

    async def read(self) -> bytes:
        """The next bytes from the client; b"" once it is gone."""
        return await self.reader.read()

    async def write(self, data: bytes) -> None:
        await self.response.write(data)

    def close(self) -> None:
        if self.request.transport is not None:
            self.request.transport.close()


async def upgrade(request: web.Request, protocol: str) -> Upgraded:
    """Answer 101 with SPDY/3.1 and take the connection over from aiohttp's HTTP parser. The
    client sends nothing before it sees the 101, so the reader is in place before any frame."""
    reader = _RawReader(request.transport)
    request.protocol.set_parser(reader)  # type: ignore[arg-type]
    headers = {"Connection": "Upgrade", "Upgrade": "SPDY/3.1"}
    if protocol:
        headers[PROTOCOL_HEADER] = protocol
    response = web.StreamResponse(status=101, headers=headers)
    response.force_close()
    await response.prepare(request)
    return Upgraded(request, response, reader)
