"""Probes and lifecycle handlers: exec (inside the container), httpGet and tcpSocket (to the pod IP,
as the kubelet reaches pods from the node)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

ExecFn = Callable[[list[str], float], Awaitable[tuple[int, bytes]]]

HANDLERS = ("exec", "httpGet", "tcpSocket", "grpc")


def validate(probe: dict[str, Any], what: str) -> str:
    """Why the probe or handler cannot run ("" when it is fine)."""
    present = [h for h in HANDLERS if probe.get(h) is not None]
    if not present:
        return f"{what}: must specify a handler type"
    if len(present) > 1:
        return f"{what}: may not specify more than 1 handler type"
    return ""


def resolve_port(port: Any, container: dict[str, Any]) -> int | None:
    if isinstance(port, int):
        return port
    if isinstance(port, str) and port.isdigit():
        return int(port)
    for cp in container.get("ports") or []:
        if cp.get("name") == port:
            return int(cp["containerPort"])
    return None


async def run_handler(
    handler: dict[str, Any], container: dict[str, Any], pod_ip: str, exec_fn: ExecFn, timeout: float
) -> tuple[bool, str]:
    """Run one probe/hook action; (success, message as the kubelet would report it)."""
    if handler.get("exec") is not None:
        cmd = list(handler["exec"].get("command") or [])
        code, out = await exec_fn(cmd, timeout)
        if code == -1:
            return False, f"command {cmd!r} timed out"
        if code != 0:
            return False, out.decode(errors="replace")[-1024:] or f"command {cmd!r} exited with {code}"
        return True, ""
    if handler.get("httpGet") is not None:
        hg = handler["httpGet"]
        port = resolve_port(hg.get("port"), container)
        if port is None:
            return False, f"port {hg.get('port')!r} not found"
        scheme = (hg.get("scheme") or "HTTP").lower()
        host = hg.get("host") or pod_ip
        path = hg.get("path") or "/"
        if not path.startswith("/"):
            path = "/" + path
        url = f"{scheme}://{host}:{port}{path}"
        headers = {h["name"]: h["value"] for h in hg.get("httpHeaders") or []}
        headers.setdefault("User-Agent", "kube-probe/1.37")
        try:
            async with (
                aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as s,
                s.get(url, headers=headers, ssl=False, allow_redirects=True) as resp,
            ):
                if 200 <= resp.status < 400:
                    return True, ""
                return False, f"HTTP probe failed with statuscode: {resp.status}"
        except (TimeoutError, aiohttp.ClientError, OSError) as e:
            return False, f'Get "{url}": {e or type(e).__name__}'
    if handler.get("tcpSocket") is not None:
        ts = handler["tcpSocket"]
        port = resolve_port(ts.get("port"), container)
        if port is None:
            return False, f"port {ts.get('port')!r} not found"
        host = ts.get("host") or pod_ip
        try:
            _r, w = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
            w.close()
            with contextlib.suppress(Exception):
                await w.wait_closed()
            return True, ""
        except (TimeoutError, OSError) as e:
            return (
                False,
                f"dial tcp {host}:{port}: connect: {e.strerror if isinstance(e, OSError) else 'timeout'}",
            )
    if handler.get("sleep") is not None:
        await asyncio.sleep(float(handler["sleep"].get("seconds", 0)))
        return True, ""
    return False, "grpc probes are not supported by localkube"


def timing(probe: dict[str, Any]) -> tuple[float, float, float, int, int]:
    """initialDelaySeconds, periodSeconds, timeoutSeconds, successThreshold, failureThreshold."""
    return (
        float(probe.get("initialDelaySeconds") or 0),
        float(probe.get("periodSeconds") or 10),
        float(probe.get("timeoutSeconds") or 1),
        int(probe.get("successThreshold") or 1),
        int(probe.get("failureThreshold") or 3),
    )
