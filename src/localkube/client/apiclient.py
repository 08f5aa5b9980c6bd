"""A small asyncio client for the Kubernetes API over HTTPS, as the kubelet and the controllers use
it: bearer token and CA from a kubeconfig, JSON in and out, and watch streams."""

from __future__ import annotations

import base64
import json
import ssl
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import yaml


class ApiError(Exception):
    def __init__(self, status: int, body: dict[str, Any] | str):
        self.status = status
        self.body = body
        msg = body.get("message", "") if isinstance(body, dict) else body
        super().__init__(f"{status}: {msg}")


class Kubeconfig:
    def __init__(self, path: Path):
        cfg = yaml.safe_load(path.read_text())
        ctx_name = cfg.get("current-context")
        contexts = {c["name"]: c["context"] for c in cfg.get("contexts") or []}
        ctx: dict[str, Any] = contexts.get(ctx_name) or next(iter(contexts.values()), {})
        clusters = {c["name"]: c["cluster"] for c in cfg.get("clusters") or []}
        users = {u["name"]: u["user"] for u in cfg.get("users") or []}
        cluster = clusters.get(ctx.get("cluster")) or next(iter(clusters.values()))
        user: dict[str, Any] = users.get(ctx.get("user")) or next(iter(users.values()), {})
        self.server: str = cluster["server"]
        self.token: str = user.get("token", "")
        if cluster.get("certificate-authority-data"):
            self.ca_pem = base64.b64decode(cluster["certificate-authority-data"]).decode()
        elif cluster.get("certificate-authority"):
            ca = Path(cluster["certificate-authority"])
            if not ca.is_absolute():
                ca = path.parent / ca
            self.ca_pem = ca.read_text()
        else:
            self.ca_pem = ""


class ApiClient:
    def __init__(self, server: str, token: str, ca_pem: str):
        self.server = server.rstrip("/")
        self.token = token
        self.ca_pem = ca_pem
        ctx = ssl.create_default_context()
        if ca_pem:
            ctx.load_verify_locations(cadata=ca_pem)
        self._ssl = ctx
        self._session: aiohttp.ClientSession | None = None

    @classmethod
    def from_kubeconfig(cls, path: Path, server: str | None = None) -> ApiClient:
        kc = Kubeconfig(path)
        return cls(server or kc.server, kc.token, kc.ca_pem)

    def ca_file(self) -> Path:
        f = tempfile.NamedTemporaryFile("w", suffix=".crt", delete=False)  # noqa: SIM115
        f.write(self.ca_pem)
        f.close()
        return Path(f.name)

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                # the User-Agent tells localkube's own requests apart in the API server's counts
                headers={
                    "Authorization": f"Bearer {self.token}",
                    "Accept": "application/json",
                    "User-Agent": "localkube",
                },
                connector=aiohttp.TCPConnector(ssl=self._ssl, limit=32),
            )
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def request(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        params: dict[str, str] | None = None,
        content_type: str = "application/json",
    ) -> dict[str, Any]:
        data = json.dumps(body) if body is not None else None
        headers = {"Content-Type": content_type} if data is not None else {}
        async with self.session.request(
            method, self.server + path, data=data, params=params, headers=headers
        ) as resp:
            text = await resp.text()
            try:
                parsed: Any = json.loads(text) if text else {}
            except json.JSONDecodeError:
                parsed = text
            if resp.status >= 400:
                raise ApiError(resp.status, parsed)
            return parsed if isinstance(parsed, dict) else {}

    async def get(self, path: str, params: dict[str, str] | None = None) -> dict[str, Any]:
        return await self.request("GET", path, params=params)

    async def get_or_none(self, path: str) -> dict[str, Any] | None:
        try:
            return await self.get(path)
        except ApiError as e:
            if e.status == 404:
                return None
            raise

    async def create(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        return await self.request("POST", path, body=body)

    async def merge_patch(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        return await self.request("PATCH", path, body=body, content_type="application/merge-patch+json")

    async def put(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        return await self.request("PUT", path, body=body)

    async def delete(self, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        return await self.request("DELETE", path, body=body)

    async def watch(self, path: str, params: dict[str, str]) -> AsyncIterator[dict[str, Any]]:
        """Yield watch events until the server ends the stream."""
        q = dict(params)
        q["watch"] = "true"
        timeout = aiohttp.ClientTimeout(total=None, sock_read=None)
        async with self.session.get(self.server + path, params=q, timeout=timeout) as resp:
            if resp.status >= 400:
                text = await resp.text()
                try:
                    raise ApiError(resp.status, json.loads(text))
                except json.JSONDecodeError:
                    raise ApiError(resp.status, text) from None
            buf = b""
            async for chunk in resp.content.iter_any():
                buf += chunk
                while b"\n" in buf:
                    line, buf = buf.split(b"\n", 1)
                    if line.strip():
                        yield json.loads(line)
