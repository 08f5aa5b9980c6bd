"""Ray Serve's REST API on a head's dashboard (`GET`/`PUT /api/serve/applications/`) and a Serve
proxy's health (`GET /-/healthz` on the serve port), as KubeRay's clients use them."""

from __future__ import annotations

from typing import Any

import aiohttp

from kuberay.build.rayservice.serve import ServeAnswer
from kuberay.controller.rayjob.dashboard import Dashboard

# A Serve config PUT makes the controller start every new deployment: give it longer.
_PUT_TIMEOUT = aiohttp.ClientTimeout(total=30)
_PROXY_TIMEOUT = aiohttp.ClientTimeout(total=2)


class ServeError(Exception):
    pass


class ServeClient(Dashboard):
    """The dashboard client (one pooled session, requests counted), plus Ray Serve's API."""

    async def applications(self, base: str) -> ServeAnswer:
        self.requests += 1
        try:
            async with self._http().get(f"{base}/api/serve/applications/") as resp:
                body: Any = await resp.json(content_type=None)
                if resp.status != 200:
                    return ServeAnswer(error=f"GetServeDetails fail: {resp.status} {str(body)[:200]}")
                return ServeAnswer.from_api(body)
        except (aiohttp.ClientError, TimeoutError, ValueError) as err:
            return ServeAnswer(error=f"{type(err).__name__}: {err}")

    async def put(self, base: str, config: dict[str, Any]) -> None:
        self.requests += 1
        try:
            async with self._http().put(
                f"{base}/api/serve/applications/", json=config, timeout=_PUT_TIMEOUT
            ) as resp:
                if not 200 <= resp.status < 300:
                    raise ServeError(f"UpdateDeployments fail: {resp.status} {(await resp.text())[:300]}")
        except (aiohttp.ClientError, TimeoutError) as err:
            raise ServeError(f"{type(err).__name__}: {err}") from err

    async def proxy_healthy(self, pod_ip: str, port: int) -> bool:
        self.requests += 1
        try:
            async with self._http().get(f"http://{pod_ip}:{port}/-/healthz", timeout=_PROXY_TIMEOUT) as resp:
                return resp.status == 200 and "success" in (await resp.text())
        except (aiohttp.ClientError, TimeoutError):
            return False
