"""The operator's HTTP endpoints, on KubeRay's ports: metrics on :8080, health on :8082."""

from __future__ import annotations

from collections.abc import Callable

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from kuberay import metrics


def parse_bind(addr: str) -> tuple[str, int]:
    """`:8080` / `0.0.0.0:8080` / `127.0.0.1:0` -> (host, port), as controller-runtime flags read."""
    host, _, port = addr.rpartition(":")
    if not port.isdigit():
        raise ValueError(f"bind address {addr!r} must look like HOST:PORT or :PORT")
    return host or "0.0.0.0", int(port)


async def start_endpoints(
    metrics_addr: str,
    health_addr: str,
    *,
    is_ready: Callable[[], bool],
    is_alive: Callable[[], bool],
    why: Callable[[], str],
) -> tuple[web.AppRunner, list[tuple[str, int]]]:
    """Start both servers; returns the runner (to clean up) and the ports really bound.
    `why` says what keeps the operator from serving, in the failing probe's body."""

    async def serve_metrics(_: web.Request) -> web.Response:
        body = generate_latest(metrics.REGISTRY)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def healthz(_: web.Request) -> web.Response:
        if is_alive():
            return web.Response(text="ok")
        return web.Response(status=503, text=f"watches not serving for too long: {why()}")

    async def readyz(_: web.Request) -> web.Response:
        if is_ready():
            return web.Response(text="ok")
        return web.Response(status=503, text=why())

    app = web.Application()
    app.router.add_get("/metrics", serve_metrics)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    bound: list[tuple[str, int]] = []
    for addr in (metrics_addr, health_addr):
        if addr in ("0", ""):  # disabled, as controller-runtime's "0"
            continue
        host, port = parse_bind(addr)
        site = web.TCPSite(runner, host, port)
        await site.start()
        server = site._server
        sockets = getattr(server, "sockets", None) or []
        bound.append((host, sockets[0].getsockname()[1] if sockets else port))
    return runner, bound
