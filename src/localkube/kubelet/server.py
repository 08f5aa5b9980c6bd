"""The kubelet's HTTP server, which the API server proxies `pods/log`, `exec`, `attach` and
`portforward` to: `/containerLogs/NS/POD/CONTAINER`, `/exec/NS/POD/CONTAINER`,
`/attach/NS/POD/CONTAINER` and `/portForward/NS/POD`.

exec and attach speak remotecommand over a websocket (v5/v4.channel.k8s.io: frames whose first byte
is the stream; 3 carries the final Status; v5 adds 255, closing a stream such as stdin; client frames
may be binary or text), or over SPDY/3.1 (v4.channel.k8s.io, as kube-apiserver sends it). Port
forwarding is `portforward.k8s.io` over SPDY, upgraded from HTTP or tunneled in a websocket
(`streaming` and `portforward` say how)."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import fcntl
import ipaddress
import json
import logging
import os
import pty
import signal
import socket
import ssl
import struct
import termios
from collections.abc import Callable
from typing import Any

from aiohttp import web

from localkube import upgrade
from localkube.kubelet import logs, portforward, runtime, spdysession, streaming
from localkube.kubelet.podworker import ContainerRun, PodWorker, Running
from localkube.kubelet.streaming import CLOSE, RESIZE, STDERR, STDIN, STDOUT, Channels

log = logging.getLogger(__name__)

PROTOCOLS = ("v5.channel.k8s.io", "v4.channel.k8s.io")
HANGUP_GRACE = 5.0  # seconds an exec session may outlive its client before it is killed

Lookup = Callable[[str, str], PodWorker | None]


def exit_status(code: int, argv: list[str]) -> dict[str, Any]:
    """The metav1.Status sent on the error channel when an exec'd command ends."""
    if code == 0:
        return {"metadata": {}, "status": "Success"}
    return {
        "metadata": {},
        "status": "Failure",
        "message": (
            f"command terminated with non-zero exit code: error executing command {argv}, exit code {code}"
        ),
        "reason": "NonZeroExitCode",
        "details": {"causes": [{"reason": "ExitCode", "message": str(code)}]},
    }


def _flag(request: web.Request, name: str) -> bool:
    return request.query.get(name, "").lower() in ("1", "true", "yes")


# kube-apiserver names the streams input/output/error when it calls a kubelet; localkube's API server
# passes on the pods/exec query as the client wrote it (stdin/stdout/stderr)
_STREAM_PARAMS = {"stdin": "input", "stdout": "output", "stderr": "error"}


def _stream_flag(request: web.Request, name: str) -> bool:
    return _flag(request, name) or _flag(request, _STREAM_PARAMS[name])


def _bad(message: str, status: int = 400) -> web.Response:
    return web.Response(status=status, text=message)


