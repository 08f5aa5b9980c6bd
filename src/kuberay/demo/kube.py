"""The few Kubernetes calls the demo makes, over aiohttp, against the kubeconfig localkube writes.

The demo must run where neither kubectl nor the official client is installed, so it speaks the
API directly: JSON REST for objects and logs, and the remotecommand websocket (v4.channel.k8s.io:
binary frames whose first byte names the stream; stream 3 carries the final Status) for exec."""

from __future__ import annotations

import json
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import aiohttp
import yaml

STDOUT, STDERR, ERROR = 1, 2, 3


class KubeError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status


@dataclass(frozen=True)
class Endpoint:
    server: str
    token: str
    ca_file: str


def read_kubeconfig(path: Path) -> Endpoint:
    """Server, bearer token and CA of the current context (localkube's kubeconfig shape)."""
    config = yaml.safe_load(path.read_text())
    context_name = config.get("current-context")
    context = next(c["context"] for c in config["contexts"] if c["name"] == context_name)
    cluster = next(c["cluster"] for c in config["clusters"] if c["name"] == context["cluster"])
    user = next(u["user"] for u in config["users"] if u["name"] == context["user"])
    return Endpoint(cluster["server"], user["token"], cluster["certificate-authority"])


# kind -> (API path prefix, plural, namespaced) for what the demo creates
_RESOURCES = {
    "ConfigMap": ("/api/v1", "configmaps", True),
    "Pod": ("/api/v1", "pods", True),
    "RayCluster": ("/apis/ray.io/v1", "rayclusters", True),
    "CustomResourceDefinition": ("/apis/apiextensions.k8s.io/v1", "customresourcedefinitions", False),
}


def collection_path(kind: str, namespace: str) -> str:
    prefix, plural, namespaced = _RESOURCES[kind]
    return f"{prefix}/namespaces/{namespace}/{plural}" if namespaced else f"{prefix}/{plural}"


@dataclass(frozen=True)
class ExecResult:
    stdout: str
    stderr: str
    exit_code: int


def exit_code_of(status: dict[str, Any]) -> int:
    """The exit code carried by the Status on the error stream (0 for Success)."""
    if status.get("status") == "Success":
        return 0
    for cause in (status.get("details") or {}).get("causes") or []:
        if cause.get("reason") == "ExitCode":
            try:
                return int(cause.get("message", "1"))
            except ValueError:
                return 1
    return 1


class Kube:
    """An aiohttp session bound to one API server; use as `async with Kube(endpoint) as kube`."""

    def __init__(self, endpoint: Endpoint, namespace: str = "default") -> None:
        self.endpoint = endpoint
        self.namespace = namespace
        self._ssl = ssl.create_default_context(cafile=endpoint.ca_file)
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> Kube:
        self._session = aiohttp.ClientSession(
            base_url=self.endpoint.server,
            headers={"Authorization": f"Bearer {self.endpoint.token}"},
            timeout=aiohttp.ClientTimeout(total=None, sock_connect=10),
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._session is not None:
            await self._session.close()

    @property
    def session(self) -> aiohttp.ClientSession:
        assert self._session is not None, "use Kube as an async context manager"
        return self._session

    async def _json(self, method: str, path: str, body: Any = None, timeout: float = 30) -> Any:
        async with self.session.request(
            method, path, json=body, ssl=self._ssl, timeout=aiohttp.ClientTimeout(total=timeout)
        ) as resp:
            text = await resp.text()
            if resp.status >= 400:
                try:
                    message = json.loads(text).get("message", text)
                except ValueError:
                    message = text
                raise KubeError(resp.status, message)
            return json.loads(text) if text else None

    async def create(self, obj: dict[str, Any]) -> dict[str, Any]:
        namespace = obj.get("metadata", {}).get("namespace") or self.namespace
        result: dict[str, Any] = await self._json("POST", collection_path(obj["kind"], namespace), obj)
        return result

    async def get(self, kind: str, name: str) -> dict[str, Any]:
        result: dict[str, Any] = await self._json("GET", f"{collection_path(kind, self.namespace)}/{name}")
        return result

    async def list_objects(self, kind: str, label_selector: str = "") -> list[dict[str, Any]]:
        query = f"?{urlencode({'labelSelector': label_selector})}" if label_selector else ""
        result = await self._json("GET", collection_path(kind, self.namespace) + query)
        items: list[dict[str, Any]] = result.get("items") or []
        return items

    async def delete(self, kind: str, name: str) -> None:
        await self._json("DELETE", f"{collection_path(kind, self.namespace)}/{name}")

    async def logs(self, pod: str, container: str, tail_lines: int = 20) -> str:
        path = f"/api/v1/namespaces/{self.namespace}/pods/{pod}/log"
        query = urlencode({"container": container, "tailLines": str(tail_lines)})
        async with self.session.get(f"{path}?{query}", ssl=self._ssl) as resp:
            text = await resp.text()
            if resp.status >= 400:
                raise KubeError(resp.status, text)
            return text

    async def exec(
        self, pod: str, command: list[str], container: str = "", timeout: float = 180
    ) -> ExecResult:
        """Run `command` in the pod like `kubectl exec POD [-c C] -- command`, collecting output."""
        query = [("stdout", "true"), ("stderr", "true")] + [("command", c) for c in command]
        if container:
            query.append(("container", container))
        path = (
            f"/api/v1/namespaces/{self.namespace}/pods/{quote(pod)}/exec?{urlencode(query, quote_via=quote)}"
        )
        out: list[bytes] = []
        err: list[bytes] = []
        status: dict[str, Any] = {}
        async with self.session.ws_connect(
            path,
            protocols=("v4.channel.k8s.io",),
            ssl=self._ssl,
            timeout=aiohttp.ClientWSTimeout(ws_close=10),
            receive_timeout=timeout,
            max_msg_size=0,
        ) as ws:
            async for msg in ws:
                if msg.type != aiohttp.WSMsgType.BINARY or not msg.data:
                    continue
                channel, data = msg.data[0], msg.data[1:]
                if channel == STDOUT:
                    out.append(data)
                elif channel == STDERR:
                    err.append(data)
                elif channel == ERROR and data:
                    status = json.loads(data)
        code = exit_code_of(status) if status else 0
        return ExecResult(
            b"".join(out).decode(errors="replace"), b"".join(err).decode(errors="replace"), code
        )
