"""Port forwarding (protocol `portforward.k8s.io`), as the kubelet serves it over SPDY.

For each forwarded connection the client opens two streams with the same `port` and `requestID`
headers: `streamType: error` and `streamType: data`. Once both are there, the kubelet connects to
that port on localhost inside the pod's network namespace and copies bytes between the socket and
the data stream; a failure is written as text on the error stream, which kubectl prints and then
ends the session. Both streams are closed when the copy ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import os
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from localkube.kubelet import spdysession

log = logging.getLogger(__name__)

PROTOCOL = "portforward.k8s.io"
WEBSOCKET_TUNNEL = "SPDY/3.1+portforward.k8s.io"
STREAM_CREATION_TIMEOUT = 30.0  # the kubelet's default: a pair whose second stream never comes

Dial = Callable[[int], Awaitable[tuple[asyncio.StreamReader, asyncio.StreamWriter]]]


def check_stream(headers: dict[str, str]) -> str | None:
    """Why a new stream is refused (the kubelet's checks, its messages), or None."""
    port = headers.get("port", "")
    if not port:
        return '"port" header is required'
    if not port.isdigit() or int(port) > 65535:
        return f'unable to parse "{port}" as a port'
    if int(port) < 1:
        return f'port "{port}" must be > 0'
    kind = headers.get("streamtype", "")
    if not kind:
        return '"streamType" header is required'
    if kind not in ("error", "data"):
        return f'invalid stream type "{kind}"'
    return None


def request_id(headers: dict[str, str], stream_id: int) -> str:
    """The pair a stream belongs to. Clients older than requestID send error then data on
    consecutive odd stream ids, so the kubelet derives one from the id; so do we."""
    rid = headers.get("requestid", "")
    if rid:
        return rid
    return str(stream_id if headers.get("streamtype") == "error" else stream_id - 2)


@dataclass
class _Pair:
    data: spdysession.Stream | None = None
    error: spdysession.Stream | None = None
    timer: asyncio.TimerHandle | None = None


class PortForwarder:
    """Serves one SPDY connection's port-forward streams for one pod."""

    def __init__(self, pod: str, uid: str, dial: Dial):
        self.pod = pod
        self.uid = uid
        self.dial = dial
        self.pairs: dict[str, _Pair] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def accept(self, stream: spdysession.Stream) -> str | None:
        return check_stream(stream.headers)

    async def handle(self, stream: spdysession.Stream) -> None:
        rid = request_id(stream.headers, stream.id)
        pair = self.pairs.get(rid)
        if pair is None:
            pair = self.pairs[rid] = _Pair()
            pair.timer = asyncio.get_running_loop().call_later(
                STREAM_CREATION_TIMEOUT, lambda: asyncio.ensure_future(self._timed_out(rid))
            )
        kind = stream.header("streamType")
        if getattr(pair, kind) is not None:
            await self._report(
                pair, f"error processing stream for request {rid}: {kind} stream already assigned"
            )
            await stream.reset()
            return
        setattr(pair, kind, stream)
        if pair.data is None or pair.error is None:
            return
        del self.pairs[rid]
        if pair.timer is not None:
            pair.timer.cancel()
        await self._forward(pair.data, pair.error)

    async def _timed_out(self, rid: str) -> None:
        pair = self.pairs.pop(rid, None)
        if pair is None:
            return
        await self._report(pair, f"(request={rid}) timed out waiting for streams")
        for s in (pair.data, pair.error):
            if s is not None:
                await s.reset()
                s.session.forget(s)

    @staticmethod
    async def _report(pair: _Pair, message: str) -> None:
        if pair.error is not None:
            await pair.error.write(message.encode())

    async def _forward(self, data: spdysession.Stream, error: spdysession.Stream) -> None:
        port = int(data.header("port"))
        try:
            try:
                reader, writer = await self.dial(port)
            except OSError as e:
                # worded as containerd words it, Go's dial error included
                reason = os.strerror(e.errno).lower() if e.errno else str(e)
                message = (
                    f"error forwarding port {port} to pod {self.pod}, uid {self.uid}: "
                    f"failed to connect to localhost:{port} inside the pod's network namespace, "
                    f"IPv4: dial tcp4 127.0.0.1:{port}: connect: {reason}"
                )
                log.info("port-forward: %s", message)
                await error.write(message.encode())
                return
            await _copy(data, reader, writer)
        finally:
            await data.close()
            await error.close()
            data.session.forget(data)
            error.session.forget(error)


async def _copy(
    stream: spdysession.Stream, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    """Bytes both ways until the pod's side is done (its EOF, or it closed) or the client reset the
    stream. The client's FIN half-closes the socket, so a server waiting for EOF still answers."""

    async def upstream() -> None:
        while data := await stream.read():
            writer.write(data)
            await writer.drain()
        if writer.can_write_eof():
            with contextlib.suppress(OSError):
                writer.write_eof()

    async def downstream() -> None:
        while data := await reader.read(65536):
            await stream.write(data)

    up = asyncio.create_task(upstream())
    down = asyncio.create_task(downstream())
    pending: set[asyncio.Task[None]] = {up, down}
    try:
        # the pod's side ending ends the connection; so does the client resetting the stream
        while not down.done():
            _done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            if up.done() and stream.local_done:
                break
    finally:
        for t in (up, down):
            t.cancel()
        for t in (up, down):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await t
        writer.close()
        with contextlib.suppress(Exception):
            await writer.wait_closed()


# ---- dialing inside a network namespace ----

_CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)


def _setns(fd: int) -> None:
    if _libc.setns(fd, _CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))


def socket_in_netns(netns_path: str) -> socket.socket:
    """A TCP socket created inside the network namespace at `netns_path` (a socket belongs to the
    namespace it was created in). setns applies to the calling thread only, which goes back to its
    own namespace before returning: call it in a worker thread."""
    own = os.open("/proc/thread-self/ns/net", os.O_RDONLY | os.O_CLOEXEC)
    target = os.open(netns_path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        _setns(target)
        try:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        finally:
            _setns(own)
    finally:
        os.close(target)
        os.close(own)
    return sock


async def dial_in_netns(netns_path: str, port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """Connect to localhost:port inside a pod's network namespace, as the container runtime does."""
    sock = await asyncio.to_thread(socket_in_netns, netns_path)
    try:
        sock.setblocking(False)
        await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", port))
    except BaseException:
        sock.close()
        raise
    return await asyncio.open_connection(sock=sock)
