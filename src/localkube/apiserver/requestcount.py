"""Requests counted by client, verb, resource and answer code, served at /metrics as
`apiserver_request_total`, so that a benchmark can say how many requests each client (operator)
sent, and how many were refused (409 conflicts), without trusting the client's own count.
kube-apiserver's metric of that name has the same verb, resource, subresource and code labels but
no client label (its audit log has the userAgent); localkube adds `client`: the User-Agent's
product, up to its first "/"."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import NamedTuple

_WRITES = {"POST": "POST", "PUT": "PUT", "PATCH": "PATCH", "DELETE": "DELETE"}


class Key(NamedTuple):
    client: str
    code: int
    resource: str
    subresource: str
    verb: str


def _after_version(path: str) -> list[str]:
    """The segments after /api/v1 or /apis/<group>/<version>, without namespaces/<ns>."""
    segs = [s for s in path.split("/") if s]
    rest = segs[2:] if segs[:1] == ["api"] else segs[3:]
    if rest[:1] == ["namespaces"] and len(rest) >= 3:
        rest = rest[2:]
    return rest


def verb(method: str, path: str, query: Mapping[str, str]) -> str:
    """Kubernetes' verb of a resource request, as kube-apiserver's metric spells it: GET, LIST,
    WATCH, POST, PUT, PATCH, DELETE (DELETECOLLECTION is counted as DELETE)."""
    if method in _WRITES:
        return _WRITES[method]
    if query.get("watch") in ("true", "1", "True"):
        return "WATCH"
    return "LIST" if len(_after_version(path)) == 1 else "GET"


def resource(path: str) -> tuple[str, str]:
    """The resource and subresource a request names: ("rayclusters", "status")."""
    rest = _after_version(path)
    return (rest[0] if rest else ""), (rest[2] if len(rest) > 2 else "")


class RequestCounter:
    def __init__(self) -> None:
        self.counts: Counter[Key] = Counter()

    def count(self, method: str, path: str, query: Mapping[str, str], user_agent: str, code: int) -> None:
        if not path.startswith(("/api/", "/apis/")):
            return  # discovery roots, health, openapi: not the work being measured
        client = user_agent.split("/")[0][:64] or "unknown"
        res, sub = resource(path)
        self.counts[Key(client, code, res, sub, verb(method, path, query))] += 1

    def render(self) -> str:
        lines = [
            "# HELP apiserver_request_total Resource requests by client (User-Agent product), "
            "answer code, resource, subresource and verb.",
            "# TYPE apiserver_request_total counter",
        ]
        for key, n in sorted(self.counts.items()):
            client = key.client.replace("\\", "\\\\").replace('"', '\\"')
            lines.append(
                f'apiserver_request_total{{client="{client}",code="{key.code}",resource="{key.resource}",'
                f'subresource="{key.subresource}",verb="{key.verb}"}} {n}'
            )
        return "\n".join(lines) + "\n"
