"""Requests counted by client and verb, served at /metrics as `apiserver_request_total`, so that a
benchmark can say how many requests each client (operator) sent without trusting the client's own
count. kube-apiserver's metric of that name has no client label (its audit log has the
userAgent); localkube adds `client`: the User-Agent's product, up to its first "/"."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

_WRITES = {"POST": "POST", "PUT": "PUT", "PATCH": "PATCH", "DELETE": "DELETE"}


def verb(method: str, path: str, query: Mapping[str, str]) -> str:
    """Kubernetes' verb of a resource request, as kube-apiserver's metric spells it: GET, LIST,
    WATCH, POST, PUT, PATCH, DELETE (DELETECOLLECTION is counted as DELETE)."""
    if method in _WRITES:
        return _WRITES[method]
    if query.get("watch") in ("true", "1", "True"):
        return "WATCH"
    segs = [s for s in path.split("/") if s]
    # /api/v1/... or /apis/<group>/<version>/...
    rest = segs[2:] if segs[:1] == ["api"] else segs[3:]
    if rest[:1] == ["namespaces"] and len(rest) >= 3:
        rest = rest[2:]
    return "LIST" if len(rest) == 1 else "GET"


class RequestCounter:
    def __init__(self) -> None:
        self.counts: Counter[tuple[str, str]] = Counter()

    def count(self, method: str, path: str, query: Mapping[str, str], user_agent: str) -> None:
        if not path.startswith(("/api/", "/apis/")):
            return  # discovery roots, health, openapi: not the work being measured
        self.counts[(user_agent.split("/")[0][:64] or "unknown", verb(method, path, query))] += 1

    def render(self) -> str:
        lines = [
            "# HELP apiserver_request_total Resource requests by client (User-Agent product) and verb.",
            "# TYPE apiserver_request_total counter",
        ]
        for (client, v), n in sorted(self.counts.items()):
            client = client.replace("\\", "\\\\").replace('"', '\\"')
            lines.append(f'apiserver_request_total{{client="{client}",verb="{v}"}} {n}')
        return "\n".join(lines) + "\n"