class KubeletServer:
    def __init__(
        self, lookup: Lookup, pod_cidr: str = "", gateway: str = "", tls: ssl.SSLContext | None = None
    ):
        self.lookup = lookup
        self.tls = tls  # requires client certificates of the cluster CA; None only in unit tests
        self.pod_network = ipaddress.ip_network(pod_cidr) if pod_cidr else None
        self.gateway = gateway
        self.app = web.Application(middlewares=[self._only_from_host])
        self.app.router.add_get("/containerLogs/{ns}/{pod}/{container}", self.container_logs)
        self.app.router.add_get("/exec/{ns}/{pod}/{container}", self.exec)
        self.app.router.add_post("/exec/{ns}/{pod}/{container}", self.exec)
        self.app.router.add_get("/attach/{ns}/{pod}/{container}", self.attach)
        self.app.router.add_post("/attach/{ns}/{pod}/{container}", self.attach)
        self.app.router.add_get("/portForward/{ns}/{pod}", self.port_forward)
        self.app.router.add_post("/portForward/{ns}/{pod}", self.port_forward)
        self.app.router.add_get("/healthz", self.healthz)
        self.runner: web.AppRunner | None = None
        self.port = 0

    async def start(self, host: str, ssl_context: ssl.SSLContext | None = None) -> int:
        self.runner = web.AppRunner(self.app, handle_signals=False, shutdown_timeout=1)
        await self.runner.setup()
        # bind first so the port is known before anyone is told about it
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, 0))
        self.port = sock.getsockname()[1]
        site = web.SockSite(self.runner, sock, ssl_context=ssl_context or self.tls)
        await site.start()
        return self.port

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()

    @web.middleware
    async def _only_from_host(self, request: web.Request, handler: Any) -> web.StreamResponse:
        """The API server (on the host) is the only client: pods must not reach exec or logs of
        other pods around its authorization, so callers from pod IPs are refused."""
        peer = request.remote or ""
        if self.pod_network is not None and peer and peer != self.gateway:
            with contextlib.suppress(ValueError):
                if ipaddress.ip_address(peer) in self.pod_network:
                    return _bad("Forbidden: the kubelet API serves the API server only", 403)
        result: web.StreamResponse = await handler(request)
        return result

    async def healthz(self, _request: web.Request) -> web.Response:
        return web.Response(text="ok")

    def _find(self, request: web.Request) -> tuple[PodWorker, str] | web.Response:
        ns, pod, container = (request.match_info[k] for k in ("ns", "pod", "container"))
        worker = self.lookup(ns, pod)
        if worker is None:
            return _bad(f'pod "{pod}" not found', 404)
        if worker.container(container) is None:
            return _bad(f'container "{container}" in pod "{pod}" is not valid', 400)
        return worker, container

    def _running(self, request: web.Request) -> tuple[PodWorker, str, ContainerRun, Running] | web.Response:
        """The pod worker, container name, run and running process of a container (exec, attach)."""
        found = self._find(request)
        if isinstance(found, web.Response):
            return found
        worker, name = found
        run = worker.container(name)
        assert run is not None
        if run.running is None:
            return _bad(f'container "{name}" in pod "{worker.name}" is not running', 400)
        return worker, name, run, run.running

    async def container_logs(self, request: web.Request) -> web.StreamResponse:
        found = self._find(request)
        if isinstance(found, web.Response):
            return found
        worker, name = found
        run = worker.container(name)
        assert run is not None
        v = run.view
        latest = logs.latest_restart(worker.sandbox.dir, name)
        if _flag(request, "previous"):
            if (
                latest is None
                or latest == 0
                or not logs.log_path(worker.sandbox.dir, name, latest - 1).exists()
            ):
                return _bad(f'previous terminated container "{name}" in pod "{worker.name}" not found')
            index = latest - 1
        else:
            if latest is None:
                reason = (v.state.get("waiting") or {}).get("reason", "ContainerCreating")
                return _bad(f'container "{name}" in pod "{worker.name}" is waiting to start: {reason}')
            index = latest
        path = logs.log_path(worker.sandbox.dir, name, index)
        tail = request.query.get("tailLines")
        since_s = request.query.get("sinceSeconds")
        since_time = request.query.get("sinceTime")
        limit = request.query.get("limitBytes")
        since = None
        if since_s:
            since = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=int(since_s))
        elif since_time:
            since = dt.datetime.fromisoformat(since_time.replace("Z", "+00:00"))
        timestamps = _flag(request, "timestamps")
        remaining = int(limit) if limit else None
        resp = web.StreamResponse(headers={"Content-Type": "text/plain"})
        await resp.prepare(request)

        async def send(lines: list[logs.LogLine]) -> bool:
            nonlocal remaining
            for ln in lines:
                data = logs.render(ln, timestamps)
                if remaining is not None:
                    data = data[:remaining]
                    remaining -= len(data)
                if data:
                    await resp.write(data)
                if remaining is not None and remaining <= 0:
                    return False
            return True

        raw = await asyncio.to_thread(path.read_bytes) if path.exists() else b""
        complete = raw[: raw.rfind(b"\n") + 1]
        offset = len(complete)
        lines = [p for p in (logs.parse_line(r) for r in complete.splitlines(keepends=True)) if p is not None]
        more = await send(logs.select(lines, tail_lines=int(tail) if tail else None, since=since))
        if not _flag(request, "follow") or not more or _flag(request, "previous"):
            await resp.write_eof()
            return resp
        # follow: stream new records until this container attempt ends and its file stops growing
        while True:
            ended = run.running is None or logs.latest_restart(worker.sandbox.dir, name) != index
            chunk = b""
            with contextlib.suppress(OSError), path.open("rb") as f:
                f.seek(offset)
                chunk = f.read()
            chunk = chunk[: chunk.rfind(b"\n") + 1]
            if chunk:
                offset += len(chunk)
                new = [
                    p for p in (logs.parse_line(r) for r in chunk.splitlines(keepends=True)) if p is not None
                ]
                if not await send(new):
                    break
            elif ended:
                break
            else:
                await asyncio.sleep(0.2)
        await resp.write_eof()
        return resp

    async def attach(self, request: web.Request) -> web.StreamResponse:
        """kubectl attach: the running container's output from now on (read from its log, which
        holds every byte it writes) and, for a container with `stdin: true`, its stdin."""
        found = self._running(request)
        if isinstance(found, web.Response):
            return found
        worker, name, run, running = found
        target = running.proc
        index = logs.latest_restart(worker.sandbox.dir, name) or 0
        path = logs.log_path(worker.sandbox.dir, name, index)
        chan, resp = await self._channels(request, tty=False)
        if chan is None:
            return resp
        stdin = target.proc.stdin if _stream_flag(request, "stdin") else None
        stdin_once = bool(run.spec.get("stdinOnce"))

        async def read_client() -> None:
            async for channel, payload in chan.incoming():
                if stdin is None:
                    continue
                if channel == STDIN and payload:
                    stdin.write(payload)
                    with contextlib.suppress(ConnectionError):
                        await stdin.drain()
                elif channel == CLOSE and payload[:1] == bytes([STDIN]) and stdin_once:
                    stdin.close()

        client = asyncio.create_task(read_client())
        offset = path.stat().st_size if path.exists() else 0
        try:
            while not client.done():
                ended = run.running is None or run.running.proc is not target
                chunk = b""
                with contextlib.suppress(OSError), path.open("rb") as f:
                    f.seek(offset)
                    chunk = f.read()
                chunk = chunk[: chunk.rfind(b"\n") + 1]
                offset += len(chunk)
                for raw in chunk.splitlines(keepends=True):
                    line = logs.parse_line(raw)
                    if line is not None:
                        data = line.text + (b"" if line.partial else b"\n")
                        await chan.send(STDERR if line.stream == "stderr" else STDOUT, data)
                if ended and not chunk:
                    break
                if not chunk:
                    # the log file is the one copy of the output: follow it as `logs -f` does
                    await asyncio.sleep(0.2)
        finally:
            client.cancel()
            await chan.finish(exit_status(0, []))
        return resp

    async def _channels(self, request: web.Request, tty: bool) -> tuple[Channels | None, web.StreamResponse]:
        """The session's channels over the carrier the client chose (a websocket, or SPDY as
        kube-apiserver speaks it), or None and the answer refusing it."""
        if not upgrade.is_spdy_upgrade(request):
            ws = web.WebSocketResponse(protocols=PROTOCOLS, max_msg_size=0)
            await ws.prepare(request)
            return streaming.WebSocketChannels(ws), ws
        client = upgrade.client_protocols(request)
        protocol = streaming.negotiate(client, streaming.REMOTECOMMAND_SPDY)
        if not protocol:
            return None, streaming.refuse_protocols(client, streaming.REMOTECOMMAND_SPDY)
        transport = await upgrade.upgrade(request, protocol)
        expected = streaming.expected_streams(
            _stream_flag(request, "stdin"),
            _stream_flag(request, "stdout"),
            _stream_flag(request, "stderr"),
            tty,
        )
        chan = streaming.SpdyChannels(transport, expected)
        if not await chan.wait_ready():
            await chan.finish(
                {"metadata": {}, "status": "Failure", "message": "timed out waiting for client streams"}
            )
            return None, transport.response
        return chan, transport.response

    async def exec(self, request: web.Request) -> web.StreamResponse:
        found = self._running(request)
        if isinstance(found, web.Response):
            return found
        _worker, _name, _run, running = found
        argv = request.query.getall("command", [])
        if not argv:
            return _bad("you must specify at least one command for the container")
        want_stdin = _stream_flag(request, "stdin")
        tty = _flag(request, "tty")
        chan, resp = await self._channels(request, tty=tty)
        if chan is None:
            return resp
        target = running
        spec = runtime.enter_spec(target.proc, argv, dict(target.env), target.workdir)
        master = -1
        if tty:
            spec["tty"] = True
            spec["env"] = {**target.env, "TERM": target.env.get("TERM", "xterm")}
            master, slave = pty.openpty()
            try:
                proc, report = await runtime.spawn_launcher(spec, stdin=slave, stdout=slave, stderr=slave)
            finally:
                os.close(slave)
        else:
            proc, report = await runtime.spawn_launcher(
                spec,
                stdin=asyncio.subprocess.PIPE if want_stdin else asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
        if report.failed:
            await proc.wait()
            if master >= 0:
                os.close(master)
            status = {
                "metadata": {},
                "status": "Failure",
                "message": f"exec failed: {report.message}",
                "reason": "InternalError",
                "details": {"causes": [{"reason": "ExitCode", "message": "126"}]},
            }
            await chan.finish(status)
            return resp
        loop = asyncio.get_running_loop()
        pumps: list[asyncio.Task[None]] = []

        async def pump(reader: asyncio.StreamReader, channel: int) -> None:
            while data := await reader.read(32768):
                await chan.send(channel, data)

        async def pump_pty() -> None:
            while True:
                try:
                    data = await loop.run_in_executor(None, os.read, master, 32768)
                except OSError:
                    return
                if not data:
                    return
                await chan.send(STDOUT, data)

        if tty:
            pumps.append(asyncio.create_task(pump_pty()))
        else:
            assert proc.stdout is not None and proc.stderr is not None
            pumps.append(asyncio.create_task(pump(proc.stdout, STDOUT)))
            pumps.append(asyncio.create_task(pump(proc.stderr, STDERR)))

        async def read_client() -> None:
            async for channel, payload in chan.incoming():
                if channel == STDIN and payload:
                    if tty:
                        await loop.run_in_executor(None, os.write, master, payload)
                    elif proc.stdin is not None:
                        proc.stdin.write(payload)
                        with contextlib.suppress(ConnectionError):
                            await proc.stdin.drain()
                elif channel == RESIZE and tty and payload:
                    with contextlib.suppress(ValueError, OSError):
                        size = json.loads(payload)
                        fcntl.ioctl(
                            master,
                            termios.TIOCSWINSZ,
                            struct.pack("HHHH", size["Height"], size["Width"], 0, 0),
                        )
                elif channel == CLOSE and payload[:1] == bytes([STDIN]):
                    if tty:
                        await loop.run_in_executor(None, os.write, master, b"\x04")
                    elif proc.stdin is not None:
                        proc.stdin.close()

        client = asyncio.create_task(read_client())
        waiting = asyncio.create_task(proc.wait())
        await asyncio.wait({client, waiting}, return_when=asyncio.FIRST_COMPLETED)
        if not waiting.done():
            # the client went away first (terminal closed): hang up on the session as a
            # terminal would, and kill it if it lingers
            if tty:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGHUP)
            elif proc.stdin is not None:
                proc.stdin.close()
            try:
                await asyncio.wait_for(asyncio.shield(waiting), HANGUP_GRACE)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
        code = await waiting
        if tty:
            # the pty reader ends with EIO once every process holding the slave is gone
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.gather(*pumps, return_exceptions=True), 2)
            os.close(master)
        else:
            await asyncio.gather(*pumps, return_exceptions=True)
        if code < 0:
            code = 128 - code
        client.cancel()
        await chan.finish(exit_status(code, argv))
        return resp

    async def port_forward(self, request: web.Request) -> web.StreamResponse:
        ns, pod = request.match_info["ns"], request.match_info["pod"]
        worker = self.lookup(ns, pod)
        if worker is None:
            return _bad(f'pod "{pod}" not found', 404)
        netns = worker.sandbox.netns_path
        if not netns:
            return _bad(f'pod "{pod}" has no network yet', 400)

        async def dial(port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
            return await portforward.dial_in_netns(netns, port)

        forwarder = portforward.PortForwarder(f"{pod}_{ns}", worker.uid, dial)
        if upgrade.is_spdy_upgrade(request):
            client = upgrade.client_protocols(request)
            protocol = streaming.negotiate(client, (portforward.PROTOCOL,))
            if protocol is None:
                return streaming.refuse_protocols(client, (portforward.PROTOCOL,))
            transport = await upgrade.upgrade(request, protocol)
            try:
                await spdysession.Session(transport, forwarder.accept, forwarder.handle).serve()
            finally:
                transport.close()
            return transport.response
        ws = web.WebSocketResponse(protocols=(portforward.WEBSOCKET_TUNNEL,), max_msg_size=0)
        if not ws.can_prepare(request).ok:
            return _bad("Upgrade request required")
        await ws.prepare(request)
        if ws.ws_protocol != portforward.WEBSOCKET_TUNNEL:
            # the channel-per-port websocket protocol of older clients is not served
            await ws.close(message=f"subprotocol {portforward.WEBSOCKET_TUNNEL} required".encode())
            return ws
        try:
            await spdysession.Session(
                streaming.WebSocketTransport(ws), forwarder.accept, forwarder.handle
            ).serve()
        finally:
            await ws.close()
        return ws
