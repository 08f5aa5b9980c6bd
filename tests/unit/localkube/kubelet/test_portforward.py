"""Port forwarding over a SPDY session, in process: a client speaking the protocol as client-go
does (error stream, then data stream, per connection) against a real TCP server on loopback."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from localkube.kubelet import portforward, spdy, spdysession


def test_stream_header_checks() -> None:
    ok = {"port": "80", "streamtype": "data", "requestid": "0"}
    assert portforward.check_stream(ok) is None
    assert portforward.check_stream({**ok, "port": ""}) == '"port" header is required'
    assert portforward.check_stream({**ok, "port": "http"}) == 'unable to parse "http" as a port'
    assert portforward.check_stream({**ok, "port": "70000"}) == 'unable to parse "70000" as a port'
    assert portforward.check_stream({**ok, "port": "0"}) == 'port "0" must be > 0'
    assert portforward.check_stream({"port": "80"}) == '"streamType" header is required'
    assert portforward.check_stream({**ok, "streamtype": "stdin"}) == 'invalid stream type "stdin"'


def test_request_ids_of_clients_that_send_none() -> None:
    assert portforward.request_id({"requestid": "7", "streamtype": "data"}, 9) == "7"
    # error on stream n, data on n+2: both map to n
    assert portforward.request_id({"streamtype": "error"}, 5) == "5"
    assert portforward.request_id({"streamtype": "data"}, 7) == "5"


class Pipe:
    """One direction of an in-memory connection."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[bytes] = asyncio.Queue()

    async def read(self) -> bytes:
        return await self.queue.get()

    async def write(self, data: bytes) -> None:
        self.queue.put_nowait(data)


class ServerSide:
    def __init__(self, inbound: Pipe, outbound: Pipe):
        self.inbound, self.outbound = inbound, outbound

    async def read(self) -> bytes:
        return await self.inbound.read()

    async def write(self, data: bytes) -> None:
        await self.outbound.write(data)


class Client:
    """Just enough of client-go's side: open streams, send data, collect what comes back."""

    def __init__(self, to_server: Pipe, from_server: Pipe):
        self.to_server, self.from_server = to_server, from_server
        self.codec = spdy.Codec()
        self.next_id = 1
        self.received: dict[int, bytes] = {}
        self.finished: set[int] = set()
        self.replied: set[int] = set()
        self.reset: set[int] = set()
        self.changed = asyncio.Event()

    async def send(self, frame: spdy.Frame) -> None:
        await self.to_server.write(self.codec.encode(frame))

    async def open(self, headers: dict[str, str], fin: bool = False) -> int:
        sid, self.next_id = self.next_id, self.next_id + 2
        await self.send(spdy.SynStream(sid, headers, fin))
        await self.until(lambda: sid in self.replied or sid in self.reset)
        return sid

    async def pump(self) -> None:
        while data := await self.from_server.read():
            for f in self.codec.feed(data):
                if isinstance(f, spdy.SynReply):
                    self.replied.add(f.stream_id)
                elif isinstance(f, spdy.Data):
                    self.received[f.stream_id] = self.received.get(f.stream_id, b"") + f.data
                    if f.fin:
                        self.finished.add(f.stream_id)
                elif isinstance(f, spdy.RstStream):
                    self.reset.add(f.stream_id)
                elif isinstance(f, spdy.Ping):
                    self.received[0] = f.ping_id.to_bytes(4, "big")
            self.changed.set()

    async def until(self, check: object) -> None:
        assert callable(check)
        async with asyncio.timeout(10):
            while not check():
                self.changed.clear()
                await self.changed.wait()


@pytest.fixture
async def echo_port() -> AsyncIterator[int]:
    """A TCP server on loopback that answers each line uppercased and closes at EOF."""

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while line := await reader.readline():
            writer.write(line.upper())
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        await server.wait_closed()


@pytest.fixture
async def session() -> AsyncIterator[tuple[Client, portforward.PortForwarder]]:
    up, down = Pipe(), Pipe()

    async def dial(port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        return await asyncio.open_connection("127.0.0.1", port)

    forwarder = portforward.PortForwarder("web_default", "uid-1", dial)
    server = spdysession.Session(ServerSide(up, down), forwarder.accept, forwarder.handle)
    serving = asyncio.create_task(server.serve())
    client = Client(up, down)
    pumping = asyncio.create_task(client.pump())
    try:
        yield client, forwarder
    finally:
        await up.write(b"")  # the client goes away
        await serving
        pumping.cancel()


async def _connection(client: Client, port: int, request: str) -> tuple[int, int]:
    headers = {"streamtype": "error", "port": str(port), "requestid": request}
    error = await client.open(headers)
    await client.send(spdy.Data(error, b"", fin=True))  # client-go never writes to it
    data = await client.open({**headers, "streamtype": "data"})
    return error, data


async def test_bytes_go_both_ways_on_two_connections_at_once(
    session: tuple[Client, portforward.PortForwarder], echo_port: int
) -> None:
    client, _ = session
    e1, d1 = await _connection(client, echo_port, "0")
    e2, d2 = await _connection(client, echo_port, "1")
    await client.send(spdy.Data(d2, b"second\n"))
    await client.send(spdy.Data(d1, b"first\n"))
    await client.until(
        lambda: client.received.get(d1) == b"FIRST\n" and client.received.get(d2) == b"SECOND\n"
    )
    # the client's FIN half-closes the pod side; its EOF ends the data and error streams
    await client.send(spdy.Data(d1, b"more\n", fin=True))
    await client.until(lambda: {d1, e1} <= client.finished)
    assert client.received[d1] == b"FIRST\nMORE\n"
    assert client.received.get(e1, b"") == b""
    assert d2 not in client.finished and e2 not in client.finished


async def test_a_closed_port_is_reported_on_the_error_stream(
    session: tuple[Client, portforward.PortForwarder], echo_port: int
) -> None:
    client, _ = session
    closed = echo_port + 1 if echo_port < 65535 else echo_port - 1
    error, data = await _connection(client, closed, "0")
    await client.until(lambda: {error, data} <= client.finished)
    message = client.received[error].decode()
    assert message.startswith(f"error forwarding port {closed} to pod web_default, uid uid-1: ")
    assert message.endswith("connect: connection refused")


async def test_invalid_streams_are_reset_and_pings_answered(
    session: tuple[Client, portforward.PortForwarder],
) -> None:
    client, _ = session
    bad = await client.open({"streamtype": "data", "port": "http"})
    assert bad in client.reset and bad not in client.replied
    await client.send(spdy.Ping(3))
    await client.until(lambda: client.received.get(0) == (3).to_bytes(4, "big"))


async def test_a_second_stream_of_one_type_is_refused(
    session: tuple[Client, portforward.PortForwarder], echo_port: int
) -> None:
    client, _ = session
    headers = {"streamtype": "error", "port": str(echo_port), "requestid": "4"}
    first = await client.open(headers)
    second = await client.open(headers)
    await client.until(lambda: second in client.reset)
    assert b"error stream already assigned" in client.received.get(first, b"")
